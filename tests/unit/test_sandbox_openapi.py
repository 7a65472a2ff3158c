"""The OpenAPI validator catches wrong responses and accepts right ones."""

from __future__ import annotations

import time

from discord_sandbox import payloads
from discord_sandbox.faults import Faults
from discord_sandbox.openapi import ResponseValidator
from discord_sandbox.state import Channel, Message, World


def test_a_valid_message_passes_and_a_broken_one_is_reported() -> None:
    world = World()
    guild = world.add_guild("G", locale="en-US", at=None)
    owner = world.users[guild.owner_id]
    channel = Channel(world.ids.new(), guild.id, "general")
    message = payloads.message(world, Message(world.ids.new(), channel.id, guild.id, owner, "hi"))
    validator = ResponseValidator()
    validator.check("POST", "/channels/{channel_id}/messages", 200, message)
    assert validator.violations == []
    broken = {k: v for k, v in message.items() if k != "author"}
    validator.check("POST", "/channels/{channel_id}/messages", 200, broken)
    assert [v.message for v in validator.violations] == ["'author' is a required property"]


def test_undocumented_routes_and_bodies_are_violations() -> None:
    validator = ResponseValidator()
    validator.check("GET", "/not/a/route", 200, {})
    validator.check("PUT", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}", 204, {"x": 1})
    assert [v.where for v in validator.violations] == ["(route)", "(body)"]


def test_validators_are_compiled_once() -> None:
    validator = ResponseValidator()
    body = {"message": "Unknown Channel", "code": 10003}
    validator.check("GET", "/channels/{channel_id}", 404, body)
    started = time.perf_counter()
    for _ in range(200):
        validator.check("GET", "/channels/{channel_id}", 404, body)
    assert time.perf_counter() - started < 0.5
    assert validator.violations == []


def test_faults_match_templates_and_paths_and_run_out() -> None:
    faults = Faults()
    faults.next("POST", "/channels/*/messages", status=500, count=2)
    route, path = "/channels/{channel_id}/messages", "/channels/1/messages"
    assert faults.take("GET", route, path) is None
    assert faults.take("POST", route, path) is not None
    assert faults.take("POST", route, path) is not None
    assert faults.take("POST", route, path) is None
    assert faults.injected == [("POST", path, 500), ("POST", path, 500)]
