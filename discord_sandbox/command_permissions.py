"""Application command permissions: who may use a command, as Discord decides it.

docs/interactions/application-commands (Permissions): an admin sets overrides for up to
100 users, roles and channels, per command or for the whole application (the entry whose
id is the application's id applies to every command without its own). Discord applies
them before any interaction reaches the app:

- Administrator (or the owner) may use every command.
- The channel: the command's entry for the channel (a thread counts as its parent), else
  its every-channel entry (id ``guild_id - 1``), else the application's; a denied channel
  refuses.
- The member, command level first, application level second: a user entry, else the
  member's role entries (one allowed role is enough), else the @everyone entry (id
  ``guild_id``).
- When no entry speaks of the member, ``default_member_permissions`` decides.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .permissions import ADMINISTRATOR

ROLE, USER, CHANNEL = 1, 2, 3


@dataclass(frozen=True)
class CommandPermission:
    """One entry: ``type`` 1 role, 2 user, 3 channel; ``permission`` allow or deny."""

    id: int
    type: int
    permission: bool

    def payload(self) -> dict[str, Any]:
        return {"id": str(self.id), "type": self.type, "permission": self.permission}


def _first(entries: Iterable[CommandPermission], kind: int, ids: Iterable[int]) -> bool | None:
    wanted = list(ids)
    for target in wanted:
        for entry in entries:
            if entry.type == kind and entry.id == target:
                return entry.permission
    return None


def _for_member(
    entries: list[CommandPermission], guild_id: int, user_id: int, roles: list[int]
) -> bool | None:
    user = _first(entries, USER, [user_id])
    if user is not None:
        return user
    held = [e.permission for e in entries if e.type == ROLE and e.id in roles]
    if held:
        return any(held)
    return _first(entries, ROLE, [guild_id])


def may_use(
    *,
    guild_id: int,
    user_id: int,
    roles: list[int],
    guild_permissions: int,
    channel_ids: list[int],
    default_member_permissions: str | None,
    own: list[CommandPermission],
    app: list[CommandPermission],
) -> bool:
    """Would Discord let this member use this command in this channel."""
    if guild_permissions & ADMINISTRATOR:
        return True
    for level in (own, app):
        channel = _first(level, CHANNEL, channel_ids)
        if channel is None:
            channel = _first(level, CHANNEL, [guild_id - 1])
        if channel is not None:
            if not channel:
                return False
            break
    for level in (own, app):
        verdict = _for_member(level, guild_id, user_id, roles)
        if verdict is not None:
            return verdict
    if default_member_permissions is None:
        return True
    need = int(default_member_permissions)
    return guild_permissions & need == need
