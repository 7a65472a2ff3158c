"""What every demo step receives: the sandbox, the town, the running bot, the script."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from demo.community import CommunityScript
from demo.scenario import Town
from discord_sandbox.api import Sandbox
from discord_sandbox.interactions import InteractionResult


@dataclass
class DemoContext:
    """Everything a demo step needs."""

    sb: Sandbox
    town: Town
    bot: Any
    script: CommunityScript
    out: Path
    language: str
    started: float
    saved: list[Path] = field(default_factory=list)
    register: str | None = None  # `/setup voice register:` (`foyer demo --voice`)

    def say(self, text: str = "") -> None:
        """Print a line of the demo, flushed so progress shows at once."""
        print(text, flush=True)

    def command_names(self) -> set[str]:
        """Return the names of the slash commands the bot registered."""
        return {c.data["name"] for c in self.sb.commands()} | {
            c.data["name"] for c in self.sb.commands(self.town.guild)
        }

    async def admin(
        self, name: str, subcommand: str | list[str] | None = None, **options: Any
    ) -> InteractionResult:
        """Invoke a command as the server's admin and print what they see."""
        label = "/" + " ".join(
            [name, *([subcommand] if isinstance(subcommand, str) else subcommand or [])]
        )
        result = await self.sb.invoke(
            self.town.guild,
            self.town.admin,
            name,
            subcommand=subcommand,
            options=options,
            channel=self.town.admin_channel,
            timeout=30,
        )
        self.say(f"\n$ {label}" + (" (ephemeral)" if result.ephemeral else ""))
        self.show(result)
        return result

    def show(self, result: InteractionResult) -> None:
        """Print an interaction answer as text and save its files."""
        if result.content:
            self.say(_indent(result.content))
        for embed in result.embeds:
            if embed.get("title"):
                self.say(_indent(f"## {embed['title']}"))
            if embed.get("description"):
                self.say(_indent(str(embed["description"])))
            for fld in embed.get("fields", []):
                self.say(_indent(f"- {fld.get('name')}: {fld.get('value')}"))
        for name, data in result.files.items():
            path = self.out / name
            path.write_bytes(data)
            self.saved.append(path)
            self.say(_indent(f"[chart saved: {path}]"))

    def subcommands(self, command: str) -> list[str]:
        """Return the subcommand names of a registered command (empty if it has none)."""
        for cmd in self.sb.commands() + self.sb.commands(self.town.guild):
            if cmd.data["name"] == command:
                return [o["name"] for o in cmd.data.get("options") or [] if o.get("type") == 1]
        return []

    def option_names(self, command: str, sub: str) -> set[str]:
        """Return the option names of ``/command sub`` as registered."""
        for cmd in self.sb.commands() + self.sb.commands(self.town.guild):
            if cmd.data["name"] == command:
                for opt in cmd.data.get("options") or []:
                    if opt["name"] == sub:
                        return {o["name"] for o in opt.get("options") or []}
        return set()


#: A step run before or after the replay.
Step = Callable[[DemoContext], Awaitable[None]]


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())
