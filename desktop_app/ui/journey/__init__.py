"""The GUI self-test: a new user's journey, driven with real Qt events."""
