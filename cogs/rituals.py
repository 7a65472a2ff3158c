"""`/ritual ...`: thin adapter over `bot.rituals` (admins, ephemeral), and the ping-role
button members click on ritual posts."""

from __future__ import annotations

import asyncio
import io
from typing import Any
from zoneinfo import available_timezones

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import FoyerBot
from bot.checks import admin_only
from bot.errors import FoyerError
from bot.i18n import cmd, t
from bot.interaction_language import interaction_language
from bot.rituals.chart import stats_chart
from bot.rituals.discord_io import (
    DiscordRitualPoster,
    check_channel,
    check_ping_role,
    ritual_id_of_button,
    toggle_ping_role,
)
from bot.rituals.engagement import is_fading, participation
from bot.rituals.questions import QuestionList
from bot.rituals.render import describe_schedule, stamp, state_line
from bot.rituals.role_changes import count_role_change
from bot.rituals.runner import RitualRunner
from bot.rituals.schedule import job_key
from bot.rituals.service import RitualChanges, RitualService
from bot.solicitation import SolicitationBudget
from bot.ui import ConfirmationView

_ZONES = sorted(available_timezones())
_PRESET_CHOICES = [
    app_commands.Choice(name=cmd(f"rituals.preset.{key}.name"), value=key)
    for key in ("monday_motivation", "friday_wins", "weekly_question", "monthly_qa")
] + [app_commands.Choice(name=cmd("cmd.rituals.choice.custom"), value="custom")]
_WEEK_CHOICES = [
    app_commands.Choice(name=cmd(f"cmd.rituals.choice.week.{k}"), value=v)
    for k, v in (("1", 1), ("2", 2), ("3", 3), ("4", 4), ("last", -1))
]
_ARCHIVE_CHOICES = [
    app_commands.Choice(name=cmd(f"cmd.rituals.choice.archive.{m}"), value=m)
    for m in (60, 1440, 4320, 10080)
]
_OPTION_NAMES = {
    o: cmd(f"cmd.rituals.opt.{o}")
    for o in (
        "preset", "channel", "name", "days", "time", "week_of_month", "timezone", "text",
        "ping_role", "archive", "ritual", "remove_ping_role", "question", "number",
    )
}  # fmt: skip
_OPTION_HELP = {o: cmd(f"cmd.rituals.opt.{o}.description") for o in _OPTION_NAMES}


def _opts(*names: str) -> Any:
    """rename + describe for the given options, in both languages."""

    def decorator(func: Any) -> Any:
        func = app_commands.rename(**{n: _OPTION_NAMES[n] for n in names})(func)
        return app_commands.describe(**{n: _OPTION_HELP[n] for n in names})(func)

    return decorator


