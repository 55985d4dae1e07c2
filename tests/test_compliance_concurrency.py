"""Nonconformities under concurrent writers (PostgreSQL): numbers handed out at
once are distinct and gap-free, and two heads deciding the same plan at once
leave exactly one decision.

Each writer runs in its own thread with its own database connection. SQLite
serialises every writer, so the race only exists on PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.db import connection
from wagtail.models import ModelLogEntry

from compliance import nonconformities as svc
from compliance.lifecycle import (
    Decision,
    InvalidTransition,
    NonconformityKind,
    NonconformityStatus,
)
from compliance.models import ActionPlan, Nonconformity
from compliance.tests import factories
from documents import roles
from documents.tests import factories as doc_factories
from tests.concurrency import race, staff_writers

S = NonconformityStatus
TODAY = date(2026, 11, 22)
WRITERS = 8
CORRECTIVE_EACH = 5
PREVENTIVE_EACH = 2

needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="real concurrent writers need PostgreSQL",
)

pytestmark = [
    pytest.mark.postgres,
    needs_postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setattr(svc, "company_today", lambda: TODAY)
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: TODAY)
    # The number's year comes from the clock: keep it in 2026.
    monkeypatch.setattr(
        "django.utils.timezone.now", lambda: datetime(2026, 11, 22, 2, 0, tzinfo=UTC)
    )


def writers() -> list:
    return staff_writers(WRITERS, prefix="reporter")


def test_reporters_raising_at_once_get_distinct_gap_free_numbers(role_groups):
    users = writers()

    def report(user) -> list[str]:
        numbers = []
        for i in range(CORRECTIVE_EACH + PREVENTIVE_EACH):
            kind = (
                NonconformityKind.CORRECTIVE
                if i < CORRECTIVE_EACH
                else NonconformityKind.PREVENTIVE
            )
            numbers.append(
                factories.nonconformity(
                    user, kind=kind, title=f"{user.username} 第{i}项"
                ).number
            )
        return numbers

    numbers, errors = race(users, report)

    assert not errors, errors
    corrective = WRITERS * CORRECTIVE_EACH
    preventive = WRITERS * PREVENTIVE_EACH
    assert len(numbers) == len(set(numbers)) == corrective + preventive
    assert sorted(numbers) == sorted(
        [f"NC-2026-{seq:03d}" for seq in range(1, corrective + 1)]
        + [f"PA-2026-{seq:03d}" for seq in range(1, preventive + 1)]
    )
    assert Nonconformity.objects.count() == corrective + preventive
    # The next one carries on from the last, whatever the race did.
    assert factories.nonconformity(users[0]).number == f"NC-2026-{corrective + 1:03d}"


@pytest.mark.parametrize("second", ["accept", "return"])
def test_two_heads_deciding_one_plan_at_once_leave_one_decision(role_groups, second):
    p = factories.people()
    deputy = doc_factories.user(
        "tech_deputy", role=roles.DEPARTMENT_MANAGER, department_name="技术部"
    )
    nc = factories.advance(
        factories.nonconformity(p.auditor), p, S.PLANNED, today=TODAY
    )
    deciders = [p.tech_manager, deputy]

    def decide(user) -> list[str]:
        if user == deputy and second == "return":
            svc.nonconformity_return(user=user, nonconformity=nc, comment="重新分析")
            return ["return"]
        svc.nonconformity_accept(user=user, nonconformity=nc)
        return ["accept"]

    done, errors = race(deciders, decide)

    assert len(done) == 1, (done, errors)
    assert len(errors) == 1 and isinstance(errors[0], InvalidTransition), errors
    nc.refresh_from_db()
    [plan] = ActionPlan.objects.filter(nonconformity=nc)
    if done == ["accept"]:
        assert nc.status == S.ACCEPTED and plan.decision == Decision.ACCEPTED
        assert nc.owner == p.staff
    else:
        assert nc.status == S.RAISED and plan.decision == Decision.RETURNED
    assert plan.decided_by in deciders
    decisions = ModelLogEntry.objects.for_instance(nc).filter(
        action__in=[
            "shoukong.compliance.nonconformity_accept",
            "shoukong.compliance.nonconformity_return",
        ]
    )
    assert decisions.count() == 1
    assert decisions.get().user == plan.decided_by
