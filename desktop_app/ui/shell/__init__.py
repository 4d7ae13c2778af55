"""The window around the views: start-up, the main window, the welcome page, settings, crash
reports, and what every view shares (workers, style, banners)."""
