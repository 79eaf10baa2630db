"""Discord's allowed-mentions rules, as the emulator computes who a message pings."""

from __future__ import annotations

from emulator.mentions import MentionContext, Pings, compute_pings

ALICE, BOB, OUTSIDER, ROLE, QUIET_ROLE, AUTHOR = (
    100000000000000001,
    100000000000000002,
    100000000000000003,
    200000000000000001,
    200000000000000002,
    100000000000000009,
)
CONTENT = f"hi <@{ALICE}> <@!{BOB}> <@{OUTSIDER}> <@&{ROLE}> <@&{QUIET_ROLE}> @everyone"


def context(*, can_mention_everyone: bool = True, replied: int | None = None) -> MentionContext:
    return MentionContext(
        author_id=AUTHOR,
        author_can_mention_everyone=can_mention_everyone,
        guild_member_ids={ALICE, BOB, AUTHOR},
        mentionable_role_ids={ROLE},
        guild_role_ids={ROLE, QUIET_ROLE},
        replied_user_id=replied,
    )


def test_no_allowed_mentions_pings_everything_the_author_may() -> None:
    pings = compute_pings(CONTENT, None, context())
    assert pings == Pings(users=frozenset({ALICE, BOB}), roles=frozenset({ROLE, QUIET_ROLE}), everyone=True)


def test_without_mention_everyone_only_mentionable_roles_and_no_everyone() -> None:
    pings = compute_pings(CONTENT, None, context(can_mention_everyone=False))
    assert pings.roles == {ROLE}
    assert not pings.everyone


def test_explicit_lists_ping_only_listed_ids() -> None:
    pings = compute_pings(CONTENT, {"parse": [], "users": [ALICE], "roles": []}, context())
    assert pings == Pings(users=frozenset({ALICE}))


def test_parse_kinds() -> None:
    assert compute_pings(CONTENT, {"parse": ["roles"]}, context()).roles == {ROLE, QUIET_ROLE}
    assert compute_pings(CONTENT, {"parse": ["everyone"]}, context()) == Pings(everyone=True)
    assert compute_pings(CONTENT, {"parse": []}, context()).nobody


def test_listed_users_must_be_in_the_content() -> None:
    assert compute_pings("no mention", {"users": [ALICE]}, context()).nobody


def test_here_and_code_spans() -> None:
    assert compute_pings("@here", None, context()) == Pings(everyone=True, here=True)
    assert compute_pings(f"`<@{ALICE}>` and ```@everyone```", None, context()).nobody


def test_replies_ping_the_author_unless_turned_off() -> None:
    assert compute_pings("ok", None, context(replied=BOB)).users == {BOB}
    assert compute_pings("ok", {"parse": []}, context(replied=BOB)).nobody
    assert compute_pings("ok", {"parse": [], "replied_user": True}, context(replied=BOB)).users == {BOB}
