"""Ready-made community hooks for features that ask members something.

``nps_answers`` makes members answer Foyer's recommendation survey (buttons whose custom
id is ``foyer:nps:{survey}:{score}``) the way each profile would: helpers and staff are
promoters, regulars mostly passive, lurkers and unanswered newcomers detractors.
"""

from __future__ import annotations

from datetime import timedelta

from discord_sandbox.interactions import find_component
from discord_sandbox.state import Message

from .community import CommunityScript, Hook, Persona, Run, SimDay

NPS_PREFIX = "foyer:nps:"
#: (low, high) score range per profile; unanswered newcomers use the last entry.
SCORES = {
    "staff": (9, 10),
    "helper": (8, 10),
    "regular": (6, 9),
    "lurker": (4, 8),
    "newcomer_intro": (6, 9),
    "newcomer_silent": (3, 8),
    "unanswered": (1, 6),
}


def _survey_messages(script: CommunityScript, since: SimDay) -> list[Message]:
    bot_id = script.sb.bot_user.id
    oldest = since.date - timedelta(days=30)
    return [
        m
        for m in script.sb.world.messages.values()
        if m.author.id == bot_id
        and m.created_at >= oldest
        and any(str(c.get("custom_id", "")).startswith(NPS_PREFIX) for c in _buttons(m))
    ]


def _buttons(msg: Message) -> list[dict[str, object]]:
    return [c for row in msg.components for c in row.get("components", [])]


def nps_answers(script: CommunityScript, *, rate: float = 0.15) -> Hook:
    """Return a ``"day"`` hook: each day some members who have not answered yet do."""
    answered: set[tuple[int, int]] = set()

    async def hook(day: SimDay) -> None:
        for msg in _survey_messages(script, day):
            for persona in script.active():
                key = (msg.id, persona.member.user.id if persona.member else 0)
                if key in answered or script.rng.random() >= rate:
                    continue
                answered.add(key)
                at = day.date + timedelta(
                    hours=script.rng.randint(8, 21), minutes=script.rng.randint(0, 59)
                )
                script.schedule(at, "survey_answer", persona.name, _click(script, msg, persona))

    return hook


def _click(script: CommunityScript, msg: Message, persona: Persona) -> Run:
    profile = persona.profile
    if profile == "newcomer_intro" and not persona.answered:
        profile = "unanswered"
    low, high = SCORES.get(profile, (5, 8))
    score = script.rng.randint(low, high)

    async def click() -> None:
        button = next(
            (c for c in _buttons(msg) if str(c.get("custom_id", "")).endswith(f":{score}")), None
        )
        if persona.member is None or not persona.present or button is None:
            return  # the survey closed (buttons removed) or the member left
        if find_component(msg.components, str(button["custom_id"])) is not None:
            await script.sb.click(msg, persona.member, str(button["custom_id"]), timeout=10)

    return click
