"""The dashboard's signed cookies, states and settings, without a server."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, Settings
from bot.web.auth import STATE_LIFETIME, Sessions, sign, unsign
from bot.web.charts import line_chart

KEY = b"k" * 32


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_signature_holds_only_for_the_same_data_and_key() -> None:
    value = sign({"sid": "abc", "uid": 5}, KEY)
    assert unsign(value, KEY) == {"sid": "abc", "uid": 5}
    body, _, mac = value.rpartition(".")
    assert unsign(value, b"x" * 32) is None
    assert unsign(f"{body}x.{mac}", KEY) is None
    flipped = mac[:-1] + ("1" if mac[-1] == "0" else "0")
    assert unsign(f"{body}.{flipped}", KEY) is None
    assert unsign(f"{body}.é{mac[1:]}", KEY) is None  # non-ASCII: refused, not a 500
    assert unsign("garbage", KEY) is None and unsign(".", KEY) is None


def test_a_state_is_accepted_once_from_its_own_browser_within_ten_minutes() -> None:
    clock = Clock()
    sessions = Sessions(KEY, 3600, clock)
    state, cookie = sessions.new_state()
    _, other_cookie = sessions.new_state()
    assert not sessions.take_state(state, other_cookie)  # another browser's cookie
    state, cookie = sessions.new_state()
    assert sessions.take_state(state, cookie)
    assert not sessions.take_state(state, cookie)  # used up
    late, late_cookie = sessions.new_state()
    clock.now += STATE_LIFETIME + 1
    assert not sessions.take_state(late, late_cookie)
    assert not sessions.take_state("forged", cookie)


def test_a_session_ends_at_its_expiry_and_at_logout() -> None:
    clock = Clock()
    sessions = Sessions(KEY, 3600, clock)
    session, cookie = sessions.open(7, "Camille", "token")
    assert sessions.find(cookie) is session
    assert sessions.find(sign({"sid": session.sid, "uid": 8, "exp": 10**12}, KEY)) is None
    clock.now += 3600
    assert sessions.find(cookie) is None
    session, cookie = sessions.open(7, "Camille", "token")
    sessions.close(session)
    assert sessions.find(cookie) is None


def test_the_dashboard_settings_say_what_is_missing(tmp_path: Path) -> None:
    bare = Settings(_env_file=None)  # type: ignore[call-arg]
    with pytest.raises(
        ConfigError, match="DISCORD_CLIENT_ID, DISCORD_CLIENT_SECRET, WEB_SESSION_SECRET"
    ):
        bare.web_secrets()
    short = Settings(
        _env_file=None,  # type: ignore[call-arg]
        discord_client_id=1,
        discord_client_secret="s",
        web_session_secret="short",
    )
    with pytest.raises(ConfigError, match="too short"):
        short.web_secrets()
    good = Settings(
        _env_file=None,  # type: ignore[call-arg]
        discord_client_id=1,
        discord_client_secret="s",
        web_session_secret="x" * 32,
    )
    assert good.web_secrets() == (1, "s", b"x" * 32)


def test_the_chart_scales_to_the_largest_week_and_escapes_labels() -> None:
    svg = str(line_chart([0, 5, None, 10], ["W1", "W2", "W3", "<W4>"], "Active"))
    assert svg.count("<circle") == 3  # the missing week has no point
    assert "&lt;W4&gt;: 10" in svg and "<W4>" not in svg
    assert 'points="6.0,84.0 108.7,45.0 314.0,6.0"' in svg
