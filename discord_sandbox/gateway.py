"""The gateway websocket: sessions, sequence numbers, replay on RESUME, intents, shards.

Every dispatch gets the session's next sequence number and is stored before it is sent,
so a socket that drops (or is dropped on purpose) loses nothing: the client RESUMEs with
its last ``seq`` and receives exactly the events after it, once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from . import payloads
from .state import World

log = logging.getLogger(__name__)

GUILDS, GUILD_MEMBERS, GUILD_MESSAGES, GUILD_MESSAGE_REACTIONS = 1, 1 << 1, 1 << 9, 1 << 10
GUILD_MODERATION, AUTO_MODERATION_EXECUTION = 1 << 2, 1 << 21
MESSAGE_CONTENT = 1 << 15
#: Heartbeat requests per session per minute (discord.py sends at most 110 frames a minute).
SYNC_BUDGET = 60
PRIVILEGED = GUILD_MEMBERS | (1 << 8) | MESSAGE_CONTENT
#: A client that sends no heartbeat for this many intervals is closed with 4009.
HEARTBEAT_SLACK = 1.5

EVENT_INTENTS = {
    "GUILD_ROLE_CREATE": GUILDS,
    "GUILD_ROLE_UPDATE": GUILDS,
    "GUILD_ROLE_DELETE": GUILDS,
    "GUILD_MEMBER_ADD": GUILD_MEMBERS,
    "GUILD_MEMBER_REMOVE": GUILD_MEMBERS,
    "GUILD_MEMBER_UPDATE": GUILD_MEMBERS,
    "THREAD_MEMBERS_UPDATE": GUILD_MEMBERS,
    "MESSAGE_CREATE": GUILD_MESSAGES,
    "MESSAGE_UPDATE": GUILD_MESSAGES,
    "MESSAGE_DELETE": GUILD_MESSAGES,
    "MESSAGE_DELETE_BULK": GUILD_MESSAGES,
    "GUILD_AUDIT_LOG_ENTRY_CREATE": GUILD_MODERATION,
    "GUILD_BAN_ADD": GUILD_MODERATION,
    "AUTO_MODERATION_ACTION_EXECUTION": AUTO_MODERATION_EXECUTION,
    "MESSAGE_REACTION_ADD": GUILD_MESSAGE_REACTIONS,
    "MESSAGE_REACTION_REMOVE": GUILD_MESSAGE_REACTIONS,
}
BLANKED_KEYS = {"content": "", "embeds": [], "attachments": [], "components": []}


def blank_content(data: dict[str, Any]) -> dict[str, Any]:
    """Return ``data`` as Discord sends it without MESSAGE_CONTENT: text and media removed."""
    out = {**data, **{k: type(v)() for k, v in BLANKED_KEYS.items()}}
    out.pop("poll", None)
    ref = out.get("referenced_message")
    if isinstance(ref, dict):
        out["referenced_message"] = blank_content(ref)
    return out


def shard_of(guild_id: int, shard_count: int) -> int:
    """Return the shard that receives a guild's events."""
    return (guild_id >> 22) % shard_count


@dataclass
class Session:
    """One identified gateway session; survives socket drops until invalidated."""

    id: str
    shard: tuple[int, int]
    intents: int
    seq: int = 0
    buffer: list[dict[str, Any]] = field(default_factory=list)
    ws: web.WebSocketResponse | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    acked_seq: int = 0
    acked: asyncio.Event = field(default_factory=asyncio.Event)
    sync_times: deque[float] = field(default_factory=deque)

    def wants(self, event: str, guild_id: int | None) -> bool:
        """Say whether this session receives ``event`` (shard and intent filters)."""
        if guild_id is not None and shard_of(guild_id, self.shard[1]) != self.shard[0]:
            return False
        needed = EVENT_INTENTS.get(event, 0)
        return needed == 0 or bool(self.intents & needed)

    async def send(self, event: str, data: dict[str, Any]) -> int:
        """Store then send a dispatch; a dead socket keeps it for the RESUME replay."""
        async with self.lock:
            self.seq += 1
            frame = {"op": 0, "t": event, "s": self.seq, "d": data}
            self.buffer.append(frame)
            del self.buffer[:-5000]
            await self._write(frame)
            return self.seq

    async def _write(self, frame: dict[str, Any]) -> None:
        ws = self.ws
        if ws is None or ws.closed:
            return
        try:
            await ws.send_str(json.dumps(frame))
        except (ConnectionError, RuntimeError):
            self.ws = None


