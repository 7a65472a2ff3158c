"""Discord's limits on what a bot sends, and its rate-limit buckets, without a server."""

from __future__ import annotations

from typing import Any

import pytest

from discord_sandbox.limits import (
    FormError,
    check_message,
    check_modal,
    check_thread_name,
)
from discord_sandbox.ratelimits import RateLimiter

MESSAGES = "/channels/{channel_id}/messages"
REACT = "/channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}/@me"


def error_of(body: dict[str, Any], under: str | None = None) -> dict[str, Any]:
    with pytest.raises(FormError) as caught:
        check_message(body, under=under)
    return caught.value.errors


def test_limits_are_inclusive_and_whitespace_is_trimmed() -> None:
    check_message({"content": "x" * 2000})
    check_message({"content": "  " + "x" * 2000 + "\n"})
    check_message({"embeds": [{"title": "t" * 256, "description": "d" * 4096}]})
    errors = error_of({"content": "x" * 2001})
    assert errors == {
        "content": {
            "_errors": [
                {"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 2000 or fewer in length."}
            ]
        }
    }


def test_the_6000_total_counts_every_embed_text() -> None:
    five_hundred = {"name": "n" * 250, "value": "v" * 250}
    embed = {"title": "t" * 100, "fields": [five_hundred] * 5, "footer": {"text": "f" * 400}}
    check_message({"embeds": [embed, embed]})  # (100 + 2500 + 400) * 2 = 6000
    errors = error_of({"embeds": [embed, {**embed, "author": {"name": "a"}}]})
    assert errors["embeds"]["_errors"][0]["code"] == "MAX_EMBED_SIZE_EXCEEDED"


def test_an_interaction_response_error_names_data() -> None:
    errors = error_of({"content": "x" * 2001}, under="data")
    assert list(errors) == ["data"] and "content" in errors["data"]


def test_selects_and_modals() -> None:
    select = {"type": 3, "custom_id": "s", "options": [{"label": "o", "value": "v"}] * 26}
    errors = error_of({"components": [{"type": 1, "components": [select]}]})
    assert "options" in errors["components"]["0"]["components"]["0"]
    two_selects = {"type": 1, "components": [{**select, "options": []}] * 2}
    assert "components" in error_of({"components": [two_selects]})["components"]["0"]
    text_input = {"type": 4, "custom_id": "t", "label": "L" * 46, "style": 1}
    with pytest.raises(FormError) as caught:
        check_modal({"custom_id": "m", "title": "T", "components": [text_input]})
    assert caught.value.path == ["data", "components", 0, "label"]
    check_modal({"custom_id": "m", "title": "T" * 45, "components": [{**text_input, "label": "L"}]})


def test_thread_names() -> None:
    check_thread_name("n" * 100)
    check_thread_name(None, required=False)
    for bad in ("", "   ", "n" * 101):
        with pytest.raises(FormError):
            check_thread_name(bad)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_message_bucket_is_five_per_five_seconds_per_channel() -> None:
    clock = Clock()
    limiter = RateLimiter(clock)
    verdicts = [limiter.check("POST", MESSAGES, "/channels/1/messages", {"channel_id": "1"})]
    for _ in range(5):
        clock.now += 0.1
        verdicts.append(
            limiter.check("POST", MESSAGES, "/channels/1/messages", {"channel_id": "1"})
        )
    assert [v.refused for v in verdicts] == [False] * 5 + [True]
    assert verdicts[4].headers["X-RateLimit-Remaining"] == "0"
    assert verdicts[5].retry_after == pytest.approx(4.5)
    assert not limiter.check("POST", MESSAGES, "/channels/2/messages", {"channel_id": "2"}).refused
    clock.now += 4.51
    assert not limiter.check("POST", MESSAGES, "/channels/1/messages", {"channel_id": "1"}).refused


def test_reactions_one_per_quarter_second_and_global_fifty_a_second() -> None:
    clock = Clock()
    limiter = RateLimiter(clock)
    params = {"channel_id": "1", "message_id": "2", "emoji_name": "x"}
    assert not limiter.check("PUT", REACT, "/channels/1/r", params).refused
    assert limiter.check("DELETE", REACT, "/channels/1/r", params).refused  # shared bucket
    clock.now += 0.25
    assert not limiter.check("PUT", REACT, "/channels/1/r", params).refused
    clock.now += 1
    answers = [limiter.check("GET", "/users/@me", "/users/@me", {}) for _ in range(51)]
    assert [a.is_global for a in answers].count(True) == 1 and answers[-1].refused
    callback = "/interactions/1/t/callback"
    assert not limiter.check("POST", callback, callback, {}).refused  # outside the global limit


def test_webhook_buckets_are_per_token() -> None:
    limiter = RateLimiter(Clock())
    route = "/webhooks/{webhook_id}/{webhook_token}"
    for token in ("a", "b"):
        params = {"webhook_id": "1", "webhook_token": token}
        verdicts = [limiter.check("POST", route, f"/webhooks/1/{token}", params) for _ in range(50)]
        assert not any(v.refused for v in verdicts), token
    params = {"webhook_id": "1", "webhook_token": "a"}
    assert limiter.check("POST", route, "/webhooks/1/a", params).refused
