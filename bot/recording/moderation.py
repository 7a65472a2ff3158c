"""Moderation actions as counts, for the *tensions* signal (docs/metrics.md).

Discord sends GUILD_AUDIT_LOG_ENTRY_CREATE (discord.py's `on_audit_log_entry_create`) only
to a bot with the moderation intent and the View Audit Log permission. Of an entry Foyer
keeps its id (to count it once), its day and what kind of moderation it is; never who acted,
on whom, or the reason.

AutoMod actions are counted from the audit log too (its entries 143-146: a message blocked
or flagged, a member timed out or quarantined by AutoMod), not from
AUTO_MODERATION_ACTION_EXECUTION: that event needs Manage Server, a permission Foyer does
not ask for, and counting both would count each AutoMod action twice. A timeout AutoMod
gives is its own entry (145), not a member update, so it is not also counted as a timeout.

Why counting is safe against replays: each entry has an id, stored in
`moderation_entries` in the transaction that adds it to the counters (`moderation_store`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import discord

from bot.db.models.moderation import ModerationKind

_AUTOMOD = frozenset({143, 144, 145, 146})  # block message, flag, timeout, quarantine
_KINDS = {
    20: ModerationKind.KICK,
    22: ModerationKind.BAN,
    72: ModerationKind.MESSAGE_DELETE,
    73: ModerationKind.MESSAGE_DELETE,  # bulk
}
MEMBER_UPDATE = 24


@dataclass(frozen=True)
class ModerationAction:
    """One audit log entry worth counting: its guild, id, UTC day, kind, and the messages
    it removed (0 when it removed none or Discord does not say)."""

    guild_id: int
    entry_id: int
    day: date
    kind: ModerationKind
    messages: int = 0


def kind_of(action_type: int, timed_out: bool) -> ModerationKind | None:
    """The kind of an audit log entry of `action_type` (Discord's number), or None for
    entries that are not moderation (a channel renamed, a role given...). A member update
    is a timeout only when it set a time out (`timed_out`), not when it lifted one."""
    if action_type in _AUTOMOD:
        return ModerationKind.AUTOMOD
    if action_type == MEMBER_UPDATE:
        return ModerationKind.TIMEOUT if timed_out else None
    return _KINDS.get(action_type)


def from_audit_entry(entry: discord.AuditLogEntry) -> ModerationAction | None:
    """The countable part of an entry discord.py built, or None if it is not moderation."""
    timed_out = False
    if entry.action is discord.AuditLogAction.member_update:
        timed_out = getattr(entry.changes.after, "timed_out_until", None) is not None
    kind = kind_of(entry.action.value, timed_out)
    if kind is None:
        return None
    messages = 0
    if kind is ModerationKind.MESSAGE_DELETE:
        messages = int(getattr(entry.extra, "count", 1) or 1)
    return ModerationAction(entry.guild.id, entry.id, entry.created_at.date(), kind, messages)
