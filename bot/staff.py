"""The one rule that says who is staff, used by recording, spotlights and the survey.

docs/metrics.md: a member is staff when they hold one of the guild's configured staff roles;
with none configured, when they have Manage Server or Administrator. It has no discord.py
import so the recorder's core can use it; ``member_is_staff`` reads a discord.py member.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Protocol


class _Permissions(Protocol):
    @property
    def manage_guild(self) -> bool: ...
    @property
    def administrator(self) -> bool: ...


class _Role(Protocol):
    @property
    def id(self) -> int: ...


class StaffCandidate(Protocol):
    """What ``member_is_staff`` reads of a member (a ``discord.Member`` has it)."""

    @property
    def roles(self) -> Iterable[_Role]: ...
    @property
    def guild_permissions(self) -> _Permissions: ...


def is_staff(
    *, role_ids: Iterable[int], staff_role_ids: Collection[int], manages_guild: bool
) -> bool:
    """A configured staff role; with none configured, Manage Server or Administrator."""
    if staff_role_ids:
        return any(role_id in staff_role_ids for role_id in role_ids)
    return manages_guild


def member_is_staff(member: StaffCandidate, staff_role_ids: Collection[int]) -> bool:
    """``is_staff`` for a discord.py member."""
    perms = member.guild_permissions
    return is_staff(
        role_ids=(role.id for role in member.roles),
        staff_role_ids=staff_role_ids,
        manages_guild=perms.manage_guild or perms.administrator,
    )
