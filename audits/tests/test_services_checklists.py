"""Checklists: generated from the clauses with the current issues of their
documents and the departments that answer them, assigned to independent
auditors, answered as the auditor goes (with a version against stale tablets),
evidence checked by its bytes, the question bank."""

from __future__ import annotations

import io
import os
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings
from django.utils import timezone, translation
from PIL import Image
from wagtail.models import ModelLogEntry

from audits import services
from audits.lifecycle import ItemResult
from audits.models import ChecklistEvidence, ChecklistItem, ClauseQuestion
from audits.tests import factories
from documents import roles
from documents import services as doc_services
from documents.tests import factories as doc_factories
from documents.tests.filefactories import make_pdf

pytestmark = pytest.mark.django_db

R = ItemResult


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def s(db, monkeypatch):
    groups = roles.roles_ensure()
    monkeypatch.setattr(roles, "roles_ensure", lambda: groups)
    return factories.scene()


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (2, 2), (0, 128, 0)).save(out, format="PNG")
    return out.getvalue()


def item_of(audit, ref: str, department: str = "技术部") -> ChecklistItem:
    return audit.items.get(clause__ref_id=ref, department__name=department)


def stored_files() -> set[str]:
    root = settings.SHOUKONG_RECORDS_ROOT
    return {
        os.path.join(folder, name)
        for folder, _dirs, names in os.walk(root)
        for name in names
    }


def test_generate_names_the_current_issues_and_the_responsible_departments(s):
    p = s.people
    # B05 is reissued as B: only the issue in force is named.
    doc_services.issue_create(
        user=None, document=s.b05, publish_date=factories.today() - timedelta(days=1)
    )
    audit = factories.audit(p.auditor)
    services.audit_team_set(user=p.mr, audit=audit, leader=p.auditor)
    with pytest.raises(PermissionDenied):
        services.checklist_generate(user=p.staff, audit=audit)

    items = services.checklist_generate(user=p.auditor, audit=audit)
    assert [(i.position, i.clause.ref_id, i.department.name) for i in items] == [
        (1, "7.5", "技术部"),
        (2, "8.5.1", "技术部"),
    ]
    first, second = items
    assert [(d["number"], d["title"], d["issue"]) for d in first.documents] == [
        ("B05", "文件控制程序", "B"),
        ("B06", "记录控制程序", "A"),
    ]
    assert [(d["number"], d["title"], d["issue"]) for d in second.documents] == [
        ("B07", "变更管理程序", "A")
    ]
    assert first.responsible == [
        {"department": "行政部", "level": "primary"},
        {"department": "技术部", "level": "supporting"},
    ]
    assert second.responsible == [{"department": "技术部", "level": "primary"}]
    assert "7.5" in first.question and "技术部" in first.question
    assert {i.auditor for i in items} == {p.auditor}
    assert all(i.result == R.PENDING and i.version == 1 for i in items)
    entry = ModelLogEntry.objects.for_instance(audit).order_by("id").last()
    assert entry.action == "shoukong.audits.checklist_generate"
    assert entry.data["items"] == 2

    # Generating again adds nothing (and logs nothing).
    assert services.checklist_generate(user=p.auditor, audit=audit) == []
    assert audit.items.count() == 2


def test_the_question_bank_gives_one_item_per_question(s):
    p = s.people
    change = factories.clause("8.5.1")
    asked = [
        ClauseQuestion.objects.create(clause=change, text=text, sort_order=n)
        for n, text in enumerate(["紧急变更是否经过评审？", "变更是否有回退计划？"])
    ]
    ClauseQuestion.objects.create(clause=change, text="已停用的问题", is_active=False)
    audit = factories.audit(p.auditor, clauses=("8.5.1",))
    items = services.checklist_generate(user=p.mr, audit=audit)
    assert [(i.question, i.bank_question) for i in items] == [
        (q.text, q) for q in asked
    ]
    # Nobody on the team yet: the items wait for an auditor.
    assert {i.auditor for i in items} == {None}
    ClauseQuestion.objects.create(clause=change, text="变更是否通知了相关方？")
    [added] = services.checklist_generate(user=p.mr, audit=audit)
    assert added.question == "变更是否通知了相关方？" and added.position == 3


