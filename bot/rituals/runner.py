"""Posting one ritual occurrence: the scheduler's `JobKind` for keys `ritual:<id>`.

The Discord side sits behind `RitualPoster` (implemented in `bot/rituals/discord_io.py`),
so the rules here (budget, question rotation, 403 handling, rendering) are tested without
Discord.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.db.models import Ritual
from bot.guilds import GuildSettingsService
from bot.i18n import t
from bot.rituals.questions import QuestionList
from bot.rituals.render import date_text
from bot.rituals.schedule import job_key
from bot.rituals.service import RitualService
from bot.scheduling import JobSpec, NotPostedAgain, Outcome, RunContext
from bot.solicitation import SolicitationBudget, postpone_to
from bot.templates import DISCORD_MESSAGE_LIMIT, render

log = logging.getLogger(__name__)


class PostRefused(Exception):
    """The ritual's channel cannot take the post: Discord answered 403 (`forbidden`), or
    the channel is gone (`channel_gone`), or the text filled in is over Discord's limit
    (`too_long`). Never retried."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Posted:
    message_id: int
    thread_id: int | None


@dataclass(frozen=True)
class RitualPost:
    """Everything needed to post one occurrence."""

    guild_id: int
    channel_id: int
    ritual_id: int
    content: str
    thread_name: str
    ping_role_id: int | None
    auto_archive_minutes: int
    lang: str
    occurrence: RunContext  # what makes the post happen once (bot.scheduling.posting)


class RitualPoster(Protocol):
    async def post(self, post: RitualPost, on_message: Callable[[int], Awaitable[None]]) -> Posted:
        """Send the post once per occurrence (`post.occurrence`: an earlier attempt's post
        is adopted), call `on_message(message_id)` as soon as Discord accepted it, open the
        answers thread (or adopt it). Raise `PostRefused` when the channel refuses it,
        `NotPostedAgain` when it must not post."""
        ...

    async def notify_admins(self, guild_id: int, text: str) -> None: ...

    def guild_name(self, guild_id: int) -> str: ...


class RitualRunner:
    def __init__(
        self,
        service: RitualService,
        questions: QuestionList,
        budget: SolicitationBudget,
        guild_settings: GuildSettingsService,
        poster: RitualPoster,
    ) -> None:
        self._service = service
        self._questions = questions
        self._budget = budget
        self._settings = guild_settings
        self._poster = poster

    async def jobs(self) -> list[JobSpec]:
        return [
            JobSpec(job_key(r.id), r.guild_id, await self._service.recurrence(r), r.since)
            for r in await self._service.active()
        ]

    async def spec(self, ritual: Ritual) -> JobSpec:
        return JobSpec(
            job_key(ritual.id),
            ritual.guild_id,
            await self._service.recurrence(ritual),
            ritual.since,
        )

    async def run(self, ctx: RunContext) -> Outcome:
        ritual_id = int(ctx.key.split(":", 1)[1])
        ritual = await self._service.by_id(ctx.guild_id, ritual_id)
        if ritual is None or ritual.paused:
            return Outcome.skipped("paused")
        # `/ritual now` runs an occurrence before its time: an admin's explicit request is
        # not held back by the budget (it is still counted).
        early = ctx.now < ctx.scheduled_for
        if not early and not await self._budget.allows(ctx.guild_id, ritual.channel_id, ctx.now):
            if ctx.postponed:
                return Outcome.skipped("over_budget")
            zone = await self._service.zone_of(ritual)
            return Outcome.postponed(postpone_to(ctx.scheduled_for, zone), "over_budget")
        lang = await self._settings.language(ctx.guild_id)
        question = None
        if "{question}" in ritual.template:
            question = await self._questions.next(ctx.guild_id, ritual.id)
            if question is None:
                await self._poster.notify_admins(
                    ctx.guild_id, t("rituals.notice.no_question", lang, name=ritual.name)
                )
                return Outcome.skipped("no_question")
        content = await self.render(
            ritual, ctx.scheduled_for, lang, question.text if question else ""
        )
        post = RitualPost(
            guild_id=ctx.guild_id,
            channel_id=ritual.channel_id,
            ritual_id=ritual.id,
            content=content,
            thread_name=await self.thread_name(ritual, ctx.scheduled_for, lang),
            ping_role_id=ritual.ping_role_id,
            auto_archive_minutes=ritual.auto_archive_minutes,
            lang=lang,
            occurrence=ctx,
        )

        async def on_message(message_id: int) -> None:
            await ctx.record_post(ritual.channel_id, message_id)
            await self._budget.record(
                ctx.guild_id, ritual.channel_id, ctx.now, "ritual", message_id
            )

        try:
            if len(content) > DISCORD_MESSAGE_LIMIT:  # an old text, saved before the check
                raise PostRefused("too_long")
            posted = await self._poster.post(post, on_message)
        except NotPostedAgain as not_again:
            # Perhaps posted by an attempt before a crash: never a second post.
            return Outcome.failed(not_again.reason)
        except PostRefused as refused:
            # No retry: the ritual is paused and the admins are told, once.
            await self._service.set_paused(ctx.guild_id, ritual.name, True)
            await self._poster.notify_admins(
                ctx.guild_id,
                t(
                    f"rituals.notice.{refused.reason}",
                    lang,
                    name=ritual.name,
                    channel=f"<#{ritual.channel_id}>",
                ),
            )
            return Outcome.failed(refused.reason)
        if question is not None:
            await self._questions.mark_asked(ctx.guild_id, ritual.id, question.id)
        if posted.thread_id is None:
            # The post stands, but its answers cannot be told apart: say so, this time.
            await self._poster.notify_admins(
                ctx.guild_id,
                t(
                    "rituals.notice.no_thread",
                    lang,
                    name=ritual.name,
                    channel=f"<#{ritual.channel_id}>",
                ),
            )
        return Outcome.posted(ritual.channel_id, posted.message_id, posted.thread_id)

    async def render(self, ritual: Ritual, when: datetime, lang: str, question: str) -> str:
        zone = await self._service.zone_of(ritual)
        text = render(
            ritual.template,
            {
                "date": date_text(when.astimezone(zone), lang),
                "question": question,
                "server": self._poster.guild_name(ritual.guild_id),
            },
        )
        if ritual.ping_role_id:
            text = f"<@&{ritual.ping_role_id}> {text}"
        return text

    async def thread_name(self, ritual: Ritual, when: datetime, lang: str) -> str:
        zone = await self._service.zone_of(ritual)
        return f"{ritual.name} · {date_text(when.astimezone(zone), lang)}"[:100]
