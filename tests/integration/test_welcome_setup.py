"""`/welcome setup` on the database: bad input is refused, translated, and stores nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import discord
import pytest
from sqlalchemy import func, select

from bot.clock import ManualClock
from bot.db import Database
from bot.db.models import WelcomeConfig
from bot.db.models.welcome import ThreadKind
from bot.errors import FoyerError
from bot.guilds import GuildSettingsService
from bot.welcome.discord_io import DiscordWelcome
from bot.welcome.service import WelcomeService

GUILD = 111
CHANNEL = 222
T0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
CAN_DO_ALL = discord.Permissions(
    view_channel=True,
    send_messages_in_threads=True,
    create_private_threads=True,
    create_public_threads=True,
)


@pytest.fixture
async def service(database: Database) -> WelcomeService:
    clock = ManualClock(T0)
    settings = GuildSettingsService(database, clock)
    await settings.ensure(GUILD, "fr")
    client = discord.Client(intents=discord.Intents(guilds=True))
    return WelcomeService(DiscordWelcome(client, clock), database, clock, settings)


async def count_configs(db: Database) -> int:
    async with db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(WelcomeConfig)) or 0)


ATTACKS = {
    "{member.guild}": "templates.plain_names_only",
    "{0.__class__}": "templates.plain_names_only",
    "{member!r}": "templates.no_formatting",
    "{member.__init__.__globals__}": "templates.plain_names_only",
    "{member[0]}": "templates.plain_names_only",
    "{{member}": "templates.unbalanced",
    "{member:{server}}": "templates.no_formatting",
    "{ {member} }": "templates.unbalanced",
    "x" * 5000: "templates.too_long",
}


@pytest.mark.parametrize(("template", "key"), list(ATTACKS.items()))
async def test_template_attacks_are_refused_and_nothing_is_stored(
    service: WelcomeService, database: Database, template: str, key: str
) -> None:
    with pytest.raises(FoyerError) as caught:
        await service.configure(
            GUILD, channel_id=CHANNEL, bot_permissions=CAN_DO_ALL, actor_id=1, template=template
        )
    assert caught.value.key == key
    french = caught.value.render("fr")
    assert "Rien n'a été enregistré" in french
    assert french != caught.value.render("en")
    assert await count_configs(database) == 0


async def test_a_bad_update_leaves_the_saved_setup_untouched(
    service: WelcomeService, database: Database
) -> None:
    await service.configure(
        GUILD, channel_id=CHANNEL, bot_permissions=CAN_DO_ALL, actor_id=1, template="Hi {member}"
    )
    with pytest.raises(FoyerError):
        await service.configure(
            GUILD,
            channel_id=999,
            bot_permissions=CAN_DO_ALL,
            actor_id=1,
            template="{member.guild.owner}",
        )
    with pytest.raises(FoyerError):  # the bot cannot open any thread there
        await service.configure(
            GUILD, channel_id=999, bot_permissions=discord.Permissions.none(), actor_id=1
        )
    row = await service.store.get_config(GUILD)
    assert row is not None
    assert (row.channel_id, row.template) == (CHANNEL, "Hi {member}")


async def test_good_setup_is_stored_with_the_kind_used(
    service: WelcomeService, database: Database
) -> None:
    public_only = discord.Permissions(
        view_channel=True, send_messages_in_threads=True, create_public_threads=True
    )
    _row, choice = await service.configure(
        GUILD,
        channel_id=CHANNEL,
        bot_permissions=public_only,
        actor_id=42,
        greeter_role_id=333,
        nudge_delay_hours=12,
        burst_threshold=20,
    )
    assert choice.reason_key == "welcome.kind.private_unavailable"
    stored = await service.store.get_config(GUILD)
    assert stored is not None
    assert stored.thread_kind_requested == ThreadKind.PRIVATE
    assert stored.thread_kind_used == ThreadKind.PUBLIC
    assert (stored.greeter_role_id, stored.nudge_delay_minutes, stored.burst_threshold) == (
        333,
        720,
        20,
    )
    assert stored.template is None and stored.updated_by == 42 and stored.updated_at == T0


async def test_a_reported_problem_is_claimed_once_and_setup_clears_it(
    service: WelcomeService,
) -> None:
    await service.configure(GUILD, channel_id=CHANNEL, bot_permissions=CAN_DO_ALL, actor_id=1)
    store = service.store
    assert await store.claim_problem(GUILD, "forbidden", pause=True, now=T0)
    assert not await store.claim_problem(GUILD, "forbidden", pause=True, now=T0)
    row = await store.get_config(GUILD)
    assert row is not None and row.paused and row.problem == "forbidden"
    await service.configure(GUILD, channel_id=CHANNEL, bot_permissions=CAN_DO_ALL, actor_id=1)
    row = await store.get_config(GUILD)
    assert row is not None and not row.paused and row.problem is None
    assert await store.claim_problem(GUILD, "forbidden", pause=True, now=T0)


async def test_disable_keeps_the_settings(service: WelcomeService) -> None:
    assert not await service.disable(GUILD, 1)
    await service.configure(GUILD, channel_id=CHANNEL, bot_permissions=CAN_DO_ALL, actor_id=1)
    assert await service.disable(GUILD, 1)
    assert not await service.disable(GUILD, 1)
    row = await service.store.get_config(GUILD)
    assert row is not None and not row.enabled and row.channel_id == CHANNEL
