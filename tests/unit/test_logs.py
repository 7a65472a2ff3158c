"""Log lines as operators read them: text with key=value extras, or one JSON object a line."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from bot.logs import configure_logging


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    noisy = ("discord", "sqlalchemy", "alembic", "apscheduler")
    levels = {name: logging.getLogger(name).level for name in noisy}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, value in levels.items():
        logging.getLogger(name).setLevel(value)


def emit(capsys: pytest.CaptureFixture[str], fmt: str, level: str = "INFO") -> list[str]:
    configure_logging(level, fmt)
    log = logging.getLogger("bot.test")
    log.info("joined guild", extra={"guild_id": 123456789012345678})
    log.debug("not shown at INFO")
    log.warning("two\nlines", extra={"guild_id": 7, "kind": "welcome"})
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        log.exception("post failed", extra={"guild_id": 7})
    return capsys.readouterr().err.splitlines()


def test_json_is_one_object_per_line(capsys: pytest.CaptureFixture[str]) -> None:
    lines = emit(capsys, "json")
    records = [json.loads(line) for line in lines]  # each line parses on its own
    assert [r["message"] for r in records] == ["joined guild", "two\nlines", "post failed"]
    first = records[0]
    assert first["guild_id"] == 123456789012345678
    assert (first["level"], first["logger"]) == ("INFO", "bot.test")
    assert first["time"].endswith("+00:00")
    assert records[1]["kind"] == "welcome"
    assert "RuntimeError: boom" in records[2]["exception"]
    assert not {"args", "msg", "exc_info", "levelno"} & set(first)


def test_text_appends_extras_as_key_value(capsys: pytest.CaptureFixture[str]) -> None:
    lines = emit(capsys, "text")
    assert lines[0].endswith("INFO    bot.test: joined guild guild_id=123456789012345678")
    assert not any("not shown" in line for line in lines)
    assert any(line.endswith("lines guild_id=7 kind=welcome") for line in lines)
    assert any("RuntimeError: boom" in line for line in lines)


def test_debug_level_shows_debug_but_keeps_discord_quiet(
    capsys: pytest.CaptureFixture[str],
) -> None:
    lines = emit(capsys, "text", level="DEBUG")
    assert any("not shown at INFO" in line for line in lines)
    assert logging.getLogger("discord").level == logging.INFO
    assert logging.getLogger("sqlalchemy").level == logging.WARNING
    assert not logging.getLogger("apscheduler.executors.default").isEnabledFor(logging.INFO)
