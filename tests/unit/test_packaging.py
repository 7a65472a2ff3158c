"""What an installed Foyer carries: the schema's migrations travel inside the package."""

from __future__ import annotations

import tomllib
from fnmatch import fnmatch
from pathlib import Path

from bot.db.migrate import MIGRATIONS_DIR

ROOT = Path(__file__).resolve().parents[2]


def test_the_migrations_live_inside_the_bot_package() -> None:
    assert MIGRATIONS_DIR.is_relative_to(ROOT / "bot")
    assert (MIGRATIONS_DIR / "env.py").is_file()
    assert len(list((MIGRATIONS_DIR / "versions").glob("0*.py"))) >= 9


def test_package_data_takes_every_migration_file() -> None:
    """A wheel or the Docker image holds only what package-data names: each file of the
    migrations folder must match one of its patterns."""
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = data["tool"]["setuptools"]["package-data"]["bot.db"]
    package = ROOT / "bot" / "db"
    files = [
        p.relative_to(package).as_posix()
        for p in MIGRATIONS_DIR.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    ]
    missed = [f for f in files if not any(fnmatch(f, pattern) for pattern in patterns)]
    assert files and not missed, f"add to [tool.setuptools.package-data] bot.db: {missed}"
