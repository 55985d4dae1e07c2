"""The reviews demo: the objectives measured over the last year, last year's
review completed with its decisions and filed records, this year's planned
two weeks ahead; a second run changes nothing, and ``--users-only`` loads no
review.

The full demo takes a while to load, so it is loaded once for the class
(Django's setUpTestData, rolled back after the class).
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from io import StringIO

import pytest
from dateutil.relativedelta import relativedelta
from django.core.management import call_command
from django.test import TestCase
from django.utils import translation
from wagtail.models import ModelLogEntry

from compliance.lifecycle import NonconformitySource, NonconformityStatus
from compliance.models import Nonconformity
from documents.lifecycle import ChangeRequestStatus
from documents.models import ChangeRequest
from records.models import Record

from ..demo import PREVIOUS_DAYS_AGO, TITLE_FORMAT, VALUES, Dates
from ..lifecycle import (
    InputStatus,
    MeasureKind,
    OutputKind,
    OutputStatus,
    ReviewRecordKind,
    ReviewStatus,
)
from ..models import (
    Measurement,
    Objective,
    Review,
    ReviewOutput,
    ReviewPack,
    ReviewRecordLink,
)
from ..schedule import schedule_status
from ..services import company_today

SEEDED = {"response-rate", "resolution-rate", "satisfaction"}


def load_demo(*args: str) -> str:
    out = StringIO()
    with translation.override("en"):
        call_command("load_demo", *args, stdout=out)
    return out.getvalue()


def counts() -> tuple[int, ...]:
    return (
        Objective.objects.count(),
        Measurement.objects.count(),
        Review.objects.count(),
        ReviewPack.objects.count(),
        ReviewOutput.objects.count(),
        ReviewRecordLink.objects.count(),
        Nonconformity.objects.count(),
        ChangeRequest.objects.count(),
        Record.objects.count(),
        ModelLogEntry.objects.count(),
    )


class ReviewsDemoTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.output = load_demo()

    def test_last_years_review_is_completed_and_this_years_planned(self):
        today = company_today()
        dates = Dates.from_today(today)
        previous = Review.objects.get(
            title=TITLE_FORMAT.format(year=dates.previous.year)
        )
        current = Review.objects.get(title=TITLE_FORMAT.format(year=dates.current.year))

        # Last year's: held on its planned day, the report frozen and approved
        # by 管理者代表 then 总经理, its records filed for three years.
        assert previous.status == ReviewStatus.COMPLETED
        assert previous.held_on == dates.previous < today
        assert previous.plan_approved_at.date() < previous.held_on
        assert previous.report_approved_at.date() > previous.held_on
        assert previous.suitability and previous.adequacy and previous.effectiveness
        report_signers = list(
            previous.signatures.filter(paper="report")
            .order_by("signed_at")
            .values_list("user__username", flat=True)
        )
        assert report_signers == ["mr", "gm"]
        with previous.report_file.open("rb") as handle:
            assert hashlib.sha256(handle.read()).hexdigest() == previous.report_sha256
        assert previous.minutes_file and previous.minutes_sha256
        assert previous.packs.get().confirmed_by.username == "mr"
        assert set(previous.inputs.values_list("status", flat=True)) == {
            InputStatus.SIGNED
        }
        links = {link.kind: link.record for link in previous.record_links.all()}
        assert set(links) == set(ReviewRecordKind.values)
        assert links[ReviewRecordKind.MINUTES].form.number == "D1403"
        assert links[ReviewRecordKind.INPUTS].form.number == "D1404"
        assert links[ReviewRecordKind.ACTIONS].form.number == "D1405"
        assert links[ReviewRecordKind.REPORT].file_sha256 == previous.report_sha256
        for kind in ("minutes", "inputs", "actions"):
            assert links[kind].retention_class.months == 36
            assert links[kind].department.name == "行政部"

        # Its decisions: the improvement accepted in compliance, the resource
        # decision verified, the manual's re-issue accepted as a change.
        outputs = {o.kind: o for o in previous.outputs.all()}
        assert set(outputs) == {
            OutputKind.IMPROVEMENT,
            OutputKind.RESOURCE,
            OutputKind.DOCUMENT,
        }
        nc = outputs[OutputKind.IMPROVEMENT].nonconformity
        assert nc.source == NonconformitySource.MANAGEMENT_REVIEW
        assert nc.source_reference == outputs[OutputKind.IMPROVEMENT].reference
        assert nc.status == NonconformityStatus.ACCEPTED
        assert nc.due_date >= today
        resource = outputs[OutputKind.RESOURCE]
        assert resource.status == OutputStatus.VERIFIED
        assert previous.held_on < resource.completed_on <= resource.due_date < today
        reissue = outputs[OutputKind.DOCUMENT]
        assert reissue.document.number == "A01"
        assert reissue.change_request.status == ChangeRequestStatus.ACCEPTED

        # This year's: approved and announced, the meeting ahead, some inputs
        # signed and some drafts, the pack compiled with last year's actions.
        assert current.status == ReviewStatus.APPROVED
        assert current.planned_date > today
        assert current.notified_at is not None
        assert current.period_start == previous.period_end + timedelta(days=1)
        statuses = list(current.inputs.values_list("status", flat=True))
        assert InputStatus.SIGNED in statuses and InputStatus.DRAFT in statuses
        pack = current.packs.get()
        assert pack.confirmed_at is None
        assert current.record_links.get().kind == ReviewRecordKind.PLAN

        # The dashboard warns: the next review falls due within 60 days, and
        # this year's is planned before it.
        schedule = schedule_status(today=today)
        assert schedule.last == previous
        assert schedule.level == "warning"
        assert schedule.next_planned == current
        assert not schedule.planned_late

        # The objectives and two indicators measured, with a miss or two.
        objectives = {o.code: o for o in Objective.objects.all()}
        assert SEEDED <= set(objectives)
        indicators = [o for o in objectives.values() if o.kind == MeasureKind.INDICATOR]
        assert len(indicators) == 2
        for code, values in VALUES.items():
            measured = list(objectives[code].measurements.order_by("period_start"))
            assert len(measured) == len(values)
            assert measured[-1].period_end < today
        missed = [
            m
            for m in Measurement.objects.select_related("objective")
            if m.objective.met(m.value) is False
        ]
        assert 1 <= len([m for m in missed if m.objective.code in SEEDED]) <= 4
        assert all(m.note for m in missed)
        assert "Management reviews created (2)" in self.output

    def test_loading_again_changes_nothing(self):
        before = counts()
        output = load_demo()
        assert "nothing to change" in output
        assert counts() == before


@pytest.mark.django_db
def test_users_only_loads_no_review_but_the_objectives_are_there():
    load_demo("--users-only")
    assert not Review.objects.exists()
    assert not Measurement.objects.exists()
    assert set(Objective.objects.values_list("code", flat=True)) == SEEDED


def test_demo_dates_put_the_next_review_within_the_warning():
    # 2026-12-12: 345 days back is in the same year as the meeting ahead.
    for today in (date(2026, 11, 23), date(2026, 12, 12), date(2027, 1, 5)):
        dates = Dates.from_today(today)
        assert dates.previous.year < dates.current.year
        assert dates.previous <= today - timedelta(days=PREVIOUS_DAYS_AGO)
        due = dates.previous + relativedelta(years=1)
        assert today < dates.current < due
        assert 0 < (due - today).days < 60
        months, quarters = dates.months(), dates.quarters()
        assert len(months) == 12 and len(quarters) == 4
        assert months[-1] + relativedelta(months=1) == today.replace(day=1)
        assert quarters[-1] + relativedelta(months=3) <= today
        assert today < quarters[-1] + relativedelta(months=6)
