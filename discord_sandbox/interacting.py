"""Interactions as a member triggers them: the ``invoke``/``click``/``submit_modal`` half
of ``Sandbox``, kept apart so each module stays readable."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any

from . import payloads
from .command_permissions import CommandPermission, may_use
from .interactions import (
    InteractionRecord,
    InteractionResult,
    base_payload,
    command_data,
    find_component,
    modal_submission,
    new_token,
)
from .state import Channel, Command, Guild, Member, Message, User

if TYPE_CHECKING:
    from .core import Core
    from .state import World

Person = Member | User


class InteractingMixin:
    """Slash commands, buttons and modals, answered by the connected bot."""

    core: Core

    @property
    def world(self) -> World:
        """Return the raw state."""
        return self.core.world

    def commands(self, guild: Guild | None = None) -> list[Command]:
        """Return the registered commands: global (``None``) or of one guild."""
        gid = guild.id if guild else None
        return [c for c in self.world.commands.values() if c.guild_id == gid]

    async def wait_for_bot_idle(self, *, quiet: float = 0.05, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until the bot read every dispatch and made no REST call for ``quiet`` s."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        if not await self.core.hub.sync(timeout):
            quiet = max(quiet, 0.05)  # could not confirm the bot read everything: wait longer
        await asyncio.sleep(quiet)
        while loop.time() < deadline:
            idle_for = loop.time() - self.core.last_activity
            if self.core.in_flight == 0 and idle_for >= quiet:
                return
            await asyncio.sleep(max(0.005, quiet - idle_for) if self.core.in_flight == 0 else 0.01)

    @staticmethod
    def _user(who: Person) -> User:
        return who.user if isinstance(who, Member) else who

    # -- interactions -------------------------------------------------------------------------
    async def invoke(
        self,
        guild: Guild,
        who: Person,
        name: str,
        *,
        subcommand: str | list[str] | None = None,
        options: dict[str, Any] | None = None,
        channel: Channel | None = None,
        locale: str | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
        check_permissions: bool = True,
    ) -> InteractionResult:
        """Run a slash command as a member and return what they see once the bot answered."""
        cmd = self._find_command(guild, name)
        member = guild.members[self._user(who).id]
        ch = channel or next(c for c in guild.channels.values() if c.type == 0)
        if check_permissions and not self.may_use_command(guild, member, cmd, ch):
            raise PermissionError(f"{member.user.username} cannot use /{name} in #{ch.name}")
        path = [subcommand] if isinstance(subcommand, str) else list(subcommand or [])
        data = command_data(self.world, guild, ch, cmd, path, options or {})
        return await self._interact(guild, ch, member, 2, data, locale=locale, timeout=timeout)

    def may_use_command(self, guild: Guild, member: Member, cmd: Command, ch: Channel) -> bool:
        """Would Discord let ``member`` use ``cmd`` in ``ch``: default member permissions and
        the overrides set with ``set_command_permissions`` (``command_permissions.py``)."""
        perms = self.world.command_permissions
        return may_use(
            guild_id=guild.id,
            user_id=member.user.id,
            roles=list(member.roles),
            guild_permissions=self.world.guild_permissions(guild, member.user.id),
            channel_ids=[c for c in (ch.id, ch.parent_id if ch.is_thread else None) if c],
            default_member_permissions=cmd.data.get("default_member_permissions"),
            own=perms.get((guild.id, cmd.id), []),
            app=perms.get((guild.id, cmd.application_id), []),
        )

    async def set_command_permissions(
        self,
        guild: Guild,
        command: str | None,
        entries: list[tuple[int, int, bool]],
    ) -> None:
        """Set the overrides an admin sets in *Server Settings > Integrations*: for the
        command named ``command``, or for the whole application (``None``). Each entry is
        (id, type 1 role / 2 user / 3 channel, allowed); an empty list removes them. The
        bot gets APPLICATION_COMMAND_PERMISSIONS_UPDATE, as from Discord."""
        target = self._find_command(guild, command).id if command else self.core.application_id
        stored = [CommandPermission(i, kind, allowed) for i, kind, allowed in entries]
        if stored:
            self.world.command_permissions[(guild.id, target)] = stored
        else:
            self.world.command_permissions.pop((guild.id, target), None)
        data = {
            "id": str(target),
            "application_id": str(self.core.application_id),
            "guild_id": str(guild.id),
            "permissions": [e.payload() for e in stored],
        }
        await self.core.hub.dispatch(
            "APPLICATION_COMMAND_PERMISSIONS_UPDATE", data, guild_id=guild.id
        )

    async def click(
        self,
        message: Message,
        who: Person,
        custom_id: str,
        *,
        values: list[str] | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> InteractionResult:
        """Click a button (or pick select ``values``) on a message."""
        comp = find_component(message.components, custom_id)
        if comp is None:
            raise LookupError(f"no component {custom_id!r} on message {message.id}")
        guild = self.world.guilds[message.guild_id or 0]
        ch = self.world.channels[message.channel_id]
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": comp["type"]}
        if comp["type"] != 2:
            data["values"] = values or []
        member = guild.members[self._user(who).id]
        return await self._interact(guild, ch, member, 3, data, message=message, timeout=timeout)

    async def submit_modal(
        self,
        shown: InteractionResult,
        who: Person,
        values: dict[str, Any],
        *,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> InteractionResult:
        """Fill in and submit the modal the bot showed in ``shown``."""
        if shown.modal is None or shown.source is None:
            raise LookupError("that interaction did not open a modal")
        guild = self.world.guilds[shown.source.guild_id]
        ch = self.world.channels[shown.source.channel_id]
        data = {
            "custom_id": shown.modal["custom_id"],
            "components": modal_submission(shown.modal.get("components", []), values),
        }
        member = guild.members[self._user(who).id]
        return await self._interact(
            guild, ch, member, 5, data, message=shown.source.message, timeout=timeout
        )

    async def _interact(
        self,
        guild: Guild,
        ch: Channel,
        member: Member,
        itype: int,
        data: dict[str, Any],
        *,
        message: Message | None = None,
        locale: str | None = None,
        timeout: float,  # noqa: ASYNC109
    ) -> InteractionResult:
        rec = InteractionRecord(
            self.world.ids.new(), new_token(), itype, guild.id, ch.id, member.user, message=message
        )
        self.core.interactions[rec.token] = rec
        rec.created = self.core.clock()
        payload = base_payload(
            self.world, guild, ch, member, itype=itype, token=rec.token, iid=rec.id, locale=locale
        )
        payload["data"] = data
        if message is not None:
            payload["message"] = payloads.message(self.world, message)
        await self.core.hub.dispatch("INTERACTION_CREATE", payload, guild_id=guild.id)
        try:
            await asyncio.wait_for(rec.answered.wait(), timeout)
        except TimeoutError:
            what = data.get("name") or data.get("custom_id")
            raise TimeoutError(f"the bot did not answer {what!r} within {timeout}s") from None
        if rec.late:
            what = data.get("name") or data.get("custom_id")
            raise TimeoutError(
                f"the bot acknowledged {what!r} after Discord's "
                f"{self.core.interaction_deadline}s deadline; Discord answers 404 10062 "
                "(Unknown interaction): defer slow work"
            )
        if rec.callback_type == 5:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(rec.content_ready.wait(), timeout)
        await self.wait_for_bot_idle(timeout=timeout)
        result = rec.result()
        result.source = rec
        return result

    def _find_command(self, guild: Guild, name: str) -> Command:
        for cmd in self.commands(guild) + self.commands(None):
            if cmd.data["name"] == name and cmd.data.get("type", 1) == 1:
                return cmd
        raise LookupError(f"/{name} is not registered (did the bot sync its commands?)")
