"""Hot Dog Studio: label photos, train a hot dog / not hot dog classifier, see live verdicts."""

__version__ = "0.1.0"
APP_NAME = "Hot Dog Studio"
