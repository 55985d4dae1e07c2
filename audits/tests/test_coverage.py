"""What the programme covers: the clause × month heat map and the departments,
and the warnings while a clause or a department is not audited in the year."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import translation

from audits import coverage, services
from audits.lifecycle import AuditKind
from audits.tests import factories
from compliance import services as compliance_services
from documents import roles

pytestmark = pytest.mark.django_db

YEAR = 2030


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def p(db, monkeypatch):
    groups = roles.roles_ensure()
    monkeypatch.setattr(roles, "roles_ensure", lambda: groups)
    return factories.people()


def rows(cov) -> dict:
    return {row.clause.ref_id: row for row in cov.clauses}


def refs(clauses) -> list[str]:
    return [c.ref_id for c in clauses]


def names(departments) -> list[str]:
    return [d.name for d in departments]


def test_clauses_are_covered_by_their_own_audit_an_ancestors_or_all_children(p):
    march = factories.audit(
        p.auditor,
        clauses=("4", "5", "6", "7", "8", "9"),
        departments=("行政部", "技术部"),
        start=date(YEAR, 3, 10),
    )
    programme = march.programme
    cov = coverage.programme_coverage(programme)
    assert cov.audits == [march]
    assert refs(cov.uncovered_clauses) == ["10"]
    by_ref = rows(cov)
    change = by_ref["8.5.1"]  # inherited from 8
    assert change.covered and change.applicable
    assert dict(change.months) == {3: [march]}
    assert len(change.cells) == 12 and change.cells[2] == (3, [march])
    assert change.cells[0] == (1, [])
    assert not by_ref["10"].covered and not by_ref["10.1"].covered
    assert [row.clause.ref_id for row in by_ref["10"].children] == ["10.1", "10.2"]
    clause_warning = cov.warnings[0]
    assert "1 clauses" in clause_warning and str(YEAR) in clause_warning
    assert clause_warning.endswith(": 10")
    assert not cov.complete

    # Half of 10: the heading is not covered; the missing child is reported.
    june = factories.audit(
        p.auditor,
        clauses=("10.1",),
        departments=("市场部",),
        start=date(YEAR, 6, 29),
        days=4,
    )
    cov = coverage.programme_coverage(programme)
    assert refs(cov.uncovered_clauses) == ["10.2"]
    assert dict(rows(cov)["10.1"].months) == {6: [june], 7: [june]}
    assert not rows(cov)["10"].covered

    # 10.2 excluded from the statement of applicability: not reported, and 10
    # is covered by its only applicable child.
    compliance_services.applicability_set(
        user=p.controller,
        clause=factories.clause("10.2"),
        applicable=False,
        justification="不适用于本公司",
    )
    cov = coverage.programme_coverage(programme)
    by_ref = rows(cov)
    assert cov.uncovered_clauses == []
    assert not by_ref["10.2"].applicable
    assert by_ref["10"].covered and dict(by_ref["10"].months) == {}
    assert all("clauses" not in w for w in cov.warnings)

    # A cancelled audit covers nothing.
    services.audit_cancel(user=p.auditor, audit=june, reason="并入三月审核")
    cov = coverage.programme_coverage(programme)
    assert refs(cov.uncovered_clauses) == ["10"]
    assert june not in cov.audits
    assert "市场部" in names(cov.uncovered_departments)


def test_departments_and_the_warnings(p):
    first = factories.audit(
        p.auditor, departments=("行政部", "技术部"), start=date(YEAR, 3, 10)
    )
    programme = first.programme
    cov = coverage.programme_coverage(programme)
    assert names(cov.uncovered_departments) == ["管理层", "市场部"]
    departments = {row.department.name: row for row in cov.departments}
    assert departments["技术部"].audits == [first] and departments["技术部"].covered
    assert not departments["市场部"].covered
    department_warning = cov.warnings[-1]
    assert "管理层" in department_warning and "市场部" in department_warning

    # A requested ad hoc audit does not count until 管理者代表 accepts it.
    requested = factories.audit(
        p.auditor,
        clauses=("9.3",),
        departments=("管理层", "市场部"),
        start=date(YEAR, 9, 1),
        kind=AuditKind.AD_HOC,
    )
    cov = coverage.programme_coverage(programme)
    assert names(cov.uncovered_departments) == ["管理层", "市场部"]
    services.audit_decide(user=p.mr, audit=requested, accept=True)

    # The rest of the catalogue in the same audit, and nothing is missing.
    services.audit_update(
        user=p.mr,
        audit=requested,
        clauses=[factories.clause(ref) for ref in ("4", "5", "6", "7", "8", "9", "10")],
    )
    cov = coverage.programme_coverage(programme)
    assert cov.uncovered_departments == [] and cov.uncovered_clauses == []
    assert cov.complete and cov.warnings == []
    assert {a.pk for a in cov.audits} == {first.pk, requested.pk}
    assert list(coverage.year_audits(YEAR)) == [first, requested]
    assert list(coverage.year_audits(YEAR + 1)) == []
