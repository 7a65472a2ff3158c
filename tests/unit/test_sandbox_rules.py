"""Pure rules of the sandbox: content blanking, shard routing, intents, option encoding."""

from __future__ import annotations

from discord_sandbox.gateway import (
    GUILD_MEMBERS,
    GUILD_MESSAGES,
    MESSAGE_CONTENT,
    Session,
    blank_content,
    shard_of,
)
from discord_sandbox.interactions import command_data, modal_submission
from discord_sandbox.state import Channel, Command, Role, World


def test_blanking_keeps_metadata_and_blanks_the_referenced_message() -> None:
    reply = {
        "id": "2",
        "type": 19,
        "author": {"id": "9"},
        "content": "secret",
        "embeds": [{}],
        "attachments": [{}],
        "components": [{}],
        "poll": {},
        "mentions": [{"id": "8"}],
        "message_reference": {"message_id": "1"},
        "referenced_message": {
            "id": "1",
            "content": "also secret",
            "embeds": [{}],
            "author": {"id": "8"},
        },
    }
    out = blank_content(reply)
    assert (out["content"], out["embeds"], out["attachments"], out["components"]) == (
        "",
        [],
        [],
        [],
    )
    assert "poll" not in out
    assert (out["type"], out["author"], out["mentions"]) == (19, {"id": "9"}, [{"id": "8"}])
    assert out["referenced_message"]["content"] == ""
    assert reply["content"] == "secret"  # the stored message is untouched


def test_shards_and_intents_filter_dispatches() -> None:
    guild_id = (123_456 << 22) | 7
    session = Session("s", (shard_of(guild_id, 4), 4), GUILD_MESSAGES)
    assert session.wants("MESSAGE_CREATE", guild_id)
    assert not session.wants("GUILD_MEMBER_ADD", guild_id)  # no GUILD_MEMBERS intent
    assert session.wants("INTERACTION_CREATE", guild_id)  # needs no intent
    other = Session("t", ((shard_of(guild_id, 4) + 1) % 4, 4), GUILD_MESSAGES | GUILD_MEMBERS)
    assert not other.wants("MESSAGE_CREATE", guild_id)
    assert MESSAGE_CONTENT == 1 << 15


def test_nested_subcommand_options_and_resolved_objects() -> None:
    world = World()
    guild = world.add_guild("G", locale="fr", at=None)
    channel = Channel(world.ids.new(), guild.id, "general")
    world.channels[channel.id] = channel
    guild.channels[channel.id] = channel
    role = Role(world.ids.new(), guild.id, "Staff")
    guild.roles[role.id] = role
    owner = guild.members[guild.owner_id]
    command = Command(
        world.ids.new(),
        world.bot_user.id,
        None,
        {
            "name": "admin",
            "options": [
                {
                    "name": "roles",
                    "type": 2,
                    "options": [
                        {
                            "name": "grant",
                            "type": 1,
                            "options": [
                                {"name": "who", "type": 6},
                                {"name": "role", "type": 8},
                                {"name": "days", "type": 4},
                            ],
                        }
                    ],
                }
            ],
        },
        1,
    )
    data = command_data(
        world, guild, channel, command, ["roles", "grant"], {"who": owner, "role": role, "days": 3}
    )
    (group,) = data["options"]
    (sub,) = group["options"]
    assert (group["type"], sub["type"]) == (2, 1)
    assert [(o["name"], o["type"], o["value"]) for o in sub["options"]] == [
        ("who", 6, str(owner.user.id)),
        ("role", 8, str(role.id)),
        ("days", 4, 3),
    ]
    assert set(data["resolved"]) == {"users", "members", "roles"}
    assert data["resolved"]["members"][str(owner.user.id)]["permissions"]


def test_modal_submission_mirrors_rows_and_labels() -> None:
    shown = [
        {"type": 1, "components": [{"type": 4, "custom_id": "a"}]},
        {"type": 18, "id": 3, "component": {"type": 4, "custom_id": "b"}},
    ]
    assert modal_submission(shown, {"a": "x", "b": 2}) == [
        {"type": 1, "components": [{"type": 4, "custom_id": "a", "value": "x"}]},
        {"type": 18, "id": 3, "component": {"type": 4, "custom_id": "b", "value": "2"}},
    ]
