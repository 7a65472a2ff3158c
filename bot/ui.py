"""Pieces shared by the cogs' buttons, modals and confirmations.

Errors raised from a button or a modal do not pass through the command tree, so they are
handed to it here: members get the same translated, ephemeral answer as for a command.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, cast

import discord

from bot.errors import FoyerError

log = logging.getLogger(__name__)


class _Replies(Protocol):
    async def reply_ephemeral(
        self, interaction: discord.Interaction, text: str, **kwargs: Any
    ) -> None: ...


async def reply_ephemeral(interaction: discord.Interaction, text: str) -> None:
    """Answer a button privately through the bot's own helper (answer or follow-up,
    whichever the interaction still allows)."""
    await cast(_Replies, interaction.client).reply_ephemeral(interaction, text)


async def report_error(interaction: discord.Interaction, error: FoyerError) -> None:
    """Answer a button's or modal's error like a command error."""
    await interaction.client.tree.on_error(interaction, error)  # type: ignore[attr-defined]


class FoyerModal(discord.ui.Modal):
    """A modal whose `FoyerError`s are answered translated; other errors are logged."""

    async def on_error(  # type: ignore[override]  # discord.py: Modal narrows View
        self, interaction: discord.Interaction, error: Exception, /
    ) -> None:
        if isinstance(error, FoyerError):
            await report_error(interaction, error)
        else:
            await super().on_error(interaction, error)


class ConfirmationView(discord.ui.View):
    """Confirm and cancel buttons under an ephemeral question, for whoever asked only.

    Every destructive command asks the same way (RoboDanny's `ConfirmationView`): the
    buttons answer the member who ran the command and nobody else, and once pressed, or
    when nobody pressed in time, they go, so a second press cannot run the action twice.
    Waiting it out does nothing. The texts come translated from the caller, who knows the
    feature's words; `on_confirm` does the work and returns what replaces the question.
    """

    def __init__(
        self,
        origin: discord.Interaction,
        *,
        confirm_label: str,
        cancel_label: str,
        on_confirm: Callable[[], Awaitable[str]],
        cancelled: str,
        timeout: float,
        timed_out: str | None = None,
        not_yours: str | None = None,
        slow: bool = False,
        custom_id_prefix: str | None = None,
    ) -> None:
        """`timed_out` replaces the question when nobody pressed in time (without it the
        question stays, its buttons removed); `not_yours` is told to anyone else who
        presses (without it their press is ignored); `slow` defers the answer first, for
        work that may outlast Discord's three seconds; `custom_id_prefix` gives the
        buttons stable ids, `<prefix>:confirm` and `<prefix>:cancel`."""
        super().__init__(timeout=timeout)
        self._origin = origin
        self._on_confirm = on_confirm
        self._cancelled, self._timed_out, self._not_yours = cancelled, timed_out, not_yours
        self._slow = slow
        self.value: bool | None = None  # confirmed, cancelled, or None: nobody pressed
        ids: dict[str, Any] = {}
        if custom_id_prefix is not None:
            ids = {"confirm": f"{custom_id_prefix}:confirm", "cancel": f"{custom_id_prefix}:cancel"}
        confirm: discord.ui.Button[ConfirmationView] = discord.ui.Button(
            style=discord.ButtonStyle.danger, label=confirm_label, custom_id=ids.get("confirm")
        )
        cancel: discord.ui.Button[ConfirmationView] = discord.ui.Button(
            style=discord.ButtonStyle.secondary, label=cancel_label, custom_id=ids.get("cancel")
        )
        confirm.callback = self._confirm  # type: ignore[method-assign]
        cancel.callback = self._cancel  # type: ignore[method-assign]
        self.add_item(confirm)
        self.add_item(cancel)

    async def ask(self, question: str) -> None:
        """Answer the invoking interaction with the question and these buttons."""
        await self._origin.response.send_message(question, view=self, ephemeral=True)

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        if interaction.user.id == self._origin.user.id:
            return True
        if self._not_yours is not None:
            await interaction.response.send_message(self._not_yours, ephemeral=True)
        return False

    async def _confirm(self, interaction: discord.Interaction) -> None:
        self.value = True
        self.stop()  # first: a second press finds no view
        if self._slow:
            await interaction.response.defer()
            text = await self._on_confirm()
            await interaction.edit_original_response(content=text, view=None)
        else:
            text = await self._on_confirm()
            await interaction.response.edit_message(content=text, view=None)

    async def _cancel(self, interaction: discord.Interaction) -> None:
        self.value = False
        self.stop()
        await interaction.response.edit_message(content=self._cancelled, view=None)

    async def on_timeout(self) -> None:
        # The message may be gone or the token expired: nothing was done either way.
        with contextlib.suppress(discord.HTTPException):
            if self._timed_out is None:
                await self._origin.edit_original_response(view=None)
            else:
                await self._origin.edit_original_response(content=self._timed_out, view=None)

    async def on_error(
        self,
        interaction: discord.Interaction,
        error: Exception,
        item: discord.ui.Item[Any],
        /,
    ) -> None:
        """A view's errors do not reach the tree's handler: hand them to it, translated."""
        if not isinstance(error, FoyerError):
            log.error(
                "a confirmed action failed",
                exc_info=error,
                extra={"guild_id": interaction.guild_id},
            )
            error = FoyerError("errors.unexpected")
        await report_error(interaction, error)
