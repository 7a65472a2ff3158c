"""The `foyer` command as an operator runs it: a real process, exit codes, what it prints."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from bot.config import Settings
from bot.db.migrate import alembic_config

BIN = Path(sys.executable).parent
FOYER = BIN / "foyer"


def run(
    args: list[str], cwd: Path, *, command: list[str] | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run with no Foyer setting inherited, in a folder without a `.env`."""
    clean = {k: v for k, v in os.environ.items() if k.lower() not in Settings.model_fields}
    return subprocess.run(
        [*(command or [str(FOYER)]), *args],
        cwd=cwd,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_help_lists_the_commands(tmp_path: Path) -> None:
    result = run(["--help"], tmp_path)
    assert result.returncode == 0
    for name in ("run", "migrate", "status", "report", "demo", "sandbox"):  # make demo needs demo
        assert f"    {name} " in result.stdout, result.stdout
    assert "DISCORD_TOKEN" in result.stdout


@pytest.mark.parametrize("module", ["bot", "bot.cli"])
def test_python_dash_m_is_the_same_command(tmp_path: Path, module: str) -> None:
    result = run(["--help"], tmp_path, command=[sys.executable, "-m", module])
    assert result.returncode == 0, result.stderr
    assert "migrate" in result.stdout and "usage: foyer" in result.stdout


def test_run_without_a_token_names_discord_token(tmp_path: Path) -> None:
    result = run(["run"], tmp_path, DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/f.db")
    assert result.returncode != 0
    assert "DISCORD_TOKEN" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "f.db").exists(), "nothing should start without a token"


def test_bad_setting_is_reported_by_name(tmp_path: Path) -> None:
    result = run(["migrate"], tmp_path, DATABASE_URL="mysql://u@h/db")
    assert result.returncode == 2
    assert "DATABASE_URL" in result.stderr and "Traceback" not in result.stderr


def test_migrate_prints_the_head_revision(tmp_path: Path) -> None:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    url = f"sqlite+aiosqlite:///{tmp_path}/sub/foyer.db"
    for _ in range(2):  # the second run finds nothing to do, and says the same
        result = run(["migrate"], tmp_path, DATABASE_URL=url)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == f"database at revision {head}"
    assert (tmp_path / "sub" / "foyer.db").exists()


def test_migrate_uses_the_default_data_folder(tmp_path: Path) -> None:
    result = run(["migrate"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "data" / "foyer.db").exists()


@pytest.mark.parametrize(("age", "code"), [(None, 1), (5, 0), (1_000, 1)])
def test_status_reads_the_heartbeat(tmp_path: Path, age: int | None, code: int) -> None:
    heartbeat = tmp_path / "heartbeat"
    if age is not None:
        heartbeat.write_text(str(time.time() - age))
    result = run(["status"], tmp_path, HEARTBEAT_FILE=str(heartbeat), HEARTBEAT_MAX_AGE="180")
    assert result.returncode == code, result.stdout
    expected = {None: "no heartbeat", 5: "ok: heartbeat", 1_000: "gateway lost"}[age]
    assert expected in result.stdout


def test_status_with_a_garbled_heartbeat(tmp_path: Path) -> None:
    heartbeat = tmp_path / "heartbeat"
    heartbeat.write_text("not a time")
    assert run(["status"], tmp_path, HEARTBEAT_FILE=str(heartbeat)).returncode == 1


def test_unknown_command_fails(tmp_path: Path) -> None:
    result = run(["frobnicate"], tmp_path)
    assert result.returncode == 2 and "invalid choice" in result.stderr
