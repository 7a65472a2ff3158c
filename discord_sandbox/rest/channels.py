"""Channel routes: channels, messages and history, reactions, threads, thread members."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import unquote

from aiohttp import web

from .. import payloads
from ..core import Core
from ..limits import check_message, check_thread_name
from ..permissions import (
    MANAGE_MESSAGES,
    MANAGE_THREADS,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    SEND_MESSAGES_IN_THREADS,
)
from ..state import Channel
from .common import (
    UPLOADS,
    ApiError,
    attachments_from,
    channel_of,
    core_of,
    json_response,
    message_of,
    no_content,
    payload,
    require,
    snowflake,
    unknown,
)

ADD_REACTIONS = 1 << 6
ATTACH_FILES = 1 << 15
CREATE_PUBLIC_THREADS, CREATE_PRIVATE_THREADS = 1 << 35, 1 << 36


def _refuse_archived(ch: Channel) -> None:
    """Only active threads can be changed: 400 50083 (opcodes-and-status-codes, threads)."""
    if ch.is_thread and ch.archived:
        raise ApiError(400, 50083, "Thread is archived")


def _refuse_locked(core: Core, ch: Channel) -> None:
    """In a locked thread only Manage Threads may create or edit messages (threads: Locked
    Threads); an archived locked thread is not reopened by a message."""
    if ch.archived:
        raise ApiError(400, 50083, "Thread is archived")
    if not core.world.permissions_in(ch, core.world.bot_user.id) & MANAGE_THREADS:
        raise ApiError(403, 160005, "Thread is locked")


async def get_channel(request: web.Request) -> web.Response:
    """``GET /channels/{channel_id}``."""
    return json_response(payloads.channel(channel_of(request)))


async def edit_channel(request: web.Request) -> web.Response:
    """``PATCH /channels/{channel_id}``: rename a channel, archive/lock/rename a thread."""
    core = core_of(request)
    ch = channel_of(request)
    body = payload(request)
    if ch.is_thread:
        check_thread_name(body.get("name"), required=False)
        if ch.owner_id != core.world.bot_user.id or {"locked"} & set(body):
            require(core, ch, MANAGE_THREADS)
        await core.update_thread(ch, body)
    else:
        require(core, ch, 1 << 4)  # MANAGE_CHANNELS
        if body.get("name"):
            ch.name = str(body["name"])
        if "topic" in body:
            ch.topic = body["topic"]
        await core.hub.dispatch("CHANNEL_UPDATE", payloads.channel(ch), guild_id=ch.guild_id)
    return json_response(payloads.channel(ch))


async def list_messages(request: web.Request) -> web.Response:
    """``GET /channels/{id}/messages``: newest first, ``before``/``after``/``around``/``limit``."""
    ch = channel_of(request)
    core = core_of(request)
    require(core, ch, READ_MESSAGE_HISTORY)
    q = request.query
    limit = max(1, min(100, int(q.get("limit", "50"))))
    history = core.world.history(ch.id)
    if "after" in q:
        after = int(q["after"])
        page = [m for m in history if m.id > after][:limit]
        page.reverse()
    elif "around" in q:
        around = int(q["around"])
        older = [m for m in history if m.id <= around][-((limit + 1) // 2) :]
        newer = [m for m in history if m.id > around][: limit // 2]
        page = list(reversed(older + newer))
    else:
        before = int(q["before"]) if "before" in q else None
        page = [m for m in history if before is None or m.id < before][-limit:]
        page.reverse()
    return json_response([core.rest_message(m) for m in page])


async def get_message(request: web.Request) -> web.Response:
    """``GET /channels/{channel_id}/messages/{message_id}``."""
    ch = channel_of(request)
    require(core_of(request), ch, READ_MESSAGE_HISTORY)
    return json_response(core_of(request).rest_message(message_of(request, ch)))


async def create_message(request: web.Request) -> web.Response:
    """``POST /channels/{id}/messages`` (JSON or multipart with files); DMs are accepted.

    ``nonce`` with ``enforce_nonce``: a second create by the same author in the same channel
    with the same nonce within ``Core.nonce_window`` returns the first message (404 Unknown
    Message if it was deleted since) and creates nothing."""
    core = core_of(request)
    body = payload(request)
    dm_user = core.dms.get(snowflake(request, "channel_id"))
    if dm_user is not None:
        return json_response(core.record_dm(dm_user, body))
    ch = channel_of(request)
    require(core, ch, SEND_MESSAGES_IN_THREADS if ch.is_thread else SEND_MESSAGES)
    check_message(body)
    if ch.is_thread and ch.locked:
        _refuse_locked(core, ch)
    ref = (body.get("message_reference") or {}).get("message_id")
    if ref and not core.world.permissions_in(ch, core.world.bot_user.id) & READ_MESSAGE_HISTORY:
        raise ApiError(403, 160002, "Cannot reply without permission to read message history")
    if ch.is_thread and ch.archived:  # posting in an archived thread reopens it
        await core.update_thread(ch, {"archived": False})
    if request.get(UPLOADS):
        require(core, ch, ATTACH_FILES)
    reply_to = int(ref) if ref else None
    if reply_to is not None and reply_to not in core.world.messages:
        raise ApiError(400, 50035, "Invalid Form Body")
    nonce = _nonce(body)
    if nonce is not None and body.get("enforce_nonce"):
        seen = core.message_with_nonce(ch.id, core.world.bot_user.id, nonce)
        if seen is not None:  # Discord answers with the first message, creates nothing
            first = core.world.messages.get(seen)
            if first is None:
                raise unknown("message")
            return json_response({**payloads.message(core.world, first), "nonce": nonce})
    attachments, files = attachments_from(request, body, core.world.ids.new)
    if not (
        body.get("content")
        or body.get("embeds")
        or attachments
        or body.get("components")
        or body.get("sticker_ids")
        or body.get("poll")
    ):
        raise ApiError(400, 50006, "Cannot send an empty message")
    msg = await core.create_message(
        ch,
        core.world.bot_user,
        body.get("content") or "",
        embeds=body.get("embeds"),
        attachments=attachments,
        files=files,
        components=body.get("components"),
        flags=int(body.get("flags") or 0) & ~(1 << 6),
        reply_to=reply_to,
    )
    if nonce is None:
        return json_response(payloads.message(core.world, msg))
    core.remember_nonce(msg, nonce)
    return json_response({**payloads.message(core.world, msg), "nonce": nonce})


def _nonce(body: dict[str, object]) -> str | None:
    """The message's nonce as a string (an integer or up to 25 characters, as Discord)."""
    raw = body.get("nonce")
    if raw is None:
        return None
    nonce = str(raw)
    if isinstance(raw, bool) or not isinstance(raw, (int, str)) or len(nonce) > 25:
        raise ApiError(400, 50035, "Invalid Form Body")
    return nonce


