"""Qt widgets, views and the QThread workers that run core and ml work off the GUI thread."""
