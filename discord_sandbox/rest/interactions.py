"""Application commands, interaction callbacks and webhook follow-ups.

Callback and webhook routes carry no Authorization header (the token in the path is the
credential), exactly like Discord. The callback answers 200 JSON: discord.py's
``with_response=True`` parses it and breaks on an empty 204.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .. import payloads
from ..interactions import EPHEMERAL, InteractionRecord
from ..limits import FormError, check_command, check_message, check_modal
from ..state import Command, Message
from .common import (
    PAYLOAD,
    ApiError,
    attachments_from,
    core_of,
    json_response,
    no_content,
    payload,
    snowflake,
    unknown,
)

LOADING = 1 << 7
#: Callback types Discord accepts per interaction type (receiving-and-responding: 6 and 7
#: are for components only, 9 not for a modal submit); a modal submit may update the
#: message only when it came from a component on one.
VALID_CALLBACKS = {2: {4, 5, 9}, 3: {4, 5, 6, 7, 9}, 5: {4, 5, 6, 7}}


def _check_app(request: web.Request, name: str = "application_id") -> int:
    core = core_of(request)
    if snowflake(request, name) != core.application_id:
        raise ApiError(403, 50001, "Missing Access")
    return core.application_id


def _scope(request: web.Request) -> int | None:
    _check_app(request)
    if "guild_id" not in request.match_info:
        return None
    guild_id = snowflake(request, "guild_id")
    if guild_id not in core_of(request).world.guilds:
        raise unknown("guild")
    return guild_id


async def list_commands(request: web.Request) -> web.Response:
    """``GET`` global or guild commands."""
    scope = _scope(request)
    cmds = [c for c in core_of(request).world.commands.values() if c.guild_id == scope]
    return json_response([payloads.command(c) for c in cmds])


async def put_commands(request: web.Request) -> web.Response:
    """``PUT`` (bulk overwrite) global or guild commands; ids are kept per name."""
    core = core_of(request)
    scope = _scope(request)
    body = request.get(PAYLOAD)
    items: list[dict[str, Any]] = body if isinstance(body, list) else []
    for i, item in enumerate(items):
        try:
            check_command(item)
        except FormError as err:
            err.path.insert(0, i)
            raise
    old = {
        (c.data["name"], c.data.get("type", 1)): c
        for c in core.world.commands.values()
        if c.guild_id == scope
    }
    for c in old.values():
        core.world.commands.pop(c.id)
    out = []
    for item in items:
        prev = old.get((item["name"], item.get("type", 1)))
        cid = prev.id if prev else core.world.ids.new()
        cmd = Command(cid, core.application_id, scope, item, core.world.ids.new())
        core.world.commands[cid] = cmd
        out.append(payloads.command(cmd))
    return json_response(out)


async def post_command(request: web.Request) -> web.Response:
    """``POST`` one global or guild command (upsert by name)."""
    core = core_of(request)
    scope = _scope(request)
    item = payload(request)
    check_command(item)
    prev = next(
        (
            c
            for c in core.world.commands.values()
            if c.guild_id == scope and c.data["name"] == item.get("name")
        ),
        None,
    )
    cid = prev.id if prev else core.world.ids.new()
    cmd = Command(cid, core.application_id, scope, item, core.world.ids.new())
    core.world.commands[cid] = cmd
    return json_response(payloads.command(cmd), status=200 if prev else 201)


async def delete_command(request: web.Request) -> web.Response:
    """``DELETE`` one command."""
    _scope(request)
    if core_of(request).world.commands.pop(snowflake(request, "command_id"), None) is None:
        raise unknown("command")
    return no_content()


def _permissions(core: Any, guild_id: int, target: int, entries: list[Any]) -> dict[str, Any]:
    return {
        "id": str(target),
        "application_id": str(core.application_id),
        "guild_id": str(guild_id),
        "permissions": [e.payload() for e in entries],
    }


async def list_command_permissions(request: web.Request) -> web.Response:
    """``GET`` the overrides an admin set in a guild, per command and for the application
    (a bot token may read them; only a Bearer token may change them)."""
    core = core_of(request)
    guild_id = _scope(request)
    assert guild_id is not None
    return json_response(
        [
            _permissions(core, guild_id, target, entries)
            for (gid, target), entries in core.world.command_permissions.items()
            if gid == guild_id
        ]
    )


async def get_command_permissions(request: web.Request) -> web.Response:
    """``GET`` one command's overrides; 404 10066 when it has none of its own."""
    core = core_of(request)
    guild_id = _scope(request)
    assert guild_id is not None
    target = snowflake(request, "command_id")
    entries = core.world.command_permissions.get((guild_id, target))
    if entries is None:
        raise unknown("command_permissions")
    return json_response(_permissions(core, guild_id, target, entries))


