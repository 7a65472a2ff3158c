"""The house rules of docs/architecture.md, checked on the source so they stay true.

Read from the code's own import statements (``ast``, not by importing it): which layer may
import which, that the Discord emulator knows nothing of Foyer, that nothing imports in a
circle, that services stay free of discord.py and that cogs stay thin adapters.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "cogs", "demo", "discord_sandbox")

#: Lowest first. A module may import its own layer and the layers below it, never above;
#: feature packages do not import each other (what two features share lives lower down).
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    (
        "foundation",
        (
            "bot",  # the package itself: __version__
            "bot.access",
            "bot.chart_style",
            "bot.checks",
            "bot.clock",
            "bot.config",
            "bot.db",
            "bot.errors",
            "bot.gc_tuning",
            "bot.guilds",
            "bot.i18n",
            "bot.interaction_language",
            "bot.logs",
            "bot.periods",
            "bot.scheduling",
            "bot.solicitation",
            "bot.staff",
            "bot.stats",
            "bot.templates",
            "bot.ui",
            "bot.user_input",
            "bot.voice",
        ),
    ),
    (
        "feature",
        (
            "bot.buddies",
            "bot.intros",
            "bot.privacy",
            "bot.recording",
            "bot.rituals",
            "bot.spotlight",
            "bot.survey",
            "bot.welcome",
        ),
    ),
    ("metrics", ("bot.metrics",)),
    # The dashboard (`foyer web`): one room on top of the metrics, beside the bot.
    ("web", ("bot.web",)),
    ("app", ("bot.app", "bot.cli", "bot.__main__")),
    ("cogs", ("cogs",)),
    ("demo", ("demo",)),
]
#: The one import that runs upward: the app loads the extensions in `cogs/`.
UPWARD_ALLOWED = {("bot.app", "cogs")}
FEATURES = dict(LAYERS)["feature"]


@dataclass(frozen=True)
class Import:
    source: str  # importing module
    target: str  # imported module (as written, made absolute)
    line: int


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _sources() -> Iterator[tuple[str, Path]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            yield _module_name(path), path


def _imports() -> list[Import]:
    found = []
    for module, path in _sources():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    prefix = ".".join(base + ([node.module] if node.module else []))
                else:
                    prefix = node.module or ""
                # `from pkg import name` may name a submodule: count it as that module.
                names = [f"{prefix}.{alias.name}" for alias in node.names] + [prefix]
            else:
                continue
            for name in names:
                if name.split(".")[0] in PACKAGES:
                    found.append(Import(module, name, node.lineno))
    return found


MODULES = {name for name, _ in _sources()}
IMPORTS = [i for i in _imports() if i.target in MODULES]


def _unit(module: str) -> str:
    """The layer entry a module belongs to (the longest matching prefix)."""
    best = ""
    for _, units in LAYERS:
        for unit in units:
            if (module == unit or module.startswith(unit + ".")) and len(unit) > len(best):
                best = unit
    return best


def _layer(module: str) -> int:
    unit = _unit(module)
    return next(i for i, (_, units) in enumerate(LAYERS) if unit in units)


def test_every_module_has_a_layer() -> None:
    unplaced = sorted(m for m in MODULES if not m.startswith("discord_sandbox") and not _unit(m))
    assert not unplaced, f"add these to LAYERS (and to docs/architecture.md): {unplaced}"


def test_the_emulator_imports_nothing_of_foyer() -> None:
    wrong = [
        f"{i.source}:{i.line} imports {i.target}"
        for i in IMPORTS
        if i.source.startswith("discord_sandbox") and not i.target.startswith("discord_sandbox")
    ]
    assert not wrong


def test_nothing_in_the_product_imports_the_emulator_or_the_demo() -> None:
    wrong = [
        f"{i.source}:{i.line} imports {i.target}"
        for i in IMPORTS
        if i.source.split(".")[0] in ("bot", "cogs")
        and i.target.split(".")[0] in ("demo", "discord_sandbox")
    ]
    assert not wrong


def test_imports_only_go_down_but_for_the_extension_loader() -> None:
    upward = sorted(
        {
            f"{i.source}:{i.line} imports {i.target}"
            for i in IMPORTS
            if not i.source.startswith("discord_sandbox")
            and not i.target.startswith("discord_sandbox")
            and _layer(i.target) > _layer(i.source)
            and (_unit(i.source), _unit(i.target)) not in UPWARD_ALLOWED
        }
    )
    assert not upward


def test_features_do_not_import_each_other() -> None:
    crossing = sorted(
        {
            f"{i.source}:{i.line} imports {i.target}"
            for i in IMPORTS
            if _unit(i.source) in FEATURES
            and _unit(i.target) in FEATURES
            and _unit(i.source) != _unit(i.target)
        }
    )
    assert not crossing


def test_no_import_cycle() -> None:
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for i in IMPORTS:
        if i.source != i.target and not i.target.startswith(i.source + "."):
            graph[i.source].add(i.target)
    cycles = _cycles(graph)
    assert not cycles, cycles


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


SERVICES = sorted(p for p in (ROOT / "bot").glob("*/service.py"))


@pytest.mark.parametrize("path", SERVICES, ids=lambda p: p.parent.name)
def test_services_hold_rules_without_discord(path: Path) -> None:
    tree = ast.parse(path.read_text())
    discord_imports = [
        node.lineno
        for node in ast.walk(tree)
        if (
            isinstance(node, ast.Import)
            and any(a.name.split(".")[0] == "discord" for a in node.names)
        )
        or (isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "discord")
    ]
    assert not discord_imports, (
        f"{path.relative_to(ROOT)} imports discord.py: move it to discord_io.py"
    )


COGS = sorted((ROOT / "cogs").glob("*.py"))


@pytest.mark.parametrize("path", COGS, ids=lambda p: p.stem)
def test_cogs_are_thin_adapters(path: Path) -> None:
    lines = len(path.read_text().splitlines())
    assert lines < 300, f"{path.name} has {lines} lines: move its rules, texts and calls out"


def test_the_rules_can_fail() -> None:
    """The checker sees a made-up upward import and a cycle (guards against a vacuous pass)."""
    assert _layer("bot.metrics.reading") > _layer("bot.spotlight.queries")
    assert _layer("cogs.health") > _layer("bot.app")
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": set()}) == [["a", "b"]]
    assert any(i.source == "bot.app" and i.target == "cogs" for i in IMPORTS)
