"""Cible's own CLI commands, one module per subject, registered in plugin_app.cli."""
