"""What answers each clause and where the coverage has gaps: inheritance of
documents, the procedure, review and audit rules, open nonconformities, the
statement of applicability and the summary counts."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail import hooks

from compliance import coverage, services
from compliance.lifecycle import NonconformitySource, NonconformityStatus
from compliance.models import Standard
from compliance.nonconformities import nonconformity_cancel
from documents import roles
from documents.tests import factories as doc_factories

from . import factories

S = NonconformityStatus
TODAY = date(2026, 11, 22)
CLAUSES = 77  # 4 … 10.2 of the shipped ISO/IEC 20000-1:2018 catalogue


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setattr("compliance.nonconformities.company_today", lambda: TODAY)
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: TODAY)


@pytest.fixture
def standard(db):
    return Standard.objects.get(ref_id="iso20000-1-2018")


@pytest.fixture
def p(db, monkeypatch):
    # The role groups once per test, not once per user: roles_ensure is slow.
    groups = roles.roles_ensure()
    monkeypatch.setattr(roles, "roles_ensure", lambda: groups)
    return factories.people()


@pytest.fixture
def b05(db):
    return doc_factories.document("procedure", "文件控制程序", number="B05", issue=True)


def rows_by_ref(standard, **kwargs) -> dict[str, coverage.ClauseRow]:
    return {
        row.clause.ref_id: row
        for row in coverage.clause_rows(standard, today=TODAY, **kwargs)
    }


def link(ref: str, document, note: str = "") -> None:
    # user=None: the system, as the demo loader links documents.
    services.document_link(
        user=None, clause=factories.clause(ref), document=document, note=note
    )


def listed(row: coverage.ClauseRow) -> list[tuple[str, str | None]]:
    return [(d.number, d.inherited_from) for d in row.documents]


def audits(dates: dict[str, date]):
    """A temporary audits app reporting ``{ref_id: date}``."""

    def fn(clause_ids):
        wanted = {factories.clause(ref).pk: when for ref, when in dates.items()}
        return {pk: when for pk, when in wanted.items() if pk in clause_ids}

    return hooks.register_temporarily(coverage.AUDIT_DATES_HOOK, fn)


# --- rows and inheritance ----------------------------------------------------------


def test_every_active_clause_has_a_row_in_order(standard):
    rows = coverage.clause_rows(standard, today=TODAY)
    refs = [row.clause.ref_id for row in rows]
    assert len(rows) == CLAUSES
    assert refs[:3] == ["4", "4.1", "4.2"] and refs[-1] == "10.2"
    assert refs.index("8.5.1.3") < refs.index("8.5.2") < refs.index("10.1")
    by_ref = {row.clause.ref_id: row for row in rows}
    assert [c.clause.ref_id for c in by_ref["7.5"].children] == [
        "7.5.1",
        "7.5.2",
        "7.5.3",
        "7.5.4",
    ]


def test_a_document_linked_to_a_clause_answers_its_sub_clauses(standard, b05):
    link("7.5", b05, note="文件的控制")
    rows = rows_by_ref(standard)
    assert listed(rows["7.5"]) == [("B05", None)]
    assert rows["7.5"].own_documents == rows["7.5"].documents
    for ref in ("7.5.1", "7.5.2", "7.5.3", "7.5.4"):
        assert listed(rows[ref]) == [("B05", "7.5")], ref
        assert rows[ref].own_documents == []
        assert rows[ref].documents[0].note == "文件的控制"
    for ref in ("7", "7.4", "7.6", "8.5.1"):
        assert rows[ref].documents == [], ref
    ref = rows["7.5.3"].documents[0]
    assert (ref.title, ref.issue.label, ref.is_controlled) == (
        "文件控制程序",
        "A",
        True,
    )
    assert (ref.next_review_due, ref.overdue) == (date(2029, 1, 5), False)


def test_inheritance_names_the_clause_the_link_is_on(standard, b05):
    link("8.5", b05)
    rows = rows_by_ref(standard)
    assert listed(rows["8.5.1"]) == [("B05", "8.5")]
    assert listed(rows["8.5.1.2"]) == [("B05", "8.5")]


def test_an_own_link_is_listed_once_as_own(standard, b05):
    link("7.5", b05)
    link("7.5.3", b05, note="7.5.3 直接引用")
    rows = rows_by_ref(standard)
    assert listed(rows["7.5.3"]) == [("B05", None)]
    assert rows["7.5.3"].documents[0].note == "7.5.3 直接引用"
    assert listed(rows["7.5.2"]) == [("B05", "7.5")]


def test_narrowed_rows_still_inherit(standard, b05):
    link("7.5", b05)
    [row] = coverage.clause_rows(
        standard, today=TODAY, clauses=[factories.clause("7.5.3")]
    )
    assert (row.clause.ref_id, listed(row)) == ("7.5.3", [("B05", "7.5")])


# --- has_procedure -------------------------------------------------------------------


def test_a_controlled_procedure_or_instruction_is_a_procedure(standard, b05):
    instruction = doc_factories.document(
        "instruction", "变更实施指导书", parent=b05, issue=True
    )
    link("7.5.3", b05)
    link("8.5.1", instruction)
    rows = rows_by_ref(standard)
    assert rows["7.5.3"].has_procedure and not rows["7.5.3"].no_procedure
    assert rows["8.5.1"].has_procedure
    assert rows["8.5.1.1"].has_procedure  # inherited
    assert not rows["7.5.2"].has_procedure and rows["7.5.2"].no_procedure


@pytest.mark.parametrize("kind", ["manual", "form"])
def test_a_manual_or_a_form_alone_is_not_a_procedure(standard, b05, kind):
    parent = b05 if kind == "form" else None
    document = doc_factories.document(kind, "文件", parent=parent, issue=True)
    link("9.2", document)
    row = rows_by_ref(standard)["9.2"]
    assert len(row.documents) == 1 and not row.has_procedure and row.has_gap


def test_a_draft_procedure_does_not_count(standard, db):
    draft = doc_factories.document("procedure", "内部审核程序")
    link("9.2", draft)
    assert rows_by_ref(standard)["9.2"].documents == []
    row = rows_by_ref(standard, all_documents=True)["9.2"]
    assert [d.document.pk for d in row.documents] == [draft.pk]
    assert not row.documents[0].is_controlled and row.documents[0].issue is None
    assert not row.has_procedure and not row.only_overdue


def test_a_heading_is_covered_when_every_sub_clause_is(standard, b05):
    other = doc_factories.document("procedure", "方针管理程序", issue=True)
    link("5.2.1", b05)
    rows = rows_by_ref(standard)
    assert not rows["5.2"].has_procedure
    link("5.2.2", other)
    rows = rows_by_ref(standard)
    assert rows["5.2"].has_procedure
    assert rows["5.2"].documents == []
    # 5 also needs 5.1 and 5.3.
    assert not rows["5"].has_procedure


# --- only_overdue -------------------------------------------------------------------


def test_a_clause_whose_only_documents_are_overdue(standard, db):
    old = doc_factories.document(
        "procedure", "服务级别管理程序", issue=True, publish_date=date(2022, 1, 5)
    )
    link("8.3.3", old)
    row = rows_by_ref(standard)["8.3.3"]
    [ref] = row.documents
    assert ref.next_review_due == date(2025, 1, 5) and ref.overdue
    assert row.only_overdue and row.has_procedure and row.has_gap
    # A clause without documents is "no procedure", not "only overdue".
    assert not rows_by_ref(standard)["8.3.2"].only_overdue


def test_one_current_document_is_enough(standard, b05):
    old = doc_factories.document(
        "procedure", "服务级别管理程序", issue=True, publish_date=date(2022, 1, 5)
    )
    link("8.3", old)
    link("8.3.3", b05)
    rows = rows_by_ref(standard)
    assert rows["8.3.2"].only_overdue  # inherits the overdue one only
    assert not rows["8.3.3"].only_overdue


# --- audits -------------------------------------------------------------------------


def test_without_an_audits_app_nothing_is_audited(standard):
    rows = coverage.clause_rows(standard, today=TODAY)
    assert all(row.not_audited and row.last_audited is None for row in rows)
    assert coverage.audit_history(factories.clause("8.5.1")) == []


def test_an_audit_covers_the_clause_and_its_sub_clauses(standard):
    with audits({"8.5.1": date(2026, 6, 1)}):
        rows = rows_by_ref(standard)
    for ref in ("8.5.1", "8.5.1.1", "8.5.1.3"):
        assert rows[ref].last_audited == date(2026, 6, 1), ref
        assert not rows[ref].not_audited, ref
    # 8.5 has other sub-clauses that were not audited.
    assert rows["8.5"].last_audited is None and rows["8.5"].not_audited
    assert rows["8.5.2"].not_audited


def test_an_audit_older_than_twelve_months_does_not_count(standard):
    with audits({"9.2": date(2025, 11, 21), "9.3": date(2025, 11, 22)}):
        rows = rows_by_ref(standard)
    assert rows["9.2"].last_audited == date(2025, 11, 21)
    assert rows["9.2"].not_audited
    assert not rows["9.3"].not_audited  # exactly twelve months ago


def test_the_audit_window_is_a_setting(standard, settings):
    settings.SHOUKONG_COVERAGE_AUDIT_MONTHS = 6
    with audits({"9.2": date(2026, 4, 1)}):
        assert rows_by_ref(standard)["9.2"].not_audited


def test_a_heading_is_audited_as_of_its_oldest_sub_clause(standard):
    with audits({"5.2.1": date(2026, 6, 1), "5.2.2": date(2026, 3, 1)}):
        rows = rows_by_ref(standard)
    assert rows["5.2"].last_audited == date(2026, 3, 1)
    assert not rows["5.2"].not_audited
    assert rows["5"].last_audited is None


def test_the_latest_report_of_several_audit_hooks_wins(standard):
    with audits({"9.2": date(2025, 1, 1)}), audits({"9.2": date(2026, 5, 1)}):
        assert rows_by_ref(standard)["9.2"].last_audited == date(2026, 5, 1)


def test_an_audit_hook_may_answer_none(standard):
    def fn(clause_ids):
        return {factories.clause("9.2").pk: None}

    with hooks.register_temporarily(coverage.AUDIT_DATES_HOOK, fn):
        assert rows_by_ref(standard)["9.2"].last_audited is None


def test_recent_audits_of_every_sub_clause_outweigh_an_old_audit_of_the_heading(
    standard,
):
    with audits(
        {"5.2": date(2024, 1, 1), "5.2.1": date(2026, 6, 1), "5.2.2": date(2026, 3, 1)}
    ):
        row = rows_by_ref(standard)["5.2"]
    assert row.last_audited == date(2026, 3, 1)
    assert not row.not_audited


def test_audit_history_comes_from_the_hook_newest_first(db):
    clause = factories.clause("9.2")

    def fn(asked):
        assert asked == clause
        return [
            {"date": date(2025, 5, 1), "title": "2025年内审", "url": "/a/1/"},
            {"date": date(2026, 5, 1), "title": "2026年内审", "url": "/a/2/"},
        ]

    with hooks.register_temporarily(coverage.AUDIT_HISTORY_HOOK, fn):
        history = coverage.audit_history(clause)
    assert [item["title"] for item in history] == ["2026年内审", "2025年内审"]


# --- open nonconformities ----------------------------------------------------------


def test_open_nonconformities_count_real_findings_still_open(standard, p):
    factories.nonconformity(p.auditor, grade_code="major")
    factories.nonconformity(
        p.auditor, grade_code="minor", source=NonconformitySource.INTERNAL_AUDIT
    )  # awaiting approval: open
    factories.nonconformity(p.auditor, grade_code="observation")
    factories.nonconformity(p.auditor, grade_code="improvement")
    closed = factories.nonconformity(p.auditor, grade_code="major")
    factories.advance(closed, p, S.CLOSED, today=TODAY)
    cancelled = factories.nonconformity(p.auditor, grade_code="minor")
    nonconformity_cancel(user=p.mr, nonconformity=cancelled, reason="重复")
    verified = factories.nonconformity(p.auditor, clause_ref="8.5.1.1")
    factories.advance(verified, p, S.EFFECTIVE, today=TODAY)  # open until closed

    rows = rows_by_ref(standard)
    assert rows["8.5.1"].open_nonconformities == 2
    assert rows["8.5.1.1"].open_nonconformities == 1
    assert rows["8.5"].open_nonconformities == 0
    assert rows["8.5.1"].has_gap


# --- applicability and the summary ---------------------------------------------------


def test_an_excluded_clause_has_no_gaps(standard, p):
    services.applicability_set(
        user=p.controller,
        clause=factories.clause("8.4.1"),
        applicable=False,
        justification="服务不单独核算",
    )
    factories.nonconformity(p.auditor, clause_ref="8.4.1")
    row = rows_by_ref(standard)["8.4.1"]
    assert (row.applicable, row.justification) == (False, "服务不单独核算")
    assert not row.has_procedure and not row.no_procedure
    assert row.not_audited and row.open_nonconformities == 1
    assert not row.has_gap


def test_an_excluded_sub_clause_does_not_hold_its_heading_back(standard, p, b05):
    services.applicability_set(
        user=p.controller,
        clause=factories.clause("8.4.1"),
        applicable=False,
        justification="服务不单独核算",
    )
    link("8.4.2", b05)
    assert not rows_by_ref(standard)["8.4"].has_procedure
    link("8.4.3", b05)
    with audits({"8.4.2": date(2026, 5, 1), "8.4.3": date(2026, 7, 1)}):
        row = rows_by_ref(standard)["8.4"]
    assert row.has_procedure and row.documents == []
    assert row.last_audited == date(2026, 5, 1) and not row.not_audited
    assert not row.has_gap


def test_a_heading_whose_sub_clauses_are_all_excluded_is_not_covered_by_them(
    standard, p
):
    for ref in ("5.2.1", "5.2.2"):
        services.applicability_set(
            user=p.controller,
            clause=factories.clause(ref),
            applicable=False,
            justification="不适用",
        )
    row = rows_by_ref(standard)["5.2"]
    assert row.applicable and not row.has_procedure and row.has_gap


def test_the_summary_counts_the_four_lists(standard, p, b05):
    assert coverage.summary(coverage.clause_rows(standard, today=TODAY)) == {
        "clauses": CLAUSES,
        "no_procedure": CLAUSES,
        "only_overdue": 0,
        "not_audited": CLAUSES,
        "open_nonconformities": 0,
        "clauses_with_open_nonconformities": 0,
    }
    link("7.5", b05)  # 7.5 and its four sub-clauses
    old = doc_factories.document(
        "procedure", "内部审核程序", issue=True, publish_date=date(2022, 1, 5)
    )
    link("9.2", old)
    services.applicability_set(
        user=p.controller,
        clause=factories.clause("8.4.1"),
        applicable=False,
        justification="服务不单独核算",
    )
    factories.nonconformity(p.auditor, clause_ref="8.5.1")
    factories.nonconformity(p.auditor, clause_ref="8.5.1", grade_code="minor")
    factories.nonconformity(p.auditor, clause_ref="9.2")
    factories.nonconformity(p.auditor, clause_ref="9.2", grade_code="observation")
    with audits({"7.5": date(2026, 6, 1)}):
        rows = coverage.clause_rows(standard, today=TODAY)
    assert coverage.summary(rows) == {
        "clauses": CLAUSES,
        "no_procedure": CLAUSES - 5 - 1 - 1,  # 7.5…7.5.4, 9.2, excluded 8.4.1
        "only_overdue": 1,
        "not_audited": CLAUSES - 5 - 1,
        "open_nonconformities": 3,
        "clauses_with_open_nonconformities": 2,
    }


# --- queries ------------------------------------------------------------------------


def _read_everything(standard, **kwargs) -> int:
    rows = coverage.clause_rows(standard, today=TODAY, **kwargs)
    seen = 0
    for row in rows:
        for ref in row.documents:
            seen += bool(ref.number and ref.title)
            if ref.issue is not None:
                seen += bool(ref.issue.label and ref.issue.effective_date)
            seen += ref.next_review_due is not None
        seen += len(row.departments) + row.open_nonconformities
    return seen


def test_the_rows_take_a_fixed_number_of_queries(
    standard, p, b05, django_assert_max_num_queries
):
    link("7.5", b05)
    services.responsibility_set(
        user=p.controller,
        clause=factories.clause("7.5"),
        department=doc_factories.department("行政部"),
        level="primary",
    )
    with CaptureQueriesContext(connection) as few:
        _read_everything(standard)
    for n, ref in enumerate(("8.5.1", "8.5.2", "8.6.1", "9.2", "9.3", "10.1")):
        document = doc_factories.document("procedure", f"程序{n}", issue=True)
        link(ref, document)
        link("4.1", document)
        services.responsibility_set(
            user=p.controller,
            clause=factories.clause(ref),
            department=doc_factories.department("技术部"),
            level="primary",
        )
        factories.nonconformity(p.auditor, clause_ref=ref)
    drafts = [doc_factories.document("procedure", f"草稿{n}") for n in range(3)]
    for draft in drafts:
        link("8.5.1", draft)
    with django_assert_max_num_queries(len(few.captured_queries)):
        _read_everything(standard)
    with django_assert_max_num_queries(len(few.captured_queries)):
        _read_everything(standard, all_documents=True)
