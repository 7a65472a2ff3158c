"""Exact one-sided tests on small counts, for the weak signals: with 3 occurrences or 5
newcomers, a rule must say how often it would fire on noise alone. Standard library only
(the terms are summed in log space with `math.lgamma`, so large counts are exact enough and
fast: the sum stops once the terms no longer change it).

Each function returns a one-sided p-value: the chance, if nothing changed, of a result at
least this extreme. A rule that fires when p <= alpha fires on noise at most alpha of the
time (less: the counts are discrete).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from statistics import NormalDist

_EPSILON = 1e-15


def _log_binomial_pmf(k: int, n: int, p: float) -> float:
    return (
        math.lgamma(n + 1)
        - math.lgamma(k + 1)
        - math.lgamma(n - k + 1)
        + k * math.log(p)
        + (n - k) * math.log1p(-p)
    )


def _tail(terms: range, log_pmf: Callable[[int], float]) -> float:
    """Sum pmf(k) over `terms`, walking away from the distribution's centre: once a term is
    negligible against the sum, the rest are smaller still."""
    total = 0.0
    for k in terms:
        term = math.exp(log_pmf(k))
        total += term
        if term < total * _EPSILON:
            break
    return min(1.0, total)


def binomial_cdf(k: int, n: int, p: float) -> float:
    """P(X <= k) for X ~ Binomial(n, p)."""
    if k < 0:
        return 0.0
    if k >= n or p <= 0.0:
        return 1.0
    if p >= 1.0:
        return 0.0
    if k <= n * p:  # below the mean: the terms shrink walking down
        return _tail(range(k, -1, -1), lambda j: _log_binomial_pmf(j, n, p))
    return max(0.0, 1.0 - binomial_sf(k + 1, n, p))


def binomial_sf(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p)."""
    if k <= 0:
        return 1.0
    if k > n or p <= 0.0:
        return 0.0
    if p >= 1.0:
        return 1.0
    if k >= n * p:  # above the mean: the terms shrink walking up
        return _tail(range(k, n + 1), lambda j: _log_binomial_pmf(j, n, p))
    return max(0.0, 1.0 - binomial_cdf(k - 1, n, p))


def _log_comb(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def hypergeometric_cdf(k: int, total: int, successes: int, draws: int) -> float:
    """P(X <= k) for X the successes among `draws` taken without replacement from `total`
    items of which `successes` are successes."""
    low, high = max(0, draws - (total - successes)), min(draws, successes)
    if k < low:
        return 0.0
    if k >= high:
        return 1.0

    def log_pmf(j: int) -> float:
        return (
            _log_comb(successes, j)
            + _log_comb(total - successes, draws - j)
            - _log_comb(total, draws)
        )

    if k <= draws * successes / total:
        return _tail(range(k, low - 1, -1), log_pmf)
    upper = _tail(range(k + 1, high + 1), log_pmf)
    return max(0.0, 1.0 - upper)


def rate_fell(recent: int, recent_units: float, before: int, before_units: float) -> float:
    """One-sided p-value that a Poisson rate fell: `recent` events over `recent_units`
    (occurrences, weeks) against `before` over `before_units`. Given the total, the recent
    count is binomial with the recent share of the exposure (the conditional test)."""
    n = recent + before
    if n == 0:
        return 1.0
    return binomial_cdf(recent, n, recent_units / (recent_units + before_units))


def rate_rose(recent: int, recent_units: float, before: int, before_units: float) -> float:
    """One-sided p-value that a Poisson rate rose (the mirror of `rate_fell`)."""
    n = recent + before
    if n == 0:
        return 1.0
    return binomial_sf(recent, n, recent_units / (recent_units + before_units))


def share_fell(now: int, now_base: int, before: int, before_base: int) -> float:
    """One-sided Fisher exact test that a share fell: `now` of `now_base` against `before`
    of `before_base`."""
    total = now_base + before_base
    if now_base == 0 or before_base == 0:
        return 1.0
    return hypergeometric_cdf(now, total, now + before, now_base)


def share_rose(now: int, now_base: int, before: int, before_base: int) -> float:
    """One-sided Fisher exact test that a share rose: the other outcome's share fell."""
    return share_fell(now_base - now, now_base, before_base - before, before_base)


def normal_below(z: float) -> float:
    """P(Z <= z) for a standard normal Z (for differences of scores, such as NPS)."""
    return NormalDist().cdf(z)
