"""The bot's application commands as texts name them: mentions, or localized names.

A text that names a command writes ``{/health}`` (see `bot.i18n.formatting`); this module
turns it into ``</health:1234>``, the mention Discord's client shows in the reader's own
language and makes clickable. The ids exist only once Discord has the commands: the bot
calls `remember_commands` with the tree it syncs (translated payload, no ids yet) and then
with what `tree.sync()` or `tree.fetch_commands()` returned (ids). Until an id is known,
or for a name Discord never had, the command is written by its name in the reader's
language ("/santé"): the one Discord was given, else (before any sync, or in code that runs
without the bot) the catalogue's ``cmd.<command>...name`` keys; never the English name in
a French text.

Kept in memory, per process: a command's id is the same in every guild for a global
command; with a development guild (`FOYER_DEV_GUILD_ID`) there is one tree anyway.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

#: Option type of a sub-command and of a sub-command group in Discord's payloads.
_SUB_COMMAND, _SUB_COMMAND_GROUP = 1, 2


@dataclass
class _Known:
    """One command or sub-command: its id (of the top-level command) and localized name."""

    command_id: int | None = None
    names: dict[str, str] = field(default_factory=dict)


_known: dict[str, _Known] = {}


def remember_commands(payloads: Iterable[Mapping[str, Any]]) -> None:
    """Learn commands from Discord-shaped payloads (`AppCommand.to_dict()`, or the tree's
    translated payload): each name, sub-command and group, with the top-level id if any.
    A payload without an id keeps the id already known for that name."""
    for payload in payloads:
        top_id = int(payload["id"]) if payload.get("id") else None
        _learn(payload, (), top_id)


def _learn(
    node: Mapping[str, Any], parents: tuple[tuple[str, dict[str, str]], ...], top_id: int | None
) -> None:
    names = {str(k): str(v) for k, v in (node.get("name_localizations") or {}).items()}
    path = (*parents, (str(node["name"]), names))
    qualified = " ".join(name for name, _ in path)
    known = _known.setdefault(qualified, _Known())
    if top_id is not None:
        known.command_id = top_id
    # `fetch_commands()` answers without localizations: keep the ones the tree gave.
    languages = {lang for _, localized in path for lang in localized}
    if languages:
        known.names = {
            lang: " ".join(localized.get(lang, name) for name, localized in path)
            for lang in languages
        }
    for option in node.get("options") or ():
        if option.get("type") in (_SUB_COMMAND, _SUB_COMMAND_GROUP):
            _learn(option, path, top_id)


def forget_commands() -> None:
    """Forget every command (tests, and a bot that starts again in the same process)."""
    _known.clear()


def mention(name: str, lang: str) -> str:
    """``</name:id>`` for the command `name` (English qualified name: "privacy export"),
    or its name in `lang` ("/confidentialité exporter") when its id is unknown."""
    known = _known.get(name)
    if known is not None and known.command_id is not None:
        return f"</{name}:{known.command_id}>"
    localized = _localized(known, str(lang)) if known is not None else None
    return f"/{localized or _declared_names().get(name, {}).get(str(lang)) or name}"


@cache
def _declared_names() -> dict[str, dict[str, str]]:
    """English qualified name -> {language: qualified name}, from the catalogue's
    ``cmd.<command>[.<group>][.<sub>].name`` keys the cogs declare their names with: the
    names before the bot has synced (or in code that runs without it)."""
    from bot.i18n import catalogue  # this module is imported by bot.i18n itself

    texts = catalogue()
    names: dict[str, dict[str, str]] = {}
    for key in texts:
        parts = key.split(".")
        if parts[0] != "cmd" or parts[-1] != "name" or len(parts) < 3:
            continue
        chain = [".".join(parts[: i + 1]) + ".name" for i in range(1, len(parts) - 1)]
        if all(link in texts for link in chain):
            english = " ".join(texts[link]["en"] for link in chain)
            names[english] = {
                lang: " ".join(texts[link].get(lang, texts[link]["en"]) for link in chain)
                for lang in ("en", "fr")
            }
    return names


def _localized(known: _Known, lang: str) -> str | None:
    """The name in `lang` from Discord's locales ("fr", or a regional "fr-FR"...)."""
    if lang == "en":
        return None
    for locale, name in known.names.items():
        if locale == lang or locale.split("-")[0] == lang:
            return name
    return None
