"""Rituals in `foyer demo`: the steps in demo/steps/rituals.py, in a short replay."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from demo import run as demo

pytestmark = pytest.mark.e2e


async def test_demo_posts_the_ritual_each_monday_and_reports_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    parser = argparse.ArgumentParser()
    demo.add_arguments(parser)
    args = parser.parse_args(
        ["--weeks", "2", "--members", "15", "--seed", "3", "--language", "fr",
         "--out", str(tmp_path / "out")]
    )  # fmt: skip
    assert await demo.run(args) == 0
    printed = capsys.readouterr().out
    assert "Rituel **Lundi Motivation** ajouté." in printed
    assert "**Lundi Motivation** : 2 dernières occurrences" in printed
    assert (tmp_path / "out" / "ritual.png").read_bytes().startswith(b"\x89PNG")
