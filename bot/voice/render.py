"""The voice settings and the replaced texts as an admin reads them."""

from __future__ import annotations

from discord import app_commands

from bot import templates
from bot.db.models import GuildSettings
from bot.i18n import cmd, own_text, t
from bot.voice.texts import MEMBER_TEXTS, MemberText

#: Discord's limit on a message's content.
MESSAGE_LIMIT = 2000

# The options of `/setup voice` and `/setup text` (parameter: catalogue key), declared here
# so the cog stays a thin adapter.
_VOICE = {"register": "cmd.setup.opt.register", "inclusive": "cmd.setup.opt.inclusive"}
_TEXT = {
    "key": "cmd.setup.opt.text_key",
    "text": "cmd.setup.opt.text",
    "reset": "cmd.setup.opt.reset",
}
VOICE_NAMES = {param: cmd(key) for param, key in _VOICE.items()}
VOICE_DESCRIPTIONS = {param: cmd(f"{key}.description") for param, key in _VOICE.items()}
TEXT_NAMES = {param: cmd(key) for param, key in _TEXT.items()}
TEXT_DESCRIPTIONS = {param: cmd(f"{key}.description") for param, key in _TEXT.items()}
REGISTER_CHOICES = [
    app_commands.Choice(name=cmd(f"cmd.setup.choice.{r}"), value=r) for r in ("tu", "vous")
]
TEXT_CHOICES = [
    app_commands.Choice(name=cmd(f"cmd.setup.choice.text.{name}"), value=name)
    for name in MEMBER_TEXTS
]


def summary(row: GuildSettings, lang: str) -> str:
    """`/setup voice` without options, and after a change: the voice and replaced texts."""
    replaced = {text.key for text in row.texts}
    names = [label(spec, lang) for spec in MEMBER_TEXTS.values() if spec.key in replaced]
    return t(
        "voice.summary",
        lang,
        register=t(f"voice.register.{row.french_register}", lang),
        inclusive=t("voice.on" if row.inclusive_writing else "voice.off", lang),
        texts=", ".join(names) or t("voice.none", lang),
    )


def label(spec: MemberText, lang: str) -> str:
    """The text's name, as the `/setup text` choice shows it."""
    return t(f"cmd.setup.choice.text.{spec.name}", lang)


def samples(spec: MemberText, lang: str, *, member: str, closes: int) -> dict[str, str]:
    """Values a preview fills the placeholders with: the admin's own mention for a member,
    a plain name for the greeters (a preview pings nobody), a survey closing in a week."""
    values = {
        "member": member,
        "greeters": t("voice.sample.greeters", lang),
        "closes": f"<t:{closes}:f>",
    }
    return {name: value for name, value in values.items() if name in spec.allowed}


def preview(spec: MemberText, lang: str, text: str | None, values: dict[str, str]) -> str:
    """What members will read: the admin's `text` filled in, or Foyer's own in the
    guild's voice when there is none, under a header naming it."""
    body = (
        templates.render(text, values) if text is not None else own_text(spec.key, lang, **values)
    )
    origin = "voice.preview.custom" if text is not None else "voice.preview.default"
    header = t(origin, lang, name=label(spec, lang))
    return f"{header}\n\n{body}"[:MESSAGE_LIMIT]
