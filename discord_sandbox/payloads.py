"""Wire payloads (JSON dicts) built from sandbox state.

One function per Discord object. Shapes follow the official OpenAPI schema so the same
dicts serve REST responses (validated in tests) and gateway dispatches.
"""

from __future__ import annotations

from typing import Any

from .snowflake import iso, time_of
from .state import Channel, Command, Guild, Member, Message, Role, User, World

CDN = "https://cdn.discordapp.com"
JSON = dict[str, Any]


def user(u: User) -> JSON:
    """Return a user object."""
    return {
        "id": str(u.id),
        "username": u.username,
        "avatar": None,
        "discriminator": "0",
        "public_flags": 0,
        "flags": 0,
        "bot": u.bot,
        "global_name": u.global_name,
        "primary_guild": None,
    }


def role(r: Role) -> JSON:
    """Return a role object."""
    return {
        "id": str(r.id),
        "name": r.name,
        "permissions": str(r.permissions),
        "position": r.position,
        "color": r.color,
        "colors": {"primary_color": r.color, "secondary_color": None, "tertiary_color": None},
        "hoist": r.hoist,
        "managed": False,
        "mentionable": r.mentionable,
        "icon": None,
        "unicode_emoji": None,
        "description": None,
        "flags": 0,
    }


def member(m: Member, *, with_guild_id: bool = False) -> JSON:
    """Return a guild member object."""
    data: JSON = {
        "user": user(m.user),
        "roles": [str(r) for r in m.roles],
        "joined_at": iso(m.joined_at),
        "nick": m.nick,
        "avatar": None,
        "banner": None,
        "communication_disabled_until": (
            iso(m.communication_disabled_until) if m.communication_disabled_until else None
        ),
        "flags": 0,
        "pending": False,
        "premium_since": None,
        "mute": False,
        "deaf": False,
    }
    if with_guild_id:
        data["guild_id"] = str(m.guild_id)
    return data


def overwrites(ch: Channel) -> list[JSON]:
    """Return a channel's permission overwrites."""
    return [
        {"id": str(o.id), "type": o.type, "allow": str(o.allow), "deny": str(o.deny)}
        for o in ch.overwrites
    ]


def channel(ch: Channel) -> JSON:
    """Return a guild channel or thread object."""
    data: JSON = {
        "id": str(ch.id),
        "type": ch.type,
        "guild_id": str(ch.guild_id),
        "name": ch.name,
        "flags": 0,
        "parent_id": str(ch.parent_id) if ch.parent_id else None,
        "last_message_id": str(ch.last_message_id) if ch.last_message_id else None,
        "rate_limit_per_user": 0,
    }
    if ch.is_thread:
        data.update(
            {
                "owner_id": str(ch.owner_id),
                "message_count": ch.message_count,
                "total_message_sent": ch.message_count,
                "member_count": len(ch.thread_members),
                "thread_metadata": {
                    "archived": ch.archived,
                    "archive_timestamp": iso(ch.archive_timestamp),
                    "auto_archive_duration": ch.auto_archive_duration,
                    "locked": ch.locked,
                    "create_timestamp": iso(ch.created_at),
                },
            }
        )
    else:
        data.update(
            {
                "position": ch.position,
                "permission_overwrites": overwrites(ch),
                "nsfw": False,
            }
        )
        if ch.type == 0:
            data["topic"] = ch.topic
    return data


def thread_member(th: Channel, user_id: int) -> JSON:
    """Return a thread member object."""
    return {
        "id": str(th.id),
        "user_id": str(user_id),
        "flags": 0,
        "join_timestamp": iso(th.thread_members[user_id]),
    }


def _attachment(a: JSON) -> JSON:
    return {k: v for k, v in a.items() if k != "data"}


def message(world: World, m: Message, *, nested: bool = False) -> JSON:
    """Return a message object (``nested`` for ``referenced_message``: no recursion)."""
    data: JSON = {
        "id": str(m.id),
        "channel_id": str(m.channel_id),
        "type": m.type,
        "author": user(m.author),
        "content": m.content,
        "embeds": m.embeds,
        "attachments": [_attachment(a) for a in m.attachments],
        "components": m.components,
        "timestamp": iso(time_of(m.id)),
        "edited_timestamp": iso(m.edited_at) if m.edited_at else None,
        "flags": m.flags,
        "mentions": [user(world.users[u]) for u in m.mentions if u in world.users],
        "mention_roles": [str(r) for r in m.mention_roles],
        "pinned": False,
        "mention_everyone": False,
        "tts": False,
    }
    if m.webhook_id:
        data["webhook_id"] = str(m.webhook_id)
        data["application_id"] = str(m.webhook_id)
    if m.interaction_metadata is not None:
        data["interaction_metadata"] = m.interaction_metadata
    if m.reactions:
        data["reactions"] = [
            {
                "emoji": emoji(k),
                "count": len(v),
                "me": world.bot_user.id in v,
                "me_burst": False,
                "burst_colors": [],
                "count_details": {"burst": 0, "normal": len(v)},
            }
            for k, v in m.reactions.items()
            if v
        ]
    if m.reply_to is not None:
        data["message_reference"] = {
            "type": 0,
            "channel_id": str(m.channel_id),
            "message_id": str(m.reply_to),
        }
        if m.guild_id:
            data["message_reference"]["guild_id"] = str(m.guild_id)
        if not nested:
            target = world.messages.get(m.reply_to)
            data["referenced_message"] = message(world, target, nested=True) if target else None
    if m.thread_id and m.thread_id in world.channels and not nested:
        data["thread"] = channel(world.channels[m.thread_id])
    return data


