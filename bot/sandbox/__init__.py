"""A wire-level Discord emulator that the unmodified discord.py client connects to.

Used by the end-to-end tests, ``foyer demo`` and ``foyer sandbox``. See docs/sandbox.md.
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
