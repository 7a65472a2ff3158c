"""What a message in a welcome thread changes on the welcome rows. Pure: no I/O.

Rules (docs/welcome.md):
- the newcomer's first message in their thread is their introduction;
- after it, the first message by a member (not the newcomer, not staff, not a bot) is the
  first peer reply; the first staff message is a staff answer (staff-only when no member
  ever answers);
- a message before the introduction answers nothing (there was nothing to answer yet);
- in a burst's shared thread several newcomers share the thread: a reply to a newcomer's
  message answers that newcomer; any other message by someone who is not one of them
  answers every introduced newcomer there. Newcomers chatting among themselves count
  only through replies.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.db.models.activity import ActorRole
from bot.db.models.welcome import Welcome


def apply_message(
    rows: Sequence[Welcome],
    *,
    author_id: int,
    role: ActorRole,
    at: datetime,
    reply_to_author_id: int | None = None,
) -> bool:
    """Update `rows` (the welcomes of one thread) for a message; True when something changed."""
    if role is ActorRole.BOT or not rows:
        return False
    by_user = {r.user_id: r for r in rows}
    changed = False
    own = by_user.get(author_id)
    if own is not None and own.introduced_at is None:
        own.introduced_at = at
        changed = True
    if reply_to_author_id is not None and reply_to_author_id in by_user:
        targets = [by_user[reply_to_author_id]] if reply_to_author_id != author_id else []
    else:
        targets = [] if own is not None else list(rows)
    for row in targets:
        if row.introduced_at is None or at < row.introduced_at:
            continue
        if role is ActorRole.MEMBER and row.first_peer_reply_at is None:
            row.first_peer_reply_at = at
            row.first_peer_reply_seconds = int((at - row.introduced_at).total_seconds())
            changed = True
        elif role is ActorRole.STAFF and row.staff_answered_at is None:
            row.staff_answered_at = at
            changed = True
    return changed


def finished(rows: Sequence[Welcome]) -> bool:
    """Nothing more to watch: every newcomer got a member's answer, or left silent."""
    return all(
        r.first_peer_reply_at is not None
        or (r.newcomer_left_at is not None and r.introduced_at is None)
        for r in rows
    )
