"""Cited answers and sourced briefings over conflict news."""

__version__ = "0.1.0"
