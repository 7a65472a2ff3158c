"""Turn events into `activity_events` rows, per docs/metrics.md. Pure: no I/O.

Rules (decisions the definitions leave open are marked *):
- A reply counts when a human replies to another human's message; a thread answer when a
  human posts a non-reply message in an ordinary thread owned by another human, once per
  (thread, author). *A reply inside a thread is a reply (towards the replied-to author),
  not a thread answer; the author's first non-reply message there is the thread answer.
- member -> member is a peer interaction, staff -> member a staff interaction, anything
  towards staff is OTHER. `target_id` is set only when the event counts (human towards
  another human): bots and self-replies leave no target.
- A conversation is a thread created by a human (the THREAD_CREATE row carries
  `starts_conversation`), or a top-level message (in a channel, not itself a reply) that
  received a reply from another human. *The first such reply carries
  `starts_conversation`; its `target_id` is the starter, and the conversation is counted
  on the reply's day (when it became one), member-initiated when `target_role` is MEMBER.
- *Opted-out people: their own actions are not recorded at all (except anonymous join and
  leave counts). An action towards an opted-out person is recorded as the actor's plain
  message or reaction with no target: it stores nothing about them and counts as no
  interaction and no conversation.
- Messages in welcome and ritual threads carry that context and are never thread answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.db.models.activity import ActorRole, EventKind, Interaction, ThreadContext
from bot.recording.events import (
    Event,
    MemberJoined,
    MemberLeft,
    MessageCreated,
    MessageDeleted,
    ReactionChanged,
    ThreadCreated,
    snowflake_at,
)
from bot.staff import is_staff

Row = dict[str, Any]
ANONYMOUS = 0  # actor_id of an opted-out member's join or leave


def role_of(
    *, is_bot: bool, role_ids: set[int], staff_role_ids: set[int], manages_guild: bool
) -> ActorRole:
    """Bot, staff (a configured staff role; with none configured, Manage Server or
    Administrator) or member."""
    if is_bot:
        return ActorRole.BOT
    staff = is_staff(role_ids=role_ids, staff_role_ids=staff_role_ids, manages_guild=manages_guild)
    return ActorRole.STAFF if staff else ActorRole.MEMBER


def interaction_between(actor: ActorRole, target: ActorRole) -> Interaction:
    """What a counted reply or thread answer from `actor` to `target` is."""
    if actor is ActorRole.BOT or target is ActorRole.BOT:
        return Interaction.NONE
    if target is ActorRole.STAFF:
        return Interaction.OTHER
    return Interaction.PEER if actor is ActorRole.MEMBER else Interaction.STAFF


@dataclass(frozen=True, slots=True)
class KnownMessage:
    """What the recorder knows of an earlier message (from its events or this batch)."""

    author_id: int
    author_role: ActorRole
    thread_id: int | None
    is_reply: bool


@dataclass(frozen=True, slots=True)
class ThreadInfo:
    owner_id: int | None
    context: ThreadContext


@dataclass(slots=True)
class BatchState:
    """Everything classification needs to know beyond the event itself. The recorder
    fills it from the database before a flush; classifying updates it as the batch goes,
    so an answer or conversation is counted once even within one batch."""

    messages: dict[int, KnownMessage] = field(default_factory=dict)
    threads: dict[int, ThreadInfo] = field(default_factory=dict)
    answered: set[tuple[int, int]] = field(default_factory=set)  # (thread_id, author_id)
    conversations: set[int] = field(default_factory=set)  # replied message ids
    opted_out: set[tuple[int, int]] = field(default_factory=set)  # (guild_id, user_id)


def _row(
    guild_id: int,
    kind: EventKind,
    ref_id: int,
    occurred_at: Any,
    actor_id: int,
    actor_role: ActorRole,
    *,
    channel_id: int | None = None,
    thread_id: int | None = None,
    target: tuple[int, ActorRole] | None = None,
    interaction: Interaction = Interaction.NONE,
    context: ThreadContext = ThreadContext.ORDINARY,
    starts_conversation: bool = False,
    emoji: str = "",
    reply_to_id: int | None = None,
) -> Row:
    return {
        "guild_id": guild_id,
        "kind": int(kind),
        "ref_id": ref_id,
        "occurred_at": occurred_at,
        "channel_id": channel_id,
        "thread_id": thread_id,
        "actor_id": actor_id,
        "actor_role": int(actor_role),
        "target_id": target[0] if target else None,
        "target_role": int(target[1]) if target else None,
        "interaction": int(interaction),
        "context": int(context),
        "starts_conversation": starts_conversation,
        "emoji": emoji,
        "reply_to_id": reply_to_id,
    }


def _counted_target(
    state: BatchState,
    guild_id: int,
    actor: int,
    actor_role: ActorRole,
    target: int | None,
    target_role: ActorRole | None,
) -> tuple[int, ActorRole] | None:
    """The target when an action counts towards them: human to another human who has not
    opted out."""
    if target is None or target == actor or actor_role is ActorRole.BOT:
        return None
    role = target_role if target_role is not None else ActorRole.MEMBER
    if role is ActorRole.BOT or (guild_id, target) in state.opted_out:
        return None
    return target, role


def _author(
    author: int | None, role: ActorRole | None, known: KnownMessage | None
) -> tuple[int | None, ActorRole | None]:
    """A message's author and role: what the event says, else what was recorded."""
    if known is not None and author in (None, known.author_id):
        return known.author_id, role if role is not None else known.author_role
    return author, role


