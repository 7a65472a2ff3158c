"""No Docker engine runs here, so the Dockerfile is checked by reading it: pinned base, non-root
user, /data volume, a HEALTHCHECK on the heartbeat, and the Makefile's install command. The
README's invite URL is checked the same way."""

from __future__ import annotations

import inspect
import re
import shlex
import tomllib
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import discord

from bot.app import FoyerBot
from bot.config import Settings

ROOT = Path(__file__).resolve().parents[2]


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n\s*", " ", "\n".join(lines))
    result = []
    for line in joined.splitlines():
        if line.strip():
            word, _, rest = line.strip().partition(" ")
            result.append((word.upper(), rest.strip()))
    return result


def args_of(name: str) -> list[str]:
    return [rest for word, rest in instructions() if word == name]


def makefile_install() -> str:
    match = re.search(r"^INSTALL\s*:=\s*(.+)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert match, "the Makefile has no `INSTALL :=` line"
    return match.group(1).strip()


def test_base_image_is_a_pinned_slim_python() -> None:
    (image,) = args_of("FROM")
    pinned = re.fullmatch(r"python:3\.(\d+)(\.\d+)?-slim(-\w+)?(@sha256:[0-9a-f]{64})?", image)
    assert pinned, f"{image}: use python:3.X.Y-slim-<debian> or a @sha256 digest"
    assert pinned.group(2) or pinned.group(4), f"{image} floats: pin the patch version or digest"
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert int(pinned.group(1)) >= int(requires.split(".")[1])


def test_runs_as_a_non_root_user() -> None:
    words = [word for word, _ in instructions()]
    users = args_of("USER")
    assert users and users[-1] not in {"root", "0", "0:0"}
    assert words.index("USER") > max(i for i, w in enumerate(words) if w == "RUN"), (
        "switch to the unprivileged user after the last RUN"
    )


def test_sqlite_lives_on_the_data_volume() -> None:
    assert any("/data" in shlex.split(v.strip("[]").replace(",", " ")) for v in args_of("VOLUME"))
    env = " ".join(args_of("ENV"))
    url = re.search(r"DATABASE_URL=(\S+)", env)
    assert url, "set DATABASE_URL in the image"
    settings = Settings(_env_file=None, database_url=url.group(1))  # type: ignore[call-arg]
    assert settings.sqlite_path == Path("/data/foyer.db")
    assert "HEARTBEAT_FILE=/data/" in env


def test_install_command_is_the_makefiles() -> None:
    install = makefile_install()
    assert install == "pip install --no-cache-dir -c constraints.txt -e"
    runs = [r for r in args_of("RUN") if "pip install" in r]
    assert runs == [f"{install} ."], f"expected RUN {install} . (the Makefile without [dev])"


def test_copies_what_the_install_needs() -> None:
    copied = set()
    for arg in args_of("COPY"):
        copied.update(arg.split()[:-1])
    needed = {"pyproject.toml", "constraints.txt", "README.md", "bot", "cogs"}
    assert needed <= copied, f"missing COPY of {sorted(needed - copied)}"
    ignored = {
        line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines() if line.strip()
    }
    assert not needed & ignored, ".dockerignore drops files the image needs"
    assert {".env", ".venv", "data"} <= ignored, "never ship secrets, the venv or local data"


def test_healthcheck_asks_foyer_status() -> None:
    (check,) = args_of("HEALTHCHECK")
    assert re.search(r'CMD \["foyer", "status"\]|CMD foyer status', check), check


def test_starts_with_foyer_run_after_migrating() -> None:
    (command,) = args_of("CMD")
    if "migrate" in command:
        assert re.search(r"foyer migrate && (exec )?foyer run", command), command
    else:
        assert command in ('["foyer", "run"]', "foyer run"), command
        # The bot upgrades the schema itself before it connects (see docs/operations.md).
        assert "await upgrade(self.db.engine)" in inspect.getsource(FoyerBot.setup_hook)


def test_readme_invite_url_grants_what_the_bot_needs() -> None:
    """The permissions integer in the README is the table's list, and nothing broader."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"https://discord\.com/oauth2/authorize\?\S+", readme)
    assert match, "README.md has no invite URL"
    query = parse_qs(urlsplit(match.group(0)).query)
    assert query["scope"] == ["bot applications.commands"]
    granted = discord.Permissions(int(query["permissions"][0]))
    assert granted == discord.Permissions(
        view_channel=True,
        read_message_history=True,
        send_messages=True,
        send_messages_in_threads=True,
        embed_links=True,
        attach_files=True,
        create_public_threads=True,
        create_private_threads=True,
        manage_threads=True,
        manage_roles=True,
        view_audit_log=True,  # the tensions signal's moderation counts
    )
    assert not (granted.administrator or granted.mention_everyone or granted.manage_guild)
    assert "Server Members Intent" in readme and "Message Content Intent" in readme
