"""Net Promoter Score from 0-10 answers: pure arithmetic, tested by hand.

NPS = %promoters (9-10) - %detractors (0-6), from -100 to +100. Its margin of error comes
from treating each answer as +1 (promoter), 0 (passive) or -1 (detractor): the NPS is 100
times the mean of those values, so at 95 % confidence it is within
1.96 * sqrt(var / n) * 100 points, var being the (population) variance of the values.
With few answers the margin is wide, and that is the honest thing to show.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

Z_95 = 1.96
PROMOTER_MIN = 9
DETRACTOR_MAX = 6


def category(score: int) -> int:
    """+1 promoter, 0 passive, -1 detractor; anything outside 0-10 is a bug upstream."""
    if not 0 <= score <= 10:
        raise ValueError(f"an NPS score is between 0 and 10, not {score}")
    if score >= PROMOTER_MIN:
        return 1
    return -1 if score <= DETRACTOR_MAX else 0


@dataclass(frozen=True)
class NpsResult:
    promoters: int = 0
    passives: int = 0
    detractors: int = 0

    @property
    def answers(self) -> int:
        return self.promoters + self.passives + self.detractors

    @property
    def nps(self) -> float | None:
        """From -100 to +100; None without answers (not 0: nobody said anything)."""
        n = self.answers
        return None if n == 0 else 100.0 * (self.promoters - self.detractors) / n

    @property
    def margin_of_error(self) -> float | None:
        """Half-width of the 95 % interval, in NPS points; None without answers."""
        n = self.answers
        if n == 0:
            return None
        mean = (self.promoters - self.detractors) / n
        variance = (self.promoters + self.detractors) / n - mean * mean
        return Z_95 * math.sqrt(max(variance, 0.0) / n) * 100.0


def summarize(scores: Iterable[int]) -> NpsResult:
    promoters = passives = detractors = 0
    for score in scores:
        kind = category(score)
        if kind > 0:
            promoters += 1
        elif kind < 0:
            detractors += 1
        else:
            passives += 1
    return NpsResult(promoters, passives, detractors)


@dataclass(frozen=True)
class TrendPoint:
    """One survey in the trend, with the change since the previous survey that had
    answers (None for the first, or when either has none)."""

    survey_id: int
    opened_at: datetime
    result: NpsResult
    change: float | None


def trend(surveys: Sequence[tuple[int, datetime, NpsResult]]) -> list[TrendPoint]:
    """Surveys in the order they were opened, each with its change in NPS points."""
    points: list[TrendPoint] = []
    previous: float | None = None
    for survey_id, opened_at, result in sorted(surveys, key=lambda s: s[1]):
        current = result.nps
        change = None if current is None or previous is None else current - previous
        points.append(TrendPoint(survey_id, opened_at, result, change))
        if current is not None:
            previous = current
    return points
