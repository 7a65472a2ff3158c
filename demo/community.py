"""A simulated community that lives in the sandbox: seeded, reproducible, with past dates.

Members have behaviour profiles (lurker, regular, helper, silent newcomer, newcomer who
introduces themself, staff). Each simulated day the script draws actions (joins, leaves,
posts, replies, help threads and their answers, reactions) from the profiles and performs
them in time order through the ``Sandbox`` API with their past ``at``. Consequences (a
reply, a reaction, an answer in a thread) are queued at their later time, so time only
moves forward: a ``clock`` given to the script (the bot's ``ManualClock``) is set to each
action's time before it happens. Dynamics: a core of helpers answers most questions, some
newcomers are never answered and drift away, and the weekly ritual thread fades. With
``moderation`` (actions a week, changeable between days to play a rise), the owner times
members out and deletes some of their messages, drawn from a random stream of its own so
the rest of the community stays the same.

Features hook in with ``script.on(event, callback)``: ``"day"`` runs at the start of each
simulated day (e.g. a survey feature answering its buttons), ``"newcomer"`` when someone
joins, ``"ritual"`` on Mondays (replaces the built-in staff post when registered).
"""

from __future__ import annotations

import heapq
import math
import random
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from discord_sandbox.api import Sandbox
from discord_sandbox.state import Member, Message

from .community_texts import TEXTS
from .scenario import Town

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
#: Probability of reacting to a message one sees, per profile.
REACT_RATE = {
    "lurker": 0.08,
    "regular": 0.25,
    "helper": 0.3,
    "newcomer_silent": 0.02,
    "newcomer_intro": 0.1,
    "staff": 0.2,
}
EMOJIS = ("👍", "❤️", "🎉")
Hook = Callable[["SimDay"], Awaitable[None]]
Run = Callable[[], Awaitable[Any]]


@dataclass
class Persona:
    """A simulated member and how they behave."""

    member: Member | None
    profile: str
    joined: datetime
    answered: bool = True
    left: bool = False
    name: str = ""

    @property
    def present(self) -> bool:
        """Say whether the member is in the guild now."""
        return self.member is not None and not self.left


@dataclass
class SimDay:
    """One simulated day (or moment, for ``newcomer`` hooks), handed to hooks."""

    index: int
    date: datetime
    script: CommunityScript
    persona: Persona | None = None  # the newcomer, for ``newcomer`` hooks

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


