"""Issue 7's acceptance, through the services with demo-like data: issued
documents, an internal audit with a finding and nonconformities in several
statuses. Preparing a review compiles a pack whose counts match the system;
the meeting decides an improvement, which becomes a nonconformity in
compliance; the report is approved; the next review's pack lists the action
with the status compliance gives it; a review held more than twelve months
after the previous one is flagged."""

from __future__ import annotations

import io
from collections import Counter
from datetime import timedelta

import docx
import pytest
from dateutil.relativedelta import relativedelta
from django.utils import timezone, translation
from wagtail.models import ModelLogEntry

from audits import services as audit_services
from audits.lifecycle import ItemResult, MeetingKind
from audits.tests import factories as audit_factories
from compliance.lifecycle import (
    NonconformityKind,
    NonconformitySource,
    NonconformityStatus,
)
from compliance.models import Nonconformity
from compliance.tests import factories as compliance_factories
from documents import roles
from documents.models import DocumentIssue
from documents.tests import factories as doc_factories
from reviews import schedule, services
from reviews.lifecycle import (
    InputSection,
    OutputKind,
    ReviewStatus,
    SignatureDecision,
    Verdict,
)
from reviews.models import Review
from reviews.tests import factories
from reviews.wagtail_hooks import LOG_ACTIONS

pytestmark = pytest.mark.django_db

NS = NonconformityStatus
SIGNED = SignatureDecision.SIGNED


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def s(db, monkeypatch):
    groups = roles.roles_ensure()
    monkeypatch.setattr(roles, "roles_ensure", lambda: groups)
    return audit_factories.scene()  # people, B05–B07 issued, 变更管理 on 8.5.1


def today():
    return factories.today()


def section(pack, code: str) -> dict:
    [found] = [sec for sec in pack.data["sections"] if sec["code"] == code]
    return found


def audit_with_a_finding(s) -> Nonconformity:
    """An internal audit of 技术部 whose 8.5.1 item does not conform."""
    p = s.people
    audit = audit_factories.audit(p.auditor)
    audit = audit_factories.in_progress(audit, p)
    item = audit.items.get(clause__ref_id="8.5.1")
    item = audit_services.checklist_item_update(
        user=p.auditor,
        item=item,
        version=item.version,
        result=ItemResult.NONCONFORMING,
        evidence="两张紧急变更单无评审记录",
    )
    finding = audit_services.finding_raise(
        user=p.auditor, item=item, grade=compliance_factories.grade("major")
    )
    audit_factories.answer_all(audit, p.auditor)
    audit_services.meeting_record(
        user=p.auditor,
        audit=audit,
        kind=MeetingKind.CLOSING,
        held_at=timezone.now(),
        attendees=[p.auditor, p.tech_manager],
    )
    return Nonconformity.objects.get(pk=finding.pk)


