"""`/privacy` through the sandbox with the real discord.py client: ephemeral answers in the
guild's language, an export file, a forget that needs the invoker's own click."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.db.models import ActivityEvent, GuildSettings, Member
from bot.db.models.activity import EventKind
from bot.i18n import t
from demo.harness import FoyerEnv

pytestmark = pytest.mark.e2e

ORIGINAL = "/webhooks/{webhook_id}/{webhook_token}/messages/@original"

WHEN = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
SECRET = "phrase secrète 7f3a9c"
ALL_KINDS = tuple(int(kind) for kind in EventKind)


async def settle(env: FoyerEnv) -> None:
    """Let the bot finish what it is doing and write what the recorder holds (the tracking
    cog records the members' joins when it reconciles the member list at start)."""
    await env.sb.wait_for_bot_idle()
    recorder = getattr(env.bot, "recorder", None)
    if recorder is not None:
        await recorder.flush()


def tracking(env: FoyerEnv) -> bool:
    """Whether the tracking cog is there to record what members post."""
    return "cogs.tracking" in env.bot.extensions


async def seed(env: FoyerEnv) -> tuple[int, int]:
    """One message by each of two members, the second replying to the first."""
    await settle(env)
    me, other = (m.user.id for m in env.town.members[:2])
    guild_id = env.town.guild.id
    async with env.bot.db.session() as session:
        session.add_all(
            [
                ActivityEvent(
                    guild_id=guild_id,
                    kind=1,
                    ref_id=1,
                    occurred_at=WHEN,
                    actor_id=me,
                    actor_role=2,
                ),
                ActivityEvent(
                    guild_id=guild_id,
                    kind=1,
                    ref_id=2,
                    occurred_at=WHEN,
                    actor_id=other,
                    actor_role=2,
                    target_id=me,
                    target_role=2,
                    interaction=1,
                ),
            ]
        )
    return me, other


async def events_naming(env: FoyerEnv, user_id: int, *, kinds: tuple[int, ...] = (1,)) -> int:
    """Events in which the user acts or is the target; messages only by default, so joins
    the tracking cog records when it reconciles members at start do not move the count."""
    await settle(env)
    async with env.bot.db.session() as session:
        return int(
            await session.scalar(
                select(func.count())
                .select_from(ActivityEvent)
                .where(
                    (ActivityEvent.actor_id == user_id) | (ActivityEvent.target_id == user_id),
                    ActivityEvent.kind.in_(kinds),
                )
            )
            or 0
        )


async def test_privacy_commands_are_for_everyone_and_translated(foyer: FoyerEnv) -> None:
    (privacy,) = [c.data for c in foyer.sb.commands() if c.data["name"] == "privacy"]
    assert privacy.get("default_member_permissions") is None
    assert privacy["name_localizations"]["fr"] == "confidentialité"
    names = {o["name"]: o["name_localizations"]["fr"] for o in privacy["options"]}
    assert names == {
        "optout": "refuser",
        "optin": "accepter",
        "export": "exporter",
        "forget": "oublier",
        "policy": "politique",
    }


async def test_export_returns_an_ephemeral_json_file(foyer: FoyerEnv) -> None:
    me, other = await seed(foyer)
    member = foyer.town.members[0]
    posted = await foyer.sb.post(foyer.town.general, member, SECRET)
    await settle(foyer)

    res = await foyer.sb.invoke(foyer.town.guild, member, "privacy", subcommand="export")

    assert res.ephemeral
    assert t("privacy.export.ready", "fr") in [m.content for m in res.messages]
    (name,) = res.files
    assert name.endswith(".json")
    exported = json.loads(res.files[name])
    assert exported["about"]["user_id"] == str(me)
    assert t("privacy.export.note_never", "fr") in exported["about"]["notes"]
    events = exported["data"]["activity_events"]
    messages = [e for e in events if e["kind"] == 1 and e["ref_id"] in {"1", "2"}]
    assert {(e["ref_id"], e["actor_id"], e["target_id"]) for e in messages} == {
        ("1", str(me), None),
        ("2", None, str(me)),  # another member's reply to them, without that member's id
    }
    assert str(other) not in res.files[name].decode()
    assert SECRET not in res.files[name].decode()
    if tracking(foyer):
        assert str(posted.id) in {e["ref_id"] for e in events}
    bot_posts = [m for m in foyer.sb.messages_in(foyer.town.general) if m.author.bot]
    assert bot_posts == []  # nothing public


async def test_forget_needs_the_invokers_own_click(foyer: FoyerEnv) -> None:
    me, other = await seed(foyer)
    mine, theirs = await events_naming(foyer, me), await events_naming(foyer, other)
    sb, town = foyer.sb, foyer.town
    member, someone_else = town.members[0], town.members[1]

    asked = await sb.invoke(town.guild, member, "privacy", subcommand="forget")
    assert asked.ephemeral
    assert asked.content == t("privacy.forget.confirm", "fr", seconds=60)
    buttons = {c["custom_id"] for row in asked.components for c in row.get("components", [row])}
    assert "privacy:forget:confirm" in buttons
    assert await events_naming(foyer, me) == mine  # nothing erased by merely asking

    refused = await sb.click(asked.original, someone_else, "privacy:forget:confirm")
    assert refused.ephemeral and refused.content == t("privacy.forget.not_yours", "fr")
    assert await events_naming(foyer, me) == mine

    done = await sb.click(asked.original, member, "privacy:forget:confirm")
    assert done.callback_type == 6  # deferred: a big guild's erase may outlast 3 s
    await sb.wait_for_call("PATCH", ORIGINAL)
    assert asked.original is not None
    # Their message deleted, the reply unlinked, plus whatever rollups the recorder keeps.
    assert asked.original.content in {t("privacy.forget.done", "fr", rows=n) for n in range(2, 20)}
    assert asked.original.components == []
    assert await events_naming(foyer, me, kinds=ALL_KINDS) == 0
    assert await events_naming(foyer, other) == theirs  # their reply stays, unlinked


async def test_forget_can_be_cancelled(foyer: FoyerEnv) -> None:
    me, _ = await seed(foyer)
    mine = await events_naming(foyer, me)
    member = foyer.town.members[0]
    asked = await foyer.sb.invoke(foyer.town.guild, member, "privacy", subcommand="forget")
    cancelled = await foyer.sb.click(asked.original, member, "privacy:forget:cancel")
    assert cancelled.updated_message is not None
    assert cancelled.updated_message.content == t("privacy.forget.cancelled", "fr")
    assert await events_naming(foyer, me) == mine


async def test_opt_out_then_in(foyer: FoyerEnv) -> None:
    me, _ = await seed(foyer)
    sb, town = foyer.sb, foyer.town
    member = town.members[0]

    out = await sb.invoke(town.guild, member, "privacy", subcommand="optout")
    assert out.ephemeral
    assert t("privacy.optout.done", "fr") in [m.content for m in out.messages]
    assert await events_naming(foyer, me, kinds=ALL_KINDS) == 0
    async with foyer.bot.db.session() as session:
        row = await session.get(Member, (town.guild.id, me))
    assert row is not None and row.opted_out

    again = await sb.invoke(town.guild, member, "privacy", subcommand="optout")
    assert t("privacy.optout.already", "fr") in [m.content for m in again.messages]

    back = await sb.invoke(town.guild, member, "privacy", subcommand="optin")
    assert back.ephemeral and back.content == t("privacy.optin.done", "fr")


async def test_policy_shows_the_guilds_retention_in_its_language(foyer: FoyerEnv) -> None:
    await foyer.bot.guild_settings.update(foyer.town.guild.id, retention_days=90)
    res = await foyer.sb.invoke(
        foyer.town.guild, foyer.town.members[0], "privacy", subcommand="policy"
    )
    assert res.ephemeral
    assert res.content == t("privacy.policy", "fr", retention_days=90, grace_days=30)
    assert "90 jours" in (res.content or "")


async def test_the_daily_purge_runs_on_the_bot_and_spares_guilds_it_is_in(
    foyer: FoyerEnv,
) -> None:
    cog = foyer.bot.get_cog("PrivacyCog")
    assert cog is not None and cog.daily_purge.is_running()
    guild_id, me = foyer.town.guild.id, foyer.town.members[0].user.id
    now = foyer.bot.clock.now()
    async with foyer.bot.db.session() as session:
        for ref, days in ((1, 400), (2, 1)):
            session.add(
                ActivityEvent(
                    guild_id=guild_id,
                    kind=1,
                    ref_id=ref,
                    occurred_at=now - timedelta(days=days),
                    actor_id=me,
                    actor_role=2,
                )
            )
    # Marked as left long ago, yet the bot is in it (re-invited while offline): kept.
    await foyer.bot.guild_settings.mark_left(guild_id, now - timedelta(days=90))

    await cog.daily_purge()

    async with foyer.bot.db.session() as session:
        refs = set(
            await session.scalars(
                select(ActivityEvent.ref_id).where(ActivityEvent.ref_id.in_([1, 2]))
            )
        )
        settings = await session.get(GuildSettings, guild_id)
    assert refs == {2}  # the 400-day-old event aged out; the recent one stays
    assert settings is not None


async def test_an_opted_out_members_messages_are_not_recorded(foyer: FoyerEnv) -> None:
    if not tracking(foyer):
        pytest.skip("the tracking cog has not landed yet")
    recorder = foyer.bot.recorder
    sb, town = foyer.sb, foyer.town
    member, other = town.members[0], town.members[1]
    await sb.invoke(town.guild, member, "privacy", subcommand="optout")

    mine = await sb.post(town.general, member, "un secret")
    await sb.post(town.general, other, "une réponse", reply_to=mine)
    await sb.post(town.general, other, "un autre message")
    await sb.wait_for_bot_idle()
    await recorder.flush()

    assert await events_naming(foyer, member.user.id, kinds=ALL_KINDS) == 0
    async with foyer.bot.db.session() as session:
        others = (
            await session.scalars(
                select(ActivityEvent).where(
                    ActivityEvent.actor_id == other.user.id, ActivityEvent.kind == 1
                )
            )
        ).all()
    assert len(others) == 2, "the other member's messages are still recorded"
    assert all(e.target_id is None for e in others)


async def test_forget_times_out_harmlessly(
    foyer: FoyerEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The module the bot loaded (load_extension imports its own copy).
    loaded = sys.modules[type(foyer.bot.get_cog("PrivacyCog")).__module__]
    monkeypatch.setattr(loaded, "CONFIRM_SECONDS", 0.05)
    me, _ = await seed(foyer)
    mine = await events_naming(foyer, me)
    sb, member = foyer.sb, foyer.town.members[0]
    asked = await sb.invoke(foyer.town.guild, member, "privacy", subcommand="forget")

    (edit,) = await sb.wait_for_call("PATCH", ORIGINAL)  # the view timed out
    assert asked.original is not None
    assert asked.original.content == t("privacy.forget.timeout", "fr")
    assert asked.original.components == []
    assert edit.status == 200
    assert await events_naming(foyer, me) == mine
