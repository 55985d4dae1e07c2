"""The nonconformity transition table (pure: no database)."""

from __future__ import annotations

from collections import deque
from itertools import product

import pytest

from compliance.lifecycle import (
    ACTION_DUE_STATUSES,
    NONCONFORMITY_TRANSITIONS,
    OPEN_STATUSES,
    InvalidTransition,
    NonconformityStatus,
    ensure_transition,
)

S = NonconformityStatus

ALLOWED = {
    (S.DRAFT, S.RAISED),
    (S.DRAFT, S.CANCELLED),
    (S.RAISED, S.PLANNED),
    (S.RAISED, S.CLOSED),
    (S.RAISED, S.CANCELLED),
    (S.PLANNED, S.ACCEPTED),
    (S.PLANNED, S.RAISED),
    (S.ACCEPTED, S.IMPLEMENTED),
    (S.IMPLEMENTED, S.EFFECTIVE),
    (S.IMPLEMENTED, S.REOPENED),
    (S.REOPENED, S.IMPLEMENTED),
    (S.REOPENED, S.PLANNED),
    (S.EFFECTIVE, S.CLOSED),
}
ALL_PAIRS = list(product(S.values, S.values))
REFUSED = [pair for pair in ALL_PAIRS if pair not in ALLOWED]


def _ids(pair) -> str:
    return f"{pair[0]}->{pair[1]}"


def test_the_table_is_exactly_the_documented_one():
    table = {
        (current, target)
        for current, targets in NONCONFORMITY_TRANSITIONS.items()
        for target in targets
    }
    assert table == ALLOWED


def test_every_status_has_a_row():
    assert set(NONCONFORMITY_TRANSITIONS) == set(S.values)


@pytest.mark.parametrize("pair", sorted(ALLOWED), ids=_ids)
def test_an_allowed_transition_passes(pair):
    current, target = pair
    assert ensure_transition(NONCONFORMITY_TRANSITIONS, current, target) is None


@pytest.mark.parametrize("pair", REFUSED, ids=_ids)
def test_any_other_transition_is_refused(pair):
    current, target = pair
    with pytest.raises(InvalidTransition) as caught:
        ensure_transition(
            NONCONFORMITY_TRANSITIONS, current, target, label="Nonconformity"
        )
    assert (caught.value.current, caught.value.target) == (current, target)
    assert "Nonconformity" in str(caught.value)


@pytest.mark.parametrize("status", S.values)
def test_a_status_never_moves_to_itself(status):
    with pytest.raises(InvalidTransition):
        ensure_transition(NONCONFORMITY_TRANSITIONS, status, status)


def test_open_statuses_are_all_but_closed_and_cancelled():
    assert S.CLOSED not in OPEN_STATUSES
    assert S.CANCELLED not in OPEN_STATUSES
    assert set(OPEN_STATUSES) == set(S.values) - {S.CLOSED, S.CANCELLED}


def test_the_action_runs_against_its_due_date_only_while_under_way():
    assert set(ACTION_DUE_STATUSES) == {S.ACCEPTED, S.REOPENED}
    assert ACTION_DUE_STATUSES <= OPEN_STATUSES


def test_closed_and_cancelled_are_final():
    assert NONCONFORMITY_TRANSITIONS[S.CLOSED] == frozenset()
    assert NONCONFORMITY_TRANSITIONS[S.CANCELLED] == frozenset()


def _reachable(starts) -> set[str]:
    seen = set(starts)
    queue = deque(starts)
    while queue:
        for target in NONCONFORMITY_TRANSITIONS[queue.popleft()]:
            if target not in seen:
                seen.add(target)
                queue.append(target)
    return seen


def test_no_status_is_unreachable_from_the_starting_ones():
    assert _reachable([S.DRAFT, S.RAISED]) == set(S.values)
    # A finding that needs no approval reaches everything but the draft.
    assert _reachable([S.RAISED]) == set(S.values) - {S.DRAFT}


@pytest.mark.parametrize("status", sorted(OPEN_STATUSES))
def test_every_open_status_can_still_end(status):
    """No dead end: from any open status the finding can be closed or cancelled."""
    assert _reachable([status]) & {S.CLOSED, S.CANCELLED}


@pytest.mark.parametrize(
    "status", [S.PLANNED, S.ACCEPTED, S.IMPLEMENTED, S.REOPENED, S.EFFECTIVE]
)
def test_a_planned_action_is_not_cancelled_directly(status):
    assert S.CANCELLED not in NONCONFORMITY_TRANSITIONS[status]


@pytest.mark.parametrize("status", [S.EFFECTIVE, S.CLOSED])
def test_a_verified_action_can_only_be_closed(status):
    assert _reachable([status]) == {status, S.CLOSED}


def test_the_acceptance_path_follows_the_table():
    path = [
        S.RAISED,
        S.PLANNED,
        S.ACCEPTED,
        S.IMPLEMENTED,
        S.REOPENED,
        S.IMPLEMENTED,
        S.EFFECTIVE,
        S.CLOSED,
    ]
    for current, target in zip(path, path[1:], strict=False):
        ensure_transition(NONCONFORMITY_TRANSITIONS, current, target)
