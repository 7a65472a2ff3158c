"""Rate limits as Discord enforces them: per-route buckets per top-level resource, and a
global limit per bot (docs: topics/rate-limits).

A bucket is a fixed window: the first call opens it for ``per`` seconds, ``limit`` calls
fit in it. Answers carry ``X-RateLimit-*`` headers, so discord.py waits before it would
exceed a bucket; a call that exceeds one anyway gets a 429 with ``retry_after``,
``global`` and ``Via``, which discord.py retries after the wait. The limits are Discord's
observed ones for the routes a community bot hits most; other routes only count towards
the global limit and answer with a generous bucket.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass

M = "/channels/{channel_id}/messages/{message_id}"
#: (method, route template) -> (limit, per seconds); the key also names the bucket.
ROUTE_LIMITS: dict[tuple[str, str], tuple[int, float]] = {
    ("POST", "/channels/{channel_id}/messages"): (5, 5.0),
    ("PATCH", M): (5, 5.0),
    ("DELETE", M): (5, 1.0),
    ("PUT", M + "/reactions/{emoji_name}/@me"): (1, 0.25),
    ("DELETE", M + "/reactions/{emoji_name}/@me"): (1, 0.25),
    ("DELETE", M + "/reactions/{emoji_name}/{user_id}"): (1, 0.25),
}
#: Reactions share one bucket per channel, as on Discord.
SHARED = {
    ("DELETE", M + "/reactions/{emoji_name}/@me"): ("PUT", M + "/reactions/{emoji_name}/@me"),
    ("DELETE", M + "/reactions/{emoji_name}/{user_id}"): (
        "PUT",
        M + "/reactions/{emoji_name}/@me",
    ),
}
GLOBAL_LIMIT = 50  # requests per second per bot
#: Interaction callbacks and webhook follow-ups are outside the global limit.
GLOBAL_EXEMPT = ("/interactions/", "/webhooks/")
TOP_LEVEL = ("channel_id", "guild_id", "webhook_id")


def bucket_hash(key: str) -> str:
    """Return an opaque bucket id, as Discord's ``X-RateLimit-Bucket``."""
    return hashlib.sha1(key.encode()).hexdigest()[:16]


@dataclass
class Window:
    """One fixed window of a bucket."""

    limit: int
    per: float
    opened: float = 0.0
    used: int = 0

    def take(self, now: float) -> float:
        """Count a call; return 0 if it fits, else the seconds until the window resets."""
        if now >= self.opened + self.per:
            self.opened, self.used = now, 0
        if self.used >= self.limit:
            return self.opened + self.per - now
        self.used += 1
        return 0.0

    def reset_after(self, now: float) -> float:
        """Return the seconds until this window resets."""
        return max(0.0, self.opened + self.per - now)


@dataclass
class Verdict:
    """What the limiter decided for one call: headers, and a 429 body when refused."""

    headers: dict[str, str]
    retry_after: float = 0.0
    is_global: bool = False

    @property
    def refused(self) -> bool:
        """Say whether the call must be answered 429."""
        return self.retry_after > 0


class RateLimiter:
    """The buckets of one sandbox; ``clock`` is monotonic seconds."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.windows: dict[tuple[str, str, str], Window] = {}
        self.global_window = Window(GLOBAL_LIMIT, 1.0)
        self.refused: list[tuple[str, str, bool]] = []

    def check(self, method: str, route: str, path: str, params: dict[str, str]) -> Verdict:
        """Count a call and return its headers (and a retry delay when it is refused)."""
        now = self.clock()
        if not path.startswith(GLOBAL_EXEMPT):
            wait = self.global_window.take(now)
            if wait > 0:
                self.refused.append((method, path, True))
                headers = {"X-RateLimit-Global": "true", "X-RateLimit-Scope": "global"}
                return Verdict(headers, retry_after=wait, is_global=True)
        key = SHARED.get((method, route), (method, route))
        limit, per = ROUTE_LIMITS.get(key, (50, 1.0))
        name = f"{key[0]} {key[1]}"
        resource = next((params[p] for p in TOP_LEVEL if p in params), "")
        if "webhook_token" in params:  # a webhook's top-level resource is id + token
            resource += "/" + params["webhook_token"]
        window = self.windows.setdefault((name, resource, ""), Window(limit, per))
        wait = window.take(now)
        reset_after = window.reset_after(now)
        headers = {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(max(0, limit - window.used)),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": bucket_hash(name),
        }
        if wait > 0:
            self.refused.append((method, path, False))
            headers["X-RateLimit-Scope"] = "user"
        return Verdict(headers, retry_after=wait)
