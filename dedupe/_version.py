"""The version, in one place: the package, the CLI, reports and checkpoints
read it here, and the build reads it from here (pyproject.toml)."""

__version__ = "0.1.0"
