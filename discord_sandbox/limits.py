"""Discord's limits on what a bot sends: text, embeds, components, thread names, modals.

Each check raises :class:`FormError`, answered as Discord does: 400, code 50035
``Invalid Form Body`` and an ``errors`` object keyed by the JSON path of the bad field
(docs: reference#error-messages, message#embed-object-embed-limits, the OpenAPI
``maxLength``/``maxItems`` of the request schemas).
"""

from __future__ import annotations

import unicodedata
from typing import Any

CONTENT_MAX = 2000
EMBEDS_MAX = 10
EMBED_TOTAL_MAX = 6000
EMBED_TEXT = {"title": 256, "description": 4096}
FIELDS_MAX = 25
FIELD_TEXT = {"name": 256, "value": 1024}
FOOTER_MAX = 2048
AUTHOR_MAX = 256
THREAD_NAME_MAX = 100
ACTION_ROWS_MAX = 5  # without the IS_COMPONENTS_V2 flag
V2_COMPONENTS_MAX = 40
ROW_BUTTONS_MAX = 5
BUTTON_LABEL_MAX = 80
CUSTOM_ID_MAX = 100
SELECT_OPTIONS_MAX = 25
SELECT_PLACEHOLDER_MAX = 150
OPTION_TEXT_MAX = 100
MODAL_TITLE_MAX = 45
MODAL_COMPONENTS_MAX = 5
TEXT_INPUT = {"label": 45, "placeholder": 100, "value": 4000}
IS_COMPONENTS_V2 = 1 << 15
BUTTON, TEXT_INPUT_TYPE, ACTION_ROW = 2, 4, 1
SELECTS = (3, 5, 6, 7, 8)


class FormError(Exception):
    """A 400 50035 answer; ``errors`` is Discord's nested error object."""

    def __init__(self, path: list[str | int], code: str, message: str) -> None:
        super().__init__(message)
        self.path, self.code, self.message = list(path), code, message

    @property
    def errors(self) -> dict[str, Any]:
        """Return Discord's ``errors`` object: the field's path down to ``_errors``."""
        tree: dict[str, Any] = {"_errors": [{"code": self.code, "message": self.message}]}
        for key in reversed(self.path):
            tree = {str(key): tree}
        return tree