@dataclass(order=True)
class _Planned:
    at: datetime
    seq: int
    kind: str = field(compare=False)
    actor: str = field(compare=False)
    run: Run = field(compare=False)


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
        moderation: float = 0.0,
    ) -> None:
        self.sb, self.town = sb, town
        self.moderation = moderation
        self._moderation_rng = random.Random(seed * 7919 + 1)
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
        self._queue: list[_Planned] = []
        self._seq = 0
        self._day = 0

    def on(self, event: str, callback: Hook) -> None:
        """Register a feature hook: ``"day"``, ``"newcomer"`` or ``"ritual"``."""
        self.hooks.setdefault(event, []).append(callback)

    # -- population -----------------------------------------------------------------------
    def populate(self) -> None:
        """Create the initial members (before the bot connects): staff, a helper core..."""
        weights = {"staff": 0.05, "helper": 0.15, "regular": 0.3, "lurker": 0.5}
        for i in range(self.size):
            profile = self.rng.choices(list(weights), list(weights.values()))[0]
            joined = self.start - timedelta(
                days=self.rng.randint(20, 400), minutes=self.rng.randint(0, 1439)
            )
            roles = [self.town.staff_role] if profile == "staff" else []
            name = f"{profile}{i}"
            member = self.sb.create_member(self.town.guild, name, roles=roles, joined_at=joined)
            self.personas.append(Persona(member, profile, joined, name=name))

    def active(self, *profiles: str) -> list[Persona]:
        """Return present members, optionally of some profiles."""
        return [p for p in self.personas if p.present and (not profiles or p.profile in profiles)]

    # -- the day loop -------------------------------------------------------------------------
    async def run(self, progress: Callable[[int, int], None] | None = None) -> Counter[str]:
        """Replay every day; call ``progress(week, actions_so_far)`` after each week."""
        for index in range(7 * self.weeks):
            await self.run_day(index)
            if progress is not None and index % 7 == 6:
                progress(index // 7 + 1, len(self.log))
        return Counter(a.kind for a in self.log)

    async def run_day(self, index: int) -> None:
        """Plan one day, then perform everything due before the next day, in time order."""
        self._day = index
        day = SimDay(index, self.start + timedelta(days=index), self)
        self._tick(day.date)
        for hook in self.hooks["day"]:
            await hook(day)
        self._plan_joins_and_leaves(day)
        self._plan_posts(day)
        self._plan_help(day)
        if self.moderation > 0:
            self._plan_moderation(day)
        if day.date.weekday() == 0:
            self._plan_ritual(day)
        end = day.date + timedelta(days=1)
        while self._queue and self._queue[0].at < end:
            item = heapq.heappop(self._queue)
            self._tick(item.at)
            await item.run()
            self.log.append(LoggedAction(item.at, item.kind, item.actor))
        await self.sb.wait_for_bot_idle(quiet=0.01)

    def _tick(self, at: datetime) -> None:
        if self.clock is not None and hasattr(self.clock, "set"):
            self.clock.set(at)

    def schedule(self, at: datetime, kind: str, actor: str, run: Run) -> None:
        """Queue an action at ``at`` (hooks may use it too)."""
        self._seq += 1
        heapq.heappush(self._queue, _Planned(at, self._seq, kind, actor, run))

    def _at(self, day: SimDay, lo: int = 7, hi: int = 23) -> datetime:
        return day.date + timedelta(
            hours=self.rng.randint(lo, hi - 1),
            minutes=self.rng.randint(0, 59),
            seconds=self.rng.randint(0, 59),
        )

    def _say(self, key: str) -> str:
        return self.rng.choice(self.texts[key])

    def _member(self, persona: Persona) -> Member:
        assert persona.member is not None
        return persona.member

    # -- planners -------------------------------------------------------------------------------
    def _plan_joins_and_leaves(self, day: SimDay) -> None:
        for _ in range(self._poisson(self.size * 0.012)):
            profile = "newcomer_intro" if self.rng.random() < 0.4 else "newcomer_silent"
            persona = Persona(None, profile, self._at(day, 0, 24), name=f"new{len(self.personas)}")
            self.personas.append(persona)
            answered = self.rng.random() < 0.6

            async def join(p: Persona = persona, ok: bool = answered) -> None:
                p.member = await self.sb.join(self.town.guild, p.name, at=p.joined)
                for hook in self.hooks["newcomer"]:
                    await hook(SimDay(self._day, p.joined, self, p))
                if p.profile == "newcomer_intro":
                    self._introduce(p, ok)

            self.schedule(persona.joined, "join", persona.name, join)
        for persona in self.active():
            rate = 0.004 if persona.profile == "lurker" else 0.0015
            if persona.profile == "newcomer_intro" and not persona.answered:
                rate = 0.04  # nobody answered them: they drift away
            if persona.profile == "staff" or self.rng.random() >= rate:
                continue
            persona.left = True  # decided now: no new actions get planned for them
            leave_at = self._at(day)

            async def leave(p: Persona = persona, when: datetime = leave_at) -> None:
                await self.sb.leave(self.town.guild, self._member(p), at=when)

            self.schedule(leave_at, "leave", persona.name, leave)

    def _introduce(self, persona: Persona, answered: bool) -> None:
        at = persona.joined + timedelta(minutes=self.rng.randint(1, 30))
        persona.answered = answered

        async def intro() -> None:
            msg = await self.sb.post(
                self.town.general, self._member(persona), self._say("intro"), at=at
            )
            self._remember(msg)
            greeters = self.active("helper", "staff", "regular")
            if answered and greeters:
                greeter = self.rng.choice(greeters)
                later = at + timedelta(minutes=self.rng.randint(5, 600))

                async def welcome() -> None:
                    if greeter.present and msg.id in self.sb.world.messages:
                        await self.sb.post(
                            self.town.general,
                            self._member(greeter),
                            self._say("welcome"),
                            at=later,
                            reply_to=msg,
                        )

                self.schedule(later, "welcome_reply", greeter.name, welcome)

        self.schedule(at, "introduction", persona.name, intro)

    def _plan_posts(self, day: SimDay) -> None:
        for persona in self.active():
            if self.rng.random() >= POST_RATE[persona.profile]:
                continue
            at = self._at(day)
            as_reply = self.rng.random() < 0.4

            async def post(
                p: Persona = persona,
                when: datetime = at,
                reply: bool = as_reply,
            ) -> None:
                target = self.rng.choice(self.recent[-20:]) if reply and self.recent else None
                msg = await self.sb.post(
                    self.town.general,
                    self._member(p),
                    self._say("reply" if target else "chat"),
                    at=when,
                    reply_to=target,
                )
                self._remember(msg)
                self._plan_reactions(msg, when)

            self.schedule(at, "reply" if as_reply else "post", persona.name, post)

    def _plan_reactions(self, msg: Message, at: datetime) -> None:
        for persona in self.rng.sample(self.active(), k=min(6, len(self.active()))):
            if persona.member is None or persona.member.user.id == msg.author.id:
                continue
            if self.rng.random() < REACT_RATE[persona.profile]:
                when = at + timedelta(minutes=self.rng.randint(1, 120))
                emoji = self.rng.choice(EMOJIS)

                async def react(
                    p: Persona = persona,
                    e: str = emoji,
                    t: datetime = when,
                ) -> None:
                    if p.present and msg.id in self.sb.world.messages:
                        await self.sb.react(msg, self._member(p), e, at=t)

                self.schedule(when, "react", persona.name, react)

    def _plan_help(self, day: SimDay) -> None:
        for persona in self.active("regular", "newcomer_intro", "lurker"):
            if self.rng.random() >= 0.03:
                continue
            at = self._at(day, 8, 20)
            answered = self.rng.random() < 0.8  # the helper core answers most questions

            async def ask(
                p: Persona = persona,
                when: datetime = at,
                ok: bool = answered,
            ) -> None:
                question = await self.sb.post(
                    self.town.help, self._member(p), self._say("question"), at=when
                )
                thread = await self.sb.create_thread(
                    self.town.help,
                    self._member(p),
                    question.content[:40] or "help",
                    from_message=question,
                    at=when,
                )
                helpers = self.active("helper", "staff")
                if ok and helpers:
                    helper = self.rng.choice(helpers)
                    later = when + timedelta(minutes=self.rng.randint(3, 240))

                    async def answer() -> None:
                        if helper.present:
                            await self.sb.post(
                                thread, self._member(helper), self._say("answer"), at=later
                            )

                    self.schedule(later, "thread_answer", helper.name, answer)

            self.schedule(at, "question", persona.name, ask)

    def _plan_ritual(self, day: SimDay) -> None:
        at = day.date + timedelta(hours=9)
        if self.hooks["ritual"]:

            async def hooked(d: SimDay = day) -> None:
                for hook in self.hooks["ritual"]:
                    await hook(d)

            self.schedule(at, "ritual", "hook", hooked)
            return
        staff = self.active("staff")
        if not staff:
            return
        host = self.rng.choice(staff)
        fading = 0.6 * (0.75 ** (day.week - 1))  # fewer answers every week

        async def ritual() -> None:
            post = await self.sb.post(
                self.town.general, self._member(host), self._say("ritual"), at=at
            )
            thread = await self.sb.create_thread(
                self.town.general, self._member(host), post.content[:40], from_message=post, at=at
            )
            for persona in self.active("regular", "helper", "staff"):
                if self.rng.random() < fading:
                    later = at + timedelta(minutes=self.rng.randint(10, 600))

                    async def answer(p: Persona = persona, when: datetime = later) -> None:
                        if p.present:
                            await self.sb.post(thread, self._member(p), self._say("reply"), at=when)

                    self.schedule(later, "ritual_answer", persona.name, answer)

        self.schedule(at, "ritual", host.name, ritual)

    # -- helpers ------------------------------------------------------------------------------
    def _plan_moderation(self, day: SimDay) -> None:
        """About ``moderation / 7`` actions today by the owner: 7 in 10 a timeout of a
        member, else the deletion of a member's recent message."""
        rng = self._moderation_rng
        guild = self.town.guild
        owner = self.sb.world.users[guild.owner_id]
        for _ in range(_poisson(rng, self.moderation / 7)):
            at = day.date + timedelta(hours=rng.randint(8, 22), minutes=rng.randint(0, 59))
            if rng.random() < 0.7:
                members = [p for p in self.active() if p.profile != "staff" and p.member]
                if not members:
                    continue
                target = self._member(rng.choice(members))

                async def timeout(m: Member = target, when: datetime = at) -> None:
                    if m.user.id in guild.members:  # not gone in the meantime
                        await self.sb.timeout(guild, owner, m, timedelta(hours=1), at=when)

                self.schedule(at, "timeout", owner.username, timeout)
            else:

                async def delete(when: datetime = at, pick: float = rng.random()) -> None:
                    theirs = [m for m in self.recent if m.author.id != owner.id]
                    if theirs:
                        msg = theirs[int(pick * len(theirs))]
                        self.recent.remove(msg)
                        await self.sb.moderate_delete(owner, [msg], at=when)

                self.schedule(at, "moderator_delete", owner.username, delete)

    def _remember(self, msg: Message) -> None:
        self.recent.append(msg)
        del self.recent[:-50]

    def _poisson(self, mean: float) -> int:
        return _poisson(self.rng, mean)


def _poisson(rng: random.Random, mean: float) -> int:
    count, threshold, product = 0, math.exp(-mean), rng.random()
    while product > threshold:
        count += 1
        product *= rng.random()
    return count
