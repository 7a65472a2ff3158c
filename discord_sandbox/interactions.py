"""Interactions as a member triggers them: payloads for slash commands, buttons, modals,
and the record of how the bot answered (callback, original response, follow-ups).
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass, field
from typing import Any

from . import payloads
from .state import Channel, Command, Guild, Member, Message, Role, User, World

EPHEMERAL = 1 << 6
OPTION_TYPES: dict[type, int] = {str: 3, int: 4, bool: 5, float: 10}


@dataclass
class InteractionResult:
    """What the member saw after the bot answered an interaction."""

    callback_type: int | None
    original: Message | None
    followups: list[Message]
    modal: dict[str, Any] | None = None
    updated_message: Message | None = None
    source: InteractionRecord | None = None

    @property
    def messages(self) -> list[Message]:
        """Return the original response (if any) then the follow-ups."""
        return ([self.original] if self.original else []) + self.followups

    @property
    def content(self) -> str | None:
        """Return the text of the first response message."""
        first = self.messages[:1] or ([self.updated_message] if self.updated_message else [])
        return first[0].content if first else None

    @property
    def embeds(self) -> list[dict[str, Any]]:
        """Return the embeds of every response message, in order."""
        return [e for m in self.messages for e in m.embeds]

    @property
    def files(self) -> dict[str, bytes]:
        """Return every attached file by name."""
        return {k: v for m in self.messages for k, v in m.files.items()}

    @property
    def ephemeral(self) -> bool:
        """Say whether the first response message is ephemeral."""
        first = self.messages[:1]
        return bool(first and first[0].flags & EPHEMERAL)

    @property
    def components(self) -> list[dict[str, Any]]:
        """Return the components of every response message."""
        return [c for m in self.messages for c in m.components]


@dataclass
class InteractionRecord:
    """Server-side state of one interaction, keyed by its token."""

    id: int
    token: str
    type: int
    guild_id: int
    channel_id: int
    user: User
    message: Message | None = None
    callback_type: int | None = None
    original: Message | None = None
    followups: list[Message] = field(default_factory=list)
    modal: dict[str, Any] | None = None
    updated_message: Message | None = None
    answered: asyncio.Event = field(default_factory=asyncio.Event)
    content_ready: asyncio.Event = field(default_factory=asyncio.Event)
    created: float = 0.0
    late: bool = False

    def result(self) -> InteractionResult:
        """Freeze what the member sees now."""
        return InteractionResult(
            self.callback_type,
            self.original,
            list(self.followups),
            self.modal,
            self.updated_message,
        )


def new_token() -> str:
    """Return an interaction token."""
    return "sandbox-" + secrets.token_urlsafe(24)


def _member_payload(world: World, member: Member, channel: Channel) -> dict[str, Any]:
    data = payloads.member(member)
    data["permissions"] = str(world.permissions_in(channel, member.user.id))
    return data


def base_payload(
    world: World,
    guild: Guild,
    channel: Channel,
    member: Member,
    *,
    itype: int,
    token: str,
    iid: int,
    locale: str | None,
) -> dict[str, Any]:
    """Return the fields every guild interaction carries."""
    return {
        "id": str(iid),
        "application_id": str(world.bot_user.id),
        "type": itype,
        "token": token,
        "version": 1,
        "attachment_size_limit": 26_214_400,
        "guild_id": str(guild.id),
        "guild": {"id": str(guild.id), "locale": guild.locale, "features": []},
        "guild_locale": guild.locale,
        "channel_id": str(channel.id),
        "channel": payloads.channel(channel),
        "member": _member_payload(world, member, channel),
        "locale": locale or guild.locale,
        "entitlements": [],
        "app_permissions": str(world.permissions_in(channel, world.bot_user.id)),
        "authorizing_integration_owners": {"0": str(guild.id)},
        "context": 0,
    }


def _option_value(
    world: World,
    guild: Guild,
    channel: Channel,
    value: Any,
    declared: int | None,
    resolved: dict[str, dict[str, Any]],
) -> tuple[int, Any]:
    """Encode one option value; users, channels and roles also go into ``resolved``."""
    if isinstance(value, Member):
        value = value.user
    if isinstance(value, User):
        resolved.setdefault("users", {})[str(value.id)] = payloads.user(value)
        member = guild.members.get(value.id)
        if member is not None:
            data = _member_payload(world, member, channel)
            data.pop("user")
            resolved.setdefault("members", {})[str(value.id)] = data
        return declared or 6, str(value.id)
    if isinstance(value, Channel):
        data = payloads.channel(value)
        data["permissions"] = str(world.permissions_in(value, world.bot_user.id))
        resolved.setdefault("channels", {})[str(value.id)] = data
        return declared or 7, str(value.id)
    if isinstance(value, Role):
        resolved.setdefault("roles", {})[str(value.id)] = payloads.role(value)
        return declared or 8, str(value.id)
    return declared or OPTION_TYPES.get(type(value), 3), value


def _declared(command: Command, path: list[str]) -> dict[str, int]:
    options: list[dict[str, Any]] = command.data.get("options") or []
    for name in path:
        sub = next((o for o in options if o.get("name") == name and o.get("type") in (1, 2)), None)
        if sub is None:
            raise LookupError(f"/{command.data['name']} has no subcommand {name!r}")
        options = sub.get("options") or []
    return {o["name"]: int(o["type"]) for o in options if o.get("type") not in (1, 2)}


def command_data(
    world: World,
    guild: Guild,
    channel: Channel,
    command: Command,
    path: list[str],
    options: dict[str, Any],
) -> dict[str, Any]:
    """Return ``data`` of a slash command interaction (subcommands nested, ``resolved``)."""
    declared = _declared(command, path)
    unknown = set(options) - set(declared)
    if unknown:
        raise LookupError(f"/{command.data['name']} has no option(s) {sorted(unknown)}")
    resolved: dict[str, dict[str, Any]] = {}
    leaf: list[dict[str, Any]] = []
    for name, value in options.items():
        otype, encoded = _option_value(world, guild, channel, value, declared.get(name), resolved)
        leaf.append({"name": name, "type": otype, "value": encoded})
    opts: list[dict[str, Any]] = leaf
    for depth, name in reversed(list(enumerate(path))):
        opts = [{"name": name, "type": 2 if depth < len(path) - 1 else 1, "options": opts}]
    data: dict[str, Any] = {
        "id": str(command.id),
        "name": command.data["name"],
        "type": 1,
        "options": opts,
    }
    if command.guild_id:
        data["guild_id"] = str(command.guild_id)
    if resolved:
        data["resolved"] = resolved
    return data


def find_component(components: list[dict[str, Any]], custom_id: str) -> dict[str, Any] | None:
    """Find a component by ``custom_id`` anywhere in a component tree."""
    for comp in components:
        if comp.get("custom_id") == custom_id:
            return comp
        for key in ("components", "component", "accessory"):
            inner = comp.get(key)
            children = inner if isinstance(inner, list) else [inner] if inner else []
            found = find_component(children, custom_id)
            if found is not None:
                return found
    return None


def modal_submission(components: list[dict[str, Any]], values: dict[str, Any]) -> list[Any]:
    """Mirror a modal's component tree with the member's values (rows and labels kept)."""
    out: list[dict[str, Any]] = []
    for comp in components:
        ctype = comp.get("type")
        if ctype == 1:
            out.append({"type": 1, "components": modal_submission(comp["components"], values)})
        elif ctype == 18:
            inner = modal_submission([comp["component"]], values)
            out.append({"type": 18, "id": comp.get("id", 0), "component": inner[0]})
        elif ctype == 4:
            out.append(
                {
                    "type": 4,
                    "custom_id": comp["custom_id"],
                    "value": str(values.get(comp["custom_id"], "")),
                }
            )
        elif ctype == 3:
            chosen = values.get(comp["custom_id"], [])
            out.append(
                {
                    "type": 3,
                    "custom_id": comp["custom_id"],
                    "values": chosen if isinstance(chosen, list) else [chosen],
                }
            )
    return out