def _too_long(path: list[str | int], limit: int) -> FormError:
    return FormError(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")


def _length(value: Any) -> int:
    """Count characters as Discord does (leading and trailing whitespace trimmed)."""
    return len(str(value).strip()) if value is not None else 0


def _max_len(value: Any, limit: int, path: list[str | int]) -> None:
    if value is not None and _length(value) > limit:
        raise _too_long(path, limit)


def _max_items(items: Any, limit: int, path: list[str | int]) -> list[Any]:
    found = list(items or [])
    if len(found) > limit:
        raise _too_long(path, limit)
    return found


def check_embeds(embeds: Any, path: list[str | int] | None = None) -> None:
    """Apply the per-field embed limits, at most 10 embeds and 6,000 characters in all."""
    base: list[str | int] = path or ["embeds"]
    total = 0
    for i, embed in enumerate(_max_items(embeds, EMBEDS_MAX, base)):
        if not isinstance(embed, dict):
            continue
        at: list[str | int] = [*base, i]
        for key, limit in EMBED_TEXT.items():
            _max_len(embed.get(key), limit, [*at, key])
            total += _length(embed.get(key))
        for j, field in enumerate(_max_items(embed.get("fields"), FIELDS_MAX, [*at, "fields"])):
            for key, limit in FIELD_TEXT.items():
                _max_len(field.get(key), limit, [*at, "fields", j, key])
                total += _length(field.get(key))
        footer = embed.get("footer") or {}
        _max_len(footer.get("text"), FOOTER_MAX, [*at, "footer", "text"])
        author = embed.get("author") or {}
        _max_len(author.get("name"), AUTHOR_MAX, [*at, "author", "name"])
        total += _length(footer.get("text")) + _length(author.get("name"))
    if total > EMBED_TOTAL_MAX:
        raise FormError(
            base, "MAX_EMBED_SIZE_EXCEEDED", f"Embed size exceeds maximum size of {EMBED_TOTAL_MAX}"
        )


def _check_component(comp: Any, path: list[str | int]) -> None:
    if not isinstance(comp, dict):
        return
    ctype = comp.get("type")
    if "custom_id" in comp:
        _max_len(comp.get("custom_id"), CUSTOM_ID_MAX, [*path, "custom_id"])
    if ctype == BUTTON:
        _max_len(comp.get("label"), BUTTON_LABEL_MAX, [*path, "label"])
    elif ctype in SELECTS:
        _max_len(comp.get("placeholder"), SELECT_PLACEHOLDER_MAX, [*path, "placeholder"])
        options = _max_items(comp.get("options"), SELECT_OPTIONS_MAX, [*path, "options"])
        for j, option in enumerate(options):
            for key in ("label", "value", "description"):
                _max_len(option.get(key), OPTION_TEXT_MAX, [*path, "options", j, key])
    elif ctype == TEXT_INPUT_TYPE:
        for key, limit in TEXT_INPUT.items():
            _max_len(comp.get(key), limit, [*path, key])
    elif ctype == ACTION_ROW:
        children = list(comp.get("components") or [])
        if any(isinstance(c, dict) and c.get("type") in SELECTS for c in children):
            _max_items(children, 1, [*path, "components"])
        _max_items(children, ROW_BUTTONS_MAX, [*path, "components"])
    for key in ("components", "component", "accessory"):
        inner = comp.get(key)
        if isinstance(inner, list):
            for j, child in enumerate(inner):
                _check_component(child, [*path, key, j])
        elif isinstance(inner, dict):
            _check_component(inner, [*path, key])
    if ctype == TEXT_INPUT_TYPE and "label" in comp and not _length(comp.get("label")):
        raise FormError([*path, "label"], "BASE_TYPE_REQUIRED", "This field is required")


def check_components(components: Any, flags: int = 0) -> None:
    """Apply the component limits (5 rows, 5 buttons a row, labels 80, custom ids 100)."""
    limit = V2_COMPONENTS_MAX if flags & IS_COMPONENTS_V2 else ACTION_ROWS_MAX
    for i, comp in enumerate(_max_items(components, limit, ["components"])):
        _check_component(comp, ["components", i])


def check_message(body: dict[str, Any], under: str | None = None) -> None:
    """Check a message body (create, edit, follow-up; an interaction response's ``data``
    with ``under="data"``, so the error names ``data.content``)."""
    try:
        _max_len(body.get("content"), CONTENT_MAX, ["content"])
        if body.get("embeds") is not None:
            check_embeds(body.get("embeds"))
        if body.get("components") is not None:
            check_components(body.get("components"), int(body.get("flags") or 0))
    except FormError as err:
        if under is not None:
            err.path.insert(0, under)
        raise


def check_thread_name(name: Any, *, required: bool = True) -> None:
    """Thread names are 1 to 100 characters."""
    if name is None and not required:
        return
    if not 1 <= _length(name) <= THREAD_NAME_MAX:
        raise FormError(
            ["name"], "BASE_TYPE_BAD_LENGTH", f"Must be between 1 and {THREAD_NAME_MAX} in length."
        )


def check_modal(data: dict[str, Any]) -> None:
    """A modal: title 45, custom_id 100, at most 5 components, text input limits."""
    _max_len(data.get("title"), MODAL_TITLE_MAX, ["data", "title"])
    _max_len(data.get("custom_id"), CUSTOM_ID_MAX, ["data", "custom_id"])
    components = _max_items(data.get("components"), MODAL_COMPONENTS_MAX, ["data", "components"])
    for i, comp in enumerate(components):
        _check_component(comp, ["data", "components", i])


#: Option types of a sub-command and of a sub-command group: their options are named too.
_SUB_COMMAND_TYPES = (1, 2)


def _in_deva_or_thai(ch: str) -> bool:
    """Devanagari or Thai (the regex's \\p{sc=Deva} and \\p{sc=Thai}), marks included."""
    code = ord(ch)
    return 0x0900 <= code <= 0x097F or 0xA8E0 <= code <= 0xA8FF or 0x0E00 <= code <= 0x0E7F


def valid_command_name(name: Any) -> bool:
    """Discord's rule for CHAT_INPUT command and option names (application-commands#
    application-command-naming): ``^[-_'\\p{L}\\p{N}\\p{sc=Deva}\\p{sc=Thai}]{1,32}$``, and a
    letter that has a lowercase form must be written in it. Accents are letters: "santé"
    passes; "Santé", "two words" and "quoi?" do not."""
    if not isinstance(name, str) or not 1 <= len(name) <= 32:
        return False
    for ch in name:
        allowed = ch in "-_'" or unicodedata.category(ch)[0] in "LN" or _in_deva_or_thai(ch)
        if not allowed or ch.lower() != ch:
            return False
    return True


def check_command(data: dict[str, Any], path: list[str | int] | None = None) -> None:
    """A slash command's name, its localized names and every option's, as Discord checks
    them on an upsert (400 50035 ``APPLICATION_COMMAND_INVALID_NAME``)."""
    path = path or []
    if data.get("type", 1) == 1 or path:
        names = [("name", data.get("name"))]
        names += [
            ("name_localizations", v) for v in (data.get("name_localizations") or {}).values()
        ]
        for field, value in names:
            if not valid_command_name(value):
                raise FormError(
                    [*path, field], "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid"
                )
    for i, option in enumerate(data.get("options") or ()):
        if isinstance(option, dict):
            check_command(option, [*path, "options", i])
