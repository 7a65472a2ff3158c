"""A simulated community that lives in the sandbox: seeded, reproducible, with past dates.

Members have behaviour profiles (lurker, regular, helper, silent newcomer, newcomer who
introduces themself, staff). Each simulated day the script draws actions (joins, leaves,
posts, replies, help threads and their answers, reactions) from the profiles, sorts them
by time and performs them through the ``Sandbox`` API with their past ``at``. Dynamics:
a core of helpers answers most questions, some newcomers are never answered and drift
away, and the weekly ritual thread fades week after week.

Features hook in with ``script.on(event, callback)``: ``"day"`` runs at the start of each
simulated day (e.g. a survey feature answering its buttons), ``"newcomer"`` when someone
joins, ``"ritual"`` on ritual days (replaces the built-in staff post when registered).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from .api import Sandbox
from .community_texts import TEXTS
from .scenario import Town
from .state import Channel, Member, Message

PROFILES = ("lurker", "regular", "helper", "newcomer_silent", "newcomer_intro", "staff")
#: Probability of posting on a given day, per profile.
POST_RATE = {
    "lurker": 0.02,
    "regular": 0.35,
    "helper": 0.5,
    "newcomer_silent": 0.0,
    "newcomer_intro": 0.15,
    "staff": 0.3,
}
REACT_RATE = {
    "lurker": 0.08,
    "regular": 0.25,
    "helper": 0.3,
    "newcomer_silent": 0.02,
    "newcomer_intro": 0.1,
    "staff": 0.2,
}
Hook = Callable[["SimDay"], Awaitable[None]]


@dataclass
class Persona:
    """A simulated member and how they behave."""

    member: Member
    profile: str
    joined: datetime
    answered: bool = True
    left: bool = False
    present: bool = True

    @property
    def name(self) -> str:
        """Return the member's username."""
        return self.member.user.username


@dataclass
class SimDay:
    """One simulated day, handed to hooks."""

    index: int
    date: datetime
    script: CommunityScript

    @property
    def week(self) -> int:
        """Return the simulated week number, from 1."""
        return self.index // 7 + 1


@dataclass
class LoggedAction:
    """What the script did, for reproducibility checks and the demo summary."""

    at: datetime
    kind: str
    actor: str
    detail: str = ""


@dataclass(order=True)
class _Planned:
    at: datetime
    seq: int
    kind: str = field(compare=False)
    run: Callable[[], Awaitable[Any]] = field(compare=False)
    actor: str = field(compare=False, default="")


