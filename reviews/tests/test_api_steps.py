"""The reviews API's steps over HTTP: the departments' inputs, the input pack
as JSON, the meeting, the outputs and their follow-up, and their refusals."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from compliance.models import Nonconformity
from documents.tests.filefactories import make_pdf

from .. import services
from ..lifecycle import InputSection, OutputKind
from ..models import DepartmentInput, Review, ReviewOutput, ReviewPack
from . import factories
from .test_api_support import client_for, meeting_body, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def p():
    return factories.people()


def due(days: int = 60) -> str:
    return (factories.today() + timedelta(days=days)).isoformat()


def output_body(**extra) -> dict:
    return {
        "kind": "resource",
        "description": "为服务台增加一名值班人员",
        "owner": "tech_manager",
        "due_date": due(),
        **extra,
    }


# --- department inputs ----------------------------------------------------------------


def test_department_inputs_written_signed_returned(p):
    review = factories.review(p)
    inputs = url(review.number, "department-inputs")
    staff, head = client_for(p.staff), client_for(p.tech_manager)
    body = {
        "department": "技术部",
        "section": "performance",
        "content": "响应及时率96%",
    }

    written = staff.post(inputs, body, format="json")
    assert written.status_code == 201, written.json()
    item = written.json()
    assert (item["status"], item["department"]) == ("draft", "技术部")
    assert item["prepared_by"]["username"] == "staff"
    rewritten = staff.post(
        inputs, {**body, "content": "响应及时率96.5%"}, format="json"
    )
    assert rewritten.status_code == 200 and rewritten.json()["id"] == item["id"]

    # A draft is 404 to another department; signed inputs are for everyone.
    market = client_for(p.market_manager)
    assert market.get(inputs).json() == []
    sign = url(review.number, "department-inputs", item["id"], "sign")
    assert market.post(sign, format="json").status_code == 404
    assert staff.post(sign, format="json").status_code == 403
    signed = head.post(sign, format="json")
    assert signed.status_code == 200 and signed.json()["signed_by"]["username"] == (
        "tech_manager"
    )
    assert [x["id"] for x in market.get(inputs).json()] == [item["id"]]
    assert head.post(sign, format="json").status_code == 400
    locked = staff.post(inputs, {**body, "content": "改"}, format="json")
    assert locked.status_code == 400 and "returned" in locked.json()["detail"]
    detail = client_for(p.controller).get(url(review.number)).json()
    statuses = {a["section"]: a["input_status"] for a in detail["assignments"]}
    assert statuses == {"performance": "signed", "resources": "missing"}

    back = url(review.number, "department-inputs", item["id"], "return")
    assert head.post(back, {"comment": "补充数据"}, format="json").status_code == 403
    silent = client_for(p.controller).post(back, format="json")
    assert silent.status_code == 400
    assert silent.json()["detail"] == "Say why the input is returned."
    returned = client_for(p.mr).post(back, {"comment": "补充数据来源"}, format="json")
    assert returned.status_code == 200 and returned.json()["status"] == "returned"
    assert returned.json()["return_comment"] == "补充数据来源"
    unknown = client_for(p.mr).post(
        url(review.number, "department-inputs", item["id"], "approve"), format="json"
    )
    assert unknown.status_code == 404 and "approve" in unknown.json()["detail"]
    missing = head.post(
        url(review.number, "department-inputs", 99999, "sign"), format="json"
    )
    assert missing.status_code == 404


def test_department_input_refusals(p):
    review = factories.review(p)
    inputs = url(review.number, "department-inputs")
    staff = client_for(p.staff)
    cases = [
        ({"department": "火星部", "section": "performance", "content": "x"}, "火星部"),
        ({"department": "技术部", "section": "budget", "content": "x"}, "section"),
        ({"department": "技术部", "section": "performance", "content": ""}, "Write"),
        (
            {"department": "技术部", "section": "performance", "content": "a\x00b"},
            "ull",
        ),
        (
            {"department": "技术部", "section": "performance", "content": "x" * 30000},
            "",
        ),
        ({"department": ["技术部"], "section": "performance", "content": "x"}, ""),
    ]
    for body, said in cases:
        answer = staff.post(inputs, body, format="json")
        assert answer.status_code == 400, body
        assert said in answer.json()["detail"], (body, answer.json())
    other = staff.post(
        inputs,
        {"department": "市场部", "section": "performance", "content": "代写"},
        format="json",
    )
    assert other.status_code == 403
    held = factories.held(p)
    closed = staff.post(
        url(held.number, "department-inputs"),
        {"department": "技术部", "section": "performance", "content": "迟到的输入"},
        format="json",
    )
    assert closed.status_code == 400 and "held" in closed.json()["detail"]
    assert not DepartmentInput.objects.exists()


def test_department_input_files(p):
    review = factories.review(p)
    staff = client_for(p.staff)
    item = staff.post(
        url(review.number, "department-inputs"),
        {"department": "技术部", "section": "performance", "content": "见附件"},
        format="json",
    ).json()
    files = url(review.number, "department-inputs", item["id"], "files")
    pdf = make_pdf([["SLA report"]])
    uploaded = staff.post(
        files,
        {
            "files": [
                SimpleUploadedFile("月报.pdf", pdf, content_type="application/pdf")
            ]
        },
        format="multipart",
    )
    assert uploaded.status_code == 201, uploaded.json()
    (attached,) = uploaded.json()["files"]
    assert (attached["name"], attached["size"]) == ("月报.pdf", len(pdf))
    assert attached["url"].endswith(f"/reviews/{review.number}/files/{attached['id']}/")
    disguised = SimpleUploadedFile("扫描件.pdf", b"MZ\x90\x00" * 64)
    refused = staff.post(files, {"files": [disguised]}, format="multipart")
    assert refused.status_code == 400 and "扫描件.pdf" in refused.json()["detail"]
    assert staff.post(files, {}, format="multipart").status_code == 400


# --- the pack -------------------------------------------------------------------------


def test_the_pack_before_compiling_preview_and_versions(p):
    review = factories.review(p)
    controller, mr = client_for(p.controller), client_for(p.mr)
    inputs = url(review.number, "inputs")

    none = client_for(p.staff).get(inputs)
    assert none.status_code == 404
    assert "No input pack has been compiled" in none.json()["detail"]
    assert "preview=1" in none.json()["detail"]
    early = controller.post(url(review.number, "pack"), format="json")
    assert early.status_code == 400 and "approved" in early.json()["detail"]

    preview = controller.get(inputs, {"preview": "1"})
    assert preview.status_code == 200, preview.json()
    assert preview.json()["preview"] is True and preview.json()["version"] is None
    assert preview.json()["data"]["review"] == review.number
    assert preview.json()["compiled_by"]["username"] == "controller"
    assert client_for(p.staff).get(inputs, {"preview": "1"}).status_code == 403
    assert controller.get(inputs, {"preview": "perhaps"}).status_code == 400
    assert not ReviewPack.objects.exists()

    factories.approved(p, review)
    assert client_for(p.staff).post(url(review.number, "pack")).status_code == 403
    first = controller.post(url(review.number, "pack"), format="json")
    assert first.status_code == 201 and first["Location"].endswith(inputs)
    second = controller.post(url(review.number, "pack"), format="json").json()
    assert (second["version"], second["versions"]) == (2, [1, 2])
    assert controller.get(inputs).json()["version"] == 2
    assert controller.get(inputs, {"version": 1}).json()["version"] == 1
    assert controller.get(inputs, {"version": 9}).status_code == 404
    assert controller.get(inputs, {"version": "x"}).status_code == 400

    confirm = url(review.number, "pack", "confirm")
    assert controller.post(confirm, format="json").status_code == 403
    stale = mr.post(confirm, {"version": 1}, format="json")
    assert stale.status_code == 400 and "version 2" in stale.json()["detail"]
    assert mr.post(confirm, {"version": 7}, format="json").status_code == 404
    confirmed = mr.post(confirm, format="json")
    assert confirmed.status_code == 200, confirmed.json()
    assert confirmed.json()["version"] == 2 and confirmed.json()["confirmed_at"]
    twice = mr.post(confirm, format="json")
    assert twice.status_code == 400 and "already" in twice.json()["detail"]
    detail = controller.get(url(review.number)).json()
    assert detail["pack"]["version"] == 2 and detail["pack"]["confirmed_by"]


def test_confirming_without_a_pack_is_refused(p):
    review = factories.approved(p)
    answer = client_for(p.mr).post(url(review.number, "pack", "confirm"), format="json")
    assert answer.status_code == 400 and "compile" in answer.json()["detail"]


# --- the meeting ----------------------------------------------------------------------


def test_meeting_refusals(p):
    review = factories.review(p)
    controller = client_for(p.controller)
    meeting = url(review.number, "meeting")
    draft = controller.post(meeting, meeting_body(), format="json")
    assert draft.status_code == 400 and "not approved" in draft.json()["detail"]
    factories.approved(p, review)
    no_pack = controller.post(meeting, meeting_body(), format="json")
    assert no_pack.status_code == 400 and "Compile" in no_pack.json()["detail"]
    services.pack_compile(user=p.controller, review=review)
    tomorrow = (factories.today() + timedelta(days=1)).isoformat()
    cases = [
        (meeting_body(held_on=tomorrow), "before it is held"),
        (meeting_body(held_on=None), "date the meeting was held"),
        (meeting_body(attendees=[]), "who attended"),
        (meeting_body(attendees=["ghost"]), "ghost"),
        (meeting_body(attendees="gm"), "attendees"),
        (meeting_body(discussions={"budget": "x"}), "budget"),
        (meeting_body(discussions=["objectives"]), "discussions"),
        (meeting_body(discussions={"objectives": "a\x00b"}), "discussions"),
        (meeting_body(suitability="mostly"), "suitability"),
        (meeting_body(mr_report="x" * 30000), "mr_report"),
    ]
    for body, said in cases:
        answer = controller.post(meeting, body, format="json")
        assert answer.status_code == 400, body
        assert said in answer.json()["detail"], (said, answer.json())
    refused = client_for(p.staff).post(meeting, meeting_body(), format="json")
    assert refused.status_code == 403
    review.refresh_from_db()
    assert review.status == "approved" and review.held_on is None

    held = controller.post(meeting, meeting_body(), format="json")
    assert held.status_code == 200 and held.json()["status"] == "held"
    corrected = controller.post(
        meeting,
        {
            "held_on": factories.today().isoformat(),
            "attendees": ["gm", "mr", "controller"],
            "discussions": {"objectives": ""},
            "evaluation": "更正后的评价",
        },
        format="json",
    )
    assert corrected.status_code == 200
    minutes = corrected.json()["meeting"]
    assert minutes["evaluation"] == "更正后的评价"
    assert minutes["suitability"] == "yes"  # not given: kept
    assert minutes["discussions"] == []


# --- outputs ---------------------------------------------------------------------


def test_an_output_needs_an_owner_and_a_due_date(p):
    review = factories.held(p)
    controller = client_for(p.controller)
    outputs = url(review.number, "outputs")
    no_owner = controller.post(outputs, output_body(owner=None), format="json")
    assert no_owner.status_code == 400
    assert no_owner.json()["detail"] == "Every action needs an owner."
    absent = output_body()
    del absent["owner"]
    assert controller.post(outputs, absent, format="json").json()["detail"] == (
        "Every action needs an owner."
    )
    no_due = output_body()
    del no_due["due_date"]
    answer = controller.post(outputs, no_due, format="json")
    assert answer.status_code == 400
    assert answer.json()["detail"] == "Every action needs a due date."
    improvement = controller.post(
        outputs, output_body(kind="improvement", due_date=None), format="json"
    )
    assert improvement.status_code == 400
    assert improvement.json()["detail"] == "Every action needs a due date."
    past = (factories.today() - timedelta(days=1)).isoformat()
    assert (
        "past"
        in controller.post(outputs, output_body(due_date=past), format="json").json()[
            "detail"
        ]
    )
    cases = [
        (output_body(owner="ghost"), "ghost"),
        (output_body(kind="wish"), "kind"),
        (output_body(description=""), "Describe"),
        (output_body(description="a\x00b"), "description"),
        (output_body(department="火星部"), "火星部"),
        (output_body(kind="document"), "document"),
        (output_body(kind="document", document="Z99"), "Z99"),
        (output_body(kind="improvement", grade="epic"), "epic"),
        (output_body(kind="improvement", clause="99.9"), "99.9"),
        (output_body(due_date="soon"), "due_date"),
        (output_body(owner=["tech_manager"]), "owner"),
    ]
    for body, said in cases:
        answer = controller.post(outputs, body, format="json")
        assert answer.status_code == 400, body
        assert said in answer.json()["detail"], (said, answer.json())
    assert not ReviewOutput.objects.exists()
    assert not Nonconformity.objects.filter(source="management_review").exists()


def test_outputs_before_the_meeting_and_by_the_wrong_person(p):
    review = factories.approved(p)
    outputs = url(review.number, "outputs")
    early = client_for(p.controller).post(outputs, output_body(), format="json")
    assert early.status_code == 400 and "meeting" in early.json()["detail"]
    held = factories.held(p, held_on=None, days=12)
    staff = client_for(p.staff).post(
        url(held.number, "outputs"), output_body(), format="json"
    )
    assert staff.status_code == 403
    assert not ReviewOutput.objects.exists()


def test_outputs_followed_to_closure(p):
    review = factories.held(p)
    controller, owner = client_for(p.controller), client_for(p.tech_manager)
    outputs = url(review.number, "outputs")
    added = controller.post(outputs, output_body(category="resource"), format="json")
    assert added.status_code == 201, added.json()
    seq = added.json()["seq"]
    assert added["Location"].endswith(url(review.number, "outputs", seq))
    assert added.json()["state"] == {
        "code": "open",
        "label": "Open",
        "is_open": True,
        "overdue": False,
        "url": "",
    }
    improvement = controller.post(
        outputs,
        output_body(kind="improvement", description="完善客户满意度调查"),
        format="json",
    ).json()
    listed = client_for(p.staff).get(outputs).json()
    assert [o["seq"] for o in listed] == [seq, improvement["seq"]]
    assert listed[1]["state"]["code"].startswith("nc:")
    assert client_for(p.staff).get(url(review.number, "outputs", 99)).status_code == 404

    tracked = owner.post(
        url(review.number, "outputs", improvement["seq"], "complete"),
        {"note": "已完成"},
        format="json",
    )
    assert tracked.status_code == 400
    assert improvement["nonconformity"] in tracked.json()["detail"]

    complete = url(review.number, "outputs", seq, "complete")
    assert (
        client_for(p.staff).post(complete, {"note": "x"}, format="json").status_code
        == 403
    )
    silent = owner.post(complete, format="json")
    assert silent.status_code == 400 and silent.json()["detail"] == "Say what was done."
    done = owner.post(complete, {"note": "已排班"}, format="json")
    assert done.status_code == 200, done.json()
    assert done.json()["status"] == "done" and done.json()["completed_on"]
    again = owner.post(complete, {"note": "再次"}, format="json")
    assert again.status_code in (403, 409)

    verify = url(review.number, "outputs", seq, "verify")
    assert controller.post(verify, {"note": "x"}, format="json").status_code == 400
    assert (
        controller.post(
            verify, {"effective": "perhaps", "note": "x"}, format="json"
        ).status_code
        == 400
    )
    reopened = controller.post(
        verify, {"effective": False, "note": "排班未落实"}, format="json"
    )
    assert reopened.json()["status"] == "open"
    owner.post(complete, {"note": "已重新排班"}, format="json")
    verified = controller.post(
        verify, {"effective": True, "note": "抽查排班表"}, format="json"
    )
    assert verified.status_code == 200
    assert verified.json()["status"] == "verified"
    assert verified.json()["verified_by"]["username"] == "controller"
    assert verified.json()["state"]["is_open"] is False

    other = controller.post(outputs, output_body(description="采购备件"), format="json")
    cancel = url(review.number, "outputs", other.json()["seq"], "cancel")
    assert controller.post(cancel, format="json").status_code == 400
    cancelled = controller.post(cancel, {"reason": "下次评审再议"}, format="json")
    assert cancelled.json()["status"] == "cancelled"
    unknown = controller.post(
        url(review.number, "outputs", seq, "reopen"), format="json"
    )
    assert unknown.status_code == 404 and "reopen" in unknown.json()["detail"]


def test_report_submit_refusals(p):
    review = factories.held(p)
    controller = client_for(p.controller)
    submit = url(review.number, "report", "submit")
    Review.objects.filter(pk=review.pk).update(suitability="")
    unconcluded = controller.post(submit, {"distribution": ["行政部"]}, format="json")
    assert unconcluded.status_code == 400
    assert "conclusions" in unconcluded.json()["detail"]
    Review.objects.filter(pk=review.pk).update(suitability="yes")
    no_list = controller.post(submit, format="json")
    assert no_list.status_code == 400 and "distribution" in no_list.json()["detail"]
    unknown = controller.post(submit, {"distribution": ["火星部"]}, format="json")
    assert unknown.status_code == 400 and "火星部" in unknown.json()["detail"]
    wrong = controller.post(submit, {"distribution": "行政部"}, format="json")
    assert wrong.status_code == 400
    assert (
        client_for(p.staff)
        .post(submit, {"distribution": ["行政部"]}, format="json")
        .status_code
        == 403
    )
    done = controller.post(submit, {"distribution": ["行政部"]}, format="json")
    assert done.status_code == 200 and done.json()["status"] == "reporting"
    assert done.json()["current_step"]["paper"] == "report"
    twice = controller.post(submit, {"distribution": ["行政部"]}, format="json")
    assert twice.status_code in (400, 409) and twice.json()["detail"]
    returned = client_for(p.mr).post(
        url(review.number, "return"), {"comment": "结论需细化"}, format="json"
    )
    assert returned.status_code == 200 and returned.json()["status"] == "held"


def test_improvement_from_the_meeting_reaches_compliance(p):
    review = factories.held(p)
    answer = client_for(p.controller).post(
        url(review.number, "outputs"),
        output_body(
            kind=OutputKind.CORRECTIVE,
            description="修订服务级别管理程序",
            grade="major",
            clause="8.3.3",
            section=InputSection.PERFORMANCE,
        ),
        format="json",
    )
    assert answer.status_code == 201, answer.json()
    nc = Nonconformity.objects.get(number=answer.json()["nonconformity"])
    assert (nc.source, nc.grade.code, nc.clause.ref_id) == (
        "management_review",
        "major",
        "8.3.3",
    )
    assert nc.source_reference == answer.json()["reference"]
