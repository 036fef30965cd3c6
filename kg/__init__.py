"""Clinical drug evidence knowledge-graph builder."""

__all__ = ["__version__"]

__version__ = "0.1.0"
