"""The checklist page and its endpoints: the acceptance checklist (B05, B06,
B07 with their issues), the autosave JSON round trip and its conflicts, the
refusals (before the opening meeting, a non-independent auditor, disguised or
oversized evidence), evidence downloads, writing up a finding against 8.5.1,
and the checklist's own steps (add, remove, keep in the bank, generate)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from audits import services
from audits.lifecycle import ItemResult, MeetingKind
from audits.models import ChecklistEvidence, ChecklistItem, ClauseQuestion
from compliance.lifecycle import NonconformityStatus
from documents import roles
from documents.tests import factories as doc_factories

from . import factories

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64


def as_user(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def checklist_url(audit) -> str:
    return reverse("audits:checklist", kwargs={"number": audit.number})


def item_url(item) -> str:
    return reverse(
        "audits:checklist_item",
        kwargs={"number": item.audit.number, "item_id": item.pk},
    )


def post_json(client, url, body):
    return client.post(
        url,
        data=json.dumps(body),
        content_type="application/json",
        HTTP_ACCEPT="application/json",
    )


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def item_for(audit, ref_id: str, department: str = "技术部") -> ChecklistItem:
    return ChecklistItem.objects.select_related("audit").get(
        audit=audit, clause__ref_id=ref_id, department__name=department
    )


@pytest.fixture
def world():
    """The acceptance audit (7.5 and 8.5.1 on 技术部) in its fieldwork, led by
    auditor."""
    scene = factories.scene()
    audit = factories.in_progress(factories.audit(scene.people.auditor), scene.people)
    return scene, audit


def notified(audit, p):
    """Team, programme, checklist and notice: everything but the opening
    meeting."""
    services.audit_team_set(user=p.controller, audit=audit, leader=p.auditor)
    factories.programme_approve(audit.programme, p)
    services.checklist_generate(user=p.auditor, audit=audit)
    services.audit_notify(user=p.auditor, audit=audit)
    return audit


# --- The page -------------------------------------------------------------------------


def test_page_names_the_documents_in_force_with_their_issues(world):
    scene, audit = world
    response = as_user(scene.people.auditor).get(checklist_url(audit))
    assert response.status_code == 200
    html = response.content.decode()
    groups = [g["clause"].ref_id for g in response.context["groups"]]
    assert groups == ["7.5", "8.5.1"]
    rows = {
        r["item"].clause.ref_id: r
        for g in response.context["groups"]
        for r in g["rows"]
    }
    assert [(d["number"], d["issue"]) for d in rows["7.5"]["documents"]] == [
        ("B05", "A"),
        ("B06", "A"),
    ]
    assert [d["number"] for d in rows["8.5.1"]["documents"]] == ["B07"]
    for number, title in (
        ("B05", "文件控制程序"),
        ("B06", "记录控制程序"),
        ("B07", "变更管理程序"),
    ):
        assert f'data-number="{number}"' in html and title in html
    # Linked by number to the document page; the issue label next to it.
    assert f'href="{reverse("documents:detail", kwargs={"number": "B05"})}"' in html
    assert '<span class="badge badge--issue" title="Issue">A</span>' in html
    # ★ primary / ☆ supporting, from the matrix.
    assert "★ 技术部" in html and "☆ 技术部" in html and "★ 行政部" in html
    assert response.context["answered"] == 0 and response.context["total"] == 2
    # The auditor answers: big radios, an evidence box, a file input with the
    # camera; the page's script and styles are static files.
    assert 'value="nonconforming"' in html
    assert (
        'capture="environment"' in html and 'accept="image/*,.pdf,.docx,.xlsx"' in html
    )
    assert "audits/checklist.js" in html and "audits/checklist.css" in html
    assert 'data-testid="answer-hint"' not in html


def test_readers_who_may_not_conduct_see_no_form_and_customers_nothing(world):
    scene, audit = world
    response = as_user(scene.people.market_manager).get(checklist_url(audit))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="read-only"' in html
    assert 'data-role="form"' not in html and 'name="evidence"' not in html
    item = item_for(audit, "8.5.1")
    refused = post_json(
        as_user(scene.people.market_manager),
        item_url(item),
        {"evidence": "旁观者的记录", "version": item.version},
    )
    assert refused.status_code == 403 and refused.json()["ok"] is False
    assert ChecklistItem.objects.get(pk=item.pk).evidence == ""
    customer = doc_factories.user(
        "customer", role=roles.CUSTOMER_REPRESENTATIVE, department_name=None
    )
    assert as_user(customer).get(checklist_url(audit)).status_code == 403


# --- Saving an item -------------------------------------------------------------------


def test_autosave_round_trip_raises_the_version(world):
    scene, audit = world
    client = as_user(scene.people.auditor)
    item = item_for(audit, "8.5.1")
    response = post_json(
        client,
        item_url(item),
        {"evidence": "抽查变更单CR-12，无评审记录", "version": item.version},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["ok"] is True
    assert body["item"]["version"] == item.version + 1
    assert body["item"]["evidence"] == "抽查变更单CR-12，无评审记录"
    response = post_json(
        client,
        item_url(item),
        {"result": "nonconforming", "version": body["item"]["version"]},
    )
    data = response.json()["item"]
    assert data["result"] == "nonconforming" and data["version"] == item.version + 2
    assert data["answered_by"] == "auditor" and data["answered_at"]
    assert data["needs_finding"] is True and data["finding"] is None
    stored = ChecklistItem.objects.get(pk=item.pk)
    assert stored.result == ItemResult.NONCONFORMING
    assert stored.version == data["version"]
    # The page shows it after a reload, and counts it.
    page = client.get(checklist_url(audit))
    assert "抽查变更单CR-12，无评审记录" in page.content.decode()
    assert page.context["answered"] == 1


def test_a_stale_version_is_a_conflict_with_the_stored_item(world):
    scene, audit = world
    client = as_user(scene.people.auditor)
    item = item_for(audit, "7.5")
    first = post_json(
        client, item_url(item), {"evidence": "平板一", "version": item.version}
    )
    assert first.status_code == 200
    second = post_json(
        client, item_url(item), {"evidence": "平板二", "version": item.version}
    )
    assert second.status_code == 409
    body = second.json()
    assert body["ok"] is False and body["conflict"] is True
    assert body["item"]["evidence"] == "平板一"
    assert body["item"]["version"] == item.version + 1
    assert ChecklistItem.objects.get(pk=item.pk).evidence == "平板一"
    # Keeping mine: sent again with the stored version.
    third = post_json(
        client, item_url(item), {"evidence": "平板二", "version": item.version + 1}
    )
    assert third.json()["item"]["evidence"] == "平板二"


def test_plain_form_posts_save_and_keep_what_a_refusal_would_lose(world):
    scene, audit = world
    client = as_user(scene.people.auditor)
    item = item_for(audit, "7.5")
    form = {
        "version": item.version,
        "question": item.question,
        "result": "conforming",
        "evidence": "文件清单与受控版本一致",
    }
    response = client.post(item_url(item), form)
    assert response.status_code == 302
    assert response["Location"].endswith(f"#item-{item.pk}")
    stored = ChecklistItem.objects.get(pk=item.pk)
    assert stored.result == "conforming" and stored.version == item.version + 1
    # The same form again from a stale copy: the page with the typed text.
    stale = client.post(item_url(item), {**form, "evidence": "另一台平板的记录"})
    assert stale.status_code == 409
    html = stale.content.decode()
    assert 'data-testid="item-rejected"' in html and "另一台平板的记录" in html
    assert any("changed by someone else" in m for m in messages_of(stale))


def test_answering_before_the_opening_meeting_is_refused_with_the_hint():
    scene = factories.scene()
    p = scene.people
    audit = notified(factories.audit(p.auditor), p)
    client = as_user(p.auditor)
    item = item_for(audit, "8.5.1")
    response = post_json(
        client, item_url(item), {"result": "conforming", "version": item.version}
    )
    assert response.status_code == 400
    assert any("opening meeting" in e for e in response.json()["errors"])
    page = client.get(checklist_url(audit))
    html = page.content.decode()
    assert 'data-testid="answer-hint"' in html and "opening meeting" in html
    assert 'data-testid="item-results" disabled' in html
    # The question is still being prepared: it can be reworded.
    reworded = post_json(
        client,
        item_url(item),
        {"question": "紧急变更是否补做了评审？", "version": item.version},
    )
    assert reworded.status_code == 200
    assert reworded.json()["item"]["question"] == "紧急变更是否补做了评审？"


def test_an_auditor_may_not_answer_for_their_own_department():
    scene = factories.scene()
    p = scene.people
    audit = factories.audit(p.auditor, departments=("技术部", "市场部"))
    services.audit_team_set(
        user=p.controller, audit=audit, leader=p.auditor, auditors=[p.tech_manager]
    )
    factories.programme_approve(audit.programme, p)
    services.checklist_generate(user=p.auditor, audit=audit)
    services.audit_notify(user=p.auditor, audit=audit)
    services.meeting_record(
        user=p.auditor,
        audit=audit,
        kind=MeetingKind.OPENING,
        held_at=timezone.now() - timedelta(minutes=5),
        attendees=[p.auditor, p.tech_manager],
    )
    item = item_for(audit, "8.5.1")
    assert item.auditor_id != p.tech_manager.pk
    client = as_user(p.tech_manager)
    response = post_json(
        client,
        item_url(item),
        {"result": "conforming", "evidence": "自查无问题", "version": item.version},
    )
    assert response.status_code == 400
    errors = " ".join(response.json()["errors"])
    assert "their own work" in errors and "技术部" in errors
    assert ChecklistItem.objects.get(pk=item.pk).result == ""
    # The page says so and offers no answer on that item.
    page = client.get(checklist_url(audit))
    row = next(
        r for g in page.context["groups"] for r in g["rows"] if r["item"].pk == item.pk
    )
    assert row["can_answer"] is False and row["reasons"]
    assert 'data-testid="item-not-independent"' in page.content.decode()
    # Nor can the leader make them its auditor: they are not offered, and
    # refused when sent.
    leader = as_user(p.auditor)
    leader_row = next(
        r
        for g in leader.get(checklist_url(audit)).context["groups"]
        for r in g["rows"]
        if r["item"].pk == item.pk
    )
    assert p.tech_manager not in leader_row["auditor_choices"]
    refused = post_json(
        leader,
        item_url(item),
        {"auditor": p.tech_manager.pk, "version": item.version},
    )
    assert refused.status_code == 400
    assert ChecklistItem.objects.get(pk=item.pk).auditor_id != p.tech_manager.pk


# --- Evidence files -------------------------------------------------------------------


def upload_url(item) -> str:
    return reverse(
        "audits:evidence_upload",
        kwargs={"number": item.audit.number, "item_id": item.pk},
    )


def test_evidence_upload_and_download(world):
    scene, audit = world
    client = as_user(scene.people.auditor)
    item = item_for(audit, "8.5.1")
    response = client.post(
        upload_url(item),
        {"files": SimpleUploadedFile("变更单.pdf", PDF, "application/pdf")},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert [f["name"] for f in body["files"]] == ["变更单.pdf"]
    assert body["item"]["version"] == item.version + 1
    evidence = ChecklistEvidence.objects.get(item=item)
    download = client.get(body["files"][0]["url"])
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content) == PDF
    # A plain form post lands back on the item.
    again = client.post(upload_url(item), {"files": SimpleUploadedFile("二.pdf", PDF)})
    assert again.status_code == 302 and again["Location"].endswith(f"#item-{item.pk}")
    # Customer representatives do not learn that the file exists.
    customer = doc_factories.user(
        "customer", role=roles.CUSTOMER_REPRESENTATIVE, department_name=None
    )
    url = reverse(
        "audits:evidence", kwargs={"number": audit.number, "evidence_id": evidence.pk}
    )
    assert as_user(customer).get(url).status_code == 404


def test_disguised_and_oversized_evidence_is_refused(world):
    scene, audit = world
    client = as_user(scene.people.auditor)
    item = item_for(audit, "8.5.1")
    disguised = client.post(
        upload_url(item),
        {"files": SimpleUploadedFile("photo.jpg", EXE, "image/jpeg")},
        HTTP_ACCEPT="application/json",
    )
    assert disguised.status_code == 400
    assert "photo.jpg" in " ".join(disguised.json()["errors"])
    with override_settings(SHOUKONG_AUDIT_EVIDENCE_MAX_BYTES=len(PDF) - 1):
        oversized = client.post(
            upload_url(item),
            {"files": SimpleUploadedFile("scan.pdf", PDF)},
            HTTP_ACCEPT="application/json",
        )
        assert oversized.status_code == 400
        assert "larger than" in " ".join(oversized.json()["errors"])
        # Without the script: a message on the page.
        page = client.post(
            upload_url(item),
            {"files": SimpleUploadedFile("scan.pdf", PDF)},
            follow=True,
        )
        assert any("larger than" in m for m in messages_of(page))
    assert not ChecklistEvidence.objects.filter(item=item).exists()


# --- Findings -------------------------------------------------------------------------


def test_a_nonconforming_item_is_written_up_against_8_5_1(world):
    scene, audit = world
    p = scene.people
    client = as_user(p.auditor)
    item = item_for(audit, "8.5.1")
    services.checklist_item_update(
        user=p.auditor,
        item=item,
        result=ItemResult.NONCONFORMING,
        evidence="紧急变更CR-12未补做CAB评审\n抽查三张变更单",
    )
    url = reverse(
        "audits:finding_new", kwargs={"number": audit.number, "item_id": item.pk}
    )
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["form"]
    assert form.initial["title"] == "8.5.1 紧急变更CR-12未补做CAB评审"
    assert form.initial["facts"].startswith("紧急变更CR-12")
    assert {g.code for g in form.fields["grade"].queryset} == {"major", "minor"}
    assert form.initial["documents"] == [str(scene.b07.pk)]
    response = client.post(
        url,
        {
            "title": form.initial["title"],
            "facts": form.initial["facts"],
            "grade": factories.grade("minor").pk,
            "documents": [str(scene.b07.pk)],
        },
        follow=True,
    )
    item = ChecklistItem.objects.select_related("nonconformity").get(pk=item.pk)
    nc = item.nonconformity
    assert nc is not None and nc.status == NonconformityStatus.DRAFT
    assert nc.clause.ref_id == "8.5.1" and nc.department.name == "技术部"
    assert nc.grade.code == "minor"
    assert list(nc.documents.values_list("number", flat=True)) == ["B07"]
    assert response.redirect_chain[-1][0].endswith(f"#item-{item.pk}")
    [message] = [m for m in messages_of(response) if nc.number in m]
    assert "管理者代表" in message
    assert (
        f'href="{reverse("compliance:nonconformity", kwargs={"number": nc.number})}"'
        in (response.content.decode())
    )
    # Once written up, the form only points back to it.
    again = client.get(url, follow=True)
    assert any(nc.number in m for m in messages_of(again))


def test_an_observation_offers_the_grades_that_are_not_nonconformities(world):
    scene, audit = world
    item = item_for(audit, "7.5")
    services.checklist_item_update(
        user=scene.people.auditor,
        item=item,
        result=ItemResult.OBSERVATION,
        evidence="文件清单未标注换版日期",
    )
    url = reverse(
        "audits:finding_new", kwargs={"number": audit.number, "item_id": item.pk}
    )
    form = as_user(scene.people.auditor).get(url).context["form"]
    codes = {g.code for g in form.fields["grade"].queryset}
    assert "improvement" in codes and not codes & {"major", "minor"}


# --- The checklist's own steps --------------------------------------------------------


def test_add_keep_in_the_bank_and_remove_a_question(world):
    scene, audit = world
    client = as_user(scene.people.auditor)
    tech = doc_factories.department("技术部")
    added = client.post(
        checklist_url(audit),
        {
            "op": "add",
            "add-clause": factories.clause("8.5.1").pk,
            "add-department": tech.pk,
            "add-question": "紧急变更是否在实施后补做评审？",
        },
    )
    assert added.status_code == 302
    item = ChecklistItem.objects.get(
        audit=audit, question="紧急变更是否在实施后补做评审？"
    )
    assert item.auditor_id == scene.people.auditor.pk
    assert [d["number"] for d in item.documents] == ["B07"]
    banked = client.post(item_url(item), {"op": "bank"}, follow=True)
    assert ClauseQuestion.objects.filter(
        clause__ref_id="8.5.1", text="紧急变更是否在实施后补做评审？"
    ).exists()
    assert any("in the bank for 8.5.1" in m for m in messages_of(banked))
    removed = post_json(client, item_url(item), {"op": "remove"})
    assert removed.json() == {"ok": True, "removed": item.pk}
    assert not ChecklistItem.objects.filter(pk=item.pk).exists()
    # An answered item stays.
    answered = item_for(audit, "7.5")
    services.checklist_item_update(
        user=scene.people.auditor, item=answered, result="conforming", evidence="符合"
    )
    refused = post_json(client, item_url(answered), {"op": "remove"})
    assert refused.status_code == 400
    # Generating again asks the banked question; then nothing is missing.
    generated = client.post(checklist_url(audit), {"op": "generate"}, follow=True)
    assert any("1 item(s) added" in m for m in messages_of(generated))
    assert ChecklistItem.objects.filter(
        audit=audit, bank_question__text="紧急变更是否在实施后补做评审？"
    ).exists()
    generated = client.post(checklist_url(audit), {"op": "generate"}, follow=True)
    assert any("lacks no item" in m for m in messages_of(generated))