def emoji(key: str) -> JSON:
    """Return an emoji object from a key: a unicode emoji, or ``name:id`` for custom ones."""
    if ":" in key:
        name, _, eid = key.partition(":")
        return {"id": eid, "name": name}
    return {"id": None, "name": key}


def _perm_string(value: Any) -> str | None:
    return None if value is None else str(value)


def command(c: Command) -> JSON:
    """Return an application command as Discord echoes it back."""
    d = c.data
    data: JSON = {
        "id": str(c.id),
        "application_id": str(c.application_id),
        "version": str(c.version),
        "type": d.get("type", 1),
        "name": d["name"],
        "description": d.get("description", ""),
        "default_member_permissions": _perm_string(d.get("default_member_permissions")),
        "dm_permission": d.get("dm_permission", True),
        "nsfw": d.get("nsfw", False),
        "name_localizations": d.get("name_localizations"),
        "description_localizations": d.get("description_localizations"),
        "contexts": d.get("contexts"),
        "integration_types": d.get("integration_types") or [0],
    }
    if d.get("options"):
        data["options"] = d["options"]
    if c.guild_id:
        data["guild_id"] = str(c.guild_id)
    return data


def guild_create(world: World, g: Guild, *, newly_joined: bool = False) -> JSON:
    """Return the GUILD_CREATE payload: full guild with roles, channels, members, threads.

    ``unavailable: false`` marks a guild announced in READY becoming available; a guild the
    bot just joined has no ``unavailable`` key (discord.py then fires ``on_guild_join``).
    """
    chans = [c for c in g.channels.values() if not c.is_thread]
    threads = [c for c in g.channels.values() if c.is_thread and not c.archived]
    data: JSON = {
        "id": str(g.id),
        "name": g.name,
        "owner_id": str(g.owner_id),
        "icon": None,
        "preferred_locale": g.locale,
        "features": [],
        "large": False,
        "member_count": len(g.members),
        "roles": [role(r) for r in g.roles.values()],
        "channels": [channel(c) for c in chans],
        "threads": [channel(t) for t in threads],
        "members": [member(m) for m in g.members.values()],
        "presences": [],
        "voice_states": [],
        "emojis": [],
        "stickers": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
        "joined_at": iso(g.members[world.bot_user.id].joined_at)
        if world.bot_user.id in g.members
        else None,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "mfa_level": 0,
        "nsfw_level": 0,
        "premium_tier": 0,
        "system_channel_flags": 0,
        "afk_timeout": 300,
        "description": None,
    }
    if not newly_joined:
        data["unavailable"] = False
    return data


def guild(g: Guild) -> JSON:
    """Return a guild object for REST (``GET /guilds/{id}``)."""
    return {
        "id": str(g.id),
        "name": g.name,
        "icon": None,
        "description": None,
        "home_header": None,
        "splash": None,
        "discovery_splash": None,
        "features": [],
        "banner": None,
        "owner_id": str(g.owner_id),
        "application_id": None,
        "region": "europe",
        "afk_channel_id": None,
        "afk_timeout": 300,
        "system_channel_id": None,
        "system_channel_flags": 0,
        "widget_enabled": False,
        "widget_channel_id": None,
        "verification_level": 0,
        "roles": [role(r) for r in g.roles.values()],
        "default_message_notifications": 0,
        "mfa_level": 0,
        "explicit_content_filter": 0,
        "max_presences": None,
        "max_members": 500000,
        "max_stage_video_channel_users": 50,
        "max_video_channel_users": 25,
        "vanity_url_code": None,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": g.locale,
        "rules_channel_id": None,
        "safety_alerts_channel_id": None,
        "public_updates_channel_id": None,
        "premium_progress_bar_enabled": False,
        "nsfw": False,
        "nsfw_level": 0,
        "emojis": [],
        "stickers": [],
        "approximate_member_count": len(g.members),
        "approximate_presence_count": 0,
    }


def normalize_components(components: list[JSON] | None) -> list[JSON]:
    """Return components as Discord stores them: numbered ``id`` (depth-first from 1) and
    select defaults filled in, so echoes match the schema and what the bot reads back."""
    counter = iter(range(1, 1_000_000))

    def walk(items: list[JSON]) -> list[JSON]:
        out = []
        for item in items:
            comp = dict(item)
            comp.setdefault("id", next(counter))
            if comp.get("type") in (3, 5, 6, 7, 8):
                comp.setdefault("min_values", 1)
                comp.setdefault("max_values", 1)
            if isinstance(comp.get("components"), list):
                comp["components"] = walk(comp["components"])
            if isinstance(comp.get("component"), dict):
                comp["component"] = walk([comp["component"]])[0]
            out.append(comp)
        return out

    return walk(list(components or []))
