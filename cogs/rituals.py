"""`/ritual ...`: thin adapter over `bot.rituals` (admins, ephemeral); the ping-role button
on ritual posts, and the count of every join or leave of those roles."""

from __future__ import annotations

import asyncio
import io
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import FoyerBot
from bot.checks import admin_only
from bot.db.models import Ritual
from bot.errors import FoyerError
from bot.i18n import cmd, t
from bot.interaction_language import interaction_language
from bot.rituals import chart, discord_io, engagement, options, render
from bot.rituals.job import RitualJobs
from bot.rituals.questions import QuestionList
from bot.rituals.runner import RitualRunner
from bot.rituals.service import RitualChanges, RitualService
from bot.solicitation import SolicitationBudget
from bot.ui import ConfirmationView

REMOVE_CONFIRM_SECONDS = 120


@admin_only()
class RitualsCog(
    commands.GroupCog,
    group_name=cmd("cmd.rituals.name"),
    group_description=cmd("cmd.rituals.description"),
):
    _q = "cmd.rituals.questions"
    questions = app_commands.Group(name=cmd(f"{_q}.name"), description=cmd(f"{_q}.description"))

    def __init__(
        self, bot: FoyerBot, service: RitualService, questions: QuestionList, jobs: RitualJobs,
        runner: RitualRunner,
    ) -> None:  # fmt: skip
        self.bot, self.service, self.question_bank = bot, service, questions
        self.jobs, self.runner = jobs, runner
        super().__init__()

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(RitualRoleButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(RitualRoleButton)
        self.jobs.unregister()

    @commands.Cog.listener()
    async def on_member_update(self, before: discord.Member, after: discord.Member) -> None:
        """Count every join or leave of a ping role: the button's, an admin's, a bot's."""
        await self.service.count_role_changes(
            after.guild.id, {r.id for r in before.roles}, {r.id for r in after.roles}
        )

    async def _answer(self, interaction: discord.Interaction, key: str, ritual: Ritual) -> None:
        """Answer with the ritual's schedule and next run, the scheduler re-aimed first."""
        await self.jobs.rearm()
        zone = (await self.service.zone_of(ritual)).key
        lang = await interaction_language(interaction)
        text = render.summary(key, ritual, zone, await self.jobs.next_run(ritual), lang)
        await self.bot.reply_ephemeral(interaction, text)

    async def _say(self, interaction: discord.Interaction, key: str, **params: Any) -> None:
        lang = await interaction_language(interaction)
        await self.bot.reply_ephemeral(interaction, t(key, lang, **params))

    async def _ritual_names(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        names = await self.service.names(interaction.guild_id, current)
        return [app_commands.Choice(name=n, value=n) for n in names]

    # Commands ---------------------------------------------------------------------------

    @options.command("add")
    @options.described("preset", "channel", "name", "days", "time", "week_of_month", "timezone",
                       "text", "ping_role", "archive")  # fmt: skip
    @app_commands.choices(preset=options.PRESET_CHOICES)
    @app_commands.choices(week_of_month=options.WEEK_CHOICES, archive=options.ARCHIVE_CHOICES)
    async def add(
        self, interaction: discord.Interaction, preset: str, channel: discord.TextChannel,
        name: str | None = None, days: str | None = None, time: str | None = None,
        week_of_month: int | None = None, timezone: str | None = None, text: str | None = None,
        ping_role: discord.Role | None = None, archive: int | None = None,
    ) -> None:  # fmt: skip
        assert interaction.guild_id is not None
        discord_io.check_targets(interaction.guild, channel, ping_role)
        ritual = await self.service.add(
            interaction.guild_id,
            preset,
            RitualChanges(
                name=name, channel_id=channel.id, template=text, days=days, at=time,
                week_of_month=week_of_month, timezone=timezone,
                ping_role_id=ping_role.id if ping_role else None, auto_archive_minutes=archive,
            ),
        )  # fmt: skip
        await self._answer(interaction, "rituals.added", ritual)

    @options.command("edit")
    @options.described("ritual", "channel", "name", "days", "time", "week_of_month", "timezone",
                       "text", "ping_role", "remove_ping_role", "archive")  # fmt: skip
    @app_commands.choices(week_of_month=options.WEEK_CHOICES, archive=options.ARCHIVE_CHOICES)
    async def edit(
        self, interaction: discord.Interaction, ritual: str,
        channel: discord.TextChannel | None = None, name: str | None = None,
        days: str | None = None, time: str | None = None, week_of_month: int | None = None,
        timezone: str | None = None, text: str | None = None,
        ping_role: discord.Role | None = None, remove_ping_role: bool = False,
        archive: int | None = None,
    ) -> None:  # fmt: skip
        assert interaction.guild_id is not None
        discord_io.check_targets(interaction.guild, channel, ping_role)
        row = await self.service.edit(
            interaction.guild_id,
            ritual,
            RitualChanges(
                name=name, channel_id=channel.id if channel else None, template=text, days=days,
                at=time, week_of_month=week_of_month, timezone=timezone,
                ping_role_id=ping_role.id if ping_role else None,
                clear_ping_role=remove_ping_role, auto_archive_minutes=archive,
            ),
        )  # fmt: skip
        await self._answer(interaction, "rituals.saved", row)

    add.autocomplete("timezone")(options.zone_choices)
    edit.autocomplete("timezone")(options.zone_choices)

    @options.command("list")
    async def list_(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        lang = await interaction_language(interaction)
        rituals = await self.service.all(interaction.guild_id)
        if not rituals:
            return await self._say(interaction, "rituals.list.empty")
        settings = await self.bot.guild_settings.get(interaction.guild_id)
        nexts = await self.jobs.next_runs(r for r in rituals if not r.paused)
        last = await self.service.last_runs(interaction.guild_id)
        zoned = [(r, (await self.service.zone_of(r)).key) for r in rituals]
        text = render.ritual_list(zoned, nexts, last, settings.posts_per_channel_per_day, lang)
        await self.bot.reply_ephemeral(interaction, text)

    @options.command("pause")
    @options.described("ritual")
    async def pause(self, interaction: discord.Interaction, ritual: str) -> None:
        assert interaction.guild_id is not None
        row = await self.service.set_paused(interaction.guild_id, ritual, True)
        await self.jobs.rearm()
        await self._say(interaction, "rituals.paused", name=row.name)

    @options.command("resume")
    @options.described("ritual")
    async def resume(self, interaction: discord.Interaction, ritual: str) -> None:
        assert interaction.guild_id is not None
        row = await self.service.set_paused(interaction.guild_id, ritual, False)
        await self._answer(interaction, "rituals.resumed", row)

    @options.command("remove")
    @options.described("ritual")
    async def remove(self, interaction: discord.Interaction, ritual: str) -> None:
        assert interaction.guild_id is not None
        guild_id = interaction.guild_id
        row = await self.service.get(guild_id, ritual)
        lang = await interaction_language(interaction)

        async def remove() -> str:
            try:
                await self.service.remove(guild_id, row.name)
                text = t("rituals.removed", lang, name=row.name)
            except FoyerError as error:  # removed meanwhile, from another confirmation
                text = error.render(lang)
            await self.jobs.rearm()
            return text

        view = ConfirmationView(
            interaction, on_confirm=remove, timeout=REMOVE_CONFIRM_SECONDS,
            confirm_label=t("rituals.button.confirm", lang),
            cancel_label=t("rituals.button.cancel", lang),
            cancelled=t("rituals.remove_cancelled", lang),
        )  # fmt: skip
        await view.ask(t("rituals.remove_confirm", lang, name=row.name))

    @options.command("preview")
    @options.described("ritual")
    async def preview(self, interaction: discord.Interaction, ritual: str) -> None:
        assert interaction.guild_id is not None
        row = await self.service.get(interaction.guild_id, ritual)
        lang = await interaction_language(interaction)
        when = await self.jobs.next_run(row)
        question = await self.question_bank.next(interaction.guild_id, row.id)
        sample = question.text if question else t("rituals.preview.sample_question", lang)
        thread = await self.runner.thread_name(row, when, lang)
        body = await self.runner.render(row, when, lang, sample)
        await self.bot.reply_ephemeral(interaction, render.preview(when, thread, body, lang))

    @options.command("now")
    @options.described("ritual")
    async def now(self, interaction: discord.Interaction, ritual: str) -> None:
        assert interaction.guild_id is not None
        row = await self.service.runnable(interaction.guild_id, ritual)
        lang = await interaction_language(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        result = await self.jobs.run_now(row)
        if result is None:
            await interaction.edit_original_response(content=t("rituals.now.taken", lang))
            return
        await self.jobs.rearm()
        status = t(f"rituals.run.{int(result.status)}", lang)
        done = t("rituals.now.done", lang, when=render.stamp(result.scheduled_for), status=status)
        await interaction.edit_original_response(content=done)

    @options.command("stats")
    @options.described("ritual")
    async def stats(self, interaction: discord.Interaction, ritual: str) -> None:
        assert interaction.guild_id is not None
        row = await self.service.get(interaction.guild_id, ritual)
        lang = await interaction_language(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        series = await engagement.participation(self.bot.db, interaction.guild_id, row.id, limit=11)
        if not series:
            empty = t("rituals.stats.empty", lang, name=row.name)
            await interaction.edit_original_response(content=empty)
            return
        zone = await self.service.zone_of(row)
        # Drawing takes a moment of CPU: off the event loop.
        png = await asyncio.to_thread(chart.stats_chart, row.name, series, zone, lang)
        await interaction.edit_original_response(
            content=render.stats_text(row.name, series, lang),
            attachments=[discord.File(fp=io.BytesIO(png), filename="ritual.png")],
        )

    for _c in (edit, pause, resume, remove, preview, now, stats):
        _c.autocomplete("ritual")(_ritual_names)

    # Questions -------------------------------------------------------------------------

    @options.command("questions.add", questions)
    @options.described("ritual", "question")
    async def question_add(
        self, interaction: discord.Interaction, ritual: str, question: str
    ) -> None:
        assert interaction.guild_id is not None
        number = await self.question_bank.add(interaction.guild_id, ritual, question)
        row = await self.service.get(interaction.guild_id, ritual)
        await self._say(interaction, "rituals.questions.added", number=number, name=row.name)

    @options.command("questions.list", questions)
    @options.described("ritual")
    async def question_list(self, interaction: discord.Interaction, ritual: str) -> None:
        assert interaction.guild_id is not None
        row = await self.service.get(interaction.guild_id, ritual)
        rows = await self.question_bank.all(interaction.guild_id, ritual)
        lang = await interaction_language(interaction)
        await self.bot.reply_ephemeral(interaction, render.question_list(row.name, rows, lang))

    @options.command("questions.remove", questions)
    @options.described("ritual", "number")
    async def question_remove(
        self, interaction: discord.Interaction, ritual: str, number: int
    ) -> None:
        assert interaction.guild_id is not None
        await self.question_bank.remove(interaction.guild_id, ritual, number)
        await self._say(interaction, "rituals.questions.removed", number=number)

    for _c in (question_add, question_list, question_remove):
        _c.autocomplete("ritual")(_ritual_names)
    del _c


class RitualRoleButton(discord_io.RitualRoleButton, template=discord_io.ROLE_BUTTON_TEMPLATE):
    """The ping-role button, reading the ritual's role through the cog's service."""

    async def ping_role_id(self, interaction: discord.Interaction) -> int | None:
        cog = interaction.client.get_cog(RitualsCog.__cog_name__)  # type: ignore[attr-defined]
        assert isinstance(cog, RitualsCog) and interaction.guild_id is not None
        ritual = await cog.service.by_id(interaction.guild_id, self.ritual_id)
        return ritual.ping_role_id if ritual else None


async def setup(bot: FoyerBot) -> None:
    service = RitualService(bot.db, bot.clock, bot.guild_settings)
    questions = QuestionList(bot.db, bot.clock, service)
    poster = discord_io.DiscordRitualPoster(
        bot, bot.guild_settings, bot.clock, bot.recorder, button=RitualRoleButton
    )
    budget = SolicitationBudget(bot.db, bot.guild_settings)
    runner = RitualRunner(service, questions, budget, bot.guild_settings, poster)
    jobs = RitualJobs(bot.scheduler, runner)
    jobs.register()
    await bot.add_cog(RitualsCog(bot, service, questions, jobs, runner))
