"""Permission resolution as Discord documents it (no network)."""

from __future__ import annotations

from discord_sandbox.permissions import (
    ADMINISTRATOR,
    ALL_PERMISSIONS,
    MANAGE_ROLES,
    SEND_MESSAGES,
    VIEW_CHANNEL,
    Overwrite,
    base_permissions,
    channel_permissions,
)

GUILD, OWNER, USER, ROLE_A, ROLE_B = 100, 1, 2, 10, 11


def base(roles: list[int], perms: dict[int, int], user: int = USER) -> int:
    return base_permissions(
        guild_id=GUILD, owner_id=OWNER, user_id=user, role_perms=perms, member_roles=roles
    )


def test_everyone_and_roles_are_ored() -> None:
    perms = {GUILD: VIEW_CHANNEL, ROLE_A: SEND_MESSAGES, ROLE_B: MANAGE_ROLES}
    assert base([ROLE_A], perms) == VIEW_CHANNEL | SEND_MESSAGES
    assert base([], perms) == VIEW_CHANNEL


def test_administrator_and_owner_get_every_bit() -> None:
    perms = {GUILD: 0, ROLE_A: ADMINISTRATOR}
    assert base([ROLE_A], perms) == ALL_PERMISSIONS
    assert base([], perms, user=OWNER) == ALL_PERMISSIONS


def test_administrator_ignores_channel_denies() -> None:
    deny_all = [Overwrite(GUILD, 0, deny=ALL_PERMISSIONS)]
    assert (
        channel_permissions(
            ALL_PERMISSIONS, guild_id=GUILD, user_id=USER, member_roles=[], overwrites=deny_all
        )
        == ALL_PERMISSIONS
    )


def test_overwrite_order_everyone_then_roles_then_member() -> None:
    start = VIEW_CHANNEL | SEND_MESSAGES
    everyone_deny = Overwrite(GUILD, 0, deny=SEND_MESSAGES)
    role_allow = Overwrite(ROLE_A, 0, allow=SEND_MESSAGES)
    role_deny = Overwrite(ROLE_B, 0, deny=SEND_MESSAGES)
    member_deny = Overwrite(USER, 1, deny=SEND_MESSAGES)

    def resolve(roles: list[int], *ows: Overwrite) -> int:
        return channel_permissions(
            start, guild_id=GUILD, user_id=USER, member_roles=roles, overwrites=ows
        )

    assert resolve([], everyone_deny) == VIEW_CHANNEL
    assert resolve([ROLE_A], everyone_deny, role_allow) == start
    # role allows win over role denies (applied together, allow last)
    assert resolve([ROLE_A, ROLE_B], role_deny, role_allow) == start
    # the member overwrite is applied last
    assert resolve([ROLE_A], role_allow, member_deny) == VIEW_CHANNEL


def test_hidden_channel_grants_nothing() -> None:
    hide = Overwrite(GUILD, 0, deny=VIEW_CHANNEL)
    assert (
        channel_permissions(
            VIEW_CHANNEL | SEND_MESSAGES,
            guild_id=GUILD,
            user_id=USER,
            member_roles=[],
            overwrites=[hide],
        )
        == 0
    )
