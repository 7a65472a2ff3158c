"""Slash commands, buttons and modals round-tripped through the real discord.py client."""

from __future__ import annotations

import asyncio
import struct
import zlib

import discord
import pytest
from discord import app_commands
from discord.ext import commands

from demo.harness import RunningClient
from demo.scenario import Town, build_town
from discord_sandbox import Sandbox

pytestmark = pytest.mark.e2e
SYNC = "/applications/{application_id}/commands"


def tiny_png() -> bytes:
    """A valid 1x1 PNG, built by hand so the test needs no imaging library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


class Vote(discord.ui.View):
    @discord.ui.button(label="Yes", custom_id="vote:yes")
    async def yes(self, interaction: discord.Interaction, _: discord.ui.Button[Vote]) -> None:
        await interaction.response.edit_message(
            content=f"counted {interaction.user.name}", view=None
        )

    @discord.ui.button(label="Later", custom_id="vote:later")
    async def later(self, interaction: discord.Interaction, _: discord.ui.Button[Vote]) -> None:
        await interaction.response.defer()
        await interaction.edit_original_response(content="see you later")


class Ask(discord.ui.Modal, title="Question"):
    answer: discord.ui.TextInput[Ask] = discord.ui.TextInput(label="Answer", custom_id="answer")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"thanks: {self.answer.value}", ephemeral=True)


def make_bot() -> commands.Bot:
    intents = discord.Intents.default()
    intents.members = True
    bot = commands.Bot(command_prefix="!", intents=intents, guild_ready_timeout=0.05)

    @bot.tree.command(description="Answer privately")
    async def ping(interaction: discord.Interaction, word: str = "pong") -> None:
        await interaction.response.send_message(f"{word}!", ephemeral=True)

    admin = app_commands.Group(
        name="admin",
        description="Admin tools",
        default_permissions=discord.Permissions(manage_guild=True),
    )
    roles = app_commands.Group(name="roles", description="Roles", parent=admin)

    @roles.command(description="Grant a role")
    async def grant(
        interaction: discord.Interaction,
        member: discord.Member,
        role: discord.Role,
        where: discord.TextChannel,
        days: int = 7,
    ) -> None:
        await interaction.response.send_message(
            f"{member.name}|{role.name}|{where.name}|{days}", ephemeral=True
        )

    @bot.tree.command(description="A chart")
    async def chart(interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await interaction.followup.send(
            "here",
            file=discord.File(__import__("io").BytesIO(tiny_png()), filename="chart.png"),
            ephemeral=True,
        )

    @bot.tree.command(description="Vote")
    async def vote(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("vote now", view=Vote(timeout=None))

    @bot.tree.command(description="Ask")
    async def ask(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(Ask())

    bot.tree.add_command(admin)
    return bot


async def start(sandbox: Sandbox) -> tuple[Town, RunningClient[commands.Bot]]:
    town = build_town(sandbox)
    return town, RunningClient(sandbox, make_bot())


async def test_sync_is_recorded_and_ephemeral_round_trip(sandbox: Sandbox) -> None:
    town, running = await start(sandbox)
    async with running as bot:
        await bot.tree.sync()
        result = await sandbox.invoke(
            town.guild, town.members[0], "ping", options={"word": "hello"}
        )
    (sync,) = sandbox.calls_to("PUT", SYNC)
    assert sync.status == 200
    assert {c.data["name"] for c in sandbox.commands()} == {"ping", "admin", "chart", "vote", "ask"}
    assert result.content == "hello!"
    assert result.ephemeral
    assert result.callback_type == 4
    assert sandbox.messages_in(town.general) == []  # ephemeral: nobody else sees it


async def test_subcommand_with_resolved_member_role_and_channel(sandbox: Sandbox) -> None:
    town, running = await start(sandbox)
    async with running as bot:
        await bot.tree.sync()
        result = await sandbox.invoke(
            town.guild,
            town.admin,
            "admin",
            subcommand=["roles", "grant"],
            options={"member": town.members[1], "role": town.staff_role, "where": town.help},
        )
        with pytest.raises(PermissionError):  # default_member_permissions hides it
            await sandbox.invoke(
                town.guild, town.members[0], "admin", subcommand=["roles", "grant"], options={}
            )
    assert result.content == "member1|Staff|help|7"


async def test_deferred_answer_with_a_png_follow_up(sandbox: Sandbox) -> None:
    town, running = await start(sandbox)
    async with running as bot:
        await bot.tree.sync()
        result = await sandbox.invoke(town.guild, town.admin, "chart")
    assert result.callback_type == 5
    assert result.ephemeral
    assert result.followups[0].content == "here"
    assert result.files["chart.png"].startswith(b"\x89PNG")
    (upload,) = sandbox.calls_to("POST", "/webhooks/{webhook_id}/{webhook_token}")
    assert upload.files["chart.png"] == tiny_png()
    assert upload.json["attachments"][0]["filename"] == "chart.png"


async def test_button_click_updates_the_message(sandbox: Sandbox) -> None:
    town, running = await start(sandbox)
    async with running as bot:
        await bot.tree.sync()
        shown = await sandbox.invoke(town.guild, town.admin, "vote")
        assert shown.original is not None and not shown.ephemeral
        assert sandbox.messages_in(town.general) == [shown.original]
        clicked = await sandbox.click(shown.original, town.members[2], "vote:yes")
    assert clicked.callback_type == 7
    assert shown.original.interaction_metadata is not None
    assert shown.original.interaction_metadata["user"]["id"] == str(town.admin.user.id)
    assert sandbox.messages_in(town.general)[0].content == "counted member2"
    assert sandbox.messages_in(town.general)[0].components == []


async def test_deferred_update_then_edit_original(sandbox: Sandbox) -> None:
    town, running = await start(sandbox)
    async with running as bot:
        await bot.tree.sync()
        shown = await sandbox.invoke(town.guild, town.admin, "vote")
        assert shown.original is not None
        clicked = await sandbox.click(shown.original, town.members[0], "vote:later")
    assert clicked.callback_type == 6
    assert clicked.content == "see you later"
    assert sandbox.messages_in(town.general)[0].content == "see you later"


async def test_modal_is_shown_then_submitted(sandbox: Sandbox) -> None:
    town, running = await start(sandbox)
    async with running as bot:
        await bot.tree.sync()
        shown = await sandbox.invoke(town.guild, town.members[0], "ask")
        assert shown.modal is not None and shown.modal["title"] == "Question"
        answered = await sandbox.submit_modal(shown, town.members[0], {"answer": "42"})
    assert answered.content == "thanks: 42"
    assert answered.ephemeral


async def test_unknown_command_is_refused_by_the_sandbox(sandbox: Sandbox) -> None:
    town, running = await start(sandbox)
    async with running:
        with pytest.raises(LookupError):  # not synced yet
            await sandbox.invoke(town.guild, town.admin, "ping")


async def test_a_late_acknowledgement_is_refused_like_discord() -> None:
    sandbox = Sandbox(validate_responses=True, interaction_deadline=0.2)
    await sandbox.start()
    errors: list[BaseException] = []
    bot = make_bot()

    @bot.tree.command(description="Too slow")
    async def slow(interaction: discord.Interaction) -> None:
        await asyncio.sleep(0.3)
        try:
            await interaction.response.send_message("late", ephemeral=True)
        except discord.NotFound as exc:
            errors.append(exc)

    try:
        town = build_town(sandbox)
        async with RunningClient(sandbox, bot):
            await bot.tree.sync()
            with pytest.raises(TimeoutError, match="10062"):
                await sandbox.invoke(town.guild, town.admin, "slow")
            await sandbox.wait_for_bot_idle()
    finally:
        await sandbox.stop()
    assert [getattr(e, "code", None) for e in errors] == [10062]
    assert sandbox.violations == []
