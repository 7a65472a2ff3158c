"""The simulated community is reproducible and has the dynamics the demo relies on."""

from __future__ import annotations

from datetime import UTC, datetime

import discord
import pytest
from discord.ext import commands

from demo.community import CommunityScript, SimDay
from demo.community_hooks import nps_answers
from demo.harness import RunningClient
from demo.scenario import build_town
from discord_sandbox import Sandbox

pytestmark = pytest.mark.e2e
END = datetime(2026, 3, 2, tzinfo=UTC)


async def replay(seed: int, weeks: int = 4) -> CommunityScript:
    sb = Sandbox()
    await sb.start()
    try:
        script = CommunityScript(
            sb, build_town(sb, members=0), members=40, weeks=weeks, seed=seed, end=END
        )
        script.populate()
        await script.run()
        return script
    finally:
        await sb.stop()


async def test_same_seed_same_story() -> None:
    first, again, other = await replay(7), await replay(7), await replay(8)
    story = [(a.at, a.kind, a.actor) for a in first.log]
    assert story == [(a.at, a.kind, a.actor) for a in again.log]
    assert story != [(a.at, a.kind, a.actor) for a in other.log]
    assert all(a.at < END for a in first.log)  # everything happened in the past


async def test_dynamics_helpers_unanswered_newcomers_and_fading_ritual() -> None:
    script = await replay(3, weeks=8)
    kinds = {a.kind for a in script.log}
    assert {"join", "post", "reply", "react", "question", "thread_answer", "ritual"} <= kinds
    profiles = {p.name: p.profile for p in script.personas}
    answers = [a.actor for a in script.log if a.kind == "thread_answer"]
    assert answers and all(profiles[name] in ("helper", "staff") for name in answers)
    assert any(p.profile == "newcomer_intro" and not p.answered for p in script.personas)
    ritual_weeks = [
        (a.at - script.start).days // 7 for a in script.log if a.kind == "ritual_answer"
    ]
    assert ritual_weeks.count(0) > ritual_weeks.count(7)


async def test_hooks_run_each_day_and_replace_the_ritual() -> None:
    sb = Sandbox()
    await sb.start()
    days: list[int] = []
    rituals: list[int] = []

    async def on_day(day: SimDay) -> None:
        days.append(day.index)

    async def on_ritual(day: SimDay) -> None:
        rituals.append(day.week)

    try:
        script = CommunityScript(
            sb, build_town(sb, members=0), members=10, weeks=2, seed=1, end=END
        )
        script.on("day", on_day)
        script.on("ritual", on_ritual)
        script.populate()
        await script.run()
    finally:
        await sb.stop()
    assert days == list(range(14))
    assert rituals == [1, 2]
    assert not any(a.kind == "ritual_answer" for a in script.log)


class RecordingClock:
    """A clock that remembers every time it was set to."""

    def __init__(self) -> None:
        self.times: list[datetime] = []

    def set(self, when: datetime) -> None:
        self.times.append(when)


async def test_the_clock_only_moves_forward() -> None:
    sb = Sandbox()
    await sb.start()
    clock = RecordingClock()
    try:
        script = CommunityScript(
            sb, build_town(sb, members=0), members=30, weeks=3, seed=5, end=END, clock=clock
        )
        script.populate()
        await script.run()
    finally:
        await sb.stop()
    assert len(clock.times) > 100
    assert clock.times == sorted(clock.times)  # a bot scheduler never sees time go back
    assert [a.at for a in script.log] == sorted(a.at for a in script.log)


async def test_members_answer_an_nps_survey_by_profile() -> None:

    scores: list[tuple[str, int]] = []

    class Score(
        discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
        template=r"foyer:nps:(?P<survey>\d+):(?P<score>\d+)",
    ):
        def __init__(self, score: int) -> None:
            super().__init__(discord.ui.Button(label=str(score), custom_id=f"foyer:nps:1:{score}"))
            self.score = score

        @classmethod
        async def from_custom_id(
            cls, interaction: discord.Interaction, item: object, match: object, /
        ) -> Score:
            return cls(int(match["score"]))  # type: ignore[index]

        async def callback(self, interaction: discord.Interaction) -> None:
            scores.append((interaction.user.name, self.score))
            await interaction.response.send_message("thanks", ephemeral=True)

    sb = Sandbox()
    await sb.start()
    intents = discord.Intents.default()
    intents.members = True
    bot = commands.Bot(command_prefix="!", intents=intents, guild_ready_timeout=0.05)
    bot.add_dynamic_items(Score)
    try:
        town = build_town(sb, members=0)
        script = CommunityScript(sb, town, members=30, weeks=2, seed=2, end=END)
        script.populate()
        script.on("day", nps_answers(script, rate=0.3))
        async with RunningClient(sb, bot) as client:
            view = discord.ui.View(timeout=None)
            for score in range(11):
                view.add_item(Score(score))
            channel = client.get_channel(town.general.id)
            assert isinstance(channel, discord.TextChannel)
            await channel.send("How likely are you to recommend us?", view=view)
            await script.run()
    finally:
        await sb.stop()
    profiles = {p.name: p.profile for p in script.personas}
    assert len(scores) >= 10
    assert len({name for name, _ in scores}) == len(scores)  # one answer per member
    helpers = [s for name, s in scores if profiles[name] in ("helper", "staff")]
    lurkers = [s for name, s in scores if profiles[name] == "lurker"]
    assert helpers and lurkers and min(helpers) >= 8 and max(lurkers) <= 8
