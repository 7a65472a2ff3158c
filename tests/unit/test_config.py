"""Settings: defaults, validation messages that name the variable to fix, environment parsing."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import DISCORD_API_BASE, DISCORD_GATEWAY_URL, ConfigError, Settings, load_settings
from bot.db import create_engine

ENV_NAMES = [name.upper() for name in Settings.model_fields]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No setting leaks in from the developer's environment or a `.env` in the cwd."""
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def settings(**env: str) -> Settings:
    return load_settings(_env_file=None, **env)


def test_defaults_suit_a_single_sqlite_process() -> None:
    s = settings()
    assert s.database_url == "sqlite+aiosqlite:///data/foyer.db"
    assert s.sqlite_path == Path("data/foyer.db")
    assert s.log_level == "INFO"
    assert s.log_format == "text"
    assert s.shard_count is None and s.shard_ids is None
    assert s.dev_guild_id is None
    assert s.discord_api_base == DISCORD_API_BASE == "https://discord.com/api/v10"
    assert s.discord_gateway_url == DISCORD_GATEWAY_URL
    assert s.discord_token is None


def test_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://foyer@db/foyer")
    monkeypatch.setenv("DEV_GUILD_ID", "123456789012345678")
    monkeypatch.setenv("LOG_FORMAT", "json")
    s = settings()
    assert s.database_url == "postgresql+asyncpg://foyer@db/foyer"
    assert s.sqlite_path is None
    assert s.dev_guild_id == 123456789012345678
    assert s.log_format == "json"


def test_reads_a_dotenv_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("LOG_LEVEL=debug\nDEV_GUILD_ID=\n", encoding="utf-8")
    s = load_settings()
    assert s.log_level == "DEBUG"
    assert s.dev_guild_id is None  # a blank value means "not set", not "invalid"


@pytest.mark.parametrize(
    "url",
    ["sqlite:///data/foyer.db", "postgresql://u@h/db", "mysql+aiomysql://u@h/db"],
)
def test_refuses_a_driver_that_is_not_async(url: str) -> None:
    with pytest.raises(ConfigError) as info:
        settings(database_url=url)
    message = str(info.value)
    assert "DATABASE_URL" in message
    assert "sqlite+aiosqlite" in message and "postgresql+asyncpg" in message


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("0,1", [0, 1]), ("0, 1", [0, 1]), ("[0, 1]", [0, 1]), ("1", [1]), ("[3]", [3])],
)
def test_shard_ids_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, raw: str, expected: list[int]
) -> None:
    monkeypatch.setenv("SHARD_IDS", raw)
    monkeypatch.setenv("SHARD_COUNT", "4")
    assert settings().shard_ids == expected


