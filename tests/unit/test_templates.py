"""The safe formatter for admin-written texts: what it accepts, what it refuses and why."""

from __future__ import annotations

import pytest

from bot.errors import FoyerError
from bot.i18n import LANGUAGES, formatting
from bot.templates import MAX_TEMPLATE_LENGTH, render, validate

ALLOWED = {"member", "server"}


@pytest.mark.parametrize(
    "template",
    [
        "Bienvenue {member} !",
        "{member} rejoint {server}",
        "Des accolades : {{ et }}",
        "{{member}} s'affiche tel quel",
        "Pas de champ du tout",
        "x" * MAX_TEMPLATE_LENGTH,
    ],
)
def test_accepts_plain_allowed_names(template: str) -> None:
    validate(template, ALLOWED)


def test_render_substitutes_and_unescapes() -> None:
    text = "Salut {member}, bienvenue sur {server} {{ici}}"
    validate(text, ALLOWED)
    assert render(text, {"member": "<@1>", "server": "Foyer"}) == (
        "Salut <@1>, bienvenue sur Foyer {ici}"
    )


def test_render_never_formats_the_values() -> None:
    """A member named `{0.__class__}` stays a name: values are substituted, not parsed."""
    assert render("{member}!", {"member": "{0.__class__}"}) == "{0.__class__}!"


def test_render_leaves_a_missing_value_empty() -> None:
    assert render("a{member}b", {}) == "ab"


REFUSED = [
    ("{member.guild}", "templates.plain_names_only", {"field": "{member.guild}"}),
    ("{0.__class__}", "templates.plain_names_only", {"field": "{0.__class__}"}),
    ("{member[0]}", "templates.plain_names_only", {"field": "{member[0]}"}),
    ("{}", "templates.plain_names_only", {"field": "{}"}),
    ("{0}", "templates.plain_names_only", {"field": "{0}"}),
    ("{ member}", "templates.plain_names_only", {"field": "{ member}"}),
    ("{member!r}", "templates.no_formatting", {"field": "{member!r}"}),
    ("{member:>10}", "templates.no_formatting", {"field": "{member:>10}"}),
    ("{member:{server}}", "templates.no_formatting", {"field": "{member:{server}}"}),
    ("{{member}", "templates.unbalanced", {}),
    ("{a{b}}", "templates.unbalanced", {}),
    ("Bonjour {", "templates.unbalanced", {}),
    ("Bonjour }", "templates.unbalanced", {}),
    ("{membre}", "templates.unknown_placeholder", {"field": "membre"}),
    ("x" * 5_000, "templates.too_long", {"length": 5_000, "limit": MAX_TEMPLATE_LENGTH}),
    ("", "templates.empty", {}),
    ("   \n ", "templates.empty", {}),
]


@pytest.mark.parametrize(("template", "key", "params"), REFUSED, ids=[r[1] for r in REFUSED])
def test_refuses_with_the_right_reason(template: str, key: str, params: dict[str, object]) -> None:
    with pytest.raises(FoyerError) as info:
        validate(template, ALLOWED)
    assert info.value.key == key
    for name, value in params.items():
        assert info.value.params[name] == value


@pytest.mark.parametrize(("template", "key", "params"), REFUSED, ids=[r[1] for r in REFUSED])
def test_refusals_read_well_in_both_languages(
    template: str, key: str, params: dict[str, object]
) -> None:
    with pytest.raises(FoyerError) as info:
        validate(template, ALLOWED)
    en, fr = (info.value.render(lang) for lang in LANGUAGES)
    assert en != fr
    if key != "templates.empty":
        assert "Nothing was saved" in en and "Rien n'a été enregistré" in fr
    for value in params.values():  # counts as each language groups digits (CLDR)
        assert formatting.number(value, "en") in en if isinstance(value, int) else str(value) in en
        assert formatting.number(value, "fr") in fr if isinstance(value, int) else str(value) in fr


def test_unknown_placeholder_lists_the_allowed_ones() -> None:
    with pytest.raises(FoyerError) as info:
        validate("{membre}", ALLOWED)
    assert info.value.render("fr") == (
        "{membre} n'est pas un champ que je connais. Vous pouvez utiliser : "
        "{member}, {server}. Rien n'a été enregistré."
    )


def test_limit_is_configurable() -> None:
    validate("x" * 100, ALLOWED, max_length=100)
    with pytest.raises(FoyerError) as info:
        validate("x" * 101, ALLOWED, max_length=100)
    assert info.value.params == {"length": 101, "limit": 100}
