"""The spotlight answers `render.py` builds: `/spotlight setup`'s summary (with its warning
when a weekly suggestion has nowhere to go) and the answer once a post is out."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import discord

from bot.db.models import SpotlightConfig
from bot.spotlight import render


def _config(**kw: Any) -> SpotlightConfig:
    return SpotlightConfig(guild_id=1, cooldown_weeks=kw.pop("cooldown_weeks", 8), **kw)


def test_setup_summary_names_channel_weeks_and_day() -> None:
    text = render.setup_summary(
        _config(channel_id=77, suggestion_weekday=0), "en", admin_channel_missing=False
    )
    assert text == (
        "**Spotlight channel:** <#77>\n**Suggested again after:** 8 weeks\n"
        "**Weekly suggestion in the admin channel:** Monday"
    )


def test_setup_summary_warns_only_when_a_weekly_suggestion_has_no_admin_channel() -> None:
    weekly = render.setup_summary(_config(suggestion_weekday=2), "fr", admin_channel_missing=True)
    assert weekly.startswith("**Salon des mises en avant :** aucun\n")
    assert "mercredi" in weekly
    assert weekly.endswith("\nAttention : aucun salon admin n'est défini, la suggestion "
                           "hebdomadaire ne peut pas être envoyée. Définissez-le avec "
                           "/configuration modifier.")  # fmt: skip
    off = render.setup_summary(_config(), "en", admin_channel_missing=True)
    assert off.endswith("**Weekly suggestion in the admin channel:** off")


def test_posted_text_links_the_post_in_its_channel() -> None:
    message = cast(
        discord.Message,
        SimpleNamespace(
            channel=SimpleNamespace(id=77), jump_url="https://discord.com/channels/1/77/9"
        ),
    )
    assert render.posted_text(message, "en") == (
        "Spotlight posted in <#77>: https://discord.com/channels/1/77/9"
    )