def test_shard_ids_need_shard_count(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHARD_IDS", "0,1")
    with pytest.raises(ConfigError, match="SHARD_IDS needs SHARD_COUNT"):
        settings()


def test_shard_ids_must_be_below_shard_count(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHARD_IDS", "1,2")
    monkeypatch.setenv("SHARD_COUNT", "2")
    with pytest.raises(ConfigError, match=r"SHARD_IDS \[2\] are outside 0\.\.1"):
        settings()


def test_shard_ids_that_are_not_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHARD_IDS", "a,b")
    monkeypatch.setenv("SHARD_COUNT", "2")
    with pytest.raises(ConfigError, match=r"SHARD_IDS: .*not a list of shard numbers"):
        settings()


def test_shard_count_must_be_positive() -> None:
    with pytest.raises(ConfigError, match="SHARD_COUNT"):
        settings(shard_count="0")


@pytest.mark.parametrize("raw", ["debug", "Debug", "DEBUG"])
def test_log_level_is_case_insensitive(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("LOG_LEVEL", raw)
    assert settings().log_level == "DEBUG"


def test_unknown_log_level_is_refused() -> None:
    with pytest.raises(ConfigError, match="LOG_LEVEL"):
        settings(log_level="verbose")


def test_discord_endpoints_can_point_at_another_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_API_BASE", "http://127.0.0.1:8123/api/v10/")
    monkeypatch.setenv("DISCORD_GATEWAY_URL", "ws://127.0.0.1:8123/gateway")
    s = settings()
    assert s.discord_api_base == "http://127.0.0.1:8123/api/v10"
    assert s.discord_gateway_url == "ws://127.0.0.1:8123/gateway"


def test_api_override_reaches_discord_py() -> None:
    """`FoyerBot` points discord.py's routes and gateway at the configured server."""
    import discord

    from bot.app import point_client_at

    base, gateway = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    try:
        point_client_at("http://127.0.0.1:9/api/v10/", "ws://127.0.0.1:9/")
        assert discord.http.Route("GET", "/users/@me").url == "http://127.0.0.1:9/api/v10/users/@me"
        assert str(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY) == "ws://127.0.0.1:9/"
    finally:
        discord.http.Route.BASE = base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = gateway


@pytest.mark.parametrize(
    ("configured", "expected"),
    [
        ("ws://127.0.0.1:9/gateway", "ws://127.0.0.1:9/gateway"),
        (DISCORD_GATEWAY_URL, "wss://gateway-us-east1-b.discord.gg"),
    ],
)
async def test_configured_gateway_wins_over_the_one_discord_names(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, configured: str, expected: str
) -> None:
    """Without SHARD_COUNT, discord.py connects where `GET /gateway/bot` says."""
    import discord

    from bot.app import FoyerBot

    async def answer(self: object) -> tuple[int, str, dict[str, int]]:
        return 2, "wss://gateway-us-east1-b.discord.gg", {"remaining": 1000}

    monkeypatch.setattr(discord.http.HTTPClient, "get_bot_gateway", answer)
    monkeypatch.setattr(discord.http.Route, "BASE", discord.http.Route.BASE)
    monkeypatch.setattr(
        discord.gateway.DiscordWebSocket,
        "DEFAULT_GATEWAY",
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY,
    )
    bot = FoyerBot(
        settings(
            discord_gateway_url=configured, database_url=f"sqlite+aiosqlite:///{tmp_path}/f.db"
        )
    )
    try:
        shards, url, _limits = await bot.http.get_bot_gateway()
        assert (shards, url) == (2, expected)
    finally:
        await bot.db.close()


@pytest.mark.parametrize("token", [None, "", "   "])
def test_token_error_names_discord_token(token: str | None) -> None:
    s = settings() if token is None else settings(discord_token=token)
    with pytest.raises(ConfigError, match="DISCORD_TOKEN is not set"):
        s.token()


def test_token_is_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "abc.def.ghi")
    s = settings()
    assert s.token() == "abc.def.ghi"
    assert "abc.def.ghi" not in repr(s) and "abc.def.ghi" not in str(s.model_dump())


async def test_create_engine_makes_the_sqlite_folder(tmp_path: Path) -> None:
    folder = tmp_path / "deep" / "er"
    engine = create_engine(f"sqlite+aiosqlite:///{folder}/foyer.db")
    try:
        assert folder.is_dir()
        async with engine.connect() as conn:
            await conn.exec_driver_sql("SELECT 1")
        assert (folder / "foyer.db").exists()
    finally:
        await engine.dispose()


async def test_sqlite_pragmas_are_applied(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/foyer.db")
    try:
        async with engine.connect() as conn:
            mode = (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar()
            fks = (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar()
            busy = (await conn.exec_driver_sql("PRAGMA busy_timeout")).scalar()
        assert (mode, fks, busy) == ("wal", 1, 5000)
    finally:
        await engine.dispose()


ENV_EXAMPLE = Path(__file__).resolve().parents[2] / ".env.example"


def test_env_example_documents_every_setting() -> None:
    text = ENV_EXAMPLE.read_text(encoding="utf-8")
    missing = [name for name in ENV_NAMES if f"{name}=" not in text]
    assert not missing, f".env.example does not document {missing}"


def test_env_example_as_is_gives_the_defaults(tmp_path: Path) -> None:
    """Copying .env.example to .env must start cleanly, with the documented defaults."""
    (tmp_path / ".env").write_text(ENV_EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    assert load_settings() == settings()


def test_env_example_defaults_are_the_real_ones() -> None:
    """The commented `# NAME=value` lines show the defaults the code has."""
    defaults = settings()
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        if not line.startswith("# ") or "=" not in line or " " in line[2:].split("=")[0]:
            continue
        name, _, value = line[2:].partition("=")
        if name.lower() in Settings.model_fields and value:
            assert str(getattr(defaults, name.lower())) == value, name