async def edit_message(request: web.Request) -> web.Response:
    """``PATCH /channels/{channel_id}/messages/{message_id}`` (own messages only)."""
    core = core_of(request)
    ch = channel_of(request)
    msg = message_of(request, ch)
    if msg.author.id != core.world.bot_user.id:
        raise ApiError(403, 50005, "Cannot edit a message authored by another user")
    _refuse_archived(ch)
    if ch.locked:
        _refuse_locked(core, ch)
    check_message(payload(request))
    await core.edit_message(msg, payload(request))
    return json_response(payloads.message(core.world, msg))


async def delete_message(request: web.Request) -> web.Response:
    """``DELETE /channels/{channel_id}/messages/{message_id}``."""
    core = core_of(request)
    ch = channel_of(request)
    msg = message_of(request, ch)
    if msg.author.id != core.world.bot_user.id:
        require(core, ch, MANAGE_MESSAGES)
    await core.delete_message(msg)
    return no_content()


async def add_own_reaction(request: web.Request) -> web.Response:
    """``PUT .../reactions/{emoji_name}/@me``."""
    core = core_of(request)
    ch = channel_of(request)
    msg = message_of(request, ch)
    emoji = unquote(request.match_info["emoji_name"])
    _refuse_archived(ch)
    if not msg.reactions.get(emoji):
        require(core, ch, ADD_REACTIONS | READ_MESSAGE_HISTORY)
    await core.react(msg, core.world.bot_user, emoji)
    return no_content()


