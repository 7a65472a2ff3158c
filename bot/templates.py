"""Safe rendering of admin-written texts (welcome messages, ritual posts).

`str.format` on an admin's text would let `{member.guild}` or `{0.__class__}` reach into
Python objects. Here a template may only name plain placeholders from an allowed set; it
is checked when the admin saves it, so a bad template is refused with a clear message and
never stored, and rendering only substitutes strings.

A template may also be refused for what it would become: `longest_render` fills each
placeholder with the longest value it can take, so a text that could pass Discord's
2,000-character limit once filled in is refused when saved, not at every post.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from string import Formatter

from bot.errors import FoyerError
from bot.user_input import check_text, has_visible_character

MAX_TEMPLATE_LENGTH = 2_000
#: Discord's limit on a message's content.
DISCORD_MESSAGE_LIMIT = 2_000


def validate(
    template: str, allowed: Iterable[str], *, max_length: int = MAX_TEMPLATE_LENGTH
) -> None:
    """Refuse anything but `{name}` with a name from `allowed`; raise a translated error."""
    allowed = set(allowed)
    if not has_visible_character(template):
        raise FoyerError("templates.empty")
    check_text(template)
    if len(template) > max_length:
        raise FoyerError("templates.too_long", length=len(template), limit=max_length)
    try:
        fields = list(Formatter().parse(template))
    except ValueError:
        raise FoyerError("templates.unbalanced") from None
    for _literal, name, spec, conversion in fields:
        if name is None:
            continue
        if conversion is not None or spec:
            raise FoyerError("templates.no_formatting", field=_shown(name, spec, conversion))
        if not name.isidentifier():
            raise FoyerError("templates.plain_names_only", field=_shown(name, spec, conversion))
        if name not in allowed:
            raise FoyerError(
                "templates.unknown_placeholder",
                field=name,
                allowed=", ".join(f"{{{a}}}" for a in sorted(allowed)),
            )


def longest_render(template: str, longest: Mapping[str, int]) -> int:
    """The length of `template` once rendered with each placeholder at its longest
    (`longest[name]` characters; a name missing from it counts as empty)."""
    return len(render(template, {name: "x" * size for name, size in longest.items()}))


def render(template: str, values: Mapping[str, str]) -> str:
    """Substitute placeholders of a template that `validate` accepted."""
    parts: list[str] = []
    for literal, name, _spec, _conversion in Formatter().parse(template):
        parts.append(literal)
        if name is not None:
            parts.append(str(values.get(name, "")))
    return "".join(parts)


def _shown(name: str, spec: str | None, conversion: str | None) -> str:
    conv = f"!{conversion}" if conversion else ""
    fmt = f":{spec}" if spec else ""
    return "{" + name + conv + fmt + "}"
