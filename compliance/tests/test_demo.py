"""The compliance demo: the matrix and process owners come with --users-only; the
full demo adds clause links and nonconformities; loading again changes nothing.
"""

from __future__ import annotations

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import translation
from wagtail.models import ModelLogEntry

from audits.demo import NONCONFORMITY as AUDIT_FINDING
from compliance import coverage, services
from compliance.demo import NONCONFORMITIES, PRIMARY
from compliance.lifecycle import NonconformityStatus, ResponsibilityLevel
from compliance.models import (
    ClauseDocumentLink,
    ClauseResponsibility,
    Nonconformity,
    Process,
    Standard,
)
from documents.models import Department
from reviews.demo import IMPROVEMENT as REVIEW_IMPROVEMENT

S = NonconformityStatus
TODAY = date(2026, 11, 22)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    monkeypatch.setattr("compliance.nonconformities.company_today", lambda: TODAY)
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: TODAY)


def load_demo(*args: str) -> str:
    out = StringIO()
    with translation.override("en"):
        call_command("load_demo", *args, stdout=out)
    return out.getvalue()


def cells(ref_id: str) -> dict[str, str]:
    return dict(
        ClauseResponsibility.objects.filter(
            clause=services.clause_for(ref_id)
        ).values_list("department__name", "level")
    )


def counts() -> tuple[int, ...]:
    return (
        ClauseResponsibility.objects.count(),
        Process.objects.count(),
        ClauseDocumentLink.objects.count(),
        Nonconformity.objects.count(),
        ModelLogEntry.objects.count(),
    )


def test_users_only_loads_the_matrix_and_the_process_owners():
    output = load_demo("--users-only")

    P, SUP = ResponsibilityLevel.PRIMARY, ResponsibilityLevel.SUPPORTING
    assert cells("8.5.1") == {"技术部": P, "管理层": SUP, "行政部": SUP, "市场部": SUP}
    assert cells("7.5")["行政部"] == P
    assert cells("8.3.3")["市场部"] == P
    assert cells("9.3")["管理层"] == P
    # Headings and fourth-level clauses have no row.
    assert cells("8") == {} and cells("8.2") == {} and cells("8.3.4.1") == {}
    rows = sum(len(refs) for refs in PRIMARY.values())
    assert rows == 45
    assert ClauseResponsibility.objects.count() == rows * 4
    assert ClauseResponsibility.objects.filter(level=P).count() == rows
    # Every cell went through the service, which logs it.
    assert (
        ModelLogEntry.objects.filter(
            action="shoukong.compliance.responsibility_set"
        ).count()
        == rows * 4
    )

    change = Process.objects.get(name="变更管理")
    assert change.owner.username == "tech_manager"
    assert change.department.name == "技术部"
    assert "8.5.1" in set(change.clauses.values_list("ref_id", flat=True))
    owners = dict(Process.objects.values_list("name", "owner__username"))
    assert owners["内部审核"] == owners["信息安全管理"] == "mr"
    assert owners["服务级别管理"] == owners["客户关系管理"] == "market_manager"
    assert owners["供应商管理"] == owners["服务预算和核算管理"] == "controller"
    assert len(owners) == 18
    supplier = Process.objects.get(name="供应商管理")
    assert set(supplier.clauses.values_list("ref_id", flat=True)) == {
        "8.3.4",
        "8.3.4.1",
        "8.3.4.2",
    }

    # No documents, so nothing traced and no nonconformities.
    assert not ClauseDocumentLink.objects.exists()
    assert not Nonconformity.objects.exists()
    assert "Function allocation matrix rows filled (45)" in output
    assert "Processes created (18)" in output


