"""What `/welcome setup` accepts: every value is checked here, before anything is written.

The template is the admin's text; only the plain placeholders below may appear in it (see
bot/templates.py). The thread kind is chosen from the bot's permissions in the channel:
private where the bot may create private threads, public otherwise, and the admin is told
which one was used and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot import templates
from bot.db.models.welcome import (
    DEFAULT_AUTO_ARCHIVE_MINUTES,
    DEFAULT_BURST_THRESHOLD,
    DEFAULT_NUDGE_DELAY_MINUTES,
    ThreadKind,
)
from bot.errors import FoyerError
from bot.welcome.render import permission_labels

# Plain names an admin may use in a welcome template, with what each becomes.
PLACEHOLDERS: tuple[str, ...] = (
    "member",  # a mention of the newcomer (pings them, nobody else)
    "member_name",  # their display name, as plain text
    "server",  # the server's name
    "member_count",  # how many members the server has now
    "rules_channel",  # a link to the rules channel (empty when the server has none)
    "greeters",  # a mention of the greeter role (empty when none is set)
)
AUTO_ARCHIVE_CHOICES: tuple[int, ...] = (60, 1440, 4320, 10080)  # what Discord accepts
NUDGE_DELAY_HOURS = (1, 168)
BURST_THRESHOLD_RANGE = (3, 100)


class ChannelPermissions(Protocol):
    """The bot's permissions in a channel, as far as welcomes read them (a
    `discord.Permissions` has them): the rules stay free of discord.py."""

    @property
    def view_channel(self) -> bool: ...
    @property
    def send_messages_in_threads(self) -> bool: ...
    @property
    def create_private_threads(self) -> bool: ...
    @property
    def create_public_threads(self) -> bool: ...


@dataclass(frozen=True)
class WelcomeSetup:
    """A validated `/welcome setup`: what will be stored."""

    channel_id: int
    thread_kind_requested: ThreadKind = ThreadKind.PRIVATE
    greeter_role_id: int | None = None
    template: str | None = None  # None: the default text in the guild's language
    auto_archive_minutes: int = DEFAULT_AUTO_ARCHIVE_MINUTES
    nudge_delay_minutes: int = DEFAULT_NUDGE_DELAY_MINUTES
    burst_threshold: int = DEFAULT_BURST_THRESHOLD


@dataclass(frozen=True)
class ThreadChoice:
    """The thread kind the bot will use, and the catalogue key explaining why."""

    kind: ThreadKind
    reason_key: str


def normalize_template(template: str) -> str:
    """Slash-command options are one line: `\\n` typed by the admin is a line break."""
    return template.replace("\\n", "\n")


def validate_template(template: str) -> None:
    """Refuse attribute/index access, conversions, unknown names, overlong texts, and
    @everyone/@here (they would not ping, allowed mentions forbid it, but would mislead)."""
    templates.validate(template, PLACEHOLDERS)
    if "@everyone" in template or "@here" in template:
        raise FoyerError("welcome.no_mass_ping")


def validate_setup(
    *,
    channel_id: int,
    thread_kind_requested: ThreadKind = ThreadKind.PRIVATE,
    greeter_role_id: int | None = None,
    template: str | None = None,
    auto_archive_minutes: int = DEFAULT_AUTO_ARCHIVE_MINUTES,
    nudge_delay_hours: int = DEFAULT_NUDGE_DELAY_MINUTES // 60,
    burst_threshold: int = DEFAULT_BURST_THRESHOLD,
) -> WelcomeSetup:
    """Check every value and return what to store; raise a translated `FoyerError`."""
    if template is not None:
        template = normalize_template(template) if template.strip() else None
    if template is not None:
        validate_template(template)
    if auto_archive_minutes not in AUTO_ARCHIVE_CHOICES:
        raise FoyerError(
            "welcome.bad_auto_archive",
            value=auto_archive_minutes,
            allowed=", ".join(str(v) for v in AUTO_ARCHIVE_CHOICES),
        )
    low, high = NUDGE_DELAY_HOURS
    if not low <= nudge_delay_hours <= high:
        raise FoyerError("welcome.bad_nudge_delay", value=nudge_delay_hours, low=low, high=high)
    low, high = BURST_THRESHOLD_RANGE
    if not low <= burst_threshold <= high:
        raise FoyerError("welcome.bad_burst_threshold", value=burst_threshold, low=low, high=high)
    return WelcomeSetup(
        channel_id=channel_id,
        thread_kind_requested=thread_kind_requested,
        greeter_role_id=greeter_role_id,
        template=template,
        auto_archive_minutes=auto_archive_minutes,
        nudge_delay_minutes=nudge_delay_hours * 60,
        burst_threshold=burst_threshold,
    )


def required_permissions(kind: ThreadKind) -> dict[str, bool]:
    """Channel permissions the bot needs to welcome with threads of `kind`."""
    create = "create_private_threads" if kind == ThreadKind.PRIVATE else "create_public_threads"
    return {"view_channel": True, "send_messages_in_threads": True, create: True}


def missing_permissions(perms: ChannelPermissions, kind: ThreadKind) -> list[str]:
    """Names (discord.py's) of the permissions in `required_permissions` that are absent."""
    return [name for name in required_permissions(kind) if not getattr(perms, name)]


def choose_thread_kind(requested: ThreadKind, perms: ChannelPermissions, lang: str) -> ThreadChoice:
    """Private where possible when private is asked, public otherwise; refuse with the
    permissions to grant when the bot can make neither."""
    if requested == ThreadKind.PRIVATE:
        if not missing_permissions(perms, ThreadKind.PRIVATE):
            return ThreadChoice(ThreadKind.PRIVATE, "welcome.kind.private_ok")
        if not missing_permissions(perms, ThreadKind.PUBLIC):
            return ThreadChoice(ThreadKind.PUBLIC, "welcome.kind.private_unavailable")
    elif not missing_permissions(perms, ThreadKind.PUBLIC):
        return ThreadChoice(ThreadKind.PUBLIC, "welcome.kind.public_requested")
    missing = missing_permissions(perms, requested)
    raise FoyerError("welcome.setup_missing_permissions", perms=permission_labels(missing, lang))
