"""The rules of the guild's voice: what may be saved, checked before anything is written."""

from __future__ import annotations

import re
from datetime import timedelta

from bot import templates
from bot.clock import Clock
from bot.db import Database
from bot.errors import FoyerError
from bot.guilds import GuildSettingsService
from bot.i18n import parse_register
from bot.voice import render, store
from bot.voice.texts import MEMBER_TEXTS, MemberText

#: What would ping everyone or a role if allowed mentions ever let it through, and reads
#: as a ping even when they do not: refused in a member-facing text.
_MASS_PING = re.compile(r"@everyone|@here|<@&\d+>")


def member_text(name: str) -> MemberText:
    """The replaceable text called `name`, or a translated refusal listing them."""
    found = MEMBER_TEXTS.get(name.strip())
    if found is None:
        raise FoyerError("voice.unknown_text", value=name[:32], allowed=", ".join(MEMBER_TEXTS))
    return found


def normalize(text: str) -> str:
    """Slash-command options are one line: `\\n` typed by the admin is a line break."""
    return text.replace("\\n", "\n").strip()


def validate(spec: MemberText, text: str) -> str:
    """`text` as it will be stored, or a translated refusal: the welcome texts' rules
    (plain placeholders from the allowed set, no control character), no @everyone, @here or
    role mention, one line for a button, and Discord's limit once filled in."""
    text = normalize(text)
    templates.validate(text, spec.allowed, max_length=spec.limit)
    if _MASS_PING.search(text):
        raise FoyerError("voice.no_mass_ping")
    if spec.limit <= 80 and "\n" in text:
        raise FoyerError("voice.one_line")
    longest = templates.longest_render(text, spec.longest)
    if longest > spec.limit:
        raise FoyerError("voice.too_long_rendered", length=longest, limit=spec.limit)
    return text


class VoiceService:
    """Changes the voice settings and the replaced texts; every write refreshes the guild
    settings' cache, so the next text Foyer writes (`GuildSettingsService.language`) is in
    the new voice."""

    def __init__(self, db: Database, settings: GuildSettingsService, clock: Clock) -> None:
        self._db = db
        self._settings = settings
        self._clock = clock

    async def set_voice(
        self, guild_id: int, *, register: str | None, inclusive: bool | None
    ) -> list[str]:
        """Save the register and inclusive writing (neither: nothing changes); the catalogue
        keys of what to tell the admin."""
        if register is None and inclusive is None:
            return []
        if register is not None and parse_register(register) is None:
            raise FoyerError("voice.bad_register", value=register[:16])
        await self._settings.update(guild_id, french_register=register, inclusive_writing=inclusive)
        return ["voice.saved"]

    async def replace_text(self, guild_id: int, name: str, text: str) -> str:
        """Check and save the admin's text in place of Foyer's; the text as stored."""
        spec = member_text(name)
        checked = validate(spec, text)
        await self._settings.get(guild_id)  # the guild's row, which the text references
        async with self._db.session() as session:
            await store.save_text(session, guild_id, spec.key, checked, self._clock.now())
        self._settings.forget_cache(guild_id)
        return checked

    async def reset_text(self, guild_id: int, name: str) -> bool:
        """Foyer's own text again; whether the guild had replaced it."""
        spec = member_text(name)
        async with self._db.session() as session:
            deleted = await store.delete_text(session, guild_id, spec.key)
        self._settings.forget_cache(guild_id)
        return deleted

    async def edit_text(
        self, guild_id: int, name: str, text: str | None, *, reset: bool
    ) -> list[str]:
        """`/setup text`: replace (with `text`), reset, or neither (a preview only); the
        catalogue keys of what to tell the admin, in the guild's voice."""
        member_text(name)
        if text is not None and reset:
            raise FoyerError("voice.text_and_reset")
        if text is not None:
            await self.replace_text(guild_id, name, text)
            return ["voice.text_saved"]
        if reset:
            done = await self.reset_text(guild_id, name)
            return ["voice.text_reset" if done else "voice.text_not_replaced"]
        return []

    async def preview(self, guild_id: int, name: str, lang: str, *, member: str) -> str:
        """What members read now in place of `name`, filled in with sample values: the
        admin's `member` mention, a survey closing in a week."""
        spec = member_text(name)
        row = await self._settings.get(guild_id)
        current = next((text.text for text in row.texts if text.key == spec.key), None)
        closes = int((self._clock.now() + timedelta(days=7)).timestamp())
        values = render.samples(spec, lang, member=member, closes=closes)
        return render.preview(spec, lang, current, values)
