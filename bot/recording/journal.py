"""The recorder's journal: every event it accepts, appended to a file before it is buffered.

Why: the recorder keeps up to a second (or a batch) of events in memory; a killed process
lost them. Each accepted event is now one `write()` of one compact line (ids, kinds,
roles, times: the events hold no text), so it sits in the OS page cache the moment
`record()` returns and survives the process being killed. At start, before the gateway
connects, what a previous run left is replayed into the recorder; writing is idempotent
(`ON CONFLICT DO NOTHING`, rollups only for newly stored rows), so an event journaled and
also written counts once.

Segments: events are appended to `path`. When a flush takes the whole buffer, `seal()`
renames `path` to `path.<n>` first (new events go to a fresh `path`); once that batch is
committed, `release()` deletes the sealed segments: everything in them is in the
database. A machine crash (power, kernel) can lose what the OS had not written back yet
(Linux: up to about 30 s, `vm.dirty_expire_centisecs`), unless `fsync` is set: then each
seal is fsynced, and a crash loses at most the events since the last flush.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from operator import attrgetter
from pathlib import Path
from typing import Any

from bot.db.models.activity import ActorRole
from bot.recording.events import (
    Event,
    MemberJoined,
    MemberLeft,
    MessageCreated,
    MessageDeleted,
    ReactionChanged,
    ReplyTarget,
    ThreadCreated,
)

log = logging.getLogger(__name__)

TAGS: dict[type[Any], str] = {
    MessageCreated: "m",
    MessageDeleted: "d",
    ReactionChanged: "r",
    ThreadCreated: "t",
    MemberJoined: "j",
    MemberLeft: "l",
}
KINDS = {tag: kind for kind, tag in TAGS.items()}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


NAMES: dict[type[Any], tuple[str, ...]] = {k: tuple(f.name for f in fields(k)) for k in TAGS}
_to_json = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return (value - EPOCH) // MICROSECOND  # exact, unlike a float timestamp
    if isinstance(value, ReplyTarget):
        return [value.message_id, value.author_id, value.author_role, value.is_reply]
    return value


# Per kind: its tag, a getter of every field at once, and the fields that need converting
# (times, reply targets). encode() is on the ingest path: about 3 us an event.
_LAYOUT = {
    kind: (
        tag,
        attrgetter(*NAMES[kind]),
        [i for i, n in enumerate(NAMES[kind]) if n.endswith("_at") or n == "reply_to"],
    )
    for kind, tag in TAGS.items()
}


def encode(event: Event) -> bytes:
    """One journal line: `["r", 1, 2, ...]`, the event's fields in order."""
    tag, get, convert = _LAYOUT[type(event)]
    values = [tag, *get(event)]
    for i in convert:
        values[i + 1] = _plain(values[i + 1])
    return (_to_json(values) + "\n").encode()


def _role(value: int | None) -> ActorRole | None:
    return None if value is None else ActorRole(value)


def _reply(value: list[Any] | None) -> ReplyTarget | None:
    if value is None:
        return None
    message_id, author_id, role, is_reply = value
    return ReplyTarget(message_id, author_id, _role(role), is_reply)


def _typed(name: str) -> Callable[[Any], Any]:
    if name.endswith("_at"):
        return lambda v: EPOCH + v * MICROSECOND
    if name.endswith("_role"):
        return _role
    if name == "reply_to":
        return _reply
    return lambda v: v


def decode(line: bytes) -> Event:
    """The event a journal line holds (ValueError, KeyError or TypeError when it is not one)."""
    tag, *values = json.loads(line)
    kind = KINDS[tag]
    names = NAMES[kind]
    if len(values) > len(names):
        raise ValueError(f"{len(values)} values for {kind.__name__}")
    event: Event = kind(*(_typed(n)(v) for n, v in zip(names, values, strict=False)))
    return event


def read_events(path: Path) -> list[Event]:
    """The events of one journal file, skipping a torn or unreadable line (logged)."""
    events: list[Event] = []
    with path.open("rb") as file:
        for number, line in enumerate(file, start=1):
            if not line.strip():
                continue
            try:
                events.append(decode(line))
            except (ValueError, KeyError, TypeError):
                log.warning("journal %s line %d unreadable; skipped", path.name, number)
    return events


class Journal:
    """An append-only file of accepted events, one per line, in the order accepted."""

    def __init__(self, path: Path, *, fsync: bool = False) -> None:
        self.path = path
        self.fsync = fsync
        self._fd: int | None = None
        self._size = 0

    # -- files ----------------------------------------------------------------------------
    def _sealed(self) -> list[Path]:
        """Sealed segments, oldest first."""
        found = []
        for p in self.path.parent.glob(self.path.name + ".*"):
            suffix = p.name[len(self.path.name) + 1 :]
            if suffix.isdigit():
                found.append((int(suffix), p))
        return [p for _n, p in sorted(found)]

    def _open_current(self) -> None:
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        self._size = os.fstat(self._fd).st_size

    def _close_current(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    # -- lifecycle --------------------------------------------------------------------------
    def open(self) -> list[Event]:
        """Open the journal for appending; return what a previous run left unwritten
        (sealed segments first, then the current file), in the order it was accepted."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        left: list[Event] = []
        for segment in self._sealed():
            left.extend(read_events(segment))
        if self.path.exists():
            left.extend(read_events(self.path))
        self._open_current()
        return left

    def close(self) -> None:
        self._close_current()

    @property
    def is_open(self) -> bool:
        return self._fd is not None

    # -- writing ----------------------------------------------------------------------------
    def append(self, event: Event) -> None:
        """Append one event with one `write()` (in the page cache when this returns)."""
        if self._fd is None:
            return
        line = encode(event)
        written = os.write(self._fd, line)
        while written < len(line):  # a short write (disk full, signal): finish the line
            written += os.write(self._fd, line[written:])
        self._size += len(line)

    def seal(self) -> None:
        """Close the current file as a sealed segment; later events go to a fresh one."""
        if self._fd is None or self._size == 0:
            return
        if self.fsync:
            os.fsync(self._fd)
        sealed = self._sealed()
        number = int(sealed[-1].name.rsplit(".", 1)[1]) + 1 if sealed else 1
        self._close_current()
        os.replace(self.path, self.path.with_name(f"{self.path.name}.{number}"))
        self._open_current()

    def release(self) -> None:
        """Delete the sealed segments: their events are committed."""
        for segment in self._sealed():
            segment.unlink(missing_ok=True)

    def rewrite(self, events: Iterable[Event]) -> None:
        """Replace the whole journal with `events` (the buffer after an opt-out dropped a
        member's events, so none of theirs stays on disk)."""
        if self._fd is None:
            return
        temporary = self.path.with_name(self.path.name + ".new")
        with temporary.open("wb") as file:
            for event in events:
                file.write(encode(event))
            if self.fsync:
                file.flush()
                os.fsync(file.fileno())
        self._close_current()
        os.replace(temporary, self.path)
        self.release()
        self._open_current()
