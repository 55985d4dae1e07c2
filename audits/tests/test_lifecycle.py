"""The status tables of programmes and audits (no database)."""

from __future__ import annotations

import pytest

from audits.lifecycle import (
    ACTIVE_AUDIT_STATUSES,
    AUDIT_TRANSITIONS,
    EDITABLE_AUDIT_STATUSES,
    FIELDWORK_DONE_STATUSES,
    FINDING_RESULTS,
    PROGRAMME_TRANSITIONS,
    AuditStatus,
    InvalidTransition,
    ItemResult,
    ProgrammeStatus,
    ensure_transition,
)

A = AuditStatus
P = ProgrammeStatus


def test_every_status_has_its_row_and_targets_are_statuses():
    assert set(AUDIT_TRANSITIONS) == set(A.values)
    assert set(PROGRAMME_TRANSITIONS) == set(P.values)
    for table, values in (
        (AUDIT_TRANSITIONS, A.values),
        (PROGRAMME_TRANSITIONS, P.values),
    ):
        for source, targets in table.items():
            assert targets <= set(values)
            assert source not in targets


def test_the_audit_path():
    path = [
        A.REQUESTED,
        A.PLANNED,
        A.NOTIFIED,
        A.IN_PROGRESS,
        A.COMPLETED,
        A.REPORTED,
        A.CLOSED,
    ]
    for current, target in zip(path, path[1:], strict=False):
        ensure_transition(AUDIT_TRANSITIONS, current, target)
    # Rescheduled after the notice; a returned report.
    ensure_transition(AUDIT_TRANSITIONS, A.NOTIFIED, A.PLANNED)
    ensure_transition(AUDIT_TRANSITIONS, A.REPORTED, A.COMPLETED)
    for final in (A.CLOSED, A.REJECTED, A.CANCELLED):
        assert AUDIT_TRANSITIONS[final] == frozenset()
    # Once the fieldwork started there is no cancelling.
    for started in (A.IN_PROGRESS, A.COMPLETED, A.REPORTED):
        with pytest.raises(InvalidTransition):
            ensure_transition(AUDIT_TRANSITIONS, started, A.CANCELLED)
    with pytest.raises(InvalidTransition):
        ensure_transition(AUDIT_TRANSITIONS, A.REQUESTED, A.CANCELLED)


def test_the_status_groups():
    assert EDITABLE_AUDIT_STATUSES == {A.REQUESTED, A.PLANNED, A.NOTIFIED}
    assert FIELDWORK_DONE_STATUSES <= ACTIVE_AUDIT_STATUSES
    assert not ACTIVE_AUDIT_STATUSES & {A.REQUESTED, A.REJECTED, A.CANCELLED}
    assert FINDING_RESULTS == {ItemResult.NONCONFORMING, ItemResult.OBSERVATION}
    assert ItemResult.PENDING == ""


def test_the_programme_path():
    ensure_transition(PROGRAMME_TRANSITIONS, P.DRAFT, P.IN_REVIEW)
    ensure_transition(PROGRAMME_TRANSITIONS, P.IN_REVIEW, P.APPROVED)
    ensure_transition(PROGRAMME_TRANSITIONS, P.IN_REVIEW, P.DRAFT)
    ensure_transition(PROGRAMME_TRANSITIONS, P.APPROVED, P.DRAFT)
    with pytest.raises(InvalidTransition):
        ensure_transition(PROGRAMME_TRANSITIONS, P.DRAFT, P.APPROVED)