def test_items_go_evenly_to_independent_auditors_only(s):
    p = s.people
    # 9.1 and 9.3 have no responsible department: every audited one is asked.
    audit = factories.audit(
        p.auditor,
        clauses=("7.5", "8.5.1", "9.1", "9.3"),
        departments=("技术部", "市场部"),
    )
    services.audit_team_set(
        user=p.mr, audit=audit, leader=p.auditor, auditors=[p.mr, p.market_manager]
    )
    items = services.checklist_generate(user=p.auditor, audit=audit)
    assert sorted((i.clause.ref_id, i.department.name) for i in items) == [
        ("7.5", "技术部"),
        ("8.5.1", "技术部"),
        ("9.1", "市场部"),
        ("9.1", "技术部"),
        ("9.3", "市场部"),
        ("9.3", "技术部"),
    ]
    counts = {}
    for item in items:
        counts[item.auditor.username] = counts.get(item.auditor.username, 0) + 1
    assert counts == {"auditor": 2, "mr": 2, "market_manager": 2}
    # market_manager never audits 市场部.
    assert all(
        i.department.name != "市场部" for i in items if i.auditor == p.market_manager
    )

    # Reassigning to a member who is not independent of the item is refused.
    market_item = next(i for i in items if i.department.name == "市场部")
    with pytest.raises(ValidationError, match="市场部"):
        services.checklist_item_update(
            user=p.auditor, item=market_item, auditor=p.market_manager
        )
    with pytest.raises(ValidationError, match="not on the audit team"):
        services.checklist_item_update(
            user=p.auditor, item=market_item, auditor=p.controller
        )
    with pytest.raises(PermissionDenied):  # only the leader or a preparer
        services.checklist_item_update(
            user=p.market_manager, item=market_item, auditor=p.mr
        )
    assert market_item.auditor == p.mr
    moved = services.checklist_item_update(
        user=p.auditor, item=market_item, auditor=p.auditor, version=1
    )
    assert moved.auditor == p.auditor and moved.version == 2
    unassigned = services.checklist_item_update(
        user=p.auditor, item=moved, auditor=None
    )
    assert unassigned.auditor is None and unassigned.version == moved.version + 1


def test_answers_only_during_the_fieldwork_with_a_fresh_version(s):
    p = s.people
    audit = factories.audit(p.auditor)
    services.audit_team_set(user=p.mr, audit=audit, leader=p.auditor)
    services.checklist_generate(user=p.auditor, audit=audit)
    item = item_of(audit, "8.5.1")
    with pytest.raises(ValidationError, match="opening meeting"):
        services.checklist_item_update(user=p.auditor, item=item, result=R.CONFORMING)
    # The question may change while the checklist is prepared.
    item = services.checklist_item_update(
        user=p.auditor, item=item, question="紧急变更是否经过评审？", version=1
    )
    assert item.question == "紧急变更是否经过评审？" and item.version == 2

    audit = factories.in_progress(audit, p)
    with pytest.raises(services.ChecklistConflict) as conflict:
        services.checklist_item_update(
            user=p.auditor, item=item, version=1, result=R.CONFORMING
        )
    assert conflict.value.item.version == 2
    assert conflict.value.item.question == "紧急变更是否经过评审？"
    with pytest.raises(ValidationError, match="version"):
        services.checklist_item_update(user=p.auditor, item=item, version="x")
    # An outsider learns nothing, stale version or not.
    with pytest.raises(PermissionDenied):
        services.checklist_item_update(
            user=p.staff, item=item, version=1, result=R.CONFORMING
        )
    with pytest.raises(ValidationError, match="Unknown result"):
        services.checklist_item_update(user=p.auditor, item=item, result="meh")
    for result in (R.NONCONFORMING, R.OBSERVATION):
        with pytest.raises(ValidationError, match="objective facts"):
            services.checklist_item_update(user=p.auditor, item=item, result=result)

    item = services.checklist_item_update(
        user=p.auditor,
        item=item,
        version=2,
        result=R.NONCONFORMING,
        evidence="抽查三张紧急变更单，一张无评审记录",
    )
    assert (item.result, item.version) == (R.NONCONFORMING, 3)
    assert item.answered_by == p.auditor and item.answered_at
    with pytest.raises(ValidationError, match="answered"):
        services.checklist_item_update(user=p.auditor, item=item, question="改写")
    # Naming the same auditor again is no change; another one is refused.
    assert (
        services.checklist_item_update(user=p.auditor, item=item, auditor=p.auditor)
    ).version == 3
    with pytest.raises(ValidationError, match="answered"):
        services.checklist_item_update(user=p.auditor, item=item, auditor=None)
    # Saving the same again changes nothing: no new version.
    same = services.checklist_item_update(
        user=p.auditor, item=item, version=3, result=R.NONCONFORMING
    )
    assert same.version == 3
    entry = ModelLogEntry.objects.for_instance(audit).order_by("id").last()
    assert entry.action == "shoukong.audits.checklist_item_update"
    assert entry.data["result"] == R.NONCONFORMING


