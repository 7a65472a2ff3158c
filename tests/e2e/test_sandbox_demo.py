"""``foyer demo`` and ``foyer sandbox`` end to end (a short replay)."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

import aiohttp
import pytest

from demo import run as demo
from demo import serve

pytestmark = pytest.mark.e2e


async def test_demo_replays_reports_and_writes_a_png(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    parser = argparse.ArgumentParser()
    demo.add_arguments(parser)
    args = parser.parse_args(
        [
            "--weeks",
            "1",
            "--members",
            "12",
            "--seed",
            "3",
            "--out",
            str(tmp_path / "out"),
            "--db",
            str(tmp_path / "f.db"),
        ]
    )
    assert await demo.run(args) == 0
    printed = capsys.readouterr().out
    assert "week 1/1" in printed
    assert "$ /setup set" in printed
    pngs = list((tmp_path / "out").glob("*.png"))
    assert pngs and all(p.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") for p in pngs)
    assert (tmp_path / "f.db").stat().st_size > 0


async def test_demo_help_documents_every_option() -> None:
    parser = argparse.ArgumentParser()
    demo.add_arguments(parser)
    text = parser.format_help()
    for option in ("--members", "--weeks", "--seed", "--language", "--out", "--db"):
        assert option in text


async def test_sandbox_command_serves_and_prints_settings(
    capsys: pytest.CaptureFixture[str], unused_tcp_port: int
) -> None:
    parser = argparse.ArgumentParser()
    serve.add_arguments(parser)
    args = parser.parse_args(["--port", str(unused_tcp_port)])
    stop = asyncio.Event()
    task = asyncio.create_task(serve.run(args, stop=stop))
    base = f"http://127.0.0.1:{unused_tcp_port}/api/v10"
    for _ in range(100):
        if f"DISCORD_API_BASE={base}" in capsys.readouterr().out:
            break
        await asyncio.sleep(0.02)
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{base}/users/@me", headers={"Authorization": "Bot sandbox-token"}) as me,
    ):
        assert me.status == 200
        assert (await me.json())["bot"] is True
    stop.set()
    assert await task == 0
