"""`/ritual ...`: thin adapter over `bot.rituals` (admins, ephemeral), and the ping-role
button members click on ritual posts."""

from __future__ import annotations

import asyncio
import io
import re
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import FoyerBot
from bot.checks import admin_only
from bot.errors import FoyerError
from bot.i18n import cmd, t
from bot.interaction_language import interaction_language
from bot.rituals import discord_io, options, render
from bot.rituals.chart import stats_chart
from bot.rituals.discord_io import ROLE_BUTTON_TEMPLATE, DiscordRitualPoster
from bot.rituals.engagement import participation
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
    questions = app_commands.Group(
        name=cmd("cmd.rituals.questions.name"),
        description=cmd("cmd.rituals.questions.description"),
    )

    def __init__(
        self, bot: FoyerBot, service: RitualService, questions: QuestionList, jobs: RitualJobs,
        runner: RitualRunner,
    ) -> None:  # fmt: skip
        self.bot, self.service, self.question_bank = bot, service, questions
        self.jobs, self.runner = jobs, runner
        super().__init__()

    async def cog_unload(self) -> None:
        self.jobs.unregister()

    async def _answer(self, interaction: discord.Interaction, key: str, name: str) -> None:
        """Answer with the ritual's schedule and next run, the scheduler re-aimed first."""
        assert interaction.guild_id is not None
        ritual = await self.service.get(interaction.guild_id, name)
        await self.jobs.rearm()
        zone = (await self.service.zone_of(ritual)).key
        lang = await interaction_language(interaction)
        text = render.summary(key, ritual, zone, await self.jobs.next_run(ritual), lang)
        if key == "rituals.added" and "{question}" in ritual.template:
            text += "\n" + t("rituals.questions.hint", lang)
        await self.bot.reply_ephemeral(interaction, text)

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
        await self._answer(interaction, "rituals.added", ritual.name)

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
        await self._answer(interaction, "rituals.saved", row.name)

    add.autocomplete("timezone")(options.zone_choices)
    edit.autocomplete("timezone")(options.zone_choices)
    edit.autocomplete("ritual")(_ritual_names)

    @options.command("list")
    async def list_(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        guild_id = interaction.guild_id
        lang = await interaction_language(interaction)
        rituals = await self.service.all(guild_id)
        if not rituals:
            await self.bot.reply_ephemeral(interaction, t("rituals.list.empty", lang))
            return
        settings = await self.bot.guild_settings.get(guild_id)
        nexts = await self.jobs.next_runs(r for r in rituals if not r.paused)
        last = await self.service.last_runs(guild_id)
        zoned = [(r, (await self.service.zone_of(r)).key) for r in rituals]
        text = render.ritual_list(zoned, nexts, last, settings.posts_per_channel_per_day, lang)
        await self.bot.reply_ephemeral(interaction, text)

    @options.command("pause")
    @options.described("ritual")
    async def pause(self, interaction: discord.Interaction, ritual: str) -> None:
        assert interaction.guild_id is not None
        row = await self.service.set_paused(interaction.guild_id, ritual, True)
        await self.jobs.rearm()
        lang = await interaction_language(interaction)
        await self.bot.reply_ephemeral(interaction, t("rituals.paused", lang, name=row.name))

    @options.command("resume")
    @options.described("ritual")
    async def resume(self, interaction: discord.Interaction, ritual: str) -> None:
        assert interaction.guild_id is not None
        row = await self.service.set_paused(interaction.guild_id, ritual, False)
        await self._answer(interaction, "rituals.resumed", row.name)

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
            interaction,
            confirm_label=t("rituals.button.confirm", lang),
            cancel_label=t("rituals.button.cancel", lang),
            on_confirm=remove,
            cancelled=t("rituals.remove_cancelled", lang),
            timeout=REMOVE_CONFIRM_SECONDS,
        )
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
        await interaction.edit_original_response(
            content=t("rituals.now.done", lang, when=render.stamp(result.scheduled_for),
                      status=status),
        )  # fmt: skip

    @options.command("stats")
    @options.described("ritual")
    async def stats(self, interaction: discord.Interaction, ritual: str) -> None:
        assert interaction.guild_id is not None
        row = await self.service.get(interaction.guild_id, ritual)
        lang = await interaction_language(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        series = await participation(self.bot.db, interaction.guild_id, row.id, limit=11)
        if not series:
            await interaction.edit_original_response(
                content=t("rituals.stats.empty", lang, name=row.name)
            )
            return
        zone = await self.service.zone_of(row)
        # Drawing takes a moment of CPU: off the event loop.
        png = await asyncio.to_thread(stats_chart, row.name, series, zone, lang)
        await interaction.edit_original_response(
            content=render.stats_text(row.name, series, lang),
            attachments=[discord.File(fp=io.BytesIO(png), filename="ritual.png")],
        )

    for _c in (pause, resume, remove, preview, now, stats):
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
        lang = await interaction_language(interaction)
        text = t("rituals.questions.added", lang, number=number, name=row.name)
        await self.bot.reply_ephemeral(interaction, text)

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
        lang = await interaction_language(interaction)
        await self.bot.reply_ephemeral(
            interaction, t("rituals.questions.removed", lang, number=number)
        )

    for _c in (question_add, question_list, question_remove):
        _c.autocomplete("ritual")(_ritual_names)
    del _c


class RitualRoleButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=ROLE_BUTTON_TEMPLATE
):
    """The bell under a ritual post: any member joins the ritual's ping role, or leaves
    it. The custom id carries the ritual, so posts from before a restart keep working."""

    def __init__(self, ritual_id: int, label: str = "🔔") -> None:
        super().__init__(discord_io.role_button(ritual_id, label))
        self.ritual_id = ritual_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> RitualRoleButton:
        return cls(int(match["ritual"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        if interaction.guild is None:
            return
        cog = interaction.client.get_cog(RitualPingRoles.__cog_name__)  # type: ignore[attr-defined]
        assert isinstance(cog, RitualPingRoles)
        ritual = await cog.service.by_id(interaction.guild.id, self.ritual_id)
        lang = await interaction_language(interaction)
        role_id = ritual.ping_role_id if ritual else None
        text = await discord_io.toggle_ritual_role(interaction, role_id, lang)
        await cog.bot.reply_ephemeral(interaction, text)


class RitualPingRoles(commands.Cog):
    """Members join or leave a ritual's ping role with the button on its posts (not an
    admin command: any member may click), and every join or leave of such a role is
    counted, whoever made it."""

    def __init__(self, bot: FoyerBot, service: RitualService) -> None:
        self.bot, self.service = bot, service

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(RitualRoleButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(RitualRoleButton)

    @commands.Cog.listener()
    async def on_member_update(self, before: discord.Member, after: discord.Member) -> None:
        await self.service.count_role_changes(
            after.guild.id, {r.id for r in before.roles}, {r.id for r in after.roles}
        )


async def setup(bot: FoyerBot) -> None:
    service = RitualService(bot.db, bot.clock, bot.guild_settings)
    questions = QuestionList(bot.db, bot.clock, service)
    poster = DiscordRitualPoster(
        bot, bot.guild_settings, bot.clock, bot.recorder, button=RitualRoleButton
    )
    budget = SolicitationBudget(bot.db, bot.guild_settings)
    runner = RitualRunner(service, questions, budget, bot.guild_settings, poster)
    jobs = RitualJobs(bot.scheduler, runner)
    jobs.register()
    await bot.add_cog(RitualsCog(bot, service, questions, jobs, runner))
    await bot.add_cog(RitualPingRoles(bot, service))