class GatewayHub:
    """Accept gateway sockets and fan dispatches out to the sessions that want them."""

    def __init__(
        self,
        world: World,
        *,
        token: str,
        application_id: int,
        url: Callable[[], str],
        allowed_intents: int = -1,
        heartbeat_interval_ms: int = 41250,
    ) -> None:
        self.world = world
        self.token = token
        self.application_id = application_id
        self.url = url
        self.allowed_intents = allowed_intents
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.sessions: dict[str, Session] = {}
        self.identified = asyncio.Event()
        self.connections = 0
        self.timed_out = 0

    # -- dispatch -----------------------------------------------------------------------
    async def dispatch(
        self,
        event: str,
        data: dict[str, Any],
        *,
        guild_id: int | None = None,
        content_visible: bool = False,
    ) -> None:
        """Send an event to every session that wants it (blanking content as Discord does)."""
        for session in list(self.sessions.values()):
            if not session.wants(event, guild_id):
                continue
            payload = data
            if (
                event.startswith("MESSAGE_")
                and "author" in data
                and not content_visible
                and not session.intents & MESSAGE_CONTENT
            ):
                payload = blank_content(data)
            await session.send(event, payload)

    async def sync(self, timeout: float = 5.0) -> bool:  # noqa: ASYNC109
        """Wait until every connected client has read all dispatches; say if it could.

        The sandbox asks for a heartbeat (op 1): discord.py answers with its last sequence
        number after parsing every earlier frame. Its answers count against the client's
        own gateway send limit (110 per 60 s; past it the client stops reading for up to a
        minute), so each session gets at most ``SYNC_BUDGET`` requests per minute and none
        when nothing was dispatched since the last answer. Returns False when a session
        could not be synced (budget spent): callers then fall back to waiting for quiet.
        """
        synced = True
        loop = asyncio.get_running_loop()
        for session in list(self.sessions.values()):
            ws = session.ws
            if ws is None or ws.closed or session.acked_seq >= session.seq:
                continue
            while session.sync_times and session.sync_times[0] < loop.time() - 60:
                session.sync_times.popleft()
            if len(session.sync_times) >= SYNC_BUDGET:
                synced = False
                continue
            session.sync_times.append(loop.time())
            target = session.seq
            session.acked.clear()
            with contextlib.suppress(ConnectionError, RuntimeError):
                await ws.send_str('{"op": 1, "d": null}')
            deadline = loop.time() + timeout
            while session.acked_seq < target and session.ws is ws and not ws.closed:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    synced = False
                    break
                session.acked.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(session.acked.wait(), remaining)
        return synced

    # -- socket handling -----------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        """Serve one gateway connection."""
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        self.connections += 1
        session: Session | None = None
        loop = asyncio.get_running_loop()
        last_beat = [loop.time()]

        async def watchdog() -> None:
            # Discord closes a socket that missed its heartbeat with 4009 and ends the
            # session: a RESUME on it then gets op 9 d:false.
            timeout = self.heartbeat_interval_ms / 1000 * HEARTBEAT_SLACK
            while not ws.closed:
                late = last_beat[0] + timeout - loop.time()
                if late > 0:
                    await asyncio.sleep(late)
                    continue
                if session is not None and session.ws in (ws, None):
                    self.sessions.pop(session.id, None)  # not if resumed on another socket
                    self.timed_out += 1
                with contextlib.suppress(ConnectionError, RuntimeError):
                    await ws.close(code=4009, message=b"Session timed out")
                return

        guard = asyncio.create_task(watchdog())
        await ws.send_str(
            json.dumps({"op": 10, "d": {"heartbeat_interval": self.heartbeat_interval_ms}})
        )
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                frame = json.loads(msg.data)
                op, d = frame.get("op"), frame.get("d")
                if op == 1:
                    last_beat[0] = loop.time()
                    if session is not None and isinstance(d, int):
                        session.acked_seq = max(session.acked_seq, d)
                        session.acked.set()
                    await ws.send_str('{"op": 11}')
                elif op == 2:
                    session = await self._identify(ws, d)
                elif op == 6:
                    session = await self._resume(ws, d)
                elif op == 8 and session is not None:
                    await self._members_chunk(session, d)
        finally:
            guard.cancel()
        if session is not None and session.ws is ws:
            session.ws = None
        return ws

    async def _identify(self, ws: web.WebSocketResponse, d: dict[str, Any]) -> Session | None:
        if d.get("token") != self.token:
            await ws.close(code=4004, message=b"Authentication failed.")
            return None
        intents = int(d.get("intents", 0))
        if self.allowed_intents >= 0 and intents & PRIVILEGED & ~self.allowed_intents:
            await ws.close(code=4014, message=b"Disallowed intent(s).")
            return None
        shard_id, shard_count = d.get("shard") or [0, 1]
        if shard_id >= shard_count:
            await ws.close(code=4010, message=b"Invalid shard.")
            return None
        session = Session(secrets.token_hex(16), (shard_id, shard_count), intents, ws=ws)
        self.sessions[session.id] = session
        guilds = [
            g
            for g in self.world.guilds.values()
            if g.bot_present and shard_of(g.id, shard_count) == shard_id
        ]
        bot = payloads.user(self.world.bot_user)
        await session.send(
            "READY",
            {
                "v": 10,
                "user": {**bot, "verified": True, "mfa_enabled": False},
                "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
                "session_id": session.id,
                "resume_gateway_url": self.url(),
                "application": {"id": str(self.application_id), "flags": 0},
                "shard": [shard_id, shard_count],
                "private_channels": [],
                "relationships": [],
                "user_settings": {},
                "presences": [],
                "geo_ordered_rtc_regions": [],
            },
        )
        for g in guilds:
            await session.send("GUILD_CREATE", payloads.guild_create(self.world, g))
        self.identified.set()
        return session

    async def _resume(self, ws: web.WebSocketResponse, d: dict[str, Any]) -> Session | None:
        session = self.sessions.get(d.get("session_id") or "")
        if session is None or d.get("token") != self.token:
            await ws.send_str('{"op": 9, "d": false}')
            return None
        last = int(d.get("seq") or 0)
        if session.buffer and last < session.buffer[0]["s"] - 1:
            # events after `last` were trimmed: a resume would lose some, so refuse it
            self.sessions.pop(session.id, None)
            await ws.send_str('{"op": 9, "d": false}')
            return None
        async with session.lock:
            old = session.ws
            session.ws = ws
            if old is not None and old is not ws and not old.closed:
                await old.close(code=4000)
            for frame in session.buffer:
                if frame["s"] > last:
                    await session._write(frame)
            session.seq += 1
            await session._write({"op": 0, "t": "RESUMED", "s": session.seq, "d": {}})
        return session

    async def _members_chunk(self, session: Session, d: dict[str, Any]) -> None:
        guild = self.world.guilds.get(int(d["guild_id"]))
        if guild is None:
            return
        query = (d.get("query") or "").lower()
        ids = {int(u) for u in d.get("user_ids") or []}
        limit = int(d.get("limit") or 0) or len(guild.members)
        found = [
            m
            for m in guild.members.values()
            if (not ids or m.user.id in ids) and m.user.username.lower().startswith(query)
        ]
        chunk: dict[str, Any] = {
            "guild_id": str(guild.id),
            "members": [payloads.member(m) for m in found[:limit]],
            "chunk_index": 0,
            "chunk_count": 1,
        }
        if d.get("nonce"):
            chunk["nonce"] = d["nonce"]
        await session.send("GUILD_MEMBERS_CHUNK", chunk)

    # -- fault injection -------------------------------------------------------------------
    async def drop(self, code: int = 4000) -> None:
        """Close every live socket with ``code``; sessions stay resumable."""
        for session in self.sessions.values():
            ws, session.ws = session.ws, None
            if ws is not None and not ws.closed:
                await ws.close(code=code)

    async def send_op(self, op: int, d: Any = None, *, invalidate: bool = False) -> None:
        """Send a raw opcode to every live socket (7 RECONNECT, 9 INVALID_SESSION)."""
        for sid, session in list(self.sessions.items()):
            ws = session.ws
            if ws is not None and not ws.closed:
                with contextlib.suppress(ConnectionError, RuntimeError):
                    await ws.send_str(json.dumps({"op": op, "d": d}))
            if invalidate:
                self.sessions.pop(sid, None)

    async def close(self) -> None:
        """Close every socket with 1001 (server going away)."""
        for session in self.sessions.values():
            if session.ws is not None and not session.ws.closed:
                await session.ws.close(code=1001)
