"""The status tables of reviews, inputs and output actions (no database)."""

from __future__ import annotations

import pytest

from reviews.lifecycle import (
    ACTION_OUTPUT_KINDS,
    COMPILED_SECTIONS,
    COMPLIANCE_OUTPUT_KINDS,
    ENTERED_SECTIONS,
    INPUT_TRANSITIONS,
    OPEN_OUTPUT_STATUSES,
    OUTPUT_TRANSITIONS,
    PLAN_EDITABLE_STATUSES,
    REVIEW_TRANSITIONS,
    InputSection,
    InputStatus,
    InvalidTransition,
    OutputKind,
    OutputStatus,
    ReviewKind,
    ReviewStatus,
    ReviewTrigger,
    ensure_transition,
)

R = ReviewStatus
I = InputStatus  # noqa: E741
O = OutputStatus  # noqa: E741


def test_every_status_has_its_row_and_targets_are_statuses():
    for table, values in (
        (REVIEW_TRANSITIONS, R.values),
        (INPUT_TRANSITIONS, I.values),
        (OUTPUT_TRANSITIONS, O.values),
    ):
        assert set(table) == set(values)
        for targets in table.values():
            assert targets <= set(values)


def test_the_review_path():
    path = [R.DRAFT, R.IN_REVIEW, R.APPROVED, R.HELD, R.REPORTING, R.COMPLETED]
    for current, target in zip(path, path[1:], strict=False):
        ensure_transition(REVIEW_TRANSITIONS, current, target)
    # Returned plan, revised plan, returned report.
    ensure_transition(REVIEW_TRANSITIONS, R.IN_REVIEW, R.DRAFT)
    ensure_transition(REVIEW_TRANSITIONS, R.APPROVED, R.DRAFT)
    ensure_transition(REVIEW_TRANSITIONS, R.REPORTING, R.HELD)
    for final in (R.COMPLETED, R.CANCELLED):
        assert REVIEW_TRANSITIONS[final] == frozenset()
    # Cancelled only before the meeting.
    for before in (R.DRAFT, R.IN_REVIEW, R.APPROVED):
        ensure_transition(REVIEW_TRANSITIONS, before, R.CANCELLED)
    for after in (R.HELD, R.REPORTING, R.COMPLETED):
        with pytest.raises(InvalidTransition):
            ensure_transition(REVIEW_TRANSITIONS, after, R.CANCELLED)
    # No meeting without an approved plan; no skipping the report.
    for bad in (
        (R.DRAFT, R.HELD),
        (R.IN_REVIEW, R.HELD),
        (R.HELD, R.COMPLETED),
        (R.DRAFT, R.APPROVED),
        (R.HELD, R.APPROVED),
        (R.DRAFT, R.DRAFT),
    ):
        with pytest.raises(InvalidTransition):
            ensure_transition(REVIEW_TRANSITIONS, *bad)
    assert PLAN_EDITABLE_STATUSES == {R.DRAFT}


def test_inputs_and_outputs():
    ensure_transition(INPUT_TRANSITIONS, I.DRAFT, I.SIGNED)
    ensure_transition(INPUT_TRANSITIONS, I.SIGNED, I.RETURNED)
    ensure_transition(INPUT_TRANSITIONS, I.RETURNED, I.DRAFT)
    with pytest.raises(InvalidTransition):
        ensure_transition(INPUT_TRANSITIONS, I.SIGNED, I.DRAFT)
    with pytest.raises(InvalidTransition):
        ensure_transition(INPUT_TRANSITIONS, I.DRAFT, I.RETURNED)

    ensure_transition(OUTPUT_TRANSITIONS, O.OPEN, O.DONE)
    ensure_transition(OUTPUT_TRANSITIONS, O.DONE, O.VERIFIED)
    ensure_transition(OUTPUT_TRANSITIONS, O.DONE, O.OPEN)
    ensure_transition(OUTPUT_TRANSITIONS, O.OPEN, O.CANCELLED)
    for final in (O.VERIFIED, O.CANCELLED):
        assert OUTPUT_TRANSITIONS[final] == frozenset()
    with pytest.raises(InvalidTransition):
        ensure_transition(OUTPUT_TRANSITIONS, O.OPEN, O.VERIFIED)
    with pytest.raises(InvalidTransition):
        ensure_transition(OUTPUT_TRANSITIONS, O.DONE, O.CANCELLED)
    assert OPEN_OUTPUT_STATUSES == {O.OPEN, O.DONE}


def test_choices():
    assert len(InputSection.values) == 12
    assert InputSection.values[0] == "previous_actions"
    assert COMPILED_SECTIONS < set(InputSection.values)
    assert {"issues", "suppliers", "risks", "resources", "improvements"}.isdisjoint(
        COMPILED_SECTIONS
    )
    assert ENTERED_SECTIONS == set(InputSection.values)
    assert COMPLIANCE_OUTPUT_KINDS == {OutputKind.IMPROVEMENT, OutputKind.CORRECTIVE}
    assert ACTION_OUTPUT_KINDS == set(OutputKind.values)
    assert set(ReviewKind.values) == {"annual", "extra"}
    # The procedure's triggers a) to g), and "other".
    assert len(ReviewTrigger.values) == 8 and "other" in ReviewTrigger.values
