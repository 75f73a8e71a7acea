"""A learning record store that speaks xAPI and understands professional development."""

__version__ = "0.1.0"

