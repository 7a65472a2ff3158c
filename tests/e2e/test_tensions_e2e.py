"""Tensions through the sandbox with the real discord.py client: moderators time members out,
kick, delete a member's messages, AutoMod blocks one; Foyer, with View Audit Log, counts the
audit log entries per day and kind (a replayed entry counts once) and /health opens with
the tensions signal. Without View Audit Log Discord sends no entry, nothing is counted, and
/health says tensions were not checked, and why. The community script moderates at a
rate, and a rise of it is heard."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import discord
import pytest
from sqlalchemy import select

from bot.clock import ManualClock
from bot.db import Database
from bot.db.models import ModerationCount, ModerationKind
from bot.recording import moderation_store
from demo.community import CommunityScript, SimDay
from demo.harness import running_foyer
from demo.scenario import Town, build_town
from discord_sandbox import Sandbox

pytestmark = pytest.mark.e2e
NOW = datetime.now(UTC).replace(microsecond=0)
VIEW_AUDIT_LOG = discord.Permissions(view_audit_log=True).value


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 15.0) -> None:  # noqa: ASYNC109
    """Until `check()` holds: listeners write in tasks of their own."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def counts(db: Database, guild_id: int) -> dict[ModerationKind, tuple[int, int]]:
    async with db.session() as s:
        rows = await s.execute(
            select(
                ModerationCount.kind,
                ModerationCount.actions,
                ModerationCount.messages,
            ).where(ModerationCount.guild_id == guild_id)
        )
        found: dict[ModerationKind, tuple[int, int]] = {}
        for kind, actions, messages in rows.all():
            a, m = found.get(ModerationKind(kind), (0, 0))
            found[ModerationKind(kind)] = (a + actions, m + messages)
        return found


def moderated_town(sb: Sandbox) -> tuple[Town, Any]:
    """A French guild whose admin also moderates (timeouts, kicks, message deletions)."""
    town = build_town(sb, "Atelier", locale="fr", members=4, created_at=NOW - timedelta(days=400))
    moderators = sb.create_role(
        town.guild,
        "Modération",
        permissions=discord.Permissions(
            moderate_members=True, kick_members=True, manage_messages=True
        ).value,
    )
    town.admin.roles.append(moderators.id)
    return town, town.admin.user


async def moderate(sb: Sandbox, town: Town, moderator: Any) -> None:
    """Two timeouts 40 and 31 days ago; in the last 10 days six timeouts, a kick, one
    message and then three deleted by the moderator, one message AutoMod blocked."""
    m = town.members
    hour = timedelta(hours=1)
    for back, member in ((40, m[0]), (31, m[1])):
        await sb.timeout(town.guild, moderator, member, hour, at=NOW - timedelta(days=back))
    for i in range(6):
        member = m[i % 3]
        await sb.timeout(town.guild, moderator, member, hour, at=NOW - timedelta(days=9 - i))
    posts = [
        await sb.post(town.general, m[1], "…", at=NOW - timedelta(days=2, minutes=i))
        for i in range(4)
    ]
    await sb.moderate_delete(moderator, posts[:1], at=NOW - timedelta(days=2))
    await sb.moderate_delete(moderator, posts[1:], at=NOW - timedelta(days=2))
    await sb.automod_block(town.general, m[2].user, at=NOW - timedelta(days=1))
    await sb.kick(town.guild, moderator, m[3], at=NOW - timedelta(hours=5))


async def test_moderators_timing_members_out_raise_the_tensions_signal(
    sandbox: Sandbox, database_url: str
) -> None:
    town, moderator = moderated_town(sandbox)
    bot_role = sandbox.world.bot_role(town.guild)
    sandbox.set_bot_permissions(town.guild, bot_role.permissions | VIEW_AUDIT_LOG)
    clock = ManualClock(NOW - timedelta(days=80))  # Foyer has watched for 80 days
    async with running_foyer(sandbox, database_url=database_url, clock=clock) as bot:

        async def watching() -> bool:
            async with bot.db.session() as s:
                return await moderation_store.watched_since(s, town.guild.id) is not None

        await eventually(watching)
        clock.set(NOW)
        await moderate(sandbox, town, moderator)
        expected = {
            ModerationKind.TIMEOUT: (8, 0),
            ModerationKind.MESSAGE_DELETE: (2, 4),  # one entry of 1 message, one bulk of 3
            ModerationKind.AUTOMOD: (1, 0),
            ModerationKind.KICK: (1, 0),
        }

        async def all_counted() -> bool:
            return await counts(bot.db, town.guild.id) == expected

        await eventually(all_counted)
        # a replayed entry (the same id) changes nothing
        entry = sandbox.audit_log(town.guild)[-1]
        await sandbox.core.hub.dispatch(
            "GUILD_AUDIT_LOG_ENTRY_CREATE", entry, guild_id=town.guild.id
        )
        await sandbox.core.hub.sync()
        await asyncio.sleep(0.2)
        assert await counts(bot.db, town.guild.id) == expected

        res = await sandbox.invoke(town.guild, town.admin, "health")
        head = res.embeds[0]["description"]
        # 10 actions in 14 days against 2 in the 56 days before
        assert (
            "Les tensions semblent monter : 10 actions de modération ces 14 derniers jours, "
            "contre 0,5 en moyenne auparavant." in head
        )
        assert (
            "En 14 jours : 6 exclusions temporaires, 1 expulsion, 2 suppressions de messages "
            "par la modération, 1 action d'AutoMod." in head
        )
        assert "Avant : 2 actions de modération sur les 56 jours observés." in head
        assert "Reprenez avec votre équipe de modération" in head


