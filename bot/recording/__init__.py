"""Peer-reply tracking: classify Discord activity and record it as metadata, in batches.

`Recorder` (on `bot.recorder`) is what features call; `events` holds the plain facts the
tracking cog builds from Discord objects; `classify` and `rollups` are pure.
"""

from bot.db.models.activity import ActorRole, EventKind, Interaction, ThreadContext
from bot.recording.recorder import Recorder

__all__ = ["ActorRole", "EventKind", "Interaction", "Recorder", "ThreadContext"]