def test_a_management_review_from_pack_to_the_next_review(s):
    p = s.people
    # --- The system's state: nonconformities in several statuses.
    raise_nc = compliance_factories.nonconformity
    raised = raise_nc(p.staff, title="服务台未按时回访")
    planned = compliance_factories.advance(
        raise_nc(p.staff, title="备份未按计划验证"), p, NS.PLANNED, today=today()
    )
    accepted = compliance_factories.advance(
        raise_nc(p.staff, title="配置库信息不一致", clause_ref="8.2.6"),
        p,
        NS.ACCEPTED,
        today=today(),
    )
    closed = compliance_factories.advance(
        raise_nc(p.staff, title="变更记录缺签字"), p, NS.CLOSED, today=today()
    )
    finding = audit_with_a_finding(s)
    assert finding.status == NS.DRAFT  # waits for 管理者代表
    assert {raised.status, planned.status, accepted.status, closed.status} == {
        NS.RAISED,
        NS.PLANNED,
        NS.ACCEPTED,
        NS.CLOSED,
    }
    # A measured objective.
    last_month = today().replace(day=1) - relativedelta(months=1)
    services.measurement_record(
        user=p.controller,
        objective=factories.objective("response-rate"),
        period=last_month,
        value="96.4",
    )

    # --- The plan, approved; 技术部's input signed off by its head.
    review = factories.approved(p)
    tech = doc_factories.department("技术部")
    services.input_save(
        user=p.staff,
        review=review,
        department=tech,
        section=InputSection.PERFORMANCE,
        content="全年服务响应及时率96%以上。",
    )
    item = review.inputs.get()
    services.input_sign(user=p.tech_manager, input=item)

    # --- The pack: its counts are the system's.
    pack = services.pack_compile(user=p.controller, review=review)
    assert pack.version == 1 and pack.data["review"] == review.number
    assert [sec["code"] for sec in pack.data["sections"]] == list(InputSection.values)
    assert pack.data["period"] == {
        "start": review.period_start.isoformat(),
        "end": review.period_end.isoformat(),
    }

    ncs = section(pack, InputSection.NONCONFORMITIES)
    open_now = Nonconformity.objects.open()
    assert ncs["source"] == "compliance" and ncs["compiled"]
    assert ncs["summary"]["open"] == open_now.count() == 4
    assert (
        ncs["summary"]["by_status"]
        == dict(Counter(open_now.values_list("status", flat=True)))
        == {NS.DRAFT: 1, NS.RAISED: 1, NS.PLANNED: 1, NS.ACCEPTED: 1}
    )
    assert sorted(row["number"] for row in ncs["rows"]) == sorted(
        open_now.values_list("number", flat=True)
    )
    assert closed.number not in {row["number"] for row in ncs["rows"]}
    assert ncs["summary"]["raised_in_period"] == 5
    assert ncs["summary"]["closed_in_period"] == 1
    assert ncs["summary"]["by_clause"] == {"8.2": 1, "8.5": 3}
    assert sum(ncs["summary"]["by_age"].values()) == 4

    audits = section(pack, InputSection.AUDITS)
    assert audits["summary"]["audits"] == 1 and audits["summary"]["findings"] == 1
    assert audits["summary"]["open_findings"] == 1
    assert [f["number"] for f in audits["open_findings"]] == [finding.number]

    documents = section(pack, InputSection.DOCUMENTS)
    issued_in_period = DocumentIssue.objects.filter(
        publish_date__gte=review.period_start, publish_date__lte=review.period_end
    )
    assert documents["summary"]["issued_in_period"] == issued_in_period.count()
    assert sorted(row["number"] for row in documents["rows_issued"]) == sorted(
        issued_in_period.values_list("document__number", flat=True)
    )

    performance = section(pack, InputSection.PERFORMANCE)
    assert [i["department"] for i in performance["inputs"]] == ["技术部"]
    assert performance["inputs"][0]["content"] == "全年服务响应及时率96%以上。"
    resources = section(pack, InputSection.RESOURCES)
    assert resources["missing"] == ["行政部"] and not resources["compiled"]
    objectives = section(pack, InputSection.OBJECTIVES)
    rate = next(r for r in objectives["rows"] if r["code"] == "response-rate")
    assert rate["latest"] == "96.4" and rate["met"] is True
    previous = section(pack, InputSection.PREVIOUS_ACTIONS)
    assert previous["summary"]["total"] == 0  # the first review

    services.pack_confirm(user=p.mr, pack=pack)

    # --- The meeting decides an improvement: a nonconformity in compliance.
    review = services.meeting_record(
        user=p.controller,
        review=review,
        held_on=today(),
        attendees=[p.gm, p.mr, p.controller, p.tech_manager],
        discussions={InputSection.NONCONFORMITIES: "变更管理问题反复出现"},
        mr_report="体系运行基本有效",
        evaluation="需加强变更管理",
        suitability=Verdict.YES,
        adequacy=Verdict.YES,
        effectiveness=Verdict.PARTLY,
        conclusion_system="方针目标适宜",
        conclusion_service="服务质量满足合同要求",
        conclusion_resources="资源充分",
    )
    assert review.status == ReviewStatus.HELD
    due = today() + timedelta(days=60)
    output = services.output_add(
        user=p.controller,
        review=review,
        kind=OutputKind.IMPROVEMENT,
        description="紧急变更纳入CAB事后评审",
        owner=p.staff,
        due_date=due,
    )
    action = Nonconformity.objects.get(pk=output.nonconformity_id)
    assert action.source == NonconformitySource.MANAGEMENT_REVIEW
    assert action.kind == NonconformityKind.PREVENTIVE
    assert (action.owner, action.due_date, action.status) == (p.staff, due, NS.RAISED)
    assert action.source_reference == output.reference == f"{review.number}-01"
    assert action in Nonconformity.objects.open()

    # --- The report, approved by 总经理 and frozen.
    services.report_submit(
        user=p.controller,
        review=review,
        distribution=[doc_factories.department("行政部"), tech],
    )
    services.report_sign(user=p.mr, review=review, decision=SIGNED)
    review = services.report_sign(user=p.gm, review=review, decision=SIGNED)
    assert review.status == ReviewStatus.COMPLETED
    review = Review.objects.get(pk=review.pk)
    with review.report_file.open("rb") as fh:
        report = docx.Document(io.BytesIO(fh.read()))
    assert report.paragraphs or report.tables

    # --- A year and more later: the department plans and its head accepts.
    action = compliance_factories.advance(action, p, NS.ACCEPTED, today=today())
    assert action.status == NS.ACCEPTED
    # The first review was held thirteen months before the next one.
    held_before = today() - relativedelta(months=13)
    Review.objects.filter(pk=review.pk).update(
        held_on=held_before,
        planned_date=held_before,
        period_start=held_before - relativedelta(months=12) + timedelta(days=1),
        period_end=held_before,
    )
    status = schedule.schedule_status(today=today())
    assert status.level == "overdue" and status.last.pk == review.pk

    second = factories.review(p, days=0)
    assert second.period_start == held_before + timedelta(days=1)
    assert schedule.interval_exceeded(second)  # planned
    second = factories.approved(p, second)
    pack2 = services.pack_compile(user=p.controller, review=second)
    previous = section(pack2, InputSection.PREVIOUS_ACTIONS)
    assert previous["source"] == "reviews"
    [row] = previous["rows"]
    assert row["reference"] == output.reference and row["review"] == review.number
    assert row["nonconformity"] == action.number
    assert row["status"] == f"nc:{NS.ACCEPTED}" and row["open"] is True
    assert action.number in row["status_label"]
    assert previous["summary"]["open"] == 1 and previous["summary"]["total"] == 1
    # The first review's action is among the open nonconformities too.
    ncs = section(pack2, InputSection.NONCONFORMITIES)
    assert action.number in {r["number"] for r in ncs["rows"]}
    assert ncs["summary"]["open"] == Nonconformity.objects.open().count()

    # Held: flagged, and the schedule starts again from it.
    second = services.meeting_record(
        user=p.controller, review=second, held_on=today(), attendees=[p.gm, p.mr]
    )
    assert schedule.interval_exceeded(second)
    assert schedule.schedule_status(today=today()).level == "ok"
    assert schedule.schedule_status(today=today()).last.pk == second.pk

    # Every step left its entry in the audit trail, each a registered action.
    logged = set(
        ModelLogEntry.objects.filter(
            action__startswith="shoukong.reviews."
        ).values_list("action", flat=True)
    )
    assert logged <= set(LOG_ACTIONS)
    assert {
        "shoukong.reviews.review_create",
        "shoukong.reviews.plan_approve",
        "shoukong.reviews.input_sign",
        "shoukong.reviews.pack_compile",
        "shoukong.reviews.pack_confirm",
        "shoukong.reviews.meeting_record",
        "shoukong.reviews.output_add",
        "shoukong.reviews.report_approve",
        "shoukong.reviews.measurement_record",
    } <= logged
