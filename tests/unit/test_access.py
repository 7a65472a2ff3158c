"""Team access, the one rule (bot.access): Manage Server or a manager role, and the
Integrations overrides read as Discord applies them."""

from __future__ import annotations

from bot.access import (
    CHANNEL,
    ROLE,
    USER,
    Override,
    may_administer,
    override_verdict,
    parse_overrides,
)

GUILD, APP, CMD = 1000, 77, 88
ALICE, MOD, CM, GENERAL, THREAD_PARENT = 5, 11, 12, 300, 301


def verdict(
    overrides: dict[int, list[Override]], *, roles=(MOD,), channels=(GENERAL,)
) -> bool | None:
    return override_verdict(
        overrides,
        command_id=CMD,
        application_id=APP,
        guild_id=GUILD,
        user_id=ALICE,
        role_ids=set(roles),
        channel_ids=list(channels),
    )


def test_manage_server_or_a_manager_role() -> None:
    assert may_administer(manages_guild=True, role_ids=[], manager_role_ids=set())
    assert may_administer(manages_guild=False, role_ids=[MOD, CM], manager_role_ids={CM})
    assert not may_administer(manages_guild=False, role_ids=[MOD], manager_role_ids={CM})
    assert not may_administer(manages_guild=False, role_ids=[], manager_role_ids=set())


def test_no_override_leaves_discord_default() -> None:
    assert verdict({}) is None
    assert verdict({CMD: [Override(CM, ROLE, True)]}) is None  # a role Alice lacks


def test_user_entry_beats_her_roles() -> None:
    entries = [Override(MOD, ROLE, True), Override(ALICE, USER, False)]
    assert verdict({CMD: entries}) is False
    entries = [Override(MOD, ROLE, False), Override(ALICE, USER, True)]
    assert verdict({CMD: entries}) is True


def test_one_allowed_role_is_enough_and_roles_beat_everyone() -> None:
    entries = [Override(MOD, ROLE, False), Override(CM, ROLE, True), Override(GUILD, ROLE, False)]
    assert verdict({CMD: entries}, roles=(MOD, CM)) is True
    assert verdict({CMD: [Override(GUILD, ROLE, True)]}) is True  # @everyone


def test_command_entries_before_the_application_ones() -> None:
    overrides = {CMD: [Override(MOD, ROLE, False)], APP: [Override(MOD, ROLE, True)]}
    assert verdict(overrides) is False
    assert verdict({APP: [Override(MOD, ROLE, True)]}) is True


def test_a_denied_channel_refuses_and_a_thread_counts_as_its_parent() -> None:
    allowed = [Override(MOD, ROLE, True)]
    assert verdict({CMD: [*allowed, Override(GENERAL, CHANNEL, False)]}) is False
    every_channel = Override(GUILD - 1, CHANNEL, False)
    assert verdict({CMD: [*allowed, every_channel]}) is False
    parent_ok = [*allowed, every_channel, Override(THREAD_PARENT, CHANNEL, True)]
    assert verdict({CMD: parent_ok}, channels=(4242, THREAD_PARENT)) is True


def test_discord_payload_parsed_by_command() -> None:
    payload = [
        {"id": str(CMD), "permissions": [{"id": str(MOD), "type": 1, "permission": True}]},
        {"id": str(APP), "permissions": [{"id": str(ALICE), "type": 2, "permission": False}]},
    ]
    assert parse_overrides(payload) == {
        CMD: [Override(MOD, ROLE, True)],
        APP: [Override(ALICE, USER, False)],
    }