def test_evidence_is_checked_by_its_bytes_and_nothing_is_kept_on_refusal(s):
    p = s.people
    audit = factories.in_progress(factories.audit(p.auditor), p)
    item = item_of(audit, "8.5.1")
    before = stored_files()

    exe = b"MZ\x90\x00" + b"\x00" * 200
    refused = [
        [("照片.jpg", exe)],
        [("ok.png", png()), ("变更单.jpg", exe)],
        [("空.pdf", b"")],
        [("脚本.exe", exe)],
        [],
    ]
    for uploads in refused:
        with pytest.raises(ValidationError):
            services.checklist_evidence_add(user=p.auditor, item=item, uploads=uploads)
    with override_settings(SHOUKONG_AUDIT_EVIDENCE_MAX_BYTES=20):
        with pytest.raises(ValidationError, match="larger"):
            services.checklist_evidence_add(
                user=p.auditor, item=item, uploads=[("大.png", png())]
            )
    with pytest.raises(PermissionDenied):
        services.checklist_evidence_add(
            user=p.staff, item=item, uploads=[("ok.png", png())]
        )
    assert not ChecklistEvidence.objects.exists()
    assert stored_files() == before

    pdf = make_pdf([["Change record"]])
    stored = services.checklist_evidence_add(
        user=p.auditor, item=item, uploads=[("变更单.png", png()), ("记录.pdf", pdf)]
    )
    assert [(e.name, e.content_type) for e in stored] == [
        ("变更单.png", "image/png"),
        ("记录.pdf", "application/pdf"),
    ]
    assert stored[1].size == len(pdf) and len(stored[1].sha256) == 64
    assert all(e.uploaded_by == p.auditor for e in stored)
    added = stored_files() - before
    assert len(added) == 2
    assert all(audit.number in path for path in added)
    with stored[1].file.open("rb") as fh:
        assert fh.read() == pdf
    item.refresh_from_db()
    assert item.version == 2  # a tablet holding version 1 reloads
    # An item with evidence stays on the checklist.
    with pytest.raises(ValidationError, match="stays"):
        services.checklist_item_remove(user=p.auditor, item=item)