async def test_without_view_audit_log_nothing_is_counted(
    sandbox: Sandbox, database_url: str
) -> None:
    town, moderator = moderated_town(sandbox)
    clock = ManualClock(NOW - timedelta(days=60))
    async with running_foyer(sandbox, database_url=database_url, clock=clock) as bot:
        clock.set(NOW)
        await moderate(sandbox, town, moderator)
        await sandbox.core.hub.sync()
        await asyncio.sleep(0.2)
        assert len(sandbox.audit_log(town.guild)) == 12  # Discord wrote them...
        sent = [
            frame["t"] for session in sandbox.core.hub.sessions.values() for frame in session.buffer
        ]
        assert "GUILD_AUDIT_LOG_ENTRY_CREATE" not in sent  # ...and sent none to Foyer
        assert "AUTO_MODERATION_ACTION_EXECUTION" not in sent  # no Manage Server either
        assert "GUILD_MEMBER_UPDATE" in sent  # the timeouts themselves, as members
        assert await counts(bot.db, town.guild.id) == {}
        async with bot.db.session() as s:
            assert await moderation_store.watched_since(s, town.guild.id) is None
        res = await sandbox.invoke(town.guild, town.admin, "health")
        head = res.embeds[0]["description"]
        assert (
            "Non vérifié : tensions entre membres (il manque à Foyer la permission Voir les "
            "logs du serveur)." in head
        )
        assert "tensions semblent" not in head


async def test_the_community_script_moderates_at_a_rate_and_a_rise_is_heard(
    sandbox: Sandbox, database_url: str
) -> None:
    """Ten simulated weeks, 2 moderation actions a week, then 12 a week for the last two:
    every audit log entry is counted once, and /health hears the rise."""
    end = NOW.replace(hour=0, minute=0, second=0)
    town = build_town(
        sandbox, "Atelier", locale="fr", members=0, created_at=end - timedelta(days=500)
    )
    bot_role = sandbox.world.bot_role(town.guild)
    sandbox.set_bot_permissions(town.guild, bot_role.permissions | VIEW_AUDIT_LOG)
    clock = ManualClock(end - timedelta(weeks=10, days=1))
    script = CommunityScript(
        sandbox, town, members=20, weeks=10, seed=5, end=end, clock=clock, moderation=2.0
    )
    script.populate()

    async def rise(day: SimDay) -> None:
        if day.index >= 56:
            script.moderation = 12.0

    script.on("day", rise)
    async with running_foyer(sandbox, database_url=database_url, clock=clock) as bot:

        async def watching() -> bool:
            async with bot.db.session() as s:
                return await moderation_store.watched_since(s, town.guild.id) is not None

        await eventually(watching)
        await script.run()
        entries = sandbox.audit_log(town.guild)
        timeouts = sum(1 for e in entries if e["action_type"] == 24)
        deletions = sum(1 for e in entries if e["action_type"] == 72)
        assert timeouts and deletions
        expected = {ModerationKind.TIMEOUT: (timeouts, 0)}
        expected[ModerationKind.MESSAGE_DELETE] = (deletions, deletions)

        async def all_counted() -> bool:
            return await counts(bot.db, town.guild.id) == expected

        await eventually(all_counted)
        clock.set(end + timedelta(hours=12))
        res = await sandbox.invoke(town.guild, town.admin, "health")
        assert "Les tensions semblent monter" in res.embeds[0]["description"]


async def test_the_watch_follows_view_audit_log_as_an_admin_grants_and_removes_it(
    sandbox: Sandbox, database_url: str
) -> None:
    town, moderator = moderated_town(sandbox)
    owner = sandbox.world.users[town.guild.owner_id]
    bot_role = sandbox.world.bot_role(town.guild)
    without = bot_role.permissions
    async with running_foyer(sandbox, database_url=database_url) as bot:

        async def watched() -> datetime | None:
            async with bot.db.session() as s:
                return await moderation_store.watched_since(s, town.guild.id)

        async def counted(n: int) -> bool:
            found = await counts(bot.db, town.guild.id)
            return found.get(ModerationKind.TIMEOUT, (0, 0))[0] == n

        assert await watched() is None
        await sandbox.timeout(town.guild, moderator, town.members[0], timedelta(minutes=5))
        await sandbox.set_role_permissions(town.guild, owner, bot_role, without | VIEW_AUDIT_LOG)

        async def watching() -> bool:
            return await watched() is not None

        await eventually(watching)
        await sandbox.timeout(town.guild, moderator, town.members[1], timedelta(minutes=5))
        await eventually(lambda: counted(1))  # the timeout before the grant was never sent
        await sandbox.set_role_permissions(town.guild, owner, bot_role, without)

        async def not_watching() -> bool:
            return await watched() is None

        await eventually(not_watching)
        await sandbox.timeout(town.guild, moderator, town.members[2], timedelta(minutes=5))
        await sandbox.core.hub.sync()
        await asyncio.sleep(0.2)
        assert await counted(1)
