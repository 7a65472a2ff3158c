"""Foyer's demo: a simulated community replayed through the Discord sandbox against the real bot.

Sits on top of the bot: it imports ``bot`` and ``discord_sandbox``, and nothing in ``bot`` or
``cogs`` imports it. ``foyer demo`` and ``foyer sandbox`` reach it through the ``foyer.commands``
entry points (pyproject.toml).
"""
