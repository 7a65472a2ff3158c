"""Fault injection for REST: answer the next N matching calls with 429, 5xx or 403.

With ``after=True`` the call is carried out first (Discord did the work) and only then
answered with the error, as when a gateway in front of Discord times out: the 502 that
hides a success.

Rules match a method and a route, either the template (``/channels/{channel_id}/messages``)
or a concrete path, with ``*`` wildcards. The bodies and headers are the ones discord.py
keys on: a 429 needs ``Via`` and JSON ``retry_after``/``global`` to be retried.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Any

ERROR_BODIES: dict[int, dict[str, Any]] = {
    403: {"message": "Missing Permissions", "code": 50013},
    404: {"message": "Unknown Channel", "code": 10003},
    500: {"message": "500: Internal Server Error", "code": 0},
    502: {"message": "502: Bad Gateway", "code": 0},
    503: {"message": "503: Service Unavailable", "code": 0},
}


@dataclass
class FaultRule:
    """Answer ``count`` calls matching ``method`` and ``route`` with ``status``."""

    method: str
    route: str
    status: int
    count: int = 1
    retry_after: float = 0.05
    is_global: bool = False
    body: dict[str, Any] | None = None
    hits: int = 0
    after: bool = False  # carry the call out, then answer ``status``

    def matches(self, method: str, route: str, path: str) -> bool:
        """Say whether a call is targeted by this rule."""
        if self.method not in ("*", method.upper()):
            return False
        return any(fnmatch.fnmatchcase(p, self.route) for p in (route, path))

    def response_body(self) -> dict[str, Any]:
        """Return the JSON body Discord sends for this status."""
        if self.body is not None:
            return self.body
        if self.status == 429:
            return {
                "message": "You are being rate limited.",
                "retry_after": self.retry_after,
                "global": self.is_global,
                "code": 0,
            }
        return ERROR_BODIES.get(self.status, {"message": f"{self.status}", "code": 0})


class Faults:
    """The pending fault rules of a sandbox, consumed in order."""

    def __init__(self) -> None:
        self.rules: list[FaultRule] = []
        self.injected: list[tuple[str, str, int]] = []

    def next(
        self,
        method: str,
        route: str,
        *,
        status: int = 429,
        count: int = 1,
        retry_after: float = 0.05,
        is_global: bool = False,
        body: dict[str, Any] | None = None,
        after: bool = False,
    ) -> FaultRule:
        """Answer the next ``count`` calls to ``method route`` with ``status``; with
        ``after``, once each call has succeeded (its effect stays)."""
        rule = FaultRule(
            method.upper(), route, status, count, retry_after, is_global, body, after=after
        )
        self.rules.append(rule)
        return rule

    def take(self, method: str, route: str, path: str) -> FaultRule | None:
        """Consume and return the first rule matching this call, if any."""
        for rule in self.rules:
            if rule.hits < rule.count and rule.matches(method, route, path):
                rule.hits += 1
                self.injected.append((method, path, rule.status))
                if rule.hits >= rule.count:
                    self.rules.remove(rule)
                return rule
        return None

    def clear(self) -> None:
        """Forget every pending rule."""
        self.rules.clear()
