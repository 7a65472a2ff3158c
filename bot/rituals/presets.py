"""The four preset rituals. Off until an admin enables one with `/ritual add preset:...`;
their name and text are copied in the guild's language at that moment, so the admin can
edit them like any custom ritual afterwards."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from bot.scheduling import MonthlyNth, Rule, Weekly

MONDAY, WEDNESDAY, THURSDAY, FRIDAY = 0, 2, 3, 4


@dataclass(frozen=True)
class Preset:
    key: str
    rule: Rule
    asks_questions: bool = False

    @property
    def name_key(self) -> str:
        return f"rituals.preset.{self.key}.name"

    @property
    def template_key(self) -> str:
        return f"rituals.preset.{self.key}.template"


PRESETS: dict[str, Preset] = {
    p.key: p
    for p in (
        Preset("monday_motivation", Weekly(frozenset({MONDAY}), time(9, 0))),
        Preset("friday_wins", Weekly(frozenset({FRIDAY}), time(16, 0))),
        Preset("weekly_question", Weekly(frozenset({WEDNESDAY}), time(12, 0)), asks_questions=True),
        Preset("monthly_qa", MonthlyNth(1, THURSDAY, time(18, 0))),
    )
}
