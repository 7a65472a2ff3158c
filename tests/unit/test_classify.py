"""Classification by hand: who is staff, what counts as a peer or staff interaction, thread
answers once per author, contexts, conversation starts (docs/metrics.md)."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.db.models.activity import ActorRole, EventKind, Interaction, ThreadContext
from bot.recording.classify import (
    ANONYMOUS,
    BatchState,
    KnownMessage,
    ThreadInfo,
    classify,
    interaction_between,
    role_of,
)
from bot.recording.events import (
    MemberJoined,
    MessageCreated,
    MessageDeleted,
    ReactionChanged,
    ReplyTarget,
    ThreadCreated,
    snowflake_at,
    time_of,
)
from bot.recording.rollups import Rollups

G, CH = 1, 10
ALICE, BOB, CAROL, STAFF, BOT = 100, 101, 102, 200, 300
M, S, B = ActorRole.MEMBER, ActorRole.STAFF, ActorRole.BOT
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

ROLE = {ALICE: M, BOB: M, CAROL: M, STAFF: S, BOT: B}


def msg(
    mid: int,
    author: int,
    *,
    reply_to: int | None = None,
    reply_author: int | None = None,
    thread: int | None = None,
    owner: int | None = None,
) -> MessageCreated:
    ref = None
    if reply_to is not None:
        role = ROLE[reply_author] if reply_author is not None else None
        ref = ReplyTarget(reply_to, reply_author, role, is_reply=False if reply_author else None)
    return MessageCreated(
        G, mid, CH, thread, author, ROLE[author], T0, ref, owner, ROLE.get(owner or 0)
    )


def test_role_of_prefers_configured_staff_roles() -> None:
    assert role_of(is_bot=True, role_ids={5}, staff_role_ids={5}, manages_guild=True) is B
    assert role_of(is_bot=False, role_ids={5}, staff_role_ids={5}, manages_guild=False) is S
    # with staff roles configured, Manage Server alone does not make staff
    assert role_of(is_bot=False, role_ids={6}, staff_role_ids={5}, manages_guild=True) is M
    # with none configured, Manage Server / Administrator does
    assert role_of(is_bot=False, role_ids=set(), staff_role_ids=set(), manages_guild=True) is S
    assert role_of(is_bot=False, role_ids=set(), staff_role_ids=set(), manages_guild=False) is M


def test_interaction_matrix() -> None:
    assert interaction_between(M, M) is Interaction.PEER
    assert interaction_between(S, M) is Interaction.STAFF
    assert interaction_between(M, S) is Interaction.OTHER
    assert interaction_between(S, S) is Interaction.OTHER
    assert interaction_between(B, M) is Interaction.NONE


def test_replies_member_member_staff_member_member_staff() -> None:
    state = BatchState()
    peer = classify(msg(2, BOB, reply_to=1, reply_author=ALICE), state)
    staff = classify(msg(3, STAFF, reply_to=1, reply_author=ALICE), state)
    towards_staff = classify(msg(4, ALICE, reply_to=5, reply_author=STAFF), state)
    assert peer is not None and staff is not None and towards_staff is not None
    assert (peer["interaction"], peer["target_id"], peer["target_role"]) == (1, ALICE, 2)
    assert (staff["interaction"], staff["target_id"]) == (Interaction.STAFF, ALICE)
    assert (towards_staff["interaction"], towards_staff["target_id"]) == (Interaction.OTHER, STAFF)
    assert peer["reply_to_id"] == 1


def test_self_reply_and_reply_to_bot_do_not_count() -> None:
    state = BatchState()
    own = classify(msg(2, ALICE, reply_to=1, reply_author=ALICE), state)
    to_bot = classify(msg(3, ALICE, reply_to=9, reply_author=BOT), state)
    from_bot = classify(msg(4, BOT, reply_to=1, reply_author=ALICE), state)
    for row in (own, to_bot, from_bot):
        assert row is not None
        assert (row["interaction"], row["target_id"], row["starts_conversation"]) == (
            0,
            None,
            False,
        )


def test_unresolved_reply_uses_recorded_author() -> None:
    state = BatchState(messages={1: KnownMessage(ALICE, M, None, False)})
    row = classify(msg(2, BOB, reply_to=1), state)
    assert row is not None and (row["target_id"], row["interaction"]) == (ALICE, Interaction.PEER)
    unknown = classify(msg(3, BOB, reply_to=77), BatchState())
    assert unknown is not None and unknown["target_id"] is None


def test_conversation_starts_once_on_first_human_reply_to_top_level_message() -> None:
    state = BatchState()
    first = classify(msg(2, BOB, reply_to=1, reply_author=ALICE), state)
    second = classify(msg(3, CAROL, reply_to=1, reply_author=ALICE), state)
    # a reply to a reply is not a new conversation
    nested = classify(
        MessageCreated(G, 4, CH, None, ALICE, M, T0, ReplyTarget(3, CAROL, M, is_reply=True)),
        state,
    )
    assert first is not None and second is not None and nested is not None
    assert [first["starts_conversation"], second["starts_conversation"]] == [True, False]
    assert nested["starts_conversation"] is False and nested["interaction"] == Interaction.PEER
    # already a conversation before this batch
    again = classify(msg(5, CAROL, reply_to=1, reply_author=ALICE), BatchState(conversations={1}))
    assert again is not None and again["starts_conversation"] is False


def test_thread_answer_counted_once_per_author_towards_owner() -> None:
    state = BatchState(threads={50: ThreadInfo(ALICE, ThreadContext.ORDINARY)})
    rows = [
        classify(msg(11, BOB, thread=50, owner=ALICE), state),
        classify(msg(12, BOB, thread=50, owner=ALICE), state),
        classify(msg(13, ALICE, thread=50, owner=ALICE), state),  # the owner herself
        classify(msg(14, STAFF, thread=50, owner=ALICE), state),
        classify(msg(15, CAROL, thread=50, owner=ALICE), state),
    ]
    got = [(r["interaction"], r["target_id"]) for r in rows if r is not None]
    assert got == [(1, ALICE), (0, None), (0, None), (2, ALICE), (1, ALICE)]
    assert all(r is not None and r["thread_id"] == 50 and r["channel_id"] == CH for r in rows)
    # known from earlier flushes
    later = classify(msg(16, BOB, thread=50, owner=ALICE), BatchState(answered={(50, BOB)}))
    assert later is not None and later["target_id"] is None


def test_welcome_and_ritual_threads_carry_context_and_no_answers() -> None:
    state = BatchState(
        threads={
            60: ThreadInfo(ALICE, ThreadContext.WELCOME),
            61: ThreadInfo(BOT, ThreadContext.RITUAL),
        }
    )
    welcome = classify(msg(21, BOB, thread=60, owner=BOT), state)
    ritual = classify(msg(22, BOB, thread=61, owner=BOT), state)
    assert welcome is not None and ritual is not None
    assert (welcome["context"], welcome["interaction"]) == (ThreadContext.WELCOME, 0)
    assert (ritual["context"], ritual["interaction"]) == (ThreadContext.RITUAL, 0)
    rollups = Rollups().add_all([welcome, ritual]).as_dicts()
    assert rollups["member"][(G, T0.date(), BOB)] == {"messages": 2, "ritual_messages": 1}


def test_thread_creation_is_a_conversation_only_when_human() -> None:
    human = classify(ThreadCreated(G, 70, CH, ALICE, M, T0), BatchState())
    bot = classify(ThreadCreated(G, 71, CH, BOT, B, T0), BatchState())
    assert human is not None and bot is not None
    assert (human["kind"], human["starts_conversation"]) == (EventKind.THREAD_CREATE, True)
    assert bot["starts_conversation"] is False
    guild = Rollups().add_all([human, bot]).as_dicts()["guild"][(G, T0.date())]
    assert guild == {"conversations": 1, "member_conversations": 1, "member_threads": 1}


def test_opted_out_target_is_not_stored() -> None:
    state = BatchState(opted_out={(G, ALICE)})
    reply = classify(msg(2, BOB, reply_to=1, reply_author=ALICE), state)
    reaction = classify(ReactionChanged(G, 1, CH, None, BOB, M, "👍", True, T0, ALICE, M), state)
    join = classify(MemberJoined(G, ALICE, False, False, T0), state)
    assert reply is not None and reaction is not None and join is not None
    assert (reply["target_id"], reply["interaction"], reply["starts_conversation"]) == (
        None,
        0,
        False,
    )
    assert reaction["target_id"] is None
    assert join["actor_id"] == ANONYMOUS and join["ref_id"] == snowflake_at(T0)


def test_reaction_recognition_rollup() -> None:
    state = BatchState()
    rows = [
        classify(ReactionChanged(G, 1, CH, None, BOB, M, "👍", True, T0, ALICE, M), state),
        classify(ReactionChanged(G, 1, CH, None, ALICE, M, "👍", True, T0, ALICE, M), state),
        classify(ReactionChanged(G, 1, CH, None, STAFF, S, "👍", True, T0, ALICE, M), state),
    ]
    rollups = Rollups().add_all([r for r in rows if r is not None]).as_dicts()
    assert rollups["guild"][(G, T0.date())] == {"reactions": 1}
    assert rollups["member"][(G, T0.date(), ALICE)] == {"reactions_received": 1}


def test_delete_of_unknown_message_is_skipped() -> None:
    assert classify(MessageDeleted(G, 5, CH, None, T0), BatchState()) is None
    known = BatchState(messages={5: KnownMessage(ALICE, M, None, False)})
    row = classify(MessageDeleted(G, 5, CH, None, T0), known)
    assert row is not None and row["actor_id"] == ALICE


def test_snowflake_round_trip() -> None:
    assert time_of(snowflake_at(T0)) == T0
