"""Permission resolution exactly as Discord computes it.

Order (docs/topics/permissions): base = @everyone | member roles; ADMINISTRATOR or owner
=> every bit; then channel overwrites: @everyone deny/allow, all role denies then all role
allows together, then the member overwrite. Threads inherit their parent's overwrites.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

KICK_MEMBERS = 1 << 1
BAN_MEMBERS = 1 << 2
ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5
VIEW_AUDIT_LOG = 1 << 7
MODERATE_MEMBERS = 1 << 40
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
MANAGE_MESSAGES = 1 << 13
READ_MESSAGE_HISTORY = 1 << 16
MANAGE_ROLES = 1 << 28
MANAGE_THREADS = 1 << 34
CREATE_PUBLIC_THREADS = 1 << 35
CREATE_PRIVATE_THREADS = 1 << 36
SEND_MESSAGES_IN_THREADS = 1 << 38
ALL_PERMISSIONS = (1 << 53) - 1

DEFAULT_EVERYONE = (
    VIEW_CHANNEL
    | SEND_MESSAGES
    | READ_MESSAGE_HISTORY
    | CREATE_PUBLIC_THREADS
    | CREATE_PRIVATE_THREADS
    | SEND_MESSAGES_IN_THREADS
    | (1 << 6)
    | (1 << 14)
    | (1 << 15)
    | (1 << 18)
    | (1 << 31)
)


@dataclass(frozen=True)
class Overwrite:
    """A channel permission overwrite; ``type`` 0 = role, 1 = member."""

    id: int
    type: int
    allow: int = 0
    deny: int = 0


def base_permissions(
    *,
    guild_id: int,
    owner_id: int,
    user_id: int,
    role_perms: dict[int, int],
    member_roles: Iterable[int],
) -> int:
    """Return guild-level permissions: @everyone plus the member's roles."""
    if user_id == owner_id:
        return ALL_PERMISSIONS
    perms = role_perms.get(guild_id, 0)
    for role_id in member_roles:
        perms |= role_perms.get(role_id, 0)
    if perms & ADMINISTRATOR:
        return ALL_PERMISSIONS
    return perms


def channel_permissions(
    base: int,
    *,
    guild_id: int,
    user_id: int,
    member_roles: Iterable[int],
    overwrites: Iterable[Overwrite],
) -> int:
    """Apply a channel's overwrites to ``base`` (administrators bypass them)."""
    if base & ADMINISTRATOR or base == ALL_PERMISSIONS:
        return ALL_PERMISSIONS
    by_id = {o.id: o for o in overwrites}
    perms = base
    everyone = by_id.get(guild_id)
    if everyone is not None:
        perms = (perms & ~everyone.deny) | everyone.allow
    roles = set(member_roles)
    allow = deny = 0
    for ow in by_id.values():
        if ow.type == 0 and ow.id in roles:
            allow |= ow.allow
            deny |= ow.deny
    perms = (perms & ~deny) | allow
    own = by_id.get(user_id)
    if own is not None and own.type == 1:
        perms = (perms & ~own.deny) | own.allow
    if not perms & VIEW_CHANNEL:
        return 0
    return perms
