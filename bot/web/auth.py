"""Sessions and the OAuth2 `state`. The cookie holds a session id, the user id and an
expiry, signed with HMAC-SHA256 under WEB_SESSION_SECRET; the Discord access token stays
in the process (never in the browser). A `state` is issued with a cookie of its own and
accepted once, within ten minutes, only from the browser it was issued to."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

STATE_LIFETIME = 600.0
SESSION_COOKIE = "foyer_session"
STATE_COOKIE = "foyer_state"


def sign(data: dict[str, Any], key: bytes) -> str:
    body = base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode()
    mac = hmac.new(key, body.encode(), hashlib.sha256).hexdigest()
    return f"{body}.{mac}"


def unsign(value: str, key: bytes) -> dict[str, Any] | None:
    """The signed data, or None for anything tampered with or malformed."""
    body, _, mac = value.rpartition(".")
    expected = hmac.new(key, body.encode(), hashlib.sha256).hexdigest()
    # Bytes: compare_digest refuses a str with non-ASCII characters (a forged cookie).
    if not body or not hmac.compare_digest(mac.encode(), expected.encode()):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(body.encode()))
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


@dataclass
class Session:
    sid: str
    user_id: int
    name: str
    access_token: str
    expires_at: float


class Sessions:
    """The logged-in people of this process, and the states waiting for their callback."""

    def __init__(self, key: bytes, lifetime: float, now: Callable[[], float]) -> None:
        self._key = key
        self.lifetime = lifetime
        self._now = now
        self._sessions: dict[str, Session] = {}
        self._states: dict[str, float] = {}

    def new_state(self) -> tuple[str, str]:
        """A state for the authorize URL, and the cookie value binding it to this browser."""
        self._drop_old_states()
        state = secrets.token_urlsafe(24)
        self._states[state] = self._now()
        return state, sign({"state": state}, self._key)

    def take_state(self, state: str, cookie: str | None) -> bool:
        """Is this the state issued to this browser, unused and recent. Used up either way."""
        issued = self._states.pop(state, None)
        bound = unsign(cookie, self._key) if cookie else None
        return (
            issued is not None
            and self._now() - issued <= STATE_LIFETIME
            and bound is not None
            and hmac.compare_digest(str(bound.get("state", "")), state)
        )

    def _drop_old_states(self) -> None:
        now = self._now()
        for state, issued in list(self._states.items()):
            if now - issued > STATE_LIFETIME:
                del self._states[state]

    def open(self, user_id: int, name: str, access_token: str) -> tuple[Session, str]:
        """A new session and its cookie value."""
        session = Session(
            secrets.token_urlsafe(24), user_id, name, access_token, self._now() + self.lifetime
        )
        self._sessions[session.sid] = session
        cookie = sign({"sid": session.sid, "uid": user_id, "exp": session.expires_at}, self._key)
        return session, cookie

    def find(self, cookie: str | None) -> Session | None:
        """The live session this cookie names: signed, not expired, matching its user."""
        data = unsign(cookie, self._key) if cookie else None
        if data is None:
            return None
        session = self._sessions.get(str(data.get("sid")))
        if session is None or session.user_id != data.get("uid"):
            return None
        if self._now() >= session.expires_at or self._now() >= float(data.get("exp", 0)):
            self._sessions.pop(session.sid, None)
            return None
        return session

    def close(self, session: Session) -> None:
        self._sessions.pop(session.sid, None)