def _record(request: web.Request, token_key: str) -> InteractionRecord:
    core = core_of(request)
    rec = core.interactions.get(request.match_info[token_key])
    if rec is None:
        raise unknown("interaction" if token_key == "interaction_token" else "webhook")
    if token_key == "webhook_token" and core.clock() - rec.created > core.token_lifetime:
        # interaction tokens are valid for 15 minutes (receiving-and-responding)
        raise ApiError(401, 50027, "Invalid Webhook Token")
    return rec


def _metadata(core: Any, rec: InteractionRecord) -> dict[str, Any]:
    """Return ``interaction_metadata`` for a message answering ``rec``."""
    meta: dict[str, Any] = {
        "id": str(rec.id),
        "type": rec.type,
        "user": payloads.user(rec.user),
        "authorizing_integration_owners": {"0": str(rec.guild_id)},
    }
    if rec.original is not None:
        meta["original_response_message_id"] = str(rec.original.id)
    if rec.type == 3 and rec.message is not None:
        meta["interacted_message_id"] = str(rec.message.id)
    if rec.type == 5:
        meta["triggering_interaction_metadata"] = {
            "id": str(rec.id),
            "type": 2,
            "user": payloads.user(rec.user),
            "authorizing_integration_owners": {"0": str(rec.guild_id)},
        }
    return meta


async def _new_response_message(
    request: web.Request, rec: InteractionRecord, body: dict[str, Any], *, loading: bool = False
) -> Message:
    core = core_of(request)
    ch = core.world.channels[rec.channel_id]
    attachments, files = attachments_from(request, body, core.world.ids.new)
    flags = int(body.get("flags") or 0) & (EPHEMERAL | (1 << 2) | (1 << 12) | (1 << 15))
    if loading:
        flags |= LOADING
    msg = await core.create_message(
        ch,
        core.world.bot_user,
        body.get("content") or "",
        embeds=body.get("embeds"),
        attachments=attachments,
        files=files,
        components=body.get("components"),
        flags=flags,
        webhook_id=core.application_id,
        msg_type=20 if rec.type == 2 else 0,
        interaction_metadata=_metadata(core, rec),
    )
    msg.interaction_id = rec.id
    return msg


async def callback(request: web.Request) -> web.Response:
    """``POST /interactions/{id}/{token}/callback``: types 4, 5, 6, 7 and 9."""
    rec = _record(request, "interaction_token")
    if str(rec.id) != request.match_info["interaction_id"]:
        raise unknown("interaction")
    if rec.callback_type is not None:
        raise ApiError(400, 40060, "Interaction has already been acknowledged.")
    deadline = core_of(request).interaction_deadline
    if deadline is not None and core_of(request).clock() - rec.created > deadline:
        rec.late = True  # Discord forgets an interaction not acknowledged within 3 s
        rec.answered.set()
        raise unknown("interaction")
    body = payload(request)
    ctype = int(body.get("type") or 0)
    data: dict[str, Any] = body.get("data") or {}
    info: dict[str, Any] = {"id": str(rec.id), "type": rec.type}
    resource: dict[str, Any] | None = None
    core = core_of(request)
    valid = set(VALID_CALLBACKS.get(rec.type, set()))
    if rec.message is None:
        valid -= {6, 7}
    if ctype not in valid:
        choices = ", ".join(str(t) for t in sorted(valid))
        raise FormError(["type"], "BASE_TYPE_CHOICES", f"Value must be one of {{{choices}}}.")
    if ctype in (4, 7):
        check_message(data, under="data")
    elif ctype == 9:
        check_modal(data)
    if ctype == 4:
        rec.original = await _new_response_message(request, rec, data)
        resource = {"type": 4, "message": payloads.message(core.world, rec.original)}
        rec.content_ready.set()
    elif ctype == 5:
        rec.original = await _new_response_message(request, rec, data, loading=True)
        info["response_message_loading"] = True
    elif ctype == 7:
        if rec.message is None:
            raise ApiError(400, 50035, "Invalid Form Body")
        rec.updated_message = await core.edit_message(rec.message, data)
        resource = {"type": 7, "message": payloads.message(core.world, rec.message)}
        rec.content_ready.set()
    elif ctype == 9:
        rec.modal = data
        rec.content_ready.set()
    elif ctype != 6:
        raise ApiError(400, 50035, "Invalid Form Body")
    if ctype in (6, 7) and rec.message is not None:
        # for a component, "@original" is the message the component sits on
        rec.original = rec.message
    rec.callback_type = ctype
    if rec.original is not None:
        info["response_message_id"] = str(rec.original.id)
        info["response_message_ephemeral"] = bool(rec.original.flags & EPHEMERAL)
    rec.answered.set()
    answer: dict[str, Any] = {"interaction": info}
    if resource is not None:
        answer["resource"] = resource
    return json_response(answer)