async def remove_own_reaction(request: web.Request) -> web.Response:
    """``DELETE .../reactions/{emoji_name}/@me``."""
    core = core_of(request)
    ch = channel_of(request)
    msg = message_of(request, ch)
    _refuse_archived(ch)
    await core.react(msg, core.world.bot_user, unquote(request.match_info["emoji_name"]), add=False)
    return no_content()


async def remove_user_reaction(request: web.Request) -> web.Response:
    """``DELETE .../reactions/{emoji_name}/{user_id}`` (needs Manage Messages)."""
    core = core_of(request)
    ch = channel_of(request)
    msg = message_of(request, ch)
    require(core, ch, MANAGE_MESSAGES)
    _refuse_archived(ch)
    user = core.world.users.get(snowflake(request, "user_id"))
    if user is None:
        raise unknown("user")
    await core.react(msg, user, unquote(request.match_info["emoji_name"]), add=False)
    return no_content()


async def list_reactions(request: web.Request) -> web.Response:
    """``GET .../reactions/{emoji_name}``: who reacted, by user id, ``after``/``limit``
    (1-100, default 25); burst reactions (``type=1``) are never made here: none."""
    core = core_of(request)
    ch = channel_of(request)
    msg = message_of(request, ch)
    require(core, ch, READ_MESSAGE_HISTORY)
    q = request.query
    limit = int(q.get("limit", "25"))
    if not 1 <= limit <= 100:
        raise ApiError(400, 50035, "Invalid Form Body")
    after = int(q.get("after", "0"))
    users = msg.reactions.get(unquote(request.match_info["emoji_name"]), [])
    if q.get("type", "0") != "0":
        users = []
    page = sorted(u for u in users if u > after)[:limit]
    world = core.world
    return json_response([payloads.user(world.users[u]) for u in page if u in world.users])


async def _open_thread(request: web.Request, ch: Channel, from_message: bool) -> web.Response:
    core = core_of(request)
    body = payload(request)
    if ch.is_thread or ch.type != 0:
        raise ApiError(400, 50024, "Cannot execute action on this channel type")
    ttype = 11 if from_message else int(body.get("type") or 12)
    check_thread_name(body.get("name"))
    require(core, ch, CREATE_PRIVATE_THREADS if ttype == 12 else CREATE_PUBLIC_THREADS)
    msg = message_of(request, ch) if from_message else None
    if msg is not None and msg.thread_id:
        raise ApiError(400, 160004, "A thread has already been created for this message")
    thread = await core.create_thread(
        ch,
        core.world.bot_user,
        str(body.get("name") or "thread"),
        from_message=msg,
        thread_type=ttype,
        auto_archive_duration=int(body.get("auto_archive_duration") or 1440),
    )
    data = payloads.channel(thread)
    data["member"] = payloads.thread_member(thread, core.world.bot_user.id)
    return json_response(data, status=201)


async def create_thread(request: web.Request) -> web.Response:
    """``POST /channels/{channel_id}/threads`` (standalone; private by default, as Discord)."""
    return await _open_thread(request, channel_of(request), from_message=False)


async def create_thread_from_message(request: web.Request) -> web.Response:
    """``POST /channels/{channel_id}/messages/{message_id}/threads`` (thread id = message id)."""
    return await _open_thread(request, channel_of(request), from_message=True)


async def _archived(request: web.Request, thread_type: int, bits: int) -> web.Response:
    core = core_of(request)
    ch = channel_of(request)
    require(core, ch, bits)
    before_raw = request.query.get("before")
    before = datetime.fromisoformat(before_raw) if before_raw else None
    limit = max(2, min(100, int(request.query.get("limit", "50"))))
    found = sorted(
        (
            t
            for t in core.world.channels.values()
            if t.parent_id == ch.id
            and t.type == thread_type
            and t.archived
            and (before is None or t.archive_timestamp < before)
        ),
        key=lambda t: t.archive_timestamp,
        reverse=True,
    )
    bot_id = core.world.bot_user.id
    page = found[:limit]
    return json_response(
        {
            "threads": [payloads.channel(t) for t in page],
            "members": [
                payloads.thread_member(t, bot_id) for t in page if bot_id in t.thread_members
            ],
            "has_more": len(found) > limit,
        }
    )


