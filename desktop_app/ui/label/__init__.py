"""The Label view: the inbox, the gallery, import by drop and paste, label tools and dialogs."""