async def followup(request: web.Request) -> web.Response:
    """``POST /webhooks/{app}/{token}``: a follow-up message (multipart files included)."""
    _check_app(request, "webhook_id")
    rec = _record(request, "webhook_token")
    if rec.callback_type is None:
        raise unknown("webhook")
    check_message(payload(request))
    msg = await _new_response_message(request, rec, payload(request))
    rec.followups.append(msg)
    rec.content_ready.set()
    if request.query.get("wait") in ("0", "false"):
        return no_content()
    return json_response(payloads.message(core_of(request).world, msg))


def _target(request: web.Request, rec: InteractionRecord) -> Message:
    mid = request.match_info.get("message_id", "@original")
    if mid == "@original":
        if rec.original is None:
            raise unknown("message")
        return rec.original
    found = next((m for m in rec.followups if str(m.id) == mid), None)
    if found is None:
        raise unknown("message")
    return found


async def get_webhook_message(request: web.Request) -> web.Response:
    """``GET /webhooks/{app}/{token}/messages/@original`` (or a follow-up id)."""
    _check_app(request, "webhook_id")
    rec = _record(request, "webhook_token")
    return json_response(payloads.message(core_of(request).world, _target(request, rec)))


async def edit_webhook_message(request: web.Request) -> web.Response:
    """``PATCH /webhooks/{app}/{token}/messages/@original`` (ends a deferred response)."""
    _check_app(request, "webhook_id")
    core = core_of(request)
    rec = _record(request, "webhook_token")
    msg = _target(request, rec)
    body = payload(request)
    check_message(body)
    attachments, files = attachments_from(request, body, core.world.ids.new)
    if files:
        msg.attachments, msg.files = attachments, files
    await core.edit_message(msg, body)
    rec.content_ready.set()
    return json_response(payloads.message(core.world, msg))


async def delete_webhook_message(request: web.Request) -> web.Response:
    """``DELETE /webhooks/{app}/{token}/messages/@original`` (or a follow-up id)."""
    _check_app(request, "webhook_id")
    rec = _record(request, "webhook_token")
    msg = _target(request, rec)
    if msg.id in core_of(request).world.messages:
        await core_of(request).delete_message(msg)
    if msg is rec.original:
        rec.original = None
    else:
        rec.followups.remove(msg)
    return no_content()


A = "/applications/{application_id}"
W = "/webhooks/{webhook_id}/{webhook_token}"
ROUTES = [
    ("GET", A + "/commands", list_commands),
    ("PUT", A + "/commands", put_commands),
    ("POST", A + "/commands", post_command),
    ("DELETE", A + "/commands/{command_id}", delete_command),
    ("GET", A + "/guilds/{guild_id}/commands", list_commands),
    ("PUT", A + "/guilds/{guild_id}/commands", put_commands),
    ("POST", A + "/guilds/{guild_id}/commands", post_command),
    ("DELETE", A + "/guilds/{guild_id}/commands/{command_id}", delete_command),
    ("GET", A + "/guilds/{guild_id}/commands/permissions", list_command_permissions),
    ("GET", A + "/guilds/{guild_id}/commands/{command_id}/permissions", get_command_permissions),
    ("POST", "/interactions/{interaction_id}/{interaction_token}/callback", callback),
    ("POST", W, followup),
    ("GET", W + "/messages/@original", get_webhook_message),
    ("PATCH", W + "/messages/@original", edit_webhook_message),
    ("DELETE", W + "/messages/@original", delete_webhook_message),
    ("GET", W + "/messages/{message_id}", get_webhook_message),
    ("PATCH", W + "/messages/{message_id}", edit_webhook_message),
    ("DELETE", W + "/messages/{message_id}", delete_webhook_message),
]
