"""Guild settings: read them (cached, they are on every hot path) and change them safely."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.clock import Clock
from bot.db import Database
from bot.db.models import GuildSettings, GuildStaffRole
from bot.errors import FoyerError
from bot.i18n import Lang, language_for_locale, parse_language, parse_register, voiced


def validate_timezone(name: str) -> ZoneInfo:
    """An IANA zone such as `Europe/Paris`; anything else is refused with an example."""
    name = name.strip()
    if not name or name not in available_timezones():
        raise FoyerError("setup.bad_timezone", value=name[:64])
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise FoyerError("setup.bad_timezone", value=name[:64]) from None


# Offered before the admin types anything: where Foyer's French and English users live.
COMMON_ZONES: dict[str, tuple[str, ...]] = {
    "fr": (
        "Europe/Paris",
        "Europe/Brussels",
        "Europe/Zurich",
        "Europe/Luxembourg",
        "Europe/Monaco",
        "America/Montreal",
        "America/Toronto",
        "Africa/Casablanca",
        "Africa/Abidjan",
        "Africa/Dakar",
        "Indian/Reunion",
        "Indian/Mayotte",
        "America/Martinique",
        "America/Guadeloupe",
        "America/Cayenne",
        "Pacific/Tahiti",
        "Pacific/Noumea",
        "UTC",
    ),
    "en": (
        "UTC",
        "Europe/London",
        "Europe/Dublin",
        "America/New_York",
        "America/Chicago",
        "America/Denver",
        "America/Los_Angeles",
        "America/Toronto",
        "America/Sao_Paulo",
        "Europe/Paris",
        "Europe/Berlin",
        "Asia/Kolkata",
        "Asia/Singapore",
        "Asia/Tokyo",
        "Australia/Sydney",
    ),
}


def _fold(text: str) -> str:
    """Lowercase, accents and spaces as in zone names: "Montréal" finds America/Montreal."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace(" ", "_")


def suggest_timezones(current: str, lang: str, limit: int = 25) -> list[str]:
    """Zones for the `/setup` autocomplete: common ones first when nothing is typed, else
    the zones containing the text, those whose city starts with it first."""
    needle = _fold(current)
    if not needle:
        return list(COMMON_ZONES.get(lang, COMMON_ZONES["en"]))[:limit]
    matches = [zone for zone in sorted(available_timezones()) if needle in _fold(zone)]
    matches.sort(key=lambda zone: not _fold(zone.rsplit("/", 1)[-1]).startswith(needle))
    return matches[:limit]


def guild_language(row: GuildSettings) -> Lang:
    """The language every text Foyer writes for the guild is written in (the admins'
    choice, else the guild's locale), carrying its voice (`bot.i18n.Voice`): register,
    inclusive writing, replaced member texts. Readers without the bot (`foyer report`,
    the health report) take it from the row they read."""
    lang = parse_language(row.language or "") or language_for_locale(row.preferred_locale)
    texts = {text.key: text.text for text in row.texts}
    return voiced(lang, row.french_register, row.inclusive_writing, texts)


class GuildSettingsService:
    """Owns `guild_settings`. Values are cached per guild; every write refreshes the cache."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        self._cache: dict[int, GuildSettings] = {}

    async def ensure(self, guild_id: int, preferred_locale: str | None = None) -> GuildSettings:
        """The guild's row, created on first sight; a returning guild is un-scheduled for
        deletion."""
        try:
            row = await self._ensure(guild_id, preferred_locale)
        except IntegrityError:
            # Another task or process created the row between our read and our insert
            # (on_ready and a cog's on_shard_ready do so at start): use theirs.
            row = await self._ensure(guild_id, preferred_locale)
        self._cache[guild_id] = row
        return row

    async def _ensure(self, guild_id: int, preferred_locale: str | None) -> GuildSettings:
        async with self._db.session() as session:
            row = await session.get(GuildSettings, guild_id)
            if row is None:
                row = GuildSettings(
                    guild_id=guild_id,
                    preferred_locale=preferred_locale,
                    joined_at=self._clock.now(),
                    timezone="Europe/Paris"
                    if language_for_locale(preferred_locale) == "fr"
                    else "UTC",
                    # Set, so the cached row never lazy-loads it after the session closed.
                    staff_roles=[],
                    texts=[],
                )
                session.add(row)
            else:
                row.left_at = None
                if preferred_locale:
                    row.preferred_locale = preferred_locale
        return row

    async def get(self, guild_id: int) -> GuildSettings:
        cached = self._cache.get(guild_id)
        if cached is not None:
            return cached
        async with self._db.session() as session:
            row = await session.get(GuildSettings, guild_id)
        if row is None:
            return await self.ensure(guild_id)
        self._cache[guild_id] = row
        return row

    async def language(self, guild_id: int | None) -> Lang:
        """`guild_language` of the guild (English outside a guild)."""
        if guild_id is None:
            return "en"
        return guild_language(await self.get(guild_id))

    async def update(
        self,
        guild_id: int,
        *,
        language: str | None = None,
        timezone: str | None = None,
        admin_channel_id: int | None = None,
        staff_role_ids: Iterable[int] | None = None,
        retention_days: int | None = None,
        posts_per_channel_per_day: int | None = None,
        french_register: str | None = None,
        inclusive_writing: bool | None = None,
    ) -> GuildSettings:
        """Validate every value first, then write them in one transaction."""
        lang = None
        if language is not None:
            lang = parse_language(language)
            if lang is None:
                raise FoyerError("setup.bad_language", value=language[:16])
        if french_register is not None and parse_register(french_register) is None:
            raise FoyerError("voice.bad_register", value=french_register[:16])
        if timezone is not None:
            timezone = validate_timezone(timezone).key
        if retention_days is not None and not 30 <= retention_days <= 3650:
            raise FoyerError("setup.bad_retention", value=retention_days)
        if posts_per_channel_per_day is not None and not 1 <= posts_per_channel_per_day <= 24:
            raise FoyerError("setup.bad_budget", value=posts_per_channel_per_day)
        await self.get(guild_id)
        async with self._db.session() as session:
            row = await session.get(GuildSettings, guild_id)
            assert row is not None
            if lang is not None:
                row.language = lang
            if timezone is not None:
                row.timezone = timezone
            if admin_channel_id is not None:
                row.admin_channel_id = admin_channel_id
            if retention_days is not None:
                row.retention_days = retention_days
            if posts_per_channel_per_day is not None:
                row.posts_per_channel_per_day = posts_per_channel_per_day
            if french_register is not None:
                row.french_register = parse_register(french_register) or "vous"
            if inclusive_writing is not None:
                row.inclusive_writing = inclusive_writing
            if staff_role_ids is not None:
                row.staff_roles = [
                    GuildStaffRole(guild_id=guild_id, role_id=r)
                    for r in dict.fromkeys(staff_role_ids)
                ]
        self._cache.pop(guild_id, None)
        return await self.get(guild_id)

    async def mark_left(self, guild_id: int, when: datetime) -> None:
        """Record that the bot was removed; the privacy purge deletes the data later."""
        async with self._db.session() as session:
            row = await session.get(GuildSettings, guild_id)
            if row is not None:
                row.left_at = when
        self._cache.pop(guild_id, None)

    async def all_guild_ids(self) -> list[int]:
        async with self._db.session() as session:
            return list((await session.scalars(select(GuildSettings.guild_id))).all())

    def forget_cache(self, guild_id: int) -> None:
        self._cache.pop(guild_id, None)
