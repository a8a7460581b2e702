"""Bundled model files: this directory installs as package ``safecomment.models``."""
