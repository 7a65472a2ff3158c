"""Settings read from the environment and `.env`, validated once at start.

One class per section would be overkill for a dozen settings; the names below are the
environment variables documented in `.env.example`.
"""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url

DISCORD_API_BASE = "https://discord.com/api/v10"
DISCORD_GATEWAY_URL = "wss://gateway.discord.gg/"
DISCORD_OAUTH_AUTHORIZE_URL = "https://discord.com/oauth2/authorize"


class ConfigError(Exception):
    """Raised with a message meant for the operator, naming the setting to fix."""


class Settings(BaseSettings):
    """Every setting Foyer reads. Defaults suit a single-process SQLite deployment."""

    # env_ignore_empty: `DEV_GUILD_ID=` left blank in .env means "not set", not "invalid".
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        env_ignore_empty=True,
    )

    discord_token: SecretStr | None = None
    database_url: str = "sqlite+aiosqlite:///data/foyer.db"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    shard_count: int | None = Field(default=None, ge=1)
    # NoDecode: the validator below sees the raw text, so `SHARD_IDS=1` is not JSON-decoded
    # into the integer 1 and refused as "not a list".
    shard_ids: Annotated[list[int] | None, NoDecode] = None
    dev_guild_id: int | None = None
    discord_api_base: str = DISCORD_API_BASE
    discord_gateway_url: str = DISCORD_GATEWAY_URL
    heartbeat_file: Path = Path("data/heartbeat")
    heartbeat_max_age: int = Field(default=180, ge=10)
    # None: beside the SQLite database, else beside the heartbeat file (see journal_path).
    journal_file: Path | None = None
    journal_fsync: bool = False
    # The web dashboard (`foyer web`, bot/web): where it listens, the address people use
    # (the OAuth2 redirect URI is WEB_BASE_URL + /auth/callback), the cookie's signing key
    # and the Discord application's OAuth2 client.
    web_host: str = "127.0.0.1"
    web_port: int = Field(default=8080, ge=1, le=65535)
    web_base_url: str = "http://127.0.0.1:8080"
    web_session_secret: SecretStr | None = None
    web_session_hours: int = Field(default=12, ge=1, le=24 * 30)
    discord_client_id: int | None = None
    discord_client_secret: SecretStr | None = None
    discord_oauth_authorize_url: str = DISCORD_OAUTH_AUTHORIZE_URL

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("shard_ids", mode="before")
    @classmethod
    def _parse_shard_ids(cls, value: object) -> object:
        """Accept `0,1,2` as well as JSON `[0, 1, 2]`, since operators write both."""
        if not isinstance(value, str):
            return value
        text = value.strip()
        if text.startswith("["):
            return json.loads(text)
        try:
            return [int(part) for part in text.split(",") if part.strip()]
        except ValueError:
            raise ValueError(f"{value!r} is not a list of shard numbers such as 0,1") from None

    @field_validator("database_url")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        drivername = make_url(value).drivername
        if drivername not in {"sqlite+aiosqlite", "postgresql+asyncpg"}:
            raise ValueError(
                f"unsupported driver {drivername!r}: use sqlite+aiosqlite:///path/to/foyer.db "
                "or postgresql+asyncpg://user@host/db"
            )
        return value

    @field_validator("discord_api_base", "discord_gateway_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/") if value.endswith("/v10/") else value

    @model_validator(mode="after")
    def _shards_consistent(self) -> Settings:
        if self.shard_ids is not None:
            if self.shard_count is None:
                raise ValueError("SHARD_IDS needs SHARD_COUNT (the total number of shards)")
            bad = [i for i in self.shard_ids if not 0 <= i < self.shard_count]
            if bad:
                raise ValueError(f"SHARD_IDS {bad} are outside 0..{self.shard_count - 1}")
        return self

    @cached_property
    def sqlite_path(self) -> Path | None:
        """The database file when the URL is SQLite on disk, else None."""
        url = make_url(self.database_url)
        if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
            return None
        return Path(url.database)

    @cached_property
    def journal_path(self) -> Path:
        """The recorder's journal: JOURNAL_FILE, else `foyer.journal` beside the SQLite
        database file (`data/foyer.db` gives `data/foyer.journal`), else beside the
        heartbeat file (the data folder). A process that runs some shards only gets its
        own, named after them (`foyer-shards-0-1.journal`): two processes never share one."""
        if self.journal_file is not None:
            path = self.journal_file
        elif self.sqlite_path is not None:
            path = self.sqlite_path.with_suffix(".journal")
        else:
            path = self.heartbeat_file.with_name("foyer.journal")
        if self.shard_ids is not None:
            shards = "-".join(str(i) for i in sorted(self.shard_ids))
            path = path.with_name(f"{path.stem}-shards-{shards}{path.suffix}")
        return path

    def token(self) -> str:
        """Return the bot token, or explain how to get one."""
        if self.discord_token is None or not self.discord_token.get_secret_value().strip():
            raise ConfigError(
                "DISCORD_TOKEN is not set. Create an application at "
                "https://discord.com/developers/applications, copy its bot token, and put "
                "DISCORD_TOKEN=... in the environment or in .env (see README.md)."
            )
        return self.discord_token.get_secret_value()

    def web_secrets(self) -> tuple[int, str, bytes]:
        """The OAuth2 client id and secret and the session key the dashboard needs, or
        which setting is missing."""
        values = {
            "DISCORD_CLIENT_ID": str(self.discord_client_id or ""),
            "DISCORD_CLIENT_SECRET": _secret(self.discord_client_secret),
            "WEB_SESSION_SECRET": _secret(self.web_session_secret),
        }
        missing = [name for name, value in values.items() if not value.strip()]
        if missing:
            raise ConfigError(
                f"{', '.join(missing)} not set: `foyer web` needs the Discord application's "
                "OAuth2 client (Developer Portal > OAuth2) and a random session secret of 32 "
                "characters or more (README.md, The dashboard)."
            )
        secret = values["WEB_SESSION_SECRET"]
        if len(secret) < 32:
            raise ConfigError("WEB_SESSION_SECRET is too short: use 32 random characters or more")
        return int(values["DISCORD_CLIENT_ID"]), values["DISCORD_CLIENT_SECRET"], secret.encode()


def _secret(value: SecretStr | None) -> str:
    return value.get_secret_value() if value is not None else ""


def load_settings(**overrides: object) -> Settings:
    """Build the settings, turning pydantic's report into one readable message per field."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            field = ".".join(str(part) for part in error["loc"]) or "settings"
            lines.append(f"  {field.upper()}: {error['msg']}")
        raise ConfigError("Invalid configuration:\n" + "\n".join(lines)) from None
