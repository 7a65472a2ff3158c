"""Snowflakes carry their creation time, so past activity can be replayed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import discord
import pytest

from discord_sandbox.snowflake import DISCORD_EPOCH_MS, SnowflakeFactory, time_of


def test_time_round_trips_and_matches_discord_py() -> None:
    ids = SnowflakeFactory()
    when = datetime(2025, 6, 1, 12, 0, 0, 123000, tzinfo=UTC)
    flake = ids.new(when)
    assert time_of(flake) == when
    assert discord.utils.snowflake_time(flake) == when


def test_ids_are_unique_even_in_the_same_millisecond() -> None:
    ids = SnowflakeFactory()
    when = datetime(2025, 6, 1, tzinfo=UTC)
    flakes = [ids.new(when) for _ in range(1000)]
    assert len(set(flakes)) == 1000
    assert all(f >> 22 == int(when.timestamp() * 1000) - DISCORD_EPOCH_MS for f in flakes)


def test_order_follows_time() -> None:
    ids = SnowflakeFactory()
    start = datetime(2025, 1, 1, tzinfo=UTC)
    later = ids.new(start + timedelta(seconds=1))
    earlier = ids.new(start)
    assert earlier < later


def test_naive_and_pre_epoch_times_are_refused() -> None:
    ids = SnowflakeFactory()
    with pytest.raises(ValueError):
        ids.new(datetime(2025, 1, 1))
    with pytest.raises(ValueError):
        ids.new(datetime(2014, 1, 1, tzinfo=UTC))