def test_add_and_remove_questions(s):
    p = s.people
    audit = factories.audit(p.auditor, departments=("行政部", "技术部"))
    services.audit_team_set(user=p.mr, audit=audit, leader=p.auditor, auditors=[p.mr])
    services.checklist_generate(user=p.auditor, audit=audit)

    with pytest.raises(ValidationError, match="not audited"):
        services.checklist_item_add(
            user=p.auditor,
            audit=audit,
            clause=factories.clause("8.5.1"),
            department=doc_factories.department("市场部"),
            question="?",
        )
    with pytest.raises(ValidationError, match="scope"):
        services.checklist_item_add(
            user=p.auditor,
            audit=audit,
            clause=factories.clause("7.5", standard="iso9001-2015"),
            department=doc_factories.department("技术部"),
            question="?",
        )
    with pytest.raises(ValidationError, match="question"):
        services.checklist_item_add(
            user=p.auditor,
            audit=audit,
            clause=factories.clause("8.5.1"),
            department=doc_factories.department("技术部"),
            question=" ",
        )
    own = services.checklist_item_add(
        user=p.auditor,
        audit=audit,
        clause=factories.clause("8.5.1"),
        department=doc_factories.department("技术部"),
        question="变更后是否更新了配置信息？",
    )
    assert own.auditor == p.auditor and own.position == audit.items.count()
    assert [d["number"] for d in own.documents] == ["B07"]
    # The auditor of 行政部 adds a 行政部 question: it goes to mr.
    admin = services.checklist_item_add(
        user=p.auditor,
        audit=audit,
        clause=factories.clause("7.5"),
        department=doc_factories.department("行政部"),
        question="文件发放记录是否完整？",
    )
    assert admin.auditor == p.mr

    services.checklist_item_remove(user=p.auditor, item=own)
    assert not ChecklistItem.objects.filter(pk=own.pk).exists()
    with pytest.raises(PermissionDenied):
        services.checklist_item_remove(user=p.staff, item=admin)

    audit = factories.in_progress(audit, p)
    answered = item_of(audit, "8.5.1")
    services.checklist_item_update(
        user=p.auditor, item=answered, result=R.CONFORMING, evidence="记录齐全"
    )
    with pytest.raises(ValidationError, match="stays"):
        services.checklist_item_remove(user=p.auditor, item=answered)
    # Unanswered: it may still go during the fieldwork.
    services.checklist_item_remove(user=p.auditor, item=admin)
    services.checklist_item_remove(user=p.auditor, item=item_of(audit, "7.5", "行政部"))
    factories.answer_all(audit, p.auditor)
    services.meeting_record(
        user=p.auditor,
        audit=audit,
        kind="closing",
        held_at=timezone.now(),
        attendees=[p.auditor],
    )
    leftover = audit.items.first()
    with pytest.raises(ValidationError, match="no longer change"):
        services.checklist_item_remove(user=p.auditor, item=leftover)
    with pytest.raises(ValidationError, match="no longer change"):
        services.checklist_item_update(
            user=p.auditor, item=leftover, result=R.NOT_APPLICABLE
        )


def test_a_question_kept_in_the_bank_is_not_asked_twice(s):
    p = s.people
    audit = factories.audit(p.auditor, clauses=("8.5.1",))
    services.audit_team_set(user=p.mr, audit=audit, leader=p.auditor)
    [item] = services.checklist_generate(user=p.auditor, audit=audit)
    item = services.checklist_item_update(
        user=p.auditor, item=item, question="紧急变更是否补办了评审？"
    )
    with pytest.raises(PermissionDenied):
        services.question_bank_save(user=p.staff, item=item)
    kept = services.question_bank_save(user=p.auditor, item=item)
    assert (kept.clause.ref_id, kept.text, kept.created_by) == (
        "8.5.1",
        "紧急变更是否补办了评审？",
        p.auditor,
    )
    item.refresh_from_db()
    assert item.bank_question == kept
    assert services.question_bank_save(user=p.auditor, item=item) == kept
    assert ClauseQuestion.objects.count() == 1
    assert services.checklist_generate(user=p.auditor, audit=audit) == []

    # Reworded and kept again: the item asks the new question, and the next
    # checklist asks both.
    item = services.checklist_item_update(
        user=p.auditor, item=item, question="紧急变更是否在24小时内补办评审？"
    )
    reworded = services.question_bank_save(user=p.auditor, item=item)
    item.refresh_from_db()
    assert item.bank_question == reworded and ClauseQuestion.objects.count() == 2
    [again] = services.checklist_generate(user=p.auditor, audit=audit)
    assert again.bank_question == kept
    later = factories.audit(p.auditor, clauses=("8.5.1",))
    assert sorted(
        i.question for i in services.checklist_generate(user=p.auditor, audit=later)
    ) == sorted([kept.text, reworded.text])
