"""The exact tails behind the weak signals, against sums of `math.comb` terms (exact
fractions) on small and large counts, and the one-sided tests built on them."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from bot import stats


def exact_binomial_cdf(k: int, n: int, p: Fraction) -> float:
    return float(sum(math.comb(n, j) * p**j * (1 - p) ** (n - j) for j in range(k + 1)))


def exact_hypergeometric_cdf(k: int, total: int, successes: int, draws: int) -> float:
    ways = sum(
        math.comb(successes, j) * math.comb(total - successes, draws - j) for j in range(k + 1)
    )
    return ways / math.comb(total, draws)


@pytest.mark.parametrize(
    ("k", "n", "p"),
    [
        (0, 5, Fraction(1, 10)),
        (3, 10, Fraction(1, 2)),
        (7, 10, Fraction(1, 2)),
        (30, 190, Fraction(1, 5)),
        (100, 1000, Fraction(3, 25)),
        (140, 1000, Fraction(3, 25)),
    ],
)
def test_binomial_tails(k: int, n: int, p: Fraction) -> None:
    cdf = exact_binomial_cdf(k, n, p)
    assert stats.binomial_cdf(k, n, float(p)) == pytest.approx(cdf, rel=1e-9, abs=1e-15)
    above = 1 - exact_binomial_cdf(k - 1, n, p)
    assert stats.binomial_sf(k, n, float(p)) == pytest.approx(above, rel=1e-9, abs=1e-15)


def test_binomial_edges() -> None:
    assert stats.binomial_cdf(-1, 5, 0.5) == 0.0
    assert stats.binomial_cdf(5, 5, 0.5) == 1.0
    assert stats.binomial_sf(0, 5, 0.5) == 1.0
    assert stats.binomial_sf(6, 5, 0.5) == 0.0
    assert stats.binomial_sf(3, 3, 0.1) == pytest.approx(0.001)


@pytest.mark.parametrize(
    ("k", "total", "successes", "draws"),
    [(2, 20, 10, 10), (8, 20, 10, 10), (0, 10, 4, 5), (300, 2000, 900, 1000), (3, 12, 9, 5)],
)
def test_hypergeometric_cdf(k: int, total: int, successes: int, draws: int) -> None:
    expected = exact_hypergeometric_cdf(k, total, successes, draws)
    got = stats.hypergeometric_cdf(k, total, successes, draws)
    assert got == pytest.approx(expected, rel=1e-9, abs=1e-300)


def test_fisher_one_sided_both_ways() -> None:
    # 0 of 5 against 4 of 5: C(5,0) C(5,4) / C(10,4) = 5 / 210
    assert stats.share_fell(0, 5, 4, 5) == pytest.approx(5 / 210)
    assert stats.share_rose(4, 5, 0, 5) == pytest.approx(5 / 210)
    assert stats.share_fell(3, 5, 3, 5) > 0.5  # no change: nothing to see
    assert stats.share_fell(0, 0, 3, 5) == 1.0  # an empty base proves nothing


def test_poisson_rate_tests() -> None:
    # 0 events now against 8 before over the same time: (1/2)^8
    assert stats.rate_fell(0, 1, 8, 1) == pytest.approx(1 / 256)
    assert stats.rate_rose(8, 1, 0, 1) == pytest.approx(1 / 256)
    # the exposure counts: 2 recent occurrences against 8 before
    assert stats.rate_fell(0, 2, 8, 8) == pytest.approx(0.8**8)
    assert stats.rate_fell(0, 1, 0, 1) == 1.0


def test_normal_below() -> None:
    assert stats.normal_below(0.0) == pytest.approx(0.5)
    assert stats.normal_below(-2.5758) == pytest.approx(0.005, rel=1e-3)
