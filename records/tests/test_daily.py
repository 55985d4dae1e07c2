"""records_daily: one e-mail per recipient about records due for disposal, never
repeated, and reminders for disposal requests that wait too long."""

from __future__ import annotations

from datetime import date, datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import translation
from wagtail.users.models import UserProfile

from documents import roles
from documents.tests import factories as doc_factories
from records import services
from records.lifecycle import DisposalMethod
from records.models import DisposalRequest

from . import factories

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 22)


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: TODAY)


def _user(username, role, department):
    return doc_factories.user(
        username,
        role=role,
        department_name=department,
        email=f"{username}@example.com",
    )


@pytest.fixture
def people(role_groups):
    return {
        "controller": _user("controller", roles.DOCUMENT_CONTROLLER, "行政部"),
        "tech_manager": _user("tech_manager", roles.DEPARTMENT_MANAGER, "技术部"),
        "market_manager": _user("market_manager", roles.DEPARTMENT_MANAGER, "市场部"),
        "engineer": _user("engineer", roles.STAFF, "技术部"),
    }


@pytest.fixture
def work_order(library):
    return factories.form(retention_period="3年")


def run(*args: str) -> str:
    out = StringIO()
    with translation.override("en"):
        call_command("records_daily", *args, stdout=out)
    return out.getvalue()


def by_recipient() -> dict[str, list]:
    result: dict[str, list] = {}
    for message in mail.outbox:
        for address in message.to:
            result.setdefault(address, []).append(message)
    return result


def test_one_mail_per_recipient_listing_the_records_due(people, work_order):
    engineer = people["engineer"]
    due = [
        factories.record(engineer, record_date=date(2020, 3, 2)),
        factories.record(engineer, record_date=date(2021, 6, 30)),
    ]
    factories.record(engineer, record_date=date(2026, 11, 1))  # kept three years
    held = factories.record(engineer, record_date=date(2020, 3, 3))
    services.record_hold_place(
        user=people["controller"], record=held, reason="合同纠纷，保全证据"
    )

    output = run("--date", "2026-11-22")

    mails = by_recipient()
    assert set(mails) == {"controller@example.com", "tech_manager@example.com"}
    for messages in mails.values():
        assert len(messages) == 1
        body = messages[0].body
        assert all(record.number in body for record in due)
        assert held.number not in body
        assert "/records/disposal/" in body
    assert "2 e-mails about records due for disposal" in output


def test_nothing_is_sent_twice_and_the_next_day_only_what_is_new(people, work_order):
    engineer = people["engineer"]
    first = factories.record(engineer, record_date=date(2020, 3, 2))
    # Retained until 2026-11-23: due only on the next day.
    second = factories.record(engineer, record_date=date(2023, 11, 23))

    run("--date", "2026-11-22")
    assert len(mail.outbox) == 2
    run("--date", "2026-11-22")
    assert len(mail.outbox) == 2

    run("--date", "2026-11-23")
    new = mail.outbox[2:]
    assert len(new) == 2
    assert all(second.number in m.body and first.number not in m.body for m in new)

    run("--date", "2026-11-24")
    assert len(mail.outbox) == 4


def test_records_in_a_disposal_request_are_not_announced(people, work_order):
    record = factories.record(people["engineer"], record_date=date(2020, 3, 2))
    services.disposal_request_create(
        user=people["engineer"], records=[record], method=DisposalMethod.RECYCLE
    )

    run("--date", "2026-11-22")

    assert all(record.number not in m.body for m in mail.outbox)


def test_mails_speak_each_recipients_language(people, work_order):
    profile = UserProfile.get_for_user(people["tech_manager"])
    profile.preferred_language = "en"
    profile.save()
    factories.record(people["engineer"], record_date=date(2020, 3, 2))

    run("--date", "2026-11-22")

    mails = by_recipient()
    english = mails["tech_manager@example.com"][0]
    assert english.subject == "1 record is due for disposal"
    with translation.override("zh-hans"):
        from django.utils.translation import ngettext

        expected = ngettext(
            "%(count)d record is due for disposal",
            "%(count)d records are due for disposal",
            1,
        ) % {"count": 1}
    assert mails["controller@example.com"][0].subject == expected


def test_a_request_waiting_too_long_reminds_the_department_head_once(
    people, work_order
):
    record = factories.record(people["engineer"], record_date=date(2020, 3, 2))
    request = services.disposal_request_create(
        user=people["engineer"], records=[record], method=DisposalMethod.RECYCLE
    )
    # Requested on Monday 2026-11-16; three working days end on Thursday.
    DisposalRequest.objects.filter(pk=request.pk).update(
        requested_at=datetime(2026, 11, 16, 9, tzinfo=ZoneInfo("Asia/Shanghai"))
    )

    run("--date", "2026-11-19")
    assert not [m for m in mail.outbox if "XH-" in m.subject]

    run("--date", "2026-11-20")
    reminders = [m for m in mail.outbox if request.reference in m.subject]
    assert [m.to for m in reminders] == [["tech_manager@example.com"]]

    run("--date", "2026-11-23")
    assert len([m for m in mail.outbox if request.reference in m.subject]) == 1


def test_date_must_be_a_date(people):
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        run("--date", "22.11.2026")
