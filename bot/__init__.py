"""Foyer: a Discord bot that helps a community talk to itself, and measures whether it does."""

__version__ = "0.1.0"
