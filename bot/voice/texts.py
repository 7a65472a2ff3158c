"""The member-facing texts an admin may replace, and what each must fit once filled in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.i18n import catalogue, placeholders

#: A mention (`<@id>`, `<@&id>`) at its longest: a 20-digit snowflake.
MENTION = 23
#: A Discord timestamp (`<t:1234567890:f>`), with room for dates far ahead.
TIMESTAMP = 18


@dataclass(frozen=True)
class MemberText:
    """One replaceable text: the catalogue key it stands in for, Discord's limit where it
    is shown (a message, an embed title or description, a button label), and the longest
    value each of its placeholders can take, so a text is refused when saved if it could
    pass the limit once filled in."""

    name: str
    key: str
    limit: int
    longest: Mapping[str, int] = field(default_factory=dict)

    @property
    def allowed(self) -> set[str]:
        """The catalogue text's own placeholders: the caller passes exactly these."""
        return placeholders(catalogue()[self.key]["en"])


MEMBER_TEXTS: dict[str, MemberText] = {
    text.name: text
    for text in (
        MemberText("nudge", "welcome.nudge", 2000, {"greeters": MENTION}),
        MemberText("spotlight_intro", "spotlight.post.intro", 2000, {"member": MENTION}),
        MemberText("spotlight_title", "spotlight.post.title", 256),
        MemberText("survey_question", "survey.question.title", 256),
        MemberText("survey_details", "survey.question.body", 4096, {"closes": TIMESTAMP}),
        MemberText("survey_why_button", "survey.answer.why_button", 80),
        # The button shows "🔔 " before its label.
        MemberText("ritual_button", "rituals.role.button", 78),
    )
}
