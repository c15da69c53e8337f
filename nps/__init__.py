"""The `nps` command and the settings it resolves once per run."""
