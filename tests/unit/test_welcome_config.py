"""Welcome setup validation: defaults, ranges, thread kind choice, names."""

from __future__ import annotations

import discord
import pytest

from bot.db.models.welcome import ThreadKind, WelcomeConfig
from bot.errors import FoyerError
from bot.i18n import t
from bot.templates import render
from bot.welcome.config import (
    PLACEHOLDERS,
    choose_thread_kind,
    validate_setup,
    validate_template,
)
from bot.welcome.render import default_template, mentions, thread_name, welcome_text

VALUES = {
    "member": "<@1>",
    "member_name": "Ana",
    "server": "Les Jardiniers",
    "member_count": "42",
    "rules_channel": "<#9>",
    "greeters": "<@&7>",
}


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_default_templates_validate_and_render(lang: str) -> None:
    template = default_template(lang)
    validate_template(template)
    text = render(template, VALUES)
    assert "<@1>" in text and "Les Jardiniers" in text
    assert "{" not in text and "}" not in text


def test_default_template_follows_the_language() -> None:
    assert "Bienvenue" in default_template("fr")
    assert "Welcome" in default_template("en")


@pytest.mark.parametrize(
    ("template", "key"),
    [
        ("Hi {member.guild}", "templates.plain_names_only"),
        ("Hi {0.__class__}", "templates.plain_names_only"),
        ("Hi {member!r}", "templates.no_formatting"),
        ("Hi {member:>10}", "templates.no_formatting"),
        ("Hi {member[0]}", "templates.plain_names_only"),
        ("Hi {{member}", "templates.unbalanced"),
        ("Hi {token}", "templates.unknown_placeholder"),
        ("x" * 5000, "templates.too_long"),
        ("Hello @everyone, meet {member}", "welcome.no_mass_ping"),
        ("@here {member}", "welcome.no_mass_ping"),
    ],
)
def test_unsafe_templates_are_refused(template: str, key: str) -> None:
    with pytest.raises(FoyerError) as caught:
        validate_setup(channel_id=1, template=template)
    assert caught.value.key == key
    assert caught.value.render("fr") != caught.value.render("en")


def test_every_placeholder_is_accepted() -> None:
    validate_template(" ".join("{" + name + "}" for name in PLACEHOLDERS))


def test_typed_line_breaks_become_real_ones() -> None:
    setup = validate_setup(channel_id=1, template="Hi {member}!\\nWho are you?")
    assert setup.template == "Hi {member}!\nWho are you?"


def test_blank_template_means_default() -> None:
    assert validate_setup(channel_id=1, template="   ").template is None


@pytest.mark.parametrize(
    ("options", "key"),
    [
        ({"auto_archive_minutes": 30}, "welcome.bad_auto_archive"),
        ({"nudge_delay_hours": 0}, "welcome.bad_nudge_delay"),
        ({"nudge_delay_hours": 169}, "welcome.bad_nudge_delay"),
        ({"burst_threshold": 2}, "welcome.bad_burst_threshold"),
    ],
)
def test_out_of_range_options_are_refused(options: dict[str, int], key: str) -> None:
    with pytest.raises(FoyerError) as caught:
        validate_setup(channel_id=1, **options)
    assert caught.value.key == key


def test_setup_defaults() -> None:
    setup = validate_setup(channel_id=5)
    assert setup.nudge_delay_minutes == 24 * 60
    assert setup.thread_kind_requested is ThreadKind.PRIVATE
    assert setup.auto_archive_minutes == 1440


BASE = discord.Permissions(view_channel=True, send_messages_in_threads=True)


def _perms(**extra: bool) -> discord.Permissions:
    perms = discord.Permissions(BASE.value)
    perms.update(**extra)
    return perms


def test_private_when_the_bot_may() -> None:
    both = _perms(create_private_threads=True, create_public_threads=True)
    choice = choose_thread_kind(ThreadKind.PRIVATE, both, "en")
    assert choice.kind is ThreadKind.PRIVATE and choice.reason_key == "welcome.kind.private_ok"


def test_public_with_the_reason_when_private_is_not_allowed() -> None:
    choice = choose_thread_kind(ThreadKind.PRIVATE, _perms(create_public_threads=True), "en")
    assert choice.kind is ThreadKind.PUBLIC
    assert choice.reason_key == "welcome.kind.private_unavailable"
    assert "Create Private Threads" in t(choice.reason_key, "en")


def test_public_when_asked_even_if_private_is_possible() -> None:
    both = _perms(create_private_threads=True, create_public_threads=True)
    assert choose_thread_kind(ThreadKind.PUBLIC, both, "en").kind is ThreadKind.PUBLIC


def test_refused_with_the_permissions_to_grant_in_french() -> None:
    with pytest.raises(FoyerError) as caught:
        choose_thread_kind(ThreadKind.PUBLIC, discord.Permissions.none(), "fr")
    text = caught.value.render("fr")
    assert "Créer des fils publics" in text and "Voir le salon" in text


def test_thread_name_is_translated_and_cut() -> None:
    assert thread_name("fr", "Ana") == "Bienvenue Ana"
    assert thread_name("en", "Ana") == "Welcome Ana"
    assert len(thread_name("en", "x" * 300)) == 100


def test_allowed_mentions_never_include_everyone() -> None:
    body = mentions([discord.Object(1)], discord.Object(7)).to_dict()
    assert body["parse"] == []
    assert body["users"] == [1] and body["roles"] == [7]
    assert mentions().to_dict() == {"parse": []}


def test_greeter_line_added_unless_the_template_places_them() -> None:
    class Role:
        mention = "<@&7>"

    plain = welcome_text(WelcomeConfig(template="Hi {member}"), "en", VALUES, Role())  # type: ignore[arg-type]
    assert plain.startswith("Hi <@1>") and plain.count("<@&7>") == 1
    placed = welcome_text(WelcomeConfig(template="{greeters} meet {member}"), "en", VALUES, Role())  # type: ignore[arg-type]
    assert placed == "<@&7> meet <@1>"
