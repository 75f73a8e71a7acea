"""ILM portfolio of evidence exporter for the lrs learning record store."""

__version__ = "0.1.0"
