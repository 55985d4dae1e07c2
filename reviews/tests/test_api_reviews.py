"""The reviews API over HTTP: a review driven from the plan to the approved
report, the refusals of bad and hostile input, reading, the .docx, the
schedule and the schema."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from drf_spectacular.drainage import GENERATOR_STATS
from rest_framework.test import APIClient

from compliance.models import Nonconformity
from documents import roles
from documents.tests import factories as doc_factories

from .. import services
from ..models import Review, ReviewPack
from . import factories
from .test_api_support import (
    DOCX,
    EN,
    REVIEWS,
    SCHEDULE,
    client_for,
    meeting_body,
    plan_body,
    url,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def p():
    return factories.people()


# --- the whole flow -------------------------------------------------------------------


def test_a_review_from_plan_to_approved_report_over_http(p):
    controller, mr, gm = client_for(p.controller), client_for(p.mr), client_for(p.gm)

    created = controller.post(REVIEWS, plan_body(), format="json")
    assert created.status_code == 201, created.json()
    review = created.json()
    number = review["number"]
    year = factories.today().year + (1 if factories.today().month == 12 else 0)
    assert number.startswith("MR-") and review["status"] == "draft"
    assert created["Location"] == f"http://testserver{url(number)}"
    assert review["chair"]["username"] == "gm"  # by default 总经理
    assert [x["username"] for x in review["participants"]][:1] == ["gm"]
    assert {(a["section"], a["department"]) for a in review["assignments"]} == {
        ("performance", "技术部"),
        ("resources", "行政部"),
    }
    assert {a["input_status"] for a in review["assignments"]} == {"missing"}
    assert review["current_step"] is None and review["pack"] is None
    assert {"update", "submit", "cancel"} <= set(review["allowed_actions"])
    assert str(year) in review["title"] or review["title"]

    changed = controller.patch(
        url(number), {"location": "一楼大会议室", "participants": ["mr"]}, format="json"
    )
    assert changed.status_code == 200, changed.json()
    assert changed.json()["location"] == "一楼大会议室"
    assert {x["username"] for x in changed.json()["participants"]} == {"gm", "mr"}

    submitted = controller.post(url(number, "submit"), format="json")
    assert submitted.status_code == 200, submitted.json()
    assert submitted.json()["current_step"] == {
        "paper": "plan",
        "code": "review",
        "role": "管理者代表",
    }
    # A second submit is refused (the plan is in review already), not a 500:
    # 409 while the service raises InvalidTransition, 400 for a ValidationError.
    again = controller.post(url(number, "submit"), format="json")
    assert again.status_code in (400, 409) and again.json()["detail"]
    assert Review.objects.get(number=number).plan_revision == 1
    assert gm.post(url(number, "sign"), format="json").status_code == 403
    assert {"sign", "return"} <= set(mr.get(url(number)).json()["allowed_actions"])
    reviewed = mr.post(url(number, "sign"), {"comment": "同意"}, format="json")
    assert reviewed.status_code == 200, reviewed.json()
    approved = gm.post(url(number, "sign"), format="json")
    assert approved.status_code == 200, approved.json()
    body = approved.json()
    assert body["status"] == "approved" and body["current_step"] is None
    signers = [
        (s["paper"], s["step"], s["user"]["username"]) for s in body["signatures"]
    ]
    assert signers == [
        ("plan", "review", "mr"),
        ("plan", "approve", "gm"),
    ]
    assert isinstance(body["warnings"], list)
    notified = controller.post(url(number, "notify"), format="json")
    assert notified.status_code == 200 and notified.json()["notified_at"]

    # 技术部 writes its input, its head signs it off.
    staff = client_for(p.staff)
    written = staff.post(
        url(number, "department-inputs"),
        {
            "department": "技术部",
            "section": "performance",
            "content": "响应及时率96%。",
        },
        format="json",
    )
    assert written.status_code == 201, written.json()
    signed = client_for(p.tech_manager).post(
        url(number, "department-inputs", written.json()["id"], "sign"), format="json"
    )
    assert signed.status_code == 200 and signed.json()["status"] == "signed"

    compiled = controller.post(url(number, "pack"), format="json")
    assert compiled.status_code == 201, compiled.json()
    assert compiled.json()["version"] == 1 and compiled.json()["preview"] is False
    pack = controller.get(url(number, "inputs")).json()
    assert pack["data"]["review"] == number and pack["versions"] == [1]
    assert pack["period"] == {
        "start": body["period_start"],
        "end": body["period_end"],
    }
    confirmed = mr.post(url(number, "pack", "confirm"), {"version": 1}, format="json")
    assert confirmed.status_code == 200, confirmed.json()
    assert confirmed.json()["confirmed_by"]["username"] == "mr"

    held = controller.post(url(number, "meeting"), meeting_body(), format="json")
    assert held.status_code == 200, held.json()
    minutes = held.json()
    assert minutes["status"] == "held"
    assert minutes["meeting"]["effectiveness"] == "partly"
    assert minutes["meeting"]["discussions"][0]["section"] == "objectives"
    attended = {x["username"] for x in minutes["participants"] if x["attended"]}
    assert attended == {"gm", "mr", "controller", "tech_manager"}
    assert minutes["report_due"] == (factories.today() + timedelta(days=7)).isoformat()

    # Approving the report before it is submitted is refused with a reason.
    early = gm.post(url(number, "sign"), format="json")
    assert early.status_code == 400 and "not awaiting" in early.json()["detail"]

    output = controller.post(
        url(number, "outputs"),
        {
            "kind": "improvement",
            "description": "提高客户满意度调查的回收率",
            "owner": "tech_manager",
            "due_date": (factories.today() + timedelta(days=60)).isoformat(),
            "category": "service",
            "section": "performance",
        },
        format="json",
    )
    assert output.status_code == 201, output.json()
    action = output.json()
    assert action["reference"] == f"{number}-01"
    assert action["owner"]["username"] == "tech_manager"
    assert action["department"] == "技术部"
    nc = Nonconformity.objects.get(number=action["nonconformity"])
    assert nc.owner == p.tech_manager and nc.due_date.isoformat() == action["due_date"]
    assert action["state"]["code"] == f"nc:{nc.status}" and action["state"]["is_open"]
    assert action["nonconformity_api_url"].endswith(f"/nonconformities/{nc.number}/")

    reported = controller.post(
        url(number, "report", "submit"),
        {"distribution": ["行政部", "技术部"]},
        format="json",
    )
    assert reported.status_code == 200, reported.json()
    assert reported.json()["status"] == "reporting"
    assert reported.json()["report"]["distribution"] == ["行政部", "技术部"] or set(
        reported.json()["report"]["distribution"]
    ) == {"行政部", "技术部"}
    twice = controller.post(url(number, "report", "submit"), format="json")
    assert twice.status_code in (400, 409) and twice.json()["detail"]

    draft = controller.get(url(number, "report.docx"))
    assert draft.status_code == 200 and draft["X-Review-Document-Status"] == "draft"
    assert "draft" in draft["Content-Disposition"]

    assert mr.post(url(number, "sign"), format="json").status_code == 200
    completed = gm.post(url(number, "sign"), {"comment": "批准"}, format="json")
    assert completed.status_code == 200, completed.json()
    final = completed.json()
    assert final["status"] == "completed" and final["report"]["approved_at"]
    assert final["report"]["sha256"]
    assert [s["paper"] for s in final["signatures"]] == [
        "plan",
        "plan",
        "report",
        "report",
    ]

    download = controller.get(url(number, "report.docx"))
    assert download.status_code == 200
    assert download["Content-Type"] == DOCX
    assert download["X-Review-Document-Status"] == "approved"
    assert download["Content-Disposition"].startswith("attachment;")
    assert "draft" not in download["Content-Disposition"]
    stored = Review.objects.get(number=number)
    with stored.report_file.open("rb") as frozen:
        assert download.content == frozen.read()
    assert hashlib.sha256(download.content).hexdigest() == stored.report_sha256
    minutes_file = controller.get(url(number, "minutes.docx"))
    assert minutes_file.status_code == 200
    assert minutes_file["X-Review-Document-Status"] == "approved"


# --- creating and changing the plan ---------------------------------------------------


def test_create_refuses_unknown_names_and_creates_nothing(p):
    controller = client_for(p.controller)
    cases = {
        "chair": ("nobody", "nobody"),
        "participants": (["gm", "ghost"], "ghost"),
        "assignments": (
            [{"section": "performance", "department": "火星部"}],
            "火星部",
        ),
    }
    for field, (value, named) in cases.items():
        answer = controller.post(REVIEWS, plan_body(**{field: value}), format="json")
        assert answer.status_code == 400, field
        assert named in answer.json()["detail"] and field in answer.json(), field
    extra = controller.post(REVIEWS, plan_body(kind="extra"), format="json")
    assert extra.status_code == 400
    said = "An extra review needs the event that calls for it."
    assert extra.json()["detail"] == said
    other = controller.post(
        REVIEWS, plan_body(kind="extra", trigger="other"), format="json"
    )
    assert other.status_code == 400 and "Describe" in other.json()["detail"]
    late = plan_body()
    late["assignments"][1]["due_date"] = (
        factories.today() + timedelta(days=30)
    ).isoformat()
    answer = controller.post(REVIEWS, late, format="json")
    assert answer.status_code == 400 and "after the meeting" in answer.json()["detail"]
    backwards = plan_body(period_start="2026-12-31", period_end="2026-01-01")
    assert controller.post(REVIEWS, backwards, format="json").status_code == 400
    missing = controller.post(REVIEWS, {"location": "三楼"}, format="json")
    assert missing.status_code == 400 and "planned_date" in missing.json()
    assert not Review.objects.exists()


def test_create_refuses_hostile_input(p):
    controller = client_for(p.controller)
    hostile = [
        plan_body(title="管理评审\x00"),
        plan_body(location="x" * 5000),
        plan_body(purpose="y" * 100_000),
        plan_body(participants="gm"),
        plan_body(participants=[{"username": "gm"}]),
        plan_body(assignments={"section": "performance"}),
        plan_body(assignments=[{"section": "budget", "department": "技术部"}]),
        plan_body(planned_date=20261201),
        plan_body(planned_date="next tuesday"),
        plan_body(kind=["annual"]),
        plan_body(chair=42),
        plan_body(participants=["gm"] * 500),
    ]
    for body in hostile:
        answer = controller.post(REVIEWS, body, format="json")
        assert answer.status_code == 400, body
        assert answer.json()["detail"]
    broken = controller.post(REVIEWS, data="{not json", content_type="application/json")
    assert broken.status_code == 400
    as_list = controller.post(REVIEWS, [plan_body()], format="json")
    assert as_list.status_code == 400
    assert not Review.objects.exists()


def test_only_those_who_prepare_plan_a_review(p):
    for user in (p.staff, p.tech_manager, p.gm):
        answer = client_for(user).post(REVIEWS, plan_body(), format="json")
        assert answer.status_code == 403, user
    assert client_for(p.mr).post(REVIEWS, plan_body(), format="json").status_code == 201


def test_the_plan_changes_only_as_a_draft(p):
    review = factories.review(p)
    controller = client_for(p.controller)
    empty = controller.patch(url(review.number), {}, format="json")
    assert empty.status_code == 400 and "at least one" in empty.json()["detail"]
    assert (
        client_for(p.staff)
        .patch(url(review.number), {"title": "改"}, format="json")
        .status_code
        == 403
    )
    blank = controller.patch(url(review.number), {"title": ""}, format="json")
    assert blank.status_code == 400 and "title" in blank.json()["detail"]
    services.review_submit(user=p.controller, review=review)
    late = controller.patch(url(review.number), {"title": "新标题"}, format="json")
    assert late.status_code == 400 and "revise" in late.json()["detail"]
    for method in ("put", "delete"):
        answer = getattr(controller, method)(url(review.number), {}, format="json")
        assert answer.status_code == 405 and "PATCH" in answer.json()["detail"]
    review.refresh_from_db()
    assert review.title != "新标题" and review.status == "in_review"


def test_return_revise_and_cancel(p):
    review = factories.review(p)
    controller, mr = client_for(p.controller), client_for(p.mr)
    controller.post(url(review.number, "submit"), format="json")
    no_reason = mr.post(url(review.number, "return"), format="json")
    assert no_reason.status_code == 400
    assert no_reason.json()["detail"] == "Say why it is returned."
    returned = mr.post(
        url(review.number, "sign"),
        {"decision": "returned", "comment": "参会人员不全"},
        format="json",
    )
    assert returned.status_code == 200 and returned.json()["status"] == "draft"
    assert returned.json()["signatures"][0]["decision"] == "returned"
    bad = mr.post(url(review.number, "sign"), {"decision": "maybe"}, format="json")
    assert bad.status_code == 400 and "decision" in bad.json()

    factories.approved(p, Review.objects.get(pk=review.pk))
    no_reason = controller.post(url(review.number, "revise"), format="json")
    assert no_reason.status_code == 400 and no_reason.json()["detail"]
    revised = controller.post(
        url(review.number, "revise"), {"reason": "会议改期"}, format="json"
    )
    assert revised.status_code == 200
    # Returned and resubmitted (2), then revised once approved (3).
    assert (revised.json()["status"], revised.json()["plan_revision"]) == ("draft", 3)
    cancelled = controller.post(
        url(review.number, "cancel"), {"reason": "并入年度评审"}, format="json"
    )
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["cancel_reason"] == "并入年度评审"
    assert cancelled.json()["allowed_actions"] == []
    again = controller.post(
        url(review.number, "cancel"), {"reason": "再次"}, format="json"
    )
    assert again.status_code in (400, 409) and again.json()["detail"]
    unknown = controller.post(url(review.number, "teleport"), format="json")
    assert unknown.status_code == 404 and "teleport" in unknown.json()["detail"]


def test_approving_the_report_before_the_meeting_is_refused(p):
    review = factories.approved(p)
    answer = client_for(p.gm).post(url(review.number, "sign"), format="json")
    assert answer.status_code == 400
    assert answer.json()["detail"] == (
        "The meeting has not been held: the report cannot be approved before it."
    )
    submit = client_for(p.controller).post(
        url(review.number, "report", "submit"), format="json"
    )
    assert submit.status_code == 400 and "not been held" in submit.json()["detail"]
    review.refresh_from_db()
    assert (
        review.status == "approved"
        and not review.signatures.filter(paper="report").exists()
    )


# --- reading ---------------------------------------------------------------------


def test_detail_by_number_or_id(p):
    review = factories.review(p)
    api = client_for(p.staff)
    by_number = api.get(url(review.number.lower()))
    assert by_number.status_code == 200
    body = by_number.json()
    assert body["number"] == review.number and body["id"] == review.pk
    assert body["allowed_actions"] == []
    assert body["url"].endswith(f"/reviews/{review.number}/")
    assert body["inputs_url"].endswith(url(review.number, "inputs"))
    assert body["report"]["docx_url"].endswith(url(review.number, "report.docx"))
    assert body["interval_exceeded"] is False and body["report_due"] is None
    assert api.get(url(review.pk)).json()["number"] == review.number
    # A session works as well as a token.
    session = APIClient(**EN)
    session.force_login(p.staff)
    assert session.get(url(review.number)).json()["title"] == review.title
    for missing in ("MR-1999-99", "99999", "x" * 300, "%00"):
        answer = api.get(url(missing))
        assert answer.status_code == 404 and answer.json()["detail"], missing


def test_customer_representative_and_anonymous_are_refused(p):
    review = factories.review(p)
    customer = doc_factories.user(
        "customer", role=roles.CUSTOMER_REPRESENTATIVE, department_name=None
    )
    paths = [
        REVIEWS,
        SCHEDULE,
        url(review.number),
        url(review.number, "inputs"),
        url(review.number, "outputs"),
        url(review.number, "department-inputs"),
        url(review.number, "report.docx"),
        "/api/v1/objectives/",
        "/api/v1/objectives/satisfaction/",
    ]
    for path in paths:
        assert client_for(customer).get(path).status_code == 403, path
        assert APIClient().get(path).status_code == 401, path
    refused = client_for(customer).post(REVIEWS, plan_body(), format="json")
    assert refused.status_code == 403
    assert Review.objects.count() == 1


def test_list_filters_and_pages(p):
    annual = factories.review(p)
    extra = factories.review(
        p, days=20, kind="extra", trigger="major_incident", title="重大事件后的评审"
    )
    services.review_cancel(user=p.controller, review=extra, reason="并入年度评审")
    api = client_for(p.staff)

    def numbers(**params) -> list[str]:
        answer = api.get(REVIEWS, params)
        assert answer.status_code == 200, answer.json()
        return sorted(item["number"] for item in answer.json()["results"])

    assert numbers() == sorted([annual.number, extra.number])
    assert numbers(status="cancelled") == [extra.number]
    assert numbers(kind="annual") == [annual.number]
    year = annual.planned_date.year
    assert numbers(year=year) == sorted(
        r.number for r in (annual, extra) if r.planned_date.year == year
    )
    assert numbers(year=2001) == []
    assert numbers(status="") == sorted([annual.number, extra.number])
    page = api.get(REVIEWS, {"limit": 1}).json()
    assert page["count"] == 2 and len(page["results"]) == 1 and page["next"]
    row = page["results"][0]
    assert row["api_url"].endswith(url(row["number"])) and row["status_display"]
    for bad in ({"status": "lost"}, {"kind": "monthly"}, {"year": "soon"}):
        assert api.get(REVIEWS, bad).status_code == 400, bad


def test_list_and_detail_queries_do_not_grow(p):
    api = client_for(p.staff)

    def queries(path: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api.get(path).status_code == 200
        return len(captured)

    first = factories.held(p)
    factories.improvement(p, first)
    api.get(REVIEWS)  # warm the caches
    before = queries(REVIEWS), queries(url(first.number))
    factories.review(p, days=30)
    factories.review(p, days=40)
    factories.improvement(p, first, description="补充人员")
    factories.improvement(p, first, kind="resource", description="增加服务器")
    after = queries(REVIEWS), queries(url(first.number))
    assert after[0] == before[0]
    assert after[1] <= before[1] + 2


# --- the .docx ----------------------------------------------------------------------


def test_report_docx_is_a_draft_before_approval(p, monkeypatch):
    review = factories.held(p)
    monkeypatch.setattr("reviews.reports.report_docx", lambda r: b"draft report")
    answer = client_for(p.staff).get(
        url(review.number, "report.docx"), HTTP_ACCEPT="application/json"
    )
    assert answer.status_code == 200 and answer.content == b"draft report"
    assert answer["X-Review-Document-Status"] == "draft"
    assert f"{review.number}-report-draft.docx" in answer["Content-Disposition"]
    assert client_for(p.staff).get(url("MR-1999-99", "report.docx")).status_code == 404


def test_a_frozen_report_missing_or_altered_is_a_clear_conflict(p):
    review = factories.completed(p)
    api = client_for(p.staff)
    review.report_file.storage.delete(review.report_file.name)
    missing = api.get(url(review.number, "report.docx"))
    assert missing.status_code == 409
    assert "missing" in missing.json()["detail"]
    review.report_file.save("altered.docx", ContentFile(b"not the report"))
    altered = api.get(url(review.number, "report.docx"))
    assert altered.status_code == 409 and "SHA-256" in altered.json()["detail"]
    Review.objects.filter(pk=review.pk).update(report_file="")
    empty = api.get(url(review.number, "report.docx"))
    assert empty.status_code == 409


# --- the schedule -------------------------------------------------------------------


def test_schedule_and_the_interval_flag(p):
    api = client_for(p.staff)
    nothing = api.get(SCHEDULE).json()
    assert nothing["level"] == "none" and nothing["last"] is None
    assert nothing["interval_months"] == 12 and nothing["warning_days"] == 60

    last = factories.completed(p)
    ok = api.get(SCHEDULE).json()
    assert ok["level"] == "ok" and ok["last"]["number"] == last.number
    assert ok["due"] and ok["days_left"] > 300

    # The last review was held 13 months ago (moved back in the data).
    held_on = factories.today() - timedelta(days=400)
    Review.objects.filter(pk=last.pk).update(
        held_on=held_on,
        planned_date=held_on,
        period_start=held_on - timedelta(days=365),
        period_end=held_on,
    )
    overdue = api.get(SCHEDULE).json()
    assert overdue["level"] == "overdue" and overdue["days_left"] < 0
    upcoming = factories.review(p)
    planned = api.get(SCHEDULE).json()
    assert planned["next_planned"]["number"] == upcoming.number
    assert planned["planned_late"] is True
    detail = api.get(url(upcoming.number)).json()
    assert detail["interval_exceeded"] is True
    assert api.get(url(last.number)).json()["interval_exceeded"] is False


# --- schema ---------------------------------------------------------------------------


def test_schema_describes_the_reviews_api():
    GENERATOR_STATS.reset()
    staff = doc_factories.user("staff", role=roles.STAFF, department_name="技术部")
    response = client_for(staff).get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/reviews/"])
    assert {"get", "patch"} <= set(paths["/api/v1/reviews/{id}/"])
    assert "get" in paths["/api/v1/reviews/schedule/"]
    assert "get" in paths["/api/v1/reviews/{id}/inputs/"]
    action = paths["/api/v1/reviews/{id}/{action}/"]["post"]
    enum = next(x for x in action["parameters"] if x["name"] == "action")["schema"]
    assert {"submit", "sign", "revise", "cancel", "notify"} <= set(enum["enum"])
    docx_answer = paths["/api/v1/reviews/{id}/report.docx"]["get"]["responses"]["200"]
    assert DOCX in docx_answer["content"]
    assert "409" in paths["/api/v1/reviews/{id}/report.docx"]["get"]["responses"]
    for path in (
        "/api/v1/reviews/{id}/pack/",
        "/api/v1/reviews/{id}/pack/confirm/",
        "/api/v1/reviews/{id}/meeting/",
        "/api/v1/reviews/{id}/outputs/",
        "/api/v1/reviews/{id}/outputs/{seq}/{action}/",
        "/api/v1/reviews/{id}/report/submit/",
        "/api/v1/reviews/{id}/department-inputs/",
        "/api/v1/reviews/{id}/department-inputs/{input_id}/{action}/",
        "/api/v1/objectives/",
        "/api/v1/objectives/{code}/measurements/",
        "/api/v1/objectives/import/",
    ):
        assert "post" in paths[path], path
    assert "patch" in paths["/api/v1/objectives/{code}/"]
    upload = paths["/api/v1/objectives/import/"]["post"]["requestBody"]["content"]
    assert "multipart/form-data" in upload
    params = {x["name"] for x in paths["/api/v1/reviews/"]["get"]["parameters"]}
    assert params >= {"status", "year", "kind", "limit", "offset"}
    assert not GENERATOR_STATS, "drf-spectacular reported warnings or errors"


def test_packs_are_not_written_by_reading(p):
    review = factories.approved(p)
    client_for(p.controller).get(url(review.number, "inputs"), {"preview": "1"})
    assert not ReviewPack.objects.exists()
