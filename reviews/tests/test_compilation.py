"""The input pack compiled from the system: its counts are the apps' own
(nonconformities by status, audits and findings, documents, records), it
respects the review period, lists the actions of previous reviews with the
status compliance gives them now, and carries the departments' signed inputs
and the departments still owing theirs."""

from __future__ import annotations

import io
import json
from collections import Counter
from datetime import date, datetime, timedelta

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db.models import Count
from django.urls import resolve
from django.utils import timezone, translation
from django.utils.translation import gettext

from audits import services as audit_services
from audits.coverage import coverage_summary, programme_coverage
from audits.lifecycle import ItemResult
from audits.models import Audit, AuditProgramme, ChecklistItem
from audits.tests import factories as audit_factories
from compliance import nonconformities as nc_services
from compliance.lifecycle import NonconformitySource, NonconformityStatus
from compliance.models import Nonconformity
from compliance.tests.factories import People, advance, nonconformity
from documents import changes as document_changes
from documents import distribution
from documents.models import (
    ChangeRequest,
    ControlledCopy,
    DocumentPage,
    RecallTask,
)
from documents.tests import factories as doc_factories
from records.models import Record
from records.tests import factories as record_factories
from reviews import services
from reviews.compilation import PACK_SCHEMA, compile_pack
from reviews.lifecycle import (
    COMPILED_SECTIONS,
    InputSection,
    MeasureKind,
    OutputKind,
)
from reviews.tests import factories as f

pytestmark = pytest.mark.django_db

MINIMAL_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def section(pack: dict, code: str) -> dict:
    return next(s for s in pack["sections"] if s["code"] == code)


def roundtrip(pack: dict) -> dict:
    """The pack as stored: JSON and back (fails on anything not plain)."""
    return json.loads(json.dumps(pack, ensure_ascii=False, allow_nan=False))


def backdate(nc: Nonconformity, days: int) -> None:
    Nonconformity.objects.filter(pk=nc.pk).update(
        raised_at=timezone.now() - timedelta(days=days)
    )


# --- The frame ------------------------------------------------------------------------


def test_one_section_per_input_in_order_with_titles_in_the_company_language():
    p = f.people()
    r = f.review(p)
    with translation.override("en"):
        pack = compile_pack(r, today=f.today())
    assert roundtrip(pack) == pack
    assert pack["schema"] == PACK_SCHEMA
    assert pack["review"] == r.number
    assert pack["period"] == {
        "start": r.period_start.isoformat(),
        "end": r.period_end.isoformat(),
    }
    assert pack["compiled_on"] == f.today().isoformat()
    assert [s["code"] for s in pack["sections"]] == InputSection.values
    with translation.override(settings.LANGUAGE_CODE):
        titles = [str(label) for label in InputSection.labels]
    assert [s["title"] for s in pack["sections"]] == titles
    for s in pack["sections"]:
        assert s["compiled"] is (s["code"] in COMPILED_SECTIONS)
        assert {"source", "source_url", "summary", "rows", "inputs", "missing"} <= set(
            s
        )
        # Every source is a page of the site.
        resolve(s["source_url"].split("?")[0])
        if not s["compiled"]:
            assert s["source"] == "departments"
            assert s["summary"] == {"inputs": 0}
            assert s["rows"] == []


# --- Nonconformities ------------------------------------------------------------------


