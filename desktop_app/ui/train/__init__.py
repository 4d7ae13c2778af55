"""The Train view: settings, the training worker, live curves, results and past runs."""