def test_users_only_twice_changes_nothing_and_keeps_edits():
    load_demo("--users-only")
    mr = Process.objects.get(name="内部审核").owner
    # Someone edits the matrix and a process after the demo was loaded.
    services.responsibility_set(
        user=mr,
        clause=services.clause_for("8.5.1"),
        department=Department.objects.get(name="市场部"),
        level=None,
    )
    process = Process.objects.get(name="问题管理")
    process.owner = mr
    process.save()
    before = counts()

    output = load_demo("--users-only")

    assert "nothing to change" in output
    assert counts() == before
    assert "市场部" not in cells("8.5.1")
    assert Process.objects.get(name="问题管理").owner == mr


def test_full_demo_traces_documents_and_enters_nonconformities():
    output = load_demo()

    standard = Standard.objects.get(ref_id="iso20000-1-2018")
    rows = {
        row.clause.ref_id: row for row in coverage.clause_rows(standard, today=TODAY)
    }
    # Acceptance: clause 7.5 shows document control and records control.
    own = {(d.number, d.title) for d in rows["7.5"].own_documents}
    assert {("B05", "文件控制程序"), ("B06", "记录控制程序")} <= own
    assert rows["7.5"].has_procedure
    assert all(d.note for d in rows["7.5"].own_documents)
    assert {d.number for d in rows["8.5.1"].documents} >= {"B07", "D0701"}
    assert "B13" in {d.number for d in rows["9.2"].documents}
    # Gaps left on purpose for the coverage view.
    assert rows["8.4.1"].documents == [] and rows["8.4.1"].no_procedure
    assert rows["7.6"].documents == [] and rows["7.6"].no_procedure
    # Every clause of the catalogue is listed, 4.1 to 10.2.
    assert {"4.1", "8.5.1", "10.2"} <= set(rows)
    assert ModelLogEntry.objects.filter(
        action="shoukong.compliance.document_link"
    ).count() == (ClauseDocumentLink.objects.count())

    ncs = {nc.title: nc for nc in Nonconformity.objects.all()}
    # The audits demo adds its closed audit's finding against 8.5.1, the
    # reviews demo last year's improvement action.
    assert set(ncs) == {spec.title for spec in NONCONFORMITIES} | {
        AUDIT_FINDING["title"],
        REVIEW_IMPROVEMENT["description"].splitlines()[0],
    }
    major = ncs["紧急变更上线后未补做评审"]
    assert (major.status, major.grade.code, major.clause.ref_id) == (
        S.ACCEPTED,
        "major",
        "8.5.1",
    )
    assert major.department.name == "技术部"
    assert major.owner.username == "staff"
    assert major.due_date == TODAY + timedelta(days=30)
    assert rows["8.5.1"].open_nonconformities == 2

    due_soon = ncs["市场部共享盘仍保留作废的协议模板"]
    assert due_soon.status == S.ACCEPTED
    assert due_soon.clause.ref_id == "7.5.3"
    assert TODAY <= due_soon.due_date <= TODAY + timedelta(days=7)

    audit = ncs["配置管理数据库未随变更更新"]
    assert audit.status == S.DRAFT
    assert audit.raised_by.username == "auditor"

    observation = ncs["客户满意度调查回收率偏低"]
    assert observation.status == S.CLOSED
    assert observation.grade.code == "observation"
    assert observation.closing_note
    assert not observation.plans.exists()

    reopened = ncs["重大事件未在约定时限内通知客户"]
    assert reopened.status == S.CLOSED
    assert list(
        reopened.verifications.order_by("verified_at", "id").values_list(
            "effective", flat=True
        )
    ) == [False, True]
    assert reopened.implementations.count() == 2
    history = list(
        ModelLogEntry.objects.filter(object_id=str(reopened.pk))
        .filter(action__startswith="shoukong.compliance.nonconformity_")
        .order_by("timestamp", "id")
        .values_list("action", flat=True)
    )
    assert [a.removeprefix("shoukong.compliance.nonconformity_") for a in history] == [
        "raise",
        "plan",
        "accept",
        "implement",
        "verify",
        "implement",
        "verify",
        "close",
    ]
    assert "Nonconformities entered (5)" in output
    assert "Clause-document links created" in output

    before = counts()
    assert "nothing to change" in load_demo()
    assert counts() == before
