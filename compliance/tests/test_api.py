"""The compliance API over HTTP: the clause catalogue with its documents, the
acceptance path of a major nonconformity, every refusal, and the schema."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from drf_spectacular.drainage import GENERATOR_STATS
from rest_framework.test import APIClient

from compliance import nonconformities as svc
from compliance import services
from compliance.lifecycle import NonconformityStatus as S
from compliance.models import Clause, Nonconformity, Process
from documents import roles
from documents.models import ChangeRequest
from documents.tests import factories as doc_factories
from documents.tests.filefactories import make_pdf

from . import factories

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 22)
CLAUSES = "/api/v1/clauses/"
NCS = "/api/v1/nonconformities/"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setattr(svc, "company_today", lambda: TODAY)
    monkeypatch.setattr(
        "django.utils.timezone.localdate", lambda *args, **kwargs: TODAY
    )


@pytest.fixture
def people():
    return factories.people()


def client_for(user) -> APIClient:
    client = APIClient(**EN)
    client.force_login(user)
    return client


def nc_url(number: str, action: str | None = None) -> str:
    return f"{NCS}{number}/{action}/" if action else f"{NCS}{number}/"


def raise_body(**extra) -> dict:
    return {
        "title": "变更未经CAB评审即实施",
        "facts": "抽查三张变更单，其中一张无评审记录。",
        "department": "技术部",
        "grade": "major",
        "source": "external_audit",
        "clause": "8.5.1",
        **extra,
    }


def plan_body(owner: str = "staff", **extra) -> dict:
    return {
        "root_cause": "紧急变更未纳入CAB议程",
        "target": "所有变更均有评审记录",
        "actions": "修订变更管理程序并培训",
        "owner": owner,
        "due_date": "2026-12-22",
        **extra,
    }


def status_of(number: str) -> str:
    return Nonconformity.objects.get(number=number).status


def accepted(people) -> Nonconformity:
    """A 技术部 major nonconformity whose plan (owner: staff) is accepted."""
    nc = factories.nonconformity(people.auditor)
    return factories.advance(nc, people, S.ACCEPTED, today=TODAY)


def row_of(rows: list[dict], ref_id: str) -> dict:
    return next(row for row in rows if row["ref_id"] == ref_id)


# --- the acceptance path ------------------------------------------------------------


def test_major_nonconformity_goes_round_the_loop_over_http(people):
    auditor = client_for(people.auditor)
    staff = client_for(people.staff)
    head = client_for(people.tech_manager)
    controller = client_for(people.controller)

    created = auditor.post(NCS, raise_body(), format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    number = body["number"]
    assert number.startswith("NC-")
    assert created["Location"] == f"http://testserver{nc_url(number)}"
    assert body["status"] == "raised"
    assert (body["clause"], body["standard"]) == ("8.5.1", "iso20000-1-2018")
    assert (body["department"], body["grade"]) == ("技术部", "major")
    assert body["raised_by"]["username"] == "auditor"

    assert "plan" in staff.get(nc_url(number)).json()["allowed_actions"]
    planned = staff.post(nc_url(number, "plan"), plan_body(), format="json")
    assert planned.status_code == 200, planned.json()
    assert planned.json()["status"] == "planned"
    assert planned.json()["plans"][0]["owner"]["username"] == "staff"

    # The owner's colleague may not accept the plan; the head may.
    assert staff.post(nc_url(number, "accept"), {}, format="json").status_code == 403
    assert head.get(nc_url(number)).json()["allowed_actions"][:2] == [
        "accept",
        "return",
    ]
    answer = head.post(nc_url(number, "accept"), {"comment": "同意"}, format="json")
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "accepted"
    assert (body["owner"]["username"], body["due_date"]) == ("staff", "2026-12-22")
    assert body["plans"][0]["decision"] == "accepted"

    pdf = make_pdf([["Training record"]])
    implemented = staff.post(
        nc_url(number, "implement"),
        {"description": "已修订程序并培训", "evidence": [_upload("培训记录.pdf", pdf)]},
        format="multipart",
    )
    assert implemented.status_code == 200, implemented.json()
    body = implemented.json()
    assert body["status"] == "implemented"
    (evidence,) = body["implementations"][0]["files"]
    assert evidence["name"] == "培训记录.pdf"
    assert evidence["size"] == len(pdf)
    assert evidence["sha256"] == hashlib.sha256(pdf).hexdigest()
    assert evidence["url"].endswith(
        f"/compliance/nonconformities/{number}/evidence/{evidence['id']}/"
    )

    # The implementer never verifies; 行政部 does.
    assert "verify" not in staff.get(nc_url(number)).json()["allowed_actions"]
    assert "verify" in controller.get(nc_url(number)).json()["allowed_actions"]
    reopened = controller.post(
        nc_url(number, "verify"),
        {"effective": False, "comment": "仍有一张变更单无评审"},
        format="json",
    )
    assert reopened.status_code == 200
    assert reopened.json()["status"] == "reopened"
    assert reopened.json()["verifications"][0]["effective"] is False

    # While open, the clause counts it.
    rows = staff.get(CLAUSES).json()
    assert row_of(rows, "8.5.1")["open_nonconformities"] == 1
    detail = staff.get(f"{CLAUSES}8.5.1/").json()
    assert [n["number"] for n in detail["open_nonconformities_list"]] == [number]

    again = staff.post(
        nc_url(number, "implement"), {"description": "补充检查"}, format="json"
    )
    assert again.json()["status"] == "implemented"
    effective = controller.post(
        nc_url(number, "verify"),
        {"effective": True, "comment": "抽查十张变更单均有评审记录"},
        format="json",
    )
    assert effective.json()["status"] == "effective"
    closed = controller.post(
        nc_url(number, "close"), {"note": "措施有效"}, format="json"
    )
    assert closed.status_code == 200
    body = closed.json()
    assert body["status"] == "closed"
    assert body["closed_by"]["username"] == "controller"
    assert body["allowed_actions"] == []
    assert [i["round"] for i in body["implementations"]] == [1, 2]
    assert [(v["round"], v["effective"]) for v in body["verifications"]] == [
        (1, False),
        (2, True),
    ]
    steps = [
        (e["action"].rsplit("_", 1)[-1], e["user"]["username"]) for e in body["history"]
    ]
    assert steps == [
        ("raise", "auditor"),
        ("plan", "staff"),
        ("accept", "tech_manager"),
        ("implement", "staff"),
        ("verify", "controller"),
        ("implement", "staff"),
        ("verify", "controller"),
        ("close", "controller"),
    ]
    assert all(entry["label"] for entry in body["history"])
    assert row_of(staff.get(CLAUSES).json(), "8.5.1")["open_nonconformities"] == 0


def _upload(name: str, content: bytes):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


# --- refusals along the path ----------------------------------------------------------


def test_refused_steps_change_nothing(people):
    nc = accepted(people)
    number = nc.number
    head = client_for(people.tech_manager)
    controller = client_for(people.controller)

    twice = head.post(nc_url(number, "accept"), {}, format="json")
    assert twice.status_code == 409
    assert "detail" in twice.json()

    early = controller.post(
        nc_url(number, "verify"), {"effective": True, "comment": "好"}, format="json"
    )
    assert early.status_code in (400, 409)
    assert "implemented" in early.json()["detail"]

    closing = controller.post(nc_url(number, "close"), {}, format="json")
    assert closing.status_code in (400, 409)
    assert closing.json()["detail"]

    wrong = client_for(people.market_manager).post(
        nc_url(number, "implement"), {"description": "做了"}, format="json"
    )
    assert wrong.status_code == 403
    assert status_of(number) == S.ACCEPTED
    assert not nc.implementations.exists() and not nc.verifications.exists()


def test_missing_fields_are_named(people):
    nc = factories.nonconformity(people.auditor)
    staff = client_for(people.staff)
    answer = staff.post(nc_url(nc.number, "plan"), {}, format="json")
    assert answer.status_code == 400
    body = answer.json()
    assert {"root_cause", "target", "actions", "owner", "due_date"} <= set(body)
    assert "root_cause" in body["detail"]

    unknown_owner = staff.post(
        nc_url(nc.number, "plan"), plan_body(owner="nobody"), format="json"
    )
    assert unknown_owner.status_code == 400
    assert "nobody" in unknown_owner.json()["owner"][0]

    past = staff.post(
        nc_url(nc.number, "plan"), plan_body(due_date="2026-11-01"), format="json"
    )
    assert past.status_code == 400 and "past" in past.json()["detail"]
    assert status_of(nc.number) == S.RAISED

    # A form body without the boolean is refused, not read as "not effective".
    factories.advance(nc, people, S.IMPLEMENTED, today=TODAY)
    verify = client_for(people.controller).post(
        nc_url(nc.number, "verify"), {"comment": "看过"}, format="multipart"
    )
    assert verify.status_code == 400 and "effective" in verify.json()
    assert status_of(nc.number) == S.IMPLEMENTED


def test_unknown_action_and_nonconformity_answer_404(people):
    nc = factories.nonconformity(people.auditor)
    staff = client_for(people.staff)
    action = staff.post(nc_url(nc.number, "teleport"), {}, format="json")
    assert action.status_code == 404 and "teleport" in action.json()["detail"]
    assert staff.get(nc_url("NC-1999-999")).status_code == 404
    # Numbers in any case.
    assert staff.get(nc_url(nc.number.lower())).json()["number"] == nc.number


def test_nonconformities_are_never_edited(people):
    nc = factories.nonconformity(people.auditor)
    controller = client_for(people.controller)
    for method in ("put", "patch", "delete"):
        answer = getattr(controller, method)(nc_url(nc.number), {}, format="json")
        assert answer.status_code == 405
        assert "action" in answer.json()["detail"]
    assert Nonconformity.objects.filter(pk=nc.pk, status=S.RAISED).exists()


# --- raising --------------------------------------------------------------------------


def test_raise_refuses_unknown_names(people):
    auditor = client_for(people.auditor)
    bad_clause = auditor.post(NCS, raise_body(clause="8.9.9"), format="json")
    assert bad_clause.status_code == 400
    assert "8.9.9" in bad_clause.json()["clause"][0]
    assert "8.9.9" in bad_clause.json()["detail"]
    bad_department = auditor.post(NCS, raise_body(department="火星部"), format="json")
    assert bad_department.status_code == 400 and "department" in bad_department.json()
    bad_grade = auditor.post(NCS, raise_body(grade="huge"), format="json")
    assert bad_grade.status_code == 400 and "huge" in bad_grade.json()["grade"][0]
    bad_document = auditor.post(NCS, raise_body(documents=["B99"]), format="json")
    assert bad_document.status_code == 400 and "B99" in bad_document.json()["detail"]
    missing = auditor.post(NCS, {"title": "只有标题"}, format="json")
    assert missing.status_code == 400
    assert {"facts", "department", "grade", "source"} <= set(missing.json())
    assert not Nonconformity.objects.exists()


def test_raise_with_documents_and_a_clause_of_another_form(people):
    doc_factories.document("procedure", "变更管理程序", number="B08", issue=True)
    answer = client_for(people.staff).post(
        NCS,
        raise_body(
            clause="iso20000-1-2018:8.5.1",
            documents=["b08"],
            kind="preventive",
            grade="minor",
            source="staff_report",
            source_reference="INC-0042",
        ),
        format="json",
    )
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert body["number"].startswith("PA-")
    assert body["clause"] == "8.5.1"
    assert [d["number"] for d in body["documents"]] == ["B08"]
    assert body["documents"][0]["url"].endswith("/documents/B08/")
    assert body["source_reference"] == "INC-0042"


def test_internal_audit_findings_wait_for_approval(people):
    answer = client_for(people.auditor).post(
        NCS, raise_body(source="internal_audit"), format="json"
    )
    number = answer.json()["number"]
    assert answer.json()["status"] == "draft"
    mr = client_for(people.mr)
    assert "approve" in mr.get(nc_url(number)).json()["allowed_actions"]
    refused = client_for(people.staff).post(nc_url(number, "approve"), format="json")
    assert refused.status_code == 403
    approved = mr.post(nc_url(number, "approve"), format="json")
    assert approved.status_code == 200
    assert approved.json()["status"] == "raised"
    assert approved.json()["approved_by"]["username"] == "mr"


# --- extensions and change requests ---------------------------------------------------


def test_extension_asked_by_the_owner_decided_by_the_mr(people):
    nc = accepted(people)
    url = nc_url(nc.number, "extension")
    body = {"new_due": "2027-01-31", "reason": "供应商延迟交付"}
    assert (
        client_for(people.tech_manager).post(url, body, format="json").status_code
        == 403
    )
    staff = client_for(people.staff)
    assert "extension" in staff.get(nc_url(nc.number)).json()["allowed_actions"]
    asked = staff.post(url, body, format="json")
    assert asked.status_code == 201
    (extension,) = asked.json()["extensions"]
    assert extension["decision"] == "pending"
    assert extension["decide_url"].endswith(
        f"/api/v1/nonconformities/{nc.number}/extensions/{extension['id']}/decide/"
    )
    assert staff.post(url, body, format="json").status_code == 400  # one waits

    decide = f"{NCS}{nc.number}/extensions/{extension['id']}/decide/"
    assert staff.post(decide, {"approve": True}, format="json").status_code == 403
    mr = client_for(people.mr)
    assert "extension-decide" in mr.get(nc_url(nc.number)).json()["allowed_actions"]
    assert mr.post(decide, {"approve": False}, format="json").status_code == 400
    approved = mr.post(decide, {"approve": True, "comment": "同意"}, format="json")
    assert approved.status_code == 200
    assert approved.json()["due_date"] == "2027-01-31"
    assert approved.json()["extensions"][0]["decision"] == "approved"
    assert mr.post(decide, {"approve": True}, format="json").status_code == 400
    assert mr.post(f"{NCS}{nc.number}/extensions/999999/decide/", {}).status_code == 404


def test_change_request_holds_the_action_open(people):
    doc_factories.document("procedure", "变更管理程序", number="B08", issue=True)
    nc = factories.advance(
        factories.nonconformity(people.auditor), people, S.EFFECTIVE, today=TODAY
    )
    controller = client_for(people.controller)
    assert "close" in controller.get(nc_url(nc.number)).json()["allowed_actions"]
    asked = controller.post(
        nc_url(nc.number, "change-request"),
        {"document": "B08", "reason": "补充紧急变更的评审要求"},
        format="json",
    )
    assert asked.status_code == 201, asked.json()
    (request,) = asked.json()["change_requests"]
    assert request["document"] == "B08"
    assert ChangeRequest.objects.filter(pk=request["id"]).exists()
    assert "close" not in asked.json()["allowed_actions"]
    closing = controller.post(nc_url(nc.number, "close"), {}, format="json")
    assert closing.status_code == 400 and "B08" in closing.json()["detail"]
    unknown = controller.post(
        nc_url(nc.number, "change-request"),
        {"document": "B77", "reason": "x"},
        format="json",
    )
    assert unknown.status_code == 400 and "B77" in unknown.json()["document"][0]


# --- listing --------------------------------------------------------------------------


def test_list_filters_and_pages(people):
    first = factories.nonconformity(people.auditor)
    factories.advance(first, people, S.ACCEPTED, today=TODAY)
    Nonconformity.objects.filter(pk=first.pk).update(due_date=date(2026, 11, 1))
    factories.nonconformity(
        people.auditor, clause_ref="7.5", department="市场部", grade_code="minor"
    )
    closed = factories.advance(
        factories.nonconformity(people.auditor), people, S.CLOSED, today=TODAY
    )
    api = client_for(people.staff)

    def numbers(**params) -> list[str]:
        answer = api.get(NCS, params)
        assert answer.status_code == 200, answer.json()
        return [item["number"] for item in answer.json()["results"]]

    assert len(numbers()) == 3
    assert numbers(status="closed") == [closed.number]
    assert numbers(open="1", clause="8.5.1") == [first.number]
    assert numbers(overdue="1") == [first.number]
    assert api.get(NCS, {"overdue": "1"}).json()["results"][0]["overdue"] is True
    assert len(numbers(department="市场部")) == 1
    assert len(numbers(grade="minor")) == 1
    assert numbers(source="customer_complaint") == []
    assert numbers(kind="preventive") == []
    page = api.get(NCS, {"limit": 1}).json()
    assert page["count"] == 3 and len(page["results"]) == 1 and page["next"]

    assert api.get(NCS, {"status": "lost"}).status_code == 400
    unknown = api.get(NCS, {"clause": "8.9.9"})
    assert unknown.status_code == 400 and "8.9.9" in unknown.json()["detail"]


# --- clauses ------------------------------------------------------------------------


def test_clauses_list_every_clause_with_documents(
    people, django_assert_max_num_queries
):
    b05 = doc_factories.document("procedure", "文件控制程序", number="B05", issue=True)
    b06 = doc_factories.document("procedure", "记录控制程序", number="B06", issue=True)
    draft = doc_factories.document("procedure", "知识管理程序", number="B30")
    seven_five = factories.clause("7.5")
    for document in (b05, b06, draft):
        services.document_link(
            user=people.controller,
            clause=seven_five,
            document=document,
            note="文件和记录的控制",
        )
    eight = factories.clause("8.5.1")
    tech = doc_factories.department("技术部")
    admin = doc_factories.department("行政部")
    services.responsibility_set(
        user=people.controller, clause=eight, department=tech, level="primary"
    )
    services.responsibility_set(
        user=people.controller, clause=eight, department=admin, level="supporting"
    )
    api = client_for(people.staff)

    with django_assert_max_num_queries(12):
        answer = api.get(CLAUSES, {"standard": "iso20000-1-2018"})
    assert answer.status_code == 200
    rows = answer.json()
    ref_ids = [row["ref_id"] for row in rows]
    assert (
        len(ref_ids) == Clause.objects.active().of_standard("iso20000-1-2018").count()
    )
    assert ref_ids[:2] == ["4", "4.1"] and ref_ids[-1] == "10.2"
    for ref_id in ("4.4", "5.3", "6.3", "7.5.3", "8.1", "8.7.3", "9.4", "10.1"):
        assert ref_id in ref_ids

    clause = row_of(rows, "7.5")
    assert clause["title"] and clause["title_en"]
    assert (clause["parent"], clause["depth"]) == ("7", 2)
    assert [d["number"] for d in clause["documents"]] == ["B05", "B06"]
    b05_ref = clause["documents"][0]
    assert b05_ref["title"] == "文件控制程序"
    assert (b05_ref["issue"], b05_ref["kind"], b05_ref["tier"]) == ("A", "procedure", 2)
    assert b05_ref["note"] == "文件和记录的控制"
    assert b05_ref["inherited_from"] is None
    assert b05_ref["url"].endswith("/documents/B05/")
    assert clause["gaps"]["no_procedure"] is False
    inherited = row_of(rows, "7.5.3")["documents"]
    assert {d["inherited_from"] for d in inherited} == {"7.5"}
    assert row_of(rows, "4.1")["gaps"]["no_procedure"] is True
    assert row_of(rows, "8.5.1")["departments"] == [
        {"name": "技术部", "level": "primary"},
        {"name": "行政部", "level": "supporting"},
    ]

    # The default standard, a branch, drafts on request.
    branch = api.get(CLAUSES, {"ref_id": "7.5"}).json()
    assert [row["ref_id"] for row in branch] == [
        "7.5",
        "7.5.1",
        "7.5.2",
        "7.5.3",
        "7.5.4",
    ]
    # Drafts only for those who keep the catalogue; staff never learn of them.
    hidden = api.get(CLAUSES, {"ref_id": "7.5", "all_documents": "1"}).json()
    assert [d["number"] for d in hidden[0]["documents"]] == ["B05", "B06"]
    keeper = client_for(people.controller)
    everything = keeper.get(CLAUSES, {"ref_id": "7.5", "all_documents": "1"}).json()
    assert [d["number"] for d in everything[0]["documents"]] == ["B05", "B06", "B30"]


def test_clause_list_query_count_does_not_grow(people):
    api = client_for(people.staff)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api.get(CLAUSES).status_code == 200
        return len(captured)

    def answer(ref_id: str, number: str) -> None:
        page = doc_factories.document(
            "procedure", f"程序{number}", number=number, issue=True
        )
        clause = factories.clause(ref_id)
        services.document_link(user=people.controller, clause=clause, document=page)
        services.responsibility_set(
            user=people.controller,
            clause=clause,
            department=doc_factories.department("技术部"),
            level="primary",
        )
        factories.nonconformity(people.auditor, clause_ref=ref_id)

    answer("4.1", "B01")
    api.get(CLAUSES)  # warm the content-type and session caches
    before = queries()
    for ref_id, number in (("7.5", "B05"), ("8.5.1", "B08"), ("9.1", "B20")):
        answer(ref_id, number)
    assert queries() == before


def test_unknown_standard_and_clause(people):
    api = client_for(people.staff)
    standard = api.get(CLAUSES, {"standard": "iso9999"})
    assert standard.status_code == 400
    assert "iso9999" in standard.json()["detail"]
    assert "iso20000-1-2018" in standard.json()["detail"]
    clause = api.get(f"{CLAUSES}99.9/")
    assert clause.status_code == 404 and "99.9" in clause.json()["detail"]
    assert api.get(f"{CLAUSES}8.5.1/", {"standard": "iso9999"}).status_code == 400


def test_clause_detail(people):
    b05 = doc_factories.document("procedure", "文件控制程序", number="B05", issue=True)
    services.document_link(
        user=people.controller, clause=factories.clause("8.5"), document=b05
    )
    process = Process.objects.create(
        name="变更管理",
        owner=people.tech_manager,
        department=doc_factories.department("技术部"),
    )
    process.clauses.add(factories.clause("8.5.1"))
    nc = factories.nonconformity(people.auditor)
    factories.nonconformity(people.auditor, grade_code="observation")
    api = client_for(people.staff)

    for path in ("8.5.1", "iso20000-1-2018:8.5.1"):
        answer = api.get(f"{CLAUSES}{path}/")
        assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert (body["ref_id"], body["standard"], body["parent"]) == (
        "8.5.1",
        "iso20000-1-2018",
        "8.5",
    )
    assert [c["ref_id"] for c in body["children"]] == ["8.5.1.1", "8.5.1.2", "8.5.1.3"]
    assert body["processes"] == [
        {
            "name": "变更管理",
            "owner": {"username": "tech_manager", "name": "tech_manager"},
            "department": "技术部",
        }
    ]
    assert body["documents"][0]["inherited_from"] == "8.5"
    # Observations are not counted as nonconformities.
    assert body["open_nonconformities"] == 1
    (finding,) = body["open_nonconformities_list"]
    assert (finding["number"], finding["status"], finding["grade"]) == (
        nc.number,
        "raised",
        "major",
    )
    assert finding["url"].endswith(f"/compliance/nonconformities/{nc.number}/")
    assert body["audit_history"] == []


# --- who may read ---------------------------------------------------------------------


def test_customer_representative_and_anonymous_are_refused(people):
    nc = factories.nonconformity(people.auditor)
    customer = doc_factories.user(
        "customer", role=roles.CUSTOMER_REPRESENTATIVE, department_name=None
    )
    urls = [CLAUSES, f"{CLAUSES}8.5.1/", NCS, nc_url(nc.number)]
    for url in urls:
        assert client_for(customer).get(url).status_code == 403
        assert APIClient().get(url).status_code == 401
    refused = client_for(customer).post(NCS, raise_body(), format="json")
    assert refused.status_code == 403
    assert Nonconformity.objects.count() == 1


# --- schema ---------------------------------------------------------------------------


def test_schema_describes_the_compliance_api(people):
    GENERATOR_STATS.reset()
    response = client_for(people.staff).get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "get" in paths["/api/v1/clauses/"]
    assert "get" in paths["/api/v1/clauses/{ref_id}/"]
    assert {"get", "post"} <= set(paths["/api/v1/nonconformities/"])
    assert "get" in paths["/api/v1/nonconformities/{number}/"]
    action = paths["/api/v1/nonconformities/{number}/{action}/"]["post"]
    enum = next(p for p in action["parameters"] if p["name"] == "action")["schema"]
    assert {"plan", "accept", "implement", "verify", "close"} <= set(enum["enum"])
    assert "multipart/form-data" in action["requestBody"]["content"]
    decide = "/api/v1/nonconformities/{number}/extensions/{extension_id}/decide/"
    assert "post" in paths[decide]
    params = {p["name"] for p in paths["/api/v1/nonconformities/"]["get"]["parameters"]}
    assert params >= {"status", "clause", "department", "grade", "open", "overdue"}
    assert not GENERATOR_STATS, "drf-spectacular reported warnings or errors"
