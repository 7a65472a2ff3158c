"""A wire-level Discord emulator that the unmodified discord.py client connects to.

It knows Discord's interfaces and nothing of any bot built on them (see README.md beside
this file); Foyer's end-to-end tests, ``foyer demo`` and ``foyer sandbox`` use it.
"""

from .api import Sandbox
from .core import Call
from .interactions import InteractionResult
from .snowflake import SnowflakeFactory, time_of
from .state import Channel, Guild, Member, Message, Role, User

__all__ = [
    "Call",
    "Channel",
    "Guild",
    "InteractionResult",
    "Member",
    "Message",
    "Role",
    "Sandbox",
    "SnowflakeFactory",
    "User",
    "time_of",
]
