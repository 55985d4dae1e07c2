"""The full demo files records through the services; --users-only files none.

The full demo takes about half a minute to load, so it is loaded once for the
class (Django's setUpTestData, rolled back after the class).
"""

from __future__ import annotations

from datetime import date
from io import StringIO
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import TestCase
from django.urls import reverse
from django.utils import translation
from wagtail.models import ModelLogEntry

from documents.models import DocumentPage
from records.lifecycle import DisposalStatus, RecordStatus
from records.models import (
    Correction,
    DisposalRequest,
    Record,
    RecordType,
    RetentionTrigger,
)

TODAY = date(2026, 11, 22)

EXPECTED_NUMBERS = {
    "D0901-2026110201",
    "D0901-2026110901",
    "D0901-2026110902",
    "D0901-2026111601",
    "D0901-2026112101",
    "D1001-D0901-2026110901",
    "D0701-2026111201",
    "D0701-2026111701",
    "D0401-2026102801",
    "D0401-2025031401",
    "D0901-2020041601",
    "D0901-2020090301",
    "D0901-2021062101",
    "D0701-2021020801",
    "D0101-2020110501",
    # The audits demo's programme and closed audit (filed by audits.filing).
    "D1301-2026112201",
    "D1302-2026100901",
    "D1304-2026100801",
    "D1305-2026100901",
    "D1306-2026112201",
    # The reviews demo: this year's plan and last year's plan, minutes, report
    # and improvement plan (filed by reviews.filing). Last year's input pack
    # (D1404) is dated by the clock when the pack is confirmed: checked apart.
    "D1401-2026112201",
    "D1401-2026112202",
    "D1402-2026112201",
    "D1403-2025121201",
    "D1405-2026112201",
}


def load_demo(*args: str) -> str:
    out = StringIO()
    with (
        translation.override("en"),
        mock.patch("django.utils.timezone.localdate", lambda *a, **k: TODAY),
    ):
        call_command("load_demo", *args, stdout=out)
    return out.getvalue()


class DemoRecordsTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.output = load_demo()

    def test_the_demo_records_are_numbered_and_bound_to_the_issue_in_force(self):
        numbers = set(Record.objects.values_list("number", flat=True))
        packs = {n for n in numbers if n.startswith("D1404-")}
        assert numbers - packs == EXPECTED_NUMBERS
        assert len(packs) == 1
        assert "Records filed (15)" in self.output
        for record in Record.objects.select_related("form", "form_issue"):
            assert record.form_issue == record.form.issues.effective().get()
        # Every record was filed by the service, which logs it.
        assert (
            ModelLogEntry.objects.filter(action="shoukong.records.create").count() == 26
        )

    def test_filled_forms_carry_their_fields_in_the_issue(self):
        incident = DocumentPage.objects.get(number="D0901")
        schema = incident.issues.effective().get().form_schema
        priority = next(f for f in schema if f["label"] == "优先级")
        assert priority["name"] == "you_xian_ji"
        assert priority["type"] == "dropdown"
        assert priority["choices"].split("\n") == ["高", "中", "低"]
        record = Record.objects.get(number="D0901-2026110901")
        assert record.data["you_xian_ji"] == "高"
        assert record.data["fa_sheng_shi_jian"] == "2026-11-09"
        related = Record.objects.get(number="D1001-D0901-2026110901")
        assert related.related_to == record

    def test_a_form_page_shows_its_fields_and_how_to_fill_it(self):
        self.client.force_login(get_user_model().objects.get(username="staff"))
        body = self.client.get("/documents/D0901/").content.decode()
        assert 'data-testid="form-fields"' in body
        assert "优先级" in body and "发生时间" in body
        fill = reverse("records:fill", args=("D0901",))
        assert f'href="{fill}"' in body

    def test_a_correction_keeps_the_old_value(self):
        correction = Correction.objects.get()
        assert correction.record.number == "D0901-2026111601"
        assert (correction.old_value, correction.new_value) == ("中", "高")
        assert correction.reason
        assert correction.corrected_by.username == "tech_manager"

    def test_training_records_are_confidential_and_wait_for_departures(self):
        training = RecordType.objects.get(form__number="D0401")
        assert training.confidential
        assert training.retention_class.wording == "离职后1年"
        pending = Record.objects.get(number="D0401-2026102801")
        assert pending.confidential
        assert pending.retention_until is None
        left = Record.objects.get(number="D0401-2025031401")
        trigger = RetentionTrigger.objects.get()
        assert left.retention_event_on == trigger.occurred_on == date(2026, 10, 13)
        assert left.retention_until == date(2027, 10, 13)

    def test_the_disposal_queue_and_a_request_for_the_head(self):
        queue = set(Record.objects.disposable(TODAY).values_list("number", flat=True))
        assert queue == {"D0901-2021062101", "D0701-2021020801", "D0101-2020110501"}
        request = DisposalRequest.objects.get()
        assert request.status == DisposalStatus.REQUESTED
        assert request.department.name == "技术部"
        assert {item.number for item in request.item_list} == {
            "D0901-2020041601",
            "D0901-2020090301",
        }
        assert set(
            Record.objects.filter(status=RecordStatus.DISPOSAL_PENDING).values_list(
                "number", flat=True
            )
        ) == {"D0901-2020041601", "D0901-2020090301"}

    def test_loading_again_files_nothing_new(self):
        counts = (
            Record.objects.count(),
            Correction.objects.count(),
            DisposalRequest.objects.count(),
            RetentionTrigger.objects.count(),
        )
        output = load_demo()
        assert "nothing to change" in output
        assert counts == (
            Record.objects.count(),
            Correction.objects.count(),
            DisposalRequest.objects.count(),
            RetentionTrigger.objects.count(),
        )


@pytest.mark.django_db
def test_users_only_files_no_records():
    load_demo("--users-only")
    assert not Record.objects.exists()
    assert not RecordType.objects.exists()
