"""One module per command-line command. Each has HELP, add_arguments(parser) and run(args) -> exit code.

Command modules import ml/ inside run(), never at module level, so `--help` and the GUI start fast.
"""

# name -> module (imported by cli.py on demand)
COMMANDS = {
    "import": "desktop_app.commands.import_images",
    "stats": "desktop_app.commands.stats",
    "label": "desktop_app.commands.label",
    "undo": "desktop_app.commands.undo",
    "redo": "desktop_app.commands.redo",
    "train": "desktop_app.commands.train",
    "check-labels": "desktop_app.commands.check_labels",
    "duplicates": "desktop_app.commands.duplicates",
    "health": "desktop_app.commands.health",
    "suggest": "desktop_app.commands.suggest",
    "predict": "desktop_app.commands.predict",
    "explain": "desktop_app.commands.explain",
    "export": "desktop_app.commands.export",
    "self-test": "desktop_app.commands.self_test",
}