def _command(key: str) -> Any:
    return app_commands.command(
        name=cmd(f"cmd.rituals.{key}.name"), description=cmd(f"cmd.rituals.{key}.description")
    )


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
        self,
        bot: FoyerBot,
        service: RitualService,
        questions: QuestionList,
        runner: RitualRunner,
    ) -> None:
        self.bot, self.service, self.question_bank, self.runner = bot, service, questions, runner
        super().__init__()

    async def cog_unload(self) -> None:
        self.bot.scheduler.unregister("ritual")

    async def _lang(self, interaction: discord.Interaction) -> str:
        return await self.bot.guild_settings.language(interaction.guild_id)

    async def _summary(self, key: str, interaction: discord.Interaction, name: str) -> str:
        assert interaction.guild_id is not None
        ritual = await self.service.get(interaction.guild_id, name)
        await self.bot.scheduler.rearm()
        lang = await self._lang(interaction)
        zone = await self.service.zone_of(ritual)
        spec = await self.runner.spec(ritual)
        nxt = (await self.bot.scheduler.next_runs([spec]))[spec.key]
        return t(
            key,
            lang,
            name=ritual.name,
            schedule=describe_schedule(ritual, zone.key, lang),
            next=stamp(nxt),
        )

    async def _ritual_names(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        names = await self.service.names(interaction.guild_id, current)
        return [app_commands.Choice(name=n, value=n) for n in names]

    async def _zones(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        needle = current.lower()
        return [app_commands.Choice(name=z, value=z) for z in _ZONES if needle in z.lower()][:25]

    # Commands ---------------------------------------------------------------------------

    @_command("add")
    @_opts("preset", "channel", "name", "days", "time", "week_of_month", "timezone", "text",
           "ping_role", "archive")  # fmt: skip
    @app_commands.choices(preset=_PRESET_CHOICES)
    @app_commands.choices(week_of_month=_WEEK_CHOICES, archive=_ARCHIVE_CHOICES)
    async def add(
        self,
        interaction: discord.Interaction,
        preset: str,
        channel: discord.TextChannel,
        name: str | None = None,
        days: str | None = None,
        time: str | None = None,
        week_of_month: int | None = None,
        timezone: str | None = None,
        text: str | None = None,
        ping_role: discord.Role | None = None,
        archive: int | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        check_channel(interaction.guild, channel)
        if ping_role is not None:
            check_ping_role(interaction.guild, ping_role)
        ritual = await self.service.add(
            interaction.guild_id,
            None if preset == "custom" else preset,
            RitualChanges(
                name=name, channel_id=channel.id, template=text, days=days, at=time,
                week_of_month=week_of_month, timezone=timezone,
                ping_role_id=ping_role.id if ping_role else None, auto_archive_minutes=archive,
            ),
        )  # fmt: skip
        text = await self._summary("rituals.added", interaction, ritual.name)
        if "{question}" in ritual.template:
            text += "\n" + t("rituals.questions.hint", await self._lang(interaction))
        await self.bot.reply_ephemeral(interaction, text)

    @_command("edit")
    @_opts("ritual", "channel", "name", "days", "time", "week_of_month", "timezone", "text",
           "ping_role", "remove_ping_role", "archive")  # fmt: skip
    @app_commands.choices(week_of_month=_WEEK_CHOICES, archive=_ARCHIVE_CHOICES)
    async def edit(
        self,
        interaction: discord.Interaction,
        ritual: str,
        channel: discord.TextChannel | None = None,
        name: str | None = None,
        days: str | None = None,
        time: str | None = None,
        week_of_month: int | None = None,
        timezone: str | None = None,
        text: str | None = None,
        ping_role: discord.Role | None = None,
        remove_ping_role: bool = False,
        archive: int | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        if channel is not None:
            check_channel(interaction.guild, channel)
        if ping_role is not None:
            check_ping_role(interaction.guild, ping_role)
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
        await self.bot.reply_ephemeral(
            interaction, await self._summary("rituals.saved", interaction, row.name)
        )

    add.autocomplete("timezone")(_zones)
    edit.autocomplete("timezone")(_zones)
    edit.autocomplete("ritual")(_ritual_names)

    @_command("list")
    async def list_(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        guild_id = interaction.guild_id
        lang = await self._lang(interaction)
        rituals = await self.service.all(guild_id)
        if not rituals:
            await self.bot.reply_ephemeral(interaction, t("rituals.list.empty", lang))
            return
        settings = await self.bot.guild_settings.get(guild_id)
        active = [r for r in rituals if not r.paused]
        specs = [await self.runner.spec(r) for r in active]
        nexts = await self.bot.scheduler.next_runs(specs)
        last = await self.service.last_runs(guild_id)
        lines = [t("rituals.list.header", lang, budget=settings.posts_per_channel_per_day)]
        for r in rituals:
            zone = (await self.service.zone_of(r)).key
            lines.append(
                t(
                    "rituals.list.line",
                    lang,
                    name=r.name,
                    channel=f"<#{r.channel_id}>",
                    schedule=describe_schedule(r, zone, lang),
                    state=state_line(r, nexts.get(job_key(r.id)), last.get(job_key(r.id)), lang),
                )
            )
        await self.bot.reply_ephemeral(interaction, "\n".join(lines)[:2000])

    @_command("pause")
    @_opts("ritual")
    async def pause(self, interaction: discord.Interaction, ritual: str) -> None:
        assert interaction.guild_id is not None
        row = await self.service.set_paused(interaction.guild_id, ritual, True)
        await self.bot.scheduler.rearm()
        await self.bot.reply_ephemeral(
            interaction, t("rituals.paused", await self._lang(interaction), name=row.name)
        )

    @_command("resume")
    @_opts("ritual")
    async def resume(self, interaction: discord.Interaction, ritual: str) -> None:
        assert interaction.guild_id is not None
        row = await self.service.set_paused(interaction.guild_id, ritual, False)
        await self.bot.reply_ephemeral(
            interaction, await self._summary("rituals.resumed", interaction, row.name)
        )

    @_command("remove")
    @_opts("ritual")
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
            await self.bot.scheduler.rearm()
            return text

        view = ConfirmationView(
            interaction,
            confirm_label=t("rituals.button.confirm", lang),
            cancel_label=t("rituals.button.cancel", lang),
            on_confirm=remove,
            cancelled=t("rituals.remove_cancelled", lang),
            timeout=120,
        )
        await view.ask(t("rituals.remove_confirm", lang, name=row.name))

    @_command("preview")
    @_opts("ritual")
    async def preview(self, interaction: discord.Interaction, ritual: str) -> None:
        assert interaction.guild_id is not None
        row = await self.service.get(interaction.guild_id, ritual)
        lang = await self._lang(interaction)
        spec = await self.runner.spec(row)
        when = (await self.bot.scheduler.next_runs([spec]))[spec.key]
        question = await self.question_bank.next(interaction.guild_id, row.id)
        sample = question.text if question else t("rituals.preview.sample_question", lang)
        header = t(
            "rituals.preview.header",
            lang,
            when=stamp(when, relative=False),
            thread=await self.runner.thread_name(row, when, lang),
        )
        body = await self.runner.render(row, when, lang, sample)
        await self.bot.reply_ephemeral(interaction, f"{header}\n\n{body}"[:2000])

    @_command("now")
    @_opts("ritual")
    async def now(self, interaction: discord.Interaction, ritual: str) -> None:
        assert interaction.guild_id is not None
        row = await self.service.get(interaction.guild_id, ritual)
        if row.paused:
            raise FoyerError("rituals.now_paused", name=row.name)
        lang = await self._lang(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        result = await self.bot.scheduler.run_next_now(await self.runner.spec(row))
        if result is None:
            await interaction.edit_original_response(content=t("rituals.now.taken", lang))
            return
        await self.bot.scheduler.rearm()
        await interaction.edit_original_response(
            content=t(
                "rituals.now.done",
                lang,
                when=stamp(result.scheduled_for),
                status=t(f"rituals.run.{int(result.status)}", lang),
            ),
        )

    @_command("stats")
    @_opts("ritual")
    async def stats(self, interaction: discord.Interaction, ritual: str) -> None:
        assert interaction.guild_id is not None
        row = await self.service.get(interaction.guild_id, ritual)
        lang = await self._lang(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        series = await participation(self.bot.db, interaction.guild_id, row.id, limit=11)
        if not series:
            await interaction.edit_original_response(
                content=t("rituals.stats.empty", lang, name=row.name)
            )
            return
        zone = await self.service.zone_of(row)
        lines = [t("rituals.stats.header", lang, name=row.name, count=len(series))]
        for o in series[-8:]:
            lines.append(
                t(
                    "rituals.stats.line", lang, when=f"<t:{int(o.scheduled_for.timestamp())}:d>",
                    answers=o.answers, participants=o.participants, first_timers=o.first_timers,
                )
            )  # fmt: skip
        if is_fading([o.participants for o in series]):
            lines.append(t("rituals.stats.fading", lang))
        # Drawing takes a moment of CPU: off the event loop.
        png = await asyncio.to_thread(stats_chart, row.name, series, zone, lang)
        await interaction.edit_original_response(
            content="\n".join(lines),
            attachments=[discord.File(fp=io.BytesIO(png), filename="ritual.png")],
        )

    for _c in (pause, resume, remove, preview, now, stats):
        _c.autocomplete("ritual")(_ritual_names)

    # Questions -------------------------------------------------------------------------

    @questions.command(
        name=cmd("cmd.rituals.questions.add.name"),
        description=cmd("cmd.rituals.questions.add.description"),
    )
    @_opts("ritual", "question")
    async def question_add(
        self, interaction: discord.Interaction, ritual: str, question: str
    ) -> None:
        assert interaction.guild_id is not None
        number = await self.question_bank.add(interaction.guild_id, ritual, question)
        row = await self.service.get(interaction.guild_id, ritual)
        await self.bot.reply_ephemeral(
            interaction,
            t(
                "rituals.questions.added",
                await self._lang(interaction),
                number=number,
                name=row.name,
            ),
        )

    @questions.command(
        name=cmd("cmd.rituals.questions.list.name"),
        description=cmd("cmd.rituals.questions.list.description"),
    )
    @_opts("ritual")
    async def question_list(self, interaction: discord.Interaction, ritual: str) -> None:
        assert interaction.guild_id is not None
        row = await self.service.get(interaction.guild_id, ritual)
        rows = await self.question_bank.all(interaction.guild_id, ritual)
        lang = await self._lang(interaction)
        if not rows:
            text = t("rituals.questions.empty", lang, name=row.name)
        else:
            text = "\n".join(
                [t("rituals.questions.header", lang, name=row.name)]
                + [f"{i}. {'✅ ' if q.asked else ''}{q.text}" for i, q in enumerate(rows, 1)]
            )
        await self.bot.reply_ephemeral(interaction, text[:2000])

    @questions.command(
        name=cmd("cmd.rituals.questions.remove.name"),
        description=cmd("cmd.rituals.questions.remove.description"),
    )
    @_opts("ritual", "number")
    async def question_remove(
        self, interaction: discord.Interaction, ritual: str, number: int
    ) -> None:
        assert interaction.guild_id is not None
        await self.question_bank.remove(interaction.guild_id, ritual, number)
        await self.bot.reply_ephemeral(
            interaction,
            t("rituals.questions.removed", await self._lang(interaction), number=number),
        )

    for _c in (question_add, question_list, question_remove):
        _c.autocomplete("ritual")(_ritual_names)
    del _c


class RitualPingRoles(commands.Cog):
    """Members join or leave a ritual's ping role with the button on its posts (not an
    admin command: any member may click), and every join or leave of such a role is
    counted, whoever made it."""

    def __init__(self, bot: FoyerBot, service: RitualService) -> None:
        self.bot, self.service = bot, service

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        if interaction.type != discord.InteractionType.component or interaction.guild is None:
            return
        data: dict[str, Any] = dict(interaction.data or {})
        ritual_id = ritual_id_of_button(str(data.get("custom_id", "")))
        if ritual_id is None:
            return
        lang = await self.bot.guild_settings.language(interaction.guild.id)
        ritual = await self.service.by_id(interaction.guild.id, ritual_id)
        role = interaction.guild.get_role(ritual.ping_role_id or 0) if ritual else None
        text, _ = await toggle_ping_role(interaction.user, role, lang)
        await self.bot.reply_ephemeral(interaction, text)

    @commands.Cog.listener()
    async def on_member_update(self, before: discord.Member, after: discord.Member) -> None:
        """Count the change when a ping role is given or taken: with the button, by an
        admin, by another bot. Leaving is the over-solicitation sign /health reads."""
        changed = {r.id for r in before.roles} ^ {r.id for r in after.roles}
        if not changed:
            return
        rituals = await self.service.ping_roles(after.guild.id)
        for role_id in sorted(changed & rituals.keys()):
            await count_role_change(
                self.bot.db,
                after.guild.id,
                rituals[role_id],
                joined=after.get_role(role_id) is not None,
                at=self.bot.clock.now(),
            )


async def setup(bot: FoyerBot) -> None:
    service = RitualService(bot.db, bot.clock, bot.guild_settings)
    questions = QuestionList(bot.db, bot.clock, service)
    runner = RitualRunner(
        service,
        questions,
        SolicitationBudget(bot.db, bot.guild_settings),
        bot.guild_settings,
        DiscordRitualPoster(bot),
    )
    bot.scheduler.register("ritual", runner)
    await bot.add_cog(RitualsCog(bot, service, questions, runner))
    await bot.add_cog(RitualPingRoles(bot, service))
