"""The opening and closing meetings with attendance, and findings written up as
compliance nonconformities."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation
from wagtail.models import ModelLogEntry

from audits import services
from audits.lifecycle import AuditStatus, ItemResult, MeetingKind
from audits.models import Audit, AuditMeeting, ChecklistItem
from audits.tests import factories
from compliance.lifecycle import NonconformitySource, NonconformityStatus
from compliance.models import Nonconformity
from documents import roles

pytestmark = pytest.mark.django_db

A = AuditStatus
R = ItemResult
OPENING, CLOSING = MeetingKind.OPENING, MeetingKind.CLOSING


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def s(db, monkeypatch):
    groups = roles.roles_ensure()
    monkeypatch.setattr(roles, "roles_ensure", lambda: groups)
    return factories.scene()


def item_of(audit, ref: str) -> ChecklistItem:
    return audit.items.get(clause__ref_id=ref)


def answer(user, item, result, evidence="变更单齐全") -> ChecklistItem:
    return services.checklist_item_update(
        user=user, item=item, result=result, evidence=evidence
    )


def meeting(user, audit, kind, *, at=None, **extra) -> AuditMeeting:
    extra.setdefault("attendees", [user])
    return services.meeting_record(
        user=user, audit=audit, kind=kind, held_at=at or timezone.now(), **extra
    )


def test_the_opening_meeting_follows_the_notice(s):
    p = s.people
    audit = factories.audit(p.auditor)
    services.audit_team_set(user=p.mr, audit=audit, leader=p.auditor)
    factories.programme_approve(audit.programme, p)
    with pytest.raises(ValidationError, match="follows the notice"):
        meeting(p.auditor, audit, OPENING)
    services.audit_notify(user=p.auditor, audit=audit)

    with pytest.raises(PermissionDenied):  # not on the team
        meeting(p.tech_manager, audit, OPENING)
    with pytest.raises(ValidationError, match="after it is held"):
        meeting(p.auditor, audit, OPENING, at=timezone.now() + timedelta(days=1))
    with pytest.raises(ValidationError, match="who attended"):
        meeting(p.auditor, audit, OPENING, attendees=[])
    with pytest.raises(ValidationError, match="date and time"):
        meeting(p.auditor, audit, OPENING, at=factories.today())
    with pytest.raises(ValidationError, match="Unknown meeting"):
        meeting(p.auditor, audit, "lunch")
    with pytest.raises(ValidationError, match="closing meeting ends"):
        meeting(p.auditor, audit, CLOSING)

    held = timezone.now() - timedelta(hours=1)
    opening = meeting(
        p.auditor,
        audit,
        OPENING,
        at=held,
        attendees=[p.auditor, p.tech_manager, p.staff, p.staff],
        guests=["外部顾问 王工"],
        location="技术部会议室",
        notes="明确审核分工",
    )
    assert (opening.held_at, opening.chaired_by, opening.recorded_by) == (
        held,
        p.auditor,
        p.auditor,
    )
    assert list(opening.attendees.values_list("name", "department", "user")) == [
        ("auditor", "行政部", p.auditor.pk),
        ("tech_manager", "技术部", p.tech_manager.pk),
        ("staff", "技术部", p.staff.pk),
        ("外部顾问 王工", "", None),
    ]
    audit.refresh_from_db()
    assert audit.status == A.IN_PROGRESS
    entry = ModelLogEntry.objects.for_instance(audit).order_by("id").last()
    assert entry.action == "shoukong.audits.meeting_opening"
    assert entry.data["attendees"] == 4

    with pytest.raises(ValidationError, match="In progress"):
        meeting(p.auditor, audit, OPENING)
    assert AuditMeeting.objects.filter(audit=audit).count() == 1


def test_the_closing_meeting_needs_every_item_answered_and_written_up(s):
    p = s.people
    audit = factories.in_progress(factories.audit(p.auditor), p)
    opening = audit.meetings.get()
    with pytest.raises(ValidationError, match="2 checklist items") as refused:
        meeting(p.auditor, audit, CLOSING)
    assert "7.5 #1" in refused.value.messages[0]
    assert "8.5.1 #2" in refused.value.messages[0]

    answer(p.auditor, item_of(audit, "7.5"), R.CONFORMING)
    nc = answer(p.auditor, item_of(audit, "8.5.1"), R.NONCONFORMING, "紧急变更无评审")
    with pytest.raises(ValidationError, match="Write up the findings") as refused:
        meeting(p.auditor, audit, CLOSING)
    assert "8.5.1 #2" in refused.value.messages[0]
    assert "7.5" not in refused.value.messages[0]
    services.finding_raise(user=p.auditor, item=nc)

    with pytest.raises(ValidationError, match="before the opening"):
        meeting(p.auditor, audit, CLOSING, at=opening.held_at - timedelta(minutes=1))
    with pytest.raises(ValidationError, match="after it is held"):
        meeting(p.auditor, audit, CLOSING, at=timezone.now() + timedelta(hours=3))
    closing = meeting(p.auditor, audit, CLOSING, attendees=[p.auditor, p.tech_manager])
    assert closing.attendees.count() == 2
    audit.refresh_from_db()
    assert audit.status == A.COMPLETED
    assert list(audit.meetings.values_list("kind", flat=True)) == [OPENING, CLOSING]
    with pytest.raises(ValidationError, match="closing meeting ends"):
        meeting(p.auditor, audit, CLOSING)


def test_an_empty_checklist_cannot_be_closed(s):
    p = s.people
    audit = factories.audit(p.auditor)
    services.audit_team_set(user=p.mr, audit=audit, leader=p.auditor)
    factories.programme_approve(audit.programme, p)
    services.audit_notify(user=p.auditor, audit=audit)
    meeting(p.auditor, audit, OPENING, at=timezone.now() - timedelta(minutes=5))
    with pytest.raises(ValidationError, match="empty"):
        meeting(p.auditor, audit, CLOSING)


def test_a_nonconforming_item_becomes_a_draft_nonconformity_against_its_clause(s):
    p = s.people
    audit = factories.in_progress(factories.audit(p.auditor), p)
    conforming = answer(p.auditor, item_of(audit, "7.5"), R.CONFORMING)
    with pytest.raises(ValidationError, match="Only a nonconforming item"):
        services.finding_raise(user=p.auditor, item=conforming)
    item = answer(
        p.auditor,
        item_of(audit, "8.5.1"),
        R.NONCONFORMING,
        "抽查三张紧急变更单，一张无CAB评审记录\n变更单号 CH-0312",
    )
    with pytest.raises(PermissionDenied):
        services.finding_raise(user=p.tech_manager, item=item)

    nc = services.finding_raise(user=p.auditor, item=item)
    assert nc.status == NonconformityStatus.DRAFT
    assert nc.source == NonconformitySource.INTERNAL_AUDIT
    assert nc.source_reference == audit.number
    assert (nc.source_type, nc.source_id) == (
        ContentType.objects.get_for_model(Audit),
        audit.pk,
    )
    assert nc.clause.ref_id == "8.5.1" and nc.department.name == "技术部"
    assert nc.grade.code == "minor"
    assert nc.title == "8.5.1 抽查三张紧急变更单，一张无CAB评审记录"
    assert nc.facts == item.evidence and nc.raised_by == p.auditor
    assert [d.number for d in nc.documents.all()] == ["B07"]
    assert list(audit.findings()) == [nc]
    item.refresh_from_db()
    assert item.nonconformity == nc and item.version == 3
    entry = ModelLogEntry.objects.for_instance(audit).order_by("id").last()
    assert entry.action == "shoukong.audits.finding_raise"
    assert entry.data["nonconformity"] == nc.number

    with pytest.raises(ValidationError, match="already"):
        services.finding_raise(user=p.auditor, item=item)
    # Its result is locked by the finding; the facts may still be added to.
    with pytest.raises(ValidationError, match=nc.number):
        answer(p.auditor, item, R.CONFORMING)
    item = answer(p.auditor, item, R.NONCONFORMING, item.evidence + "\n补充：已拍照")
    assert item.result == R.NONCONFORMING
    assert Nonconformity.objects.count() == 1


def test_an_observation_becomes_an_improvement_opportunity(s):
    p = s.people
    audit = factories.in_progress(factories.audit(p.auditor), p)
    item = answer(p.auditor, item_of(audit, "7.5"), R.OBSERVATION, "文件清单未注明版本")
    with pytest.raises(ValidationError, match="not a nonconformity"):
        services.finding_raise(
            user=p.auditor, item=item, grade=factories.grade("major")
        )
    finding = services.finding_raise(
        user=p.auditor,
        item=item,
        title="文件清单可增加版本列",
        facts="建议在受控文件清单中增加现行版本",
        documents=[s.b05],
    )
    assert finding.grade.code == "improvement" and not finding.grade.is_nonconformity
    assert finding.status == NonconformityStatus.DRAFT
    assert (finding.title, finding.facts) == (
        "文件清单可增加版本列",
        "建议在受控文件清单中增加现行版本",
    )
    assert [d.number for d in finding.documents.all()] == ["B05"]
    assert finding.clause.ref_id == "7.5" and finding.department.name == "技术部"

    nc_item = answer(p.auditor, item_of(audit, "8.5.1"), R.NONCONFORMING, "无评审")
    with pytest.raises(ValidationError, match="nonconformity grade"):
        services.finding_raise(
            user=p.auditor, item=nc_item, grade=factories.grade("improvement")
        )
    major = services.finding_raise(
        user=p.auditor, item=nc_item, grade=factories.grade("major")
    )
    assert major.grade.code == "major"
    assert set(audit.findings()) == {finding, major}