def classify_message(ev: MessageCreated, state: BatchState) -> Row:
    thread = state.threads.get(ev.thread_id) if ev.thread_id is not None else None
    context = thread.context if thread else ThreadContext.ORDINARY
    target = None
    starts = False
    reply_to_id = ev.reply_to.message_id if ev.reply_to else None
    if ev.reply_to is not None:
        ref = ev.reply_to
        known = state.messages.get(ref.message_id)
        author, role = _author(ref.author_id, ref.author_role, known)
        target = _counted_target(state, ev.guild_id, ev.author_id, ev.author_role, author, role)
        target_is_reply = (
            ref.is_reply if ref.is_reply is not None else bool(known and known.is_reply)
        )
        top_level = ev.thread_id is None and not target_is_reply
        if target and top_level and ref.message_id not in state.conversations:
            starts = True
            state.conversations.add(ref.message_id)
    elif ev.thread_id is not None and context is ThreadContext.ORDINARY:
        owner = thread.owner_id if thread and thread.owner_id else ev.thread_owner_id
        owner_role = ev.thread_owner_role if owner == ev.thread_owner_id else None
        key = (ev.thread_id, ev.author_id)
        if key not in state.answered:
            target = _counted_target(
                state, ev.guild_id, ev.author_id, ev.author_role, owner, owner_role
            )
            if target:
                state.answered.add(key)
    state.messages[ev.message_id] = KnownMessage(
        ev.author_id, ev.author_role, ev.thread_id, ev.reply_to is not None
    )
    return _row(
        ev.guild_id,
        EventKind.MESSAGE,
        ev.message_id,
        ev.created_at,
        ev.author_id,
        ev.author_role,
        channel_id=ev.channel_id,
        thread_id=ev.thread_id,
        target=target,
        interaction=interaction_between(ev.author_role, target[1]) if target else Interaction.NONE,
        context=context,
        starts_conversation=starts,
        reply_to_id=reply_to_id,
    )


def classify_reaction(ev: ReactionChanged, state: BatchState) -> Row:
    author, role = _author(ev.author_id, ev.author_role, state.messages.get(ev.message_id))
    target = _counted_target(state, ev.guild_id, ev.user_id, ev.user_role, author, role)
    kind = EventKind.REACTION_ADD if ev.added else EventKind.REACTION_REMOVE
    return _row(
        ev.guild_id,
        kind,
        ev.message_id,
        ev.occurred_at,
        ev.user_id,
        ev.user_role,
        channel_id=ev.channel_id,
        thread_id=ev.thread_id,
        target=target,
        emoji=ev.emoji[:100],
    )


def classify(ev: Event, state: BatchState) -> Row | None:
    """The row for `ev`, or None when there is nothing to record (a deleted message the
    recorder never saw)."""
    match ev:
        case MessageCreated():
            return classify_message(ev, state)
        case ReactionChanged():
            return classify_reaction(ev, state)
        case ThreadCreated():
            human = ev.owner_role is not ActorRole.BOT
            state.threads.setdefault(ev.thread_id, ThreadInfo(ev.owner_id, ThreadContext.ORDINARY))
            return _row(
                ev.guild_id,
                EventKind.THREAD_CREATE,
                ev.thread_id,
                ev.created_at,
                ev.owner_id,
                ev.owner_role,
                channel_id=ev.parent_id,
                thread_id=ev.thread_id,
                starts_conversation=human,
            )
        case MessageDeleted():
            known = state.messages.get(ev.message_id)
            author = ev.author_id or (known.author_id if known else None)
            if author is None or (ev.guild_id, author) in state.opted_out:
                return None
            role = known.author_role if known else ActorRole.MEMBER
            return _row(
                ev.guild_id,
                EventKind.MESSAGE_DELETE,
                ev.message_id,
                ev.deleted_at,
                author,
                role,
                channel_id=ev.channel_id,
                thread_id=ev.thread_id,
            )
        case MemberJoined() | MemberLeft():
            joined = isinstance(ev, MemberJoined)
            at = ev.joined_at if isinstance(ev, MemberJoined) else ev.left_at
            if ev.is_bot:
                role = ActorRole.BOT
            else:
                role = (
                    ActorRole.STAFF
                    if isinstance(ev, MemberJoined) and ev.is_staff
                    else ActorRole.MEMBER
                )
            actor = ANONYMOUS if (ev.guild_id, ev.user_id) in state.opted_out else ev.user_id
            kind = EventKind.MEMBER_JOIN if joined else EventKind.MEMBER_LEAVE
            return _row(ev.guild_id, kind, snowflake_at(at), at, actor, role)
    raise TypeError(f"not an event: {type(ev).__name__}")