class CommunityScript:
    """Drive a ``Town`` through ``weeks`` of community life ending at ``end``."""

    def __init__(
        self,
        sb: Sandbox,
        town: Town,
        *,
        members: int = 40,
        weeks: int = 8,
        seed: int = 1,
        language: str = "en",
        end: datetime | None = None,
        clock: Any = None,
    ) -> None:
        self.sb, self.town = sb, town
        self.size, self.weeks = members, weeks
        self.rng = random.Random(seed)
        self.texts = TEXTS.get(language, TEXTS["en"])
        last = (end or datetime.now(UTC)).replace(hour=0, minute=0, second=0, microsecond=0)
        self.start = last - timedelta(days=7 * weeks)
        self.clock = clock
        self.personas: list[Persona] = []
        self.log: list[LoggedAction] = []
        self.hooks: dict[str, list[Hook]] = {"day": [], "newcomer": [], "ritual": []}
        self.recent: list[Message] = []
        self.open_questions: list[tuple[Message, Channel, Persona]] = []
        self.ritual_thread: Channel | None = None
        self._seq = 0

    def on(self, event: str, callback: Hook) -> None:
        """Register a feature hook: ``"day"``, ``"newcomer"`` or ``"ritual"``."""
        self.hooks.setdefault(event, []).append(callback)

    # -- population ---------------------------------------------------------------------
    def populate(self) -> None:
        """Create the initial members (before the bot connects): a staff, helper core."""
        weights = {"staff": 0.05, "helper": 0.15, "regular": 0.3, "lurker": 0.5}
        for i in range(self.size):
            profile = self.rng.choices(list(weights), list(weights.values()))[0]
            joined = self.start - timedelta(
                days=self.rng.randint(20, 400), minutes=self.rng.randint(0, 1439)
            )
            roles = [self.town.staff_role] if profile == "staff" else []
            member = self.sb.create_member(
                self.town.guild, f"{profile}{i}", roles=roles, joined_at=joined
            )
            self.personas.append(Persona(member, profile, joined))

    def active(self, *profiles: str) -> list[Persona]:
        """Return present members, optionally of some profiles."""
        return [
            p
            for p in self.personas
            if p.present and not p.left and (not profiles or p.profile in profiles)
        ]

    # -- the day loop -------------------------------------------------------------------------
    async def run(self, progress: Callable[[int, int], None] | None = None) -> Counter[str]:
        """Replay every day; call ``progress(week, events_sent)`` after each week."""
        for index in range(7 * self.weeks):
            await self.run_day(index)
            if progress is not None and index % 7 == 6:
                progress(index // 7 + 1, len(self.log))
        return Counter(a.kind for a in self.log)

    async def run_day(self, index: int) -> None:
        """Plan one day's actions, then perform them in time order."""
        day = SimDay(index, self.start + timedelta(days=index), self)
        self._tick(day.date)
        for hook in self.hooks["day"]:
            await hook(day)
        plan: list[_Planned] = []
        self._plan_joins_and_leaves(day, plan)
        self._plan_posts(day, plan)
        self._plan_help(day, plan)
        if day.date.weekday() == 0:
            self._plan_ritual(day, plan)
        for item in sorted(plan):
            self._tick(item.at)
            await item.run()
            self.log.append(LoggedAction(item.at, item.kind, item.actor))
        await self.sb.wait_for_bot_idle(quiet=0.01)

    def _tick(self, at: datetime) -> None:
        if self.clock is not None and hasattr(self.clock, "set"):
            self.clock.set(at)

    def _at(self, day: SimDay, lo: int = 7, hi: int = 23) -> datetime:
        return day.date + timedelta(
            hours=self.rng.randint(lo, hi - 1),
            minutes=self.rng.randint(0, 59),
            seconds=self.rng.randint(0, 59),
        )

    def _add(
        self,
        plan: list[_Planned],
        at: datetime,
        kind: str,
        actor: str,
        run: Callable[[], Awaitable[Any]],
    ) -> None:
        self._seq += 1
        plan.append(_Planned(at, self._seq, kind, run, actor))

    def _say(self, key: str) -> str:
        return self.rng.choice(self.texts[key])

    # -- planners -------------------------------------------------------------------------------
    def _plan_joins_and_leaves(self, day: SimDay, plan: list[_Planned]) -> None:
        guild = self.town.guild
        for _ in range(self._poisson(self.size * 0.012)):
            at = self._at(day, 0, 24)
            profile = "newcomer_intro" if self.rng.random() < 0.4 else "newcomer_silent"
            name = f"new{len(self.personas)}"
            # the Member is created when the join runs; until then the persona is absent
            persona = Persona(Member(self.sb.bot_user, guild.id), profile, at, present=False)
            self.personas.append(persona)
            answered = self.rng.random() < 0.6

            async def join(
                p: Persona = persona, n: str = name, when: datetime = at, ok: bool = answered
            ) -> None:
                p.member = await self.sb.join(guild, n, at=when)
                p.present = True
                for hook in self.hooks["newcomer"]:
                    await hook(SimDay(day.index, when, self))
                if p.profile == "newcomer_intro":
                    await self._introduce(p, when, ok)

            self._add(plan, at, "join", name, join)
        for persona in self.active():
            rate = 0.004 if persona.profile == "lurker" else 0.0015
            if persona.profile == "newcomer_intro" and not persona.answered:
                rate = 0.04  # nobody answered: they drift away
            if persona.profile == "staff" or self.rng.random() >= rate:
                continue
            persona.left = True
            leave_at = self._at(day)

            async def leave(p: Persona = persona, when: datetime = leave_at) -> None:
                await self.sb.leave(guild, p.member, at=when)

            self._add(plan, leave_at, "leave", persona.name, leave)

    async def _introduce(self, persona: Persona, at: datetime, answered: bool) -> None:
        intro = await self.sb.post(self.town.general, persona.member, self._say("intro"), at=at)
        self._remember(intro)
        persona.answered = answered
        helpers = self.active("helper", "staff", "regular")
        if answered and helpers:
            greeter = self.rng.choice(helpers)
            when = at + timedelta(minutes=self.rng.randint(5, 600))
            self._tick(when)
            await self.sb.post(
                self.town.general, greeter.member, self._say("welcome"), at=when, reply_to=intro
            )
            self.log.append(LoggedAction(when, "welcome_reply", greeter.name))

    def _plan_posts(self, day: SimDay, plan: list[_Planned]) -> None:
        for persona in self.active():
            if persona.member.user.bot:
                continue
            if self.rng.random() < POST_RATE[persona.profile]:
                at = self._at(day)
                reply = self.rng.random() < 0.4

                async def post(
                    p: Persona = persona, when: datetime = at, as_reply: bool = reply
                ) -> None:
                    target = (
                        self.rng.choice(self.recent[-20:]) if as_reply and self.recent else None
                    )
                    text = self._say("reply" if target else "chat")
                    msg = await self.sb.post(
                        self.town.general, p.member, text, at=when, reply_to=target
                    )
                    self._remember(msg)
                    await self._reactions(msg, when)

                self._add(plan, at, "reply" if reply else "post", persona.name, post)

    async def _reactions(self, msg: Message, at: datetime) -> None:
        for persona in self.rng.sample(self.active(), k=min(6, len(self.active()))):
            if persona.member.user.bot or persona.member.user.id == msg.author.id:
                continue
            if self.rng.random() < REACT_RATE[persona.profile]:
                self._tick(at + timedelta(minutes=self.rng.randint(1, 120)))
                await self.sb.react(msg, persona.member, self.rng.choice(["👍", "❤️", "🎉"]))
                self.log.append(LoggedAction(at, "react", persona.name))

    def _plan_help(self, day: SimDay, plan: list[_Planned]) -> None:
        askers = self.active("regular", "newcomer_intro", "lurker")
        for persona in askers:
            if persona.member.user.bot or self.rng.random() >= 0.03:
                continue
            at = self._at(day, 8, 20)
            answered = self.rng.random() < 0.8  # the helper core answers most questions

            async def ask(p: Persona = persona, when: datetime = at, ok: bool = answered) -> None:
                question = await self.sb.post(
                    self.town.help, p.member, self._say("question"), at=when
                )
                thread = await self.sb.create_thread(
                    self.town.help,
                    p.member,
                    question.content[:40] or "help",
                    from_message=question,
                    at=when,
                )
                helpers = self.active("helper", "staff")
                if ok and helpers:
                    helper = self.rng.choice(helpers)
                    later = when + timedelta(minutes=self.rng.randint(3, 240))
                    self._tick(later)
                    await self.sb.post(thread, helper.member, self._say("answer"), at=later)
                    self.log.append(LoggedAction(later, "thread_answer", helper.name))

            self._add(plan, at, "question", persona.name, ask)

    def _plan_ritual(self, day: SimDay, plan: list[_Planned]) -> None:
        staff = self.active("staff")
        at = day.date + timedelta(hours=9)
        if self.hooks["ritual"]:

            async def hooked(d: SimDay = day) -> None:
                for hook in self.hooks["ritual"]:
                    await hook(d)

            self._add(plan, at, "ritual", "hook", hooked)
            return
        if not staff:
            return
        host = self.rng.choice(staff)
        fading = 0.6 * (0.75 ** (day.week - 1))  # fewer answers every week

        async def ritual(when: datetime = at) -> None:
            post = await self.sb.post(self.town.general, host.member, self._say("ritual"), at=when)
            thread = await self.sb.create_thread(
                self.town.general, host.member, post.content[:40], from_message=post, at=when
            )
            for persona in self.active("regular", "helper", "staff"):
                if self.rng.random() < fading and not persona.member.user.bot:
                    later = when + timedelta(minutes=self.rng.randint(10, 600))
                    self._tick(later)
                    await self.sb.post(thread, persona.member, self._say("reply"), at=later)
                    self.log.append(LoggedAction(later, "ritual_answer", persona.name))

        self._add(plan, at, "ritual", host.name, ritual)

    # -- helpers ------------------------------------------------------------------------------
    def _remember(self, msg: Message) -> None:
        self.recent.append(msg)
        del self.recent[:-50]

    def _poisson(self, mean: float) -> int:
        count, threshold, product = 0, pow(2.718281828, -mean), self.rng.random()
        while product > threshold:
            count += 1
            product *= self.rng.random()
        return count