async def archived_public(request: web.Request) -> web.Response:
    """``GET /channels/{channel_id}/threads/archived/public`` (newest archive first)."""
    return await _archived(request, 11, READ_MESSAGE_HISTORY)


async def archived_private(request: web.Request) -> web.Response:
    """``GET /channels/{channel_id}/threads/archived/private`` (needs Manage Threads)."""
    return await _archived(request, 12, READ_MESSAGE_HISTORY | MANAGE_THREADS)


async def _thread_member(request: web.Request, user_id: int, add: bool) -> web.Response:
    core = core_of(request)
    th = channel_of(request)
    if not th.is_thread:
        raise ApiError(400, 50024, "Cannot execute action on this channel type")
    guild = core.world.guilds[th.guild_id]
    if user_id not in guild.members:
        raise unknown("member")
    if (
        user_id != core.world.bot_user.id
        and th.type == 12
        and th.owner_id != core.world.bot_user.id
    ):
        require(core, th, MANAGE_THREADS)
    if add:
        _refuse_archived(th)
    if add and user_id not in th.thread_members:
        th.thread_members[user_id] = core.now()
        await core.thread_members_update(th, added=[user_id])
    elif not add and th.thread_members.pop(user_id, None) is not None:
        await core.thread_members_update(th, removed=[user_id])
    return no_content()


async def add_thread_member(request: web.Request) -> web.Response:
    """``PUT /channels/{channel_id}/thread-members/{user_id}``."""
    return await _thread_member(request, snowflake(request, "user_id"), True)


async def remove_thread_member(request: web.Request) -> web.Response:
    """``DELETE /channels/{channel_id}/thread-members/{user_id}``."""
    return await _thread_member(request, snowflake(request, "user_id"), False)


async def join_thread(request: web.Request) -> web.Response:
    """``PUT /channels/{channel_id}/thread-members/@me``."""
    return await _thread_member(request, core_of(request).world.bot_user.id, True)


async def leave_thread(request: web.Request) -> web.Response:
    """``DELETE /channels/{channel_id}/thread-members/@me``."""
    return await _thread_member(request, core_of(request).world.bot_user.id, False)


async def typing(request: web.Request) -> web.Response:
    """``POST /channels/{channel_id}/typing``."""
    channel_of(request)
    return no_content()


M = "/channels/{channel_id}/messages/{message_id}"
ROUTES = [
    ("GET", "/channels/{channel_id}", get_channel),
    ("PATCH", "/channels/{channel_id}", edit_channel),
    ("GET", "/channels/{channel_id}/messages", list_messages),
    ("POST", "/channels/{channel_id}/messages", create_message),
    ("GET", M, get_message),
    ("PATCH", M, edit_message),
    ("DELETE", M, delete_message),
    ("GET", M + "/reactions/{emoji_name}", list_reactions),
    ("PUT", M + "/reactions/{emoji_name}/@me", add_own_reaction),
    ("DELETE", M + "/reactions/{emoji_name}/@me", remove_own_reaction),
    ("DELETE", M + "/reactions/{emoji_name}/{user_id}", remove_user_reaction),
    ("POST", "/channels/{channel_id}/threads", create_thread),
    ("GET", "/channels/{channel_id}/threads/archived/public", archived_public),
    ("GET", "/channels/{channel_id}/threads/archived/private", archived_private),
    ("POST", M + "/threads", create_thread_from_message),
    ("PUT", "/channels/{channel_id}/thread-members/@me", join_thread),
    ("DELETE", "/channels/{channel_id}/thread-members/@me", leave_thread),
    ("PUT", "/channels/{channel_id}/thread-members/{user_id}", add_thread_member),
    ("DELETE", "/channels/{channel_id}/thread-members/{user_id}", remove_thread_member),
    ("POST", "/channels/{channel_id}/typing", typing),
]