def test_nonconformity_counts_are_compliances_whole_company():
    p = f.people()
    today = f.today()
    old = nonconformity(p.controller, clause_ref="8.5.1")
    backdate(old, 100)
    nonconformity(p.controller, clause_ref="7.5", department="市场部")
    nonconformity(p.controller, clause_ref=None)
    accepted = advance(nonconformity(p.controller), p, "accepted", today=today)
    closed = advance(nonconformity(p.controller), p, "closed", today=today)
    cancelled = nonconformity(p.controller)
    nc_services.nonconformity_cancel(
        user=p.controller, nonconformity=cancelled, reason="重复登记"
    )
    r = f.review(p)

    pack = roundtrip(compile_pack(r, today=today))
    ncs = section(pack, "nonconformities")
    summary = ncs["summary"]
    expected = dict(
        Nonconformity.objects.open()
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    assert summary["by_status"] == expected == {"raised": 3, "accepted": 1}
    assert summary["open"] == Nonconformity.objects.open().count() == 4
    with translation.override(settings.LANGUAGE_CODE):
        labels = {
            str(NonconformityStatus.RAISED.label): 3,
            str(NonconformityStatus.ACCEPTED.label): 1,
        }
    assert summary["by_status_label"] == labels
    assert summary["by_age"] == {"lt30": 3, "30to90": 0, "gt90": 1}
    assert summary["overdue"] == 0
    # 8.5.1 twice (the old one and the accepted one), 7.5, and one without.
    with translation.override(settings.LANGUAGE_CODE):
        no_clause = gettext("No clause")
    assert summary["by_clause"] == {"7.5": 1, "8.5": 2, no_clause: 1}
    assert list(summary["by_clause"]) == ["7.5", "8.5", no_clause]
    # Raised in the period: all but the cancelled one; closed: one.
    assert summary["raised_in_period"] == 5
    assert summary["closed_in_period"] == 1
    assert {row["number"] for row in ncs["rows"]} == set(
        Nonconformity.objects.open().values_list("number", flat=True)
    )
    assert closed.number not in {row["number"] for row in ncs["rows"]}
    row = next(row for row in ncs["rows"] if row["number"] == old.number)
    assert row["age_days"] == 100
    assert row["clause"] == "8.5.1"
    assert row["status"] == "raised"
    assert row["url"] == old.get_absolute_url()
    resolve(ncs["period_url"].split("?")[0])

    # Forty days on, the accepted action (due in 30 days) is overdue, as
    # compliance says.
    later = today + timedelta(days=40)
    summary = section(compile_pack(r, today=later), "nonconformities")["summary"]
    assert summary["overdue"] == Nonconformity.objects.overdue(later).count() == 1
    assert summary["by_age"] == {"lt30": 0, "30to90": 3, "gt90": 1}
    row = next(
        row
        for row in section(compile_pack(r, today=later), "nonconformities")["rows"]
        if row["number"] == accepted.number
    )
    assert row["overdue"] is True
    assert row["owner"] == p.staff.get_username()


def test_nonconformities_raised_outside_the_period_are_open_but_not_counted_as_raised():
    p = f.people()
    today = f.today()
    nonconformity(p.controller)
    r = f.review(
        p, period_start=today + timedelta(days=1), period_end=today + timedelta(days=10)
    )
    summary = section(compile_pack(r, today=today), "nonconformities")["summary"]
    assert summary["open"] == 1
    assert summary["raised_in_period"] == 0


# --- Actions from previous reviews ----------------------------------------------------


def test_previous_actions_carry_their_nonconformitys_status_from_compliance():
    p = f.people()
    today = f.today()
    first = f.completed(p)
    output = first.outputs.get()
    nc = output.nonconformity
    assert nc.source == NonconformitySource.MANAGEMENT_REVIEW
    second = f.review(p, days=30)

    actions = section(compile_pack(second, today=today), "previous_actions")
    with translation.override(settings.LANGUAGE_CODE):
        label = str(NonconformityStatus(nc.status).label)
    assert actions["summary"] == {
        "total": 1,
        "open": 1,
        "closed": 0,
        "overdue": 0,
        "by_status": {label: 1},
    }
    (row,) = actions["rows"]
    assert row["reference"] == output.reference == f"{first.number}-01"
    assert row["review"] == first.number
    assert row["kind"] == OutputKind.IMPROVEMENT
    assert row["status"] == f"nc:{nc.status}"
    assert row["nonconformity"] == nc.number
    assert row["url"] == nc.get_absolute_url()
    assert row["owner"] == p.tech_manager.get_username()
    assert row["department"] == "技术部"

    # The action moves in compliance: the next pack shows where it stands.
    advance(nc, p, "accepted", today=today)
    (row,) = section(compile_pack(second, today=today), "previous_actions")["rows"]
    assert row["status"] == "nc:accepted"
    with translation.override(settings.LANGUAGE_CODE):
        accepted = str(NonconformityStatus.ACCEPTED.label)
    assert accepted in row["status_label"]
    assert row["open"] is True
    # Past its due date it is overdue.
    nc.refresh_from_db()
    late = nc.due_date + timedelta(days=1)
    (row,) = section(compile_pack(second, today=late), "previous_actions")["rows"]
    assert row["overdue"] is True

    # Closed, it stays in the pack: it is an action of the last review.
    advance(Nonconformity.objects.get(pk=nc.pk), p, "closed", today=today)
    actions = section(compile_pack(second, today=today), "previous_actions")
    (row,) = actions["rows"]
    assert row["status"] == "nc:closed"
    assert row["open"] is False
    assert actions["summary"]["open"] == 0
    assert actions["summary"]["closed"] == 1


def test_older_reviews_contribute_only_their_open_actions():
    p = f.people()
    today = f.today()
    older = f.held(p)
    done = f.improvement(p, older, description="更新服务目录")
    advance(done.nonconformity, p, "closed", today=today)
    still_open = f.improvement(
        p, older, kind=OutputKind.OTHER, description="评估增加一名运维工程师"
    )
    last = f.held(p)
    last_action = f.improvement(p, last, description="提高回访率")
    upcoming = f.review(p, days=30)

    rows = section(compile_pack(upcoming, today=today), "previous_actions")["rows"]
    assert [row["reference"] for row in rows] == [
        still_open.reference,
        last_action.reference,
    ]
    assert rows[0]["status"] == "open"
    assert rows[0]["url"].endswith(f"/{older.number}/outputs/")
    assert rows[0]["last_review"] is False
    assert rows[1]["last_review"] is True

    # A review met on the same day as another does not list its actions.
    assert section(compile_pack(last, today=today), "previous_actions")["rows"] == []


# --- Objectives and indicators --------------------------------------------------------


def test_measurements_count_in_the_review_whose_period_holds_their_last_day():
    p = f.people()
    record = services.measurement_record
    response = f.objective("response-rate")
    record(user=p.controller, objective=response, period="2025-10", value="99")
    record(user=p.controller, objective=response, period="2025-11", value="96")
    record(user=p.controller, objective=response, period="2026-06", value="93.50")
    record(user=p.controller, objective=response, period="2026-11", value="97")
    record(
        user=p.controller,
        objective=f.objective("resolution-rate"),
        period="2026-03",
        value="99",
    )
    tickets = services.objective_save(
        user=p.controller,
        code="tickets",
        name="月度工单量",
        kind=MeasureKind.INDICATOR,
        unit="件",
        target=None,
        max_value=None,
        frequency="quarterly",
    )
    record(user=p.controller, objective=tickets, period="2026Q2", value="120")
    r = f.review(p, period_start=date(2025, 11, 20), period_end=date(2026, 11, 10))

    pack = roundtrip(compile_pack(r, today=f.today()))
    objectives = section(pack, "objectives")
    assert objectives["summary"] == {
        "total": 3,
        "met": 1,
        "not_met": 1,
        "unmeasured": 1,
        "no_target": 0,
    }
    rows = {row["code"]: row for row in objectives["rows"]}
    assert list(rows) == ["response-rate", "resolution-rate", "satisfaction"]
    response_row = rows["response-rate"]
    # November 2025 straddles the start and counts; October is before it;
    # November 2026 ends after the period and waits for the next review.
    assert [m["period"] for m in response_row["measurements"]] == ["2025-11", "2026-06"]
    assert response_row["measurements"][0] == {
        "period": "2025-11",
        "start": "2025-11-01",
        "end": "2025-11-30",
        "value": "96",
        "met": True,
    }
    assert response_row["latest"] == "93.5"
    assert response_row["latest_period"] == "2026-06"
    assert response_row["met"] is False
    assert response_row["target"] == "95"
    assert response_row["target_label"] == response.target_label
    assert response_row["comparison"] == "gte"
    assert response_row["frequency"] == "monthly"
    assert rows["resolution-rate"]["met"] is True
    assert rows["satisfaction"]["measurements"] == []
    assert rows["satisfaction"]["latest"] is None
    assert rows["satisfaction"]["met"] is None

    performance = section(pack, "performance")
    assert performance["summary"] == {
        "total": 1,
        "met": 0,
        "not_met": 0,
        "unmeasured": 0,
        "no_target": 1,
    }
    (row,) = performance["rows"]
    assert row["code"] == "tickets"
    assert row["target"] is None
    assert row["measurements"] == [
        {
            "period": "2026Q2",
            "start": "2026-04-01",
            "end": "2026-06-30",
            "value": "120",
            "met": None,
        }
    ]


def test_a_retired_objective_appears_only_if_measured_in_the_period():
    p = f.people()
    satisfaction = f.objective("satisfaction")
    services.objective_save(user=p.controller, objective=satisfaction, is_active=False)
    r = f.review(p, period_start=date(2025, 11, 20), period_end=date(2026, 11, 10))
    codes = [
        row["code"]
        for row in section(compile_pack(r, today=f.today()), "objectives")["rows"]
    ]
    assert "satisfaction" not in codes
    services.measurement_record(
        user=p.controller, objective=satisfaction, period="2026Q1", value="88"
    )
    rows = section(compile_pack(r, today=f.today()), "objectives")["rows"]
    row = next(row for row in rows if row["code"] == "satisfaction")
    assert row["met"] is False


# --- Audits ---------------------------------------------------------------------------


def _finding(p: People, audit: Audit, item: ChecklistItem, grade_code: str):
    audit_services.checklist_item_update(
        user=p.auditor,
        item=item,
        result=ItemResult.NONCONFORMING,
        evidence="抽查的变更单缺少评审记录",
    )
    return audit_services.finding_raise(
        user=p.auditor,
        item=item,
        title="变更未评审",
        facts="三张变更单中一张无CAB评审记录。",
        grade=audit_factories.grade(grade_code),
    )


def test_audits_of_the_period_with_their_findings_and_coverage():
    scene = audit_factories.scene()
    p = scene.people
    today = f.today()
    started = audit_factories.audit(p.controller)
    waiting = audit_factories.audit(
        p.controller, title="市场部审核", departments=("市场部",)
    )
    dropped = audit_factories.audit(p.controller, title="取消的审核")
    audit_services.audit_cancel(user=p.controller, audit=dropped, reason="人员不足")
    started = audit_factories.in_progress(started, p)
    items = list(ChecklistItem.objects.filter(audit=started).order_by("id"))
    major = _finding(p, started, items[0], "major")
    minor = _finding(p, started, items[1], "minor")
    nc_services.nonconformity_cancel(user=p.mr, nonconformity=minor, reason="误报")

    # The period ends before the planned start: the audit counts because its
    # opening meeting was held today; the one not started does not.
    short = f.review(
        p,
        period_start=today - timedelta(days=200),
        period_end=today + timedelta(days=1),
    )
    audits = section(roundtrip(compile_pack(short, today=today)), "audits")
    assert [row["number"] for row in audits["rows"]] == [started.number]
    (row,) = audits["rows"]
    assert row["start"] == today.isoformat()
    assert row["status"] == "in_progress"
    assert (
        row["findings"] == started.findings().exclude(status="cancelled").count() == 1
    )
    assert row["open_findings"] == 1
    assert row["url"] == started.get_absolute_url()
    summary = audits["summary"]
    assert summary["audits"] == 1
    assert summary["completed"] == 0
    assert summary["findings"] == 1
    assert summary["by_grade"] == {audit_factories.grade("major").name: 1}
    audit_type = ContentType.objects.get_for_model(Audit)
    assert (
        summary["open_findings"]
        == (Nonconformity.objects.open().filter(source_type=audit_type).count())
        == 1
    )
    (finding,) = audits["open_findings"]
    assert finding["number"] == major.number
    assert finding["audit"] == started.number
    assert finding["clause"] == major.clause.ref_id
    programme = AuditProgramme.objects.get(year=started.planned_start.year)
    counts = coverage_summary(programme_coverage(programme))
    coverage = next(c for c in summary["coverage"] if c["year"] == programme.year)
    assert coverage == {
        "year": programme.year,
        "clauses_total": counts["clauses"],
        "clauses_covered": counts["clauses_covered"],
        "departments_total": counts["departments"],
        "departments_covered": counts["departments_covered"],
        "audits": counts["audits"],
        "url": programme.get_absolute_url(),
    }

    # Over the default period (to the meeting) the planned audit counts too;
    # the cancelled one never does.
    full = f.review(p)
    numbers = [
        row["number"]
        for row in section(compile_pack(full, today=today), "audits")["rows"]
    ]
    assert sorted(numbers) == sorted([started.number, waiting.number])
    assert dropped.number not in numbers


# --- Documents and records ------------------------------------------------------------


def test_document_counts_are_the_document_control_desks():
    p = f.people()
    today = f.today()
    tech = doc_factories.department("技术部")
    recent = doc_factories.document(
        title="事件管理程序",
        number="B10",
        dept=tech,
        issue=True,
        publish_date=today - timedelta(days=20),
    )
    stale = doc_factories.document(
        title="配置管理程序",
        number="B11",
        dept=tech,
        issue=True,
        publish_date=date(2020, 1, 6),
    )
    doc_factories.document(title="草稿程序", number="B12", dept=tech)
    issue = stale.issues.get()
    ControlledCopy.objects.create(
        issue=issue, copy_number=2, holder=p.staff, department=tech, location="机房"
    )
    distribution.recalls_open(
        user=p.controller, issue=issue, today=today - timedelta(days=10)
    )
    document_changes.change_request_create(
        user=p.staff, document=recent, reason="流程中的升级时限与合同不一致"
    )
    r = f.review(p)

    documents = section(roundtrip(compile_pack(r, today=today)), "documents")
    overdue_reviews = [
        d
        for d in document_changes.reviews_due(today=today)
        if d.next_review_due < today
    ]
    assert documents["summary"] == {
        "issued_in_period": 1,
        "reviews_overdue": len(overdue_reviews),
        "recalls_overdue": RecallTask.objects.overdue(today).count(),
        "open_change_requests": ChangeRequest.objects.open().count(),
        "controlled": DocumentPage.objects.controlled().count(),
    }
    assert documents["summary"]["reviews_overdue"] == 1
    assert documents["summary"]["recalls_overdue"] == 1
    assert documents["summary"]["open_change_requests"] == 1
    assert documents["summary"]["controlled"] == 2
    (issued,) = documents["rows_issued"]
    assert issued["number"] == "B10"
    assert issued["revision"] == recent.issues.get().label
    assert issued["date"] == (today - timedelta(days=20)).isoformat()
    assert resolve(issued["url"]).url_name == "issue"
    (review_row,) = documents["rows_reviews_overdue"]
    assert review_row["number"] == "B11"
    assert review_row["date"] == stale.next_review_due.isoformat()
    (recall_row,) = documents["rows_recalls_overdue"]
    assert recall_row["number"] == "B11"
    assert recall_row["holder"] == p.staff.get_username()
    assert recall_row["date"] < today.isoformat()


def test_records_past_retention_are_counted_by_form():
    p = f.people()
    today = f.today()
    form = record_factories.form()  # D0201, kept five years
    for _n in range(2):
        record_factories.record(p.staff, form, record_date=date(2020, 1, 10))
    record_factories.record(p.staff, form, record_date=today - timedelta(days=3))
    r = f.review(p)

    records = section(roundtrip(compile_pack(r, today=today)), "records")
    assert (
        records["summary"]["past_retention"]
        == (Record.objects.past_retention(today).count())
        == 2
    )
    assert records["summary"]["by_form"] == {f"D0201 {form.title}": 2}
    assert records["rows"] == []
    # Counts only: no record number in the pack.
    text = json.dumps(records, ensure_ascii=False)
    for number in Record.objects.values_list("number", flat=True):
        assert number not in text


# --- The departments' inputs ----------------------------------------------------------


def test_signed_inputs_are_in_the_pack_and_missing_departments_named():
    p = f.people()
    tech = doc_factories.department("技术部")
    admin = doc_factories.department("行政部")
    market = doc_factories.department("市场部")
    r = f.review(
        p,
        assignments=[
            (InputSection.PERFORMANCE, tech, None),
            (InputSection.RESOURCES, admin, None),
            (InputSection.ISSUES, market, None),
            (InputSection.ISSUES, tech, None),
        ],
    )
    performance = services.input_save(
        user=p.staff,
        review=r,
        department=tech,
        section=InputSection.PERFORMANCE,
        content="本年度共处理事件1200件，满意度调查回收率60%。",
    )
    (attachment,) = services.input_attach(
        user=p.staff, input=performance, uploads=[("满意度统计.pdf", MINIMAL_PDF)]
    )
    services.input_sign(user=p.tech_manager, input=performance)
    issues = services.input_save(
        user=p.staff,
        review=r,
        department=tech,
        section=InputSection.ISSUES,
        content="主要客户提出新的等保要求。",
    )
    services.input_sign(user=p.tech_manager, input=issues)
    # Unassigned, signed: still in the pack.
    risks = services.input_save(
        user=p.staff,
        review=r,
        department=tech,
        section=InputSection.RISKS,
        content="核心交换机单点故障风险。",
    )
    services.input_sign(user=p.tech_manager, input=risks)
    # A draft is not in the pack.
    services.input_save(
        user=p.controller,
        review=r,
        department=admin,
        section=InputSection.RESOURCES,
        content="计划新增一名文控人员。",
    )

    pack = roundtrip(compile_pack(r, today=f.today()))
    perf = section(pack, "performance")
    (item,) = perf["inputs"]
    performance.refresh_from_db()
    assert item == {
        "id": performance.pk,
        "department": "技术部",
        "content": performance.content,
        "prepared_by": p.staff.get_username(),
        "signed_by": p.tech_manager.get_username(),
        "signed_at": timezone.localtime(performance.signed_at).isoformat(
            timespec="seconds"
        ),
        "attachments": [
            {
                "id": attachment.pk,
                "name": "满意度统计.pdf",
                "size": len(MINIMAL_PDF),
                "url": f"/reviews/{r.number}/files/{attachment.pk}/",
            }
        ],
    }
    assert perf["missing"] == []
    issues_section = section(pack, "issues")
    assert [i["department"] for i in issues_section["inputs"]] == ["技术部"]
    assert issues_section["missing"] == ["市场部"]
    assert issues_section["summary"] == {"inputs": 1}
    resources = section(pack, "resources")
    assert resources["inputs"] == []
    assert resources["missing"] == ["行政部"]
    assert resources["summary"] == {"inputs": 0}
    assert section(pack, "risks")["summary"] == {"inputs": 1}
    assert section(pack, "risks")["missing"] == []


# --- The full demo --------------------------------------------------------------------


def test_the_demo_pack_matches_the_system_in_a_fixed_number_of_queries(
    django_assert_max_num_queries,
):
    call_command("load_demo", stdout=io.StringIO())
    users = {u.username: u for u in get_user_model().objects.all()}
    p = People(
        controller=users["controller"],
        auditor=users["auditor"],
        mr=users["mr"],
        gm=users["gm"],
        tech_manager=users["tech_manager"],
        market_manager=users["market_manager"],
        staff=users["staff"],
    )
    r = f.review(p)
    today = f.today()
    compile_pack(r, today=today)  # warm the caches (content types, sites)
    # A fixed number of queries whatever the number of rows (30 on the demo);
    # the time it takes is bench/reviews.py's figure, not a test's.
    with django_assert_max_num_queries(40):
        pack = compile_pack(r, today=today)
    pack = roundtrip(pack)

    ncs = section(pack, "nonconformities")["summary"]
    expected = Counter(Nonconformity.objects.open().values_list("status", flat=True))
    assert ncs["by_status"] == dict(expected)
    assert ncs["open"] > 0
    assert sum(ncs["by_age"].values()) == ncs["open"] == sum(ncs["by_clause"].values())
    audits = section(pack, "audits")
    assert audits["summary"]["audits"] >= 1
    assert audits["summary"]["coverage"]
    documents = section(pack, "documents")["summary"]
    assert documents["controlled"] == DocumentPage.objects.controlled().count() > 0
    records = section(pack, "records")["summary"]
    assert records["past_retention"] == Record.objects.past_retention(today).count()
    assert datetime.fromisoformat(pack["compiled_on"]).date() == today
