"""``manage.py compliance_daily``: overdue reminders, once per action and day."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import translation

from compliance.lifecycle import NonconformityStatus as S
from compliance.models import Nonconformity

from . import factories

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 22)
DUE = TODAY + timedelta(days=30)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr("compliance.nonconformities.company_today", lambda: TODAY)
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: TODAY)


@pytest.fixture
def p():
    people = factories.people()
    for user in get_user_model().objects.all():
        user.email = f"{user.username}@example.com"
        user.save(update_fields=["email"])
    return people


@pytest.fixture
def accepted(p):
    """An accepted action of 技术部, owned by staff, due in 30 days."""
    nc = factories.advance(
        factories.nonconformity(p.auditor), p, S.ACCEPTED, today=TODAY
    )
    mail.outbox.clear()
    return nc


def run(*args) -> str:
    out = io.StringIO()
    with translation.override("en"):
        call_command("compliance_daily", *args, stdout=out)
    return out.getvalue()


def test_nothing_overdue_sends_nothing(accepted):
    output = run()
    assert mail.outbox == []
    assert "2026-11-22: 0" in output


def test_overdue_reminder_once_a_day(accepted):
    late = (DUE + timedelta(days=1)).isoformat()
    output = run("--date", late)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert accepted.number in message.subject
    assert set(message.to) == {
        "staff@example.com",
        "tech_manager@example.com",
        "mr@example.com",
    }
    assert f"{late}: 1" in output
    # A second run the same day sends nothing again.
    run("--date", late)
    assert len(mail.outbox) == 1
    # The next day, a new reminder.
    run("--date", (DUE + timedelta(days=2)).isoformat())
    assert len(mail.outbox) == 2


def test_today_by_default_and_closed_actions_are_left_alone(p, accepted):
    Nonconformity.objects.filter(pk=accepted.pk).update(
        due_date=TODAY - timedelta(days=1)
    )
    run()
    assert len(mail.outbox) == 1
    run()
    assert len(mail.outbox) == 1
    implemented = factories.advance(
        Nonconformity.objects.get(pk=accepted.pk), p, S.IMPLEMENTED, today=TODAY
    )
    assert implemented.status == S.IMPLEMENTED
    mail.outbox.clear()
    run("--date", (TODAY + timedelta(days=100)).isoformat())
    assert mail.outbox == []


def test_bad_date_is_refused(accepted):
    with pytest.raises(CommandError):
        run("--date", "2026-02-30")
