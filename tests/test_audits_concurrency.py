"""Internal audits under concurrent writers (PostgreSQL): audits planned at
once get distinct gap-free numbers (and share the year's programme), two
tablets saving the same checklist item from the same version leave one answer,
and two closing meetings recorded at once leave one.

Each writer runs in its own thread with its own database connection. SQLite
serialises every writer, so the race only exists on PostgreSQL.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from wagtail.models import ModelLogEntry

from audits import services
from audits.lifecycle import AuditStatus, ItemResult, MeetingKind
from audits.models import Audit, AuditMeeting, AuditProgramme, ChecklistItem
from audits.tests import factories
from documents import roles
from documents.tests import factories as doc_factories
from tests.concurrency import race

R = ItemResult
YEAR = 2031
WRITERS = 8
AUDITS_EACH = 2

needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="real concurrent writers need PostgreSQL",
)

pytestmark = [
    pytest.mark.postgres,
    needs_postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def s(role_groups, monkeypatch):
    monkeypatch.setattr(roles, "roles_ensure", lambda: role_groups)
    return factories.scene()


def test_auditors_planning_at_once_get_gap_free_numbers_and_one_programme(s):
    auditors = [
        doc_factories.user(f"planner{i}", role=roles.INTERNAL_AUDITOR)
        for i in range(WRITERS)
    ]

    def plan(user) -> list[str]:
        return [
            factories.audit(
                user,
                start=date(YEAR, 3, 1) + timedelta(days=7 * i),
                title=f"{user.username} 第{i}次审核",
            ).number
            for i in range(AUDITS_EACH)
        ]

    numbers, errors = race(auditors, plan)

    assert not errors, errors
    total = WRITERS * AUDITS_EACH
    assert sorted(numbers) == [f"IA-{YEAR}-{seq:02d}" for seq in range(1, total + 1)]
    [programme] = AuditProgramme.objects.all()
    assert programme.year == YEAR
    assert Audit.objects.filter(programme=programme).count() == total
    # The next one carries on from the last.
    assert factories.audit(s.people.auditor, start=date(YEAR, 9, 1)).number == (
        f"IA-{YEAR}-{total + 1:02d}"
    )


def fieldwork(s) -> Audit:
    """An audit in progress whose team is the auditor and 管理者代表."""
    p = s.people
    audit = factories.audit(p.auditor)
    services.audit_team_set(user=p.mr, audit=audit, leader=p.auditor, auditors=[p.mr])
    factories.programme_approve(audit.programme, p)
    services.checklist_generate(user=p.auditor, audit=audit)
    services.audit_notify(user=p.auditor, audit=audit)
    services.meeting_record(
        user=p.auditor,
        audit=audit,
        kind=MeetingKind.OPENING,
        held_at=timezone.now() - timedelta(minutes=30),
        attendees=[p.auditor, p.mr, p.tech_manager],
    )
    return Audit.objects.get(pk=audit.pk)


def test_two_tablets_saving_one_item_from_the_same_version_leave_one_answer(s):
    p = s.people
    audit = fieldwork(s)
    item = audit.items.get(clause__ref_id="8.5.1")
    assert item.version == 1
    tablets = [(p.auditor, R.CONFORMING, "变更记录齐全"), (p.mr, R.NOT_APPLICABLE, "")]

    def save(tablet) -> list:
        user, result, evidence = tablet
        services.checklist_item_update(
            user=user, item=item, version=1, result=result, evidence=evidence
        )
        return [tablet]

    saved, errors = race(tablets, save)

    assert len(saved) == 1, (saved, errors)
    assert len(errors) == 1 and isinstance(errors[0], services.ChecklistConflict)
    # The loser is shown what the winner stored.
    assert errors[0].item.version == 2
    [(winner, result, evidence)] = saved
    item = ChecklistItem.objects.get(pk=item.pk)
    assert (item.version, item.result, item.evidence) == (2, result, evidence)
    assert item.answered_by == winner
    assert errors[0].item.result == result
    updates = ModelLogEntry.objects.for_instance(audit).filter(
        action="shoukong.audits.checklist_item_update"
    )
    assert updates.count() == 1 and updates.get().user == winner


def test_two_closing_meetings_at_once_leave_one(s):
    p = s.people
    audit = fieldwork(s)
    factories.answer_all(audit, p.auditor)
    held = timezone.now()

    def close(user) -> list:
        services.meeting_record(
            user=user,
            audit=audit,
            kind=MeetingKind.CLOSING,
            held_at=held,
            attendees=[user, p.tech_manager],
        )
        return [user]

    closed, errors = race([p.auditor, p.mr], close)

    assert len(closed) == 1, (closed, errors)
    assert len(errors) == 1 and isinstance(errors[0], ValidationError), errors
    meeting = AuditMeeting.objects.get(audit=audit, kind=MeetingKind.CLOSING)
    assert meeting.recorded_by == closed[0]
    assert meeting.attendees.count() == 2
    assert Audit.objects.get(pk=audit.pk).status == AuditStatus.COMPLETED
    closings = ModelLogEntry.objects.for_instance(audit).filter(
        action="shoukong.audits.meeting_closing"
    )
    assert closings.count() == 1
