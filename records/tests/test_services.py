"""records.services: filling, numbering, corrections (划改), retention events,
legal holds, named access and who sees what.

Every refusal is checked for its kind — ``PermissionDenied`` (not for you),
``InvalidTransition`` (not now), ``ValidationError`` (bad input) — and for
leaving nothing half-written; every change for its log entry.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.test import override_settings
from django.utils import timezone, translation
from wagtail.models import ModelLogEntry

from documents import roles
from documents import services as doc_services
from documents.changes import document_withdraw
from documents.models import (
    Department,
    DocumentPage,
    FormFieldDefinition,
    StaffProfile,
)
from documents.tests import factories as doc_factories
from documents.tests.filefactories import make_pdf
from records import permissions, retention, services
from records.lifecycle import RecordStatus
from records.models import Correction, Record, RecordType, RetentionClass
from records.retention import RetentionEvent, RetentionKind, RetentionState

from . import factories

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 22)
EXIT = RetentionEvent.EMPLOYEE_EXIT
_real_localdate = timezone.localdate


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: TODAY)
    return TODAY


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def make_user(username: str, role: str | None, department: str | None, **extra):
    """A user with a role and a department (the role groups exist already:
    ``documents.tests.factories.user`` would run ``roles_ensure`` each time)."""
    user = get_user_model().objects.create_user(
        username=username, password="pw", **extra
    )
    if role:
        user.groups.add(Group.objects.get(name=role))
    if department:
        StaffProfile.objects.create(
            user=user, department=doc_factories.department(department)
        )
    return user


@pytest.fixture
def people(role_groups):
    return SimpleNamespace(
        staff=make_user("staff", roles.STAFF, "技术部"),
        colleague=make_user("colleague", roles.STAFF, "技术部"),
        tech_manager=make_user("tech_manager", roles.DEPARTMENT_MANAGER, "技术部"),
        market_staff=make_user("market_staff", roles.STAFF, "市场部"),
        market_manager=make_user("market_manager", roles.DEPARTMENT_MANAGER, "市场部"),
        controller=make_user("controller", roles.DOCUMENT_CONTROLLER, "行政部"),
        auditor=make_user("auditor", roles.INTERNAL_AUDITOR, "行政部"),
        mr=make_user("mr", roles.MANAGEMENT_REPRESENTATIVE, "管理层"),
        customer=make_user("customer", roles.CUSTOMER_REPRESENTATIVE, None),
        admin=make_user("admin", None, None, is_superuser=True, is_staff=True),
        homeless=make_user("homeless", roles.STAFF, None),
    )


@pytest.fixture
def work_order(db):
    """D0201 运维工作单, effective, five fields, kept 5 years."""
    return factories.form()


def tracking_form() -> DocumentPage:
    return factories.form(
        "D0302",
        "问题跟踪记录",
        fields=({"label": "跟踪情况", "field_type": "multiline", "required": True},),
    )


def review_form() -> DocumentPage:
    return factories.form(
        "D0503",
        "回访记录",
        fields=({"label": "回访结果", "field_type": "singleline", "required": True},),
    )


def training_form(number: str = "D0601") -> DocumentPage:
    """A training record kept until one year after the employee leaves."""
    return factories.form(
        number,
        "培训记录",
        fields=({"label": "培训内容", "field_type": "singleline", "required": True},),
        retention_period="离职后1年",
    )


def free_form(number: str = "D0401") -> DocumentPage:
    """A form released without fields (a self-prepared record, 自行编制)."""
    return factories.form(number, "自行编制记录", fields=None)


def logged(obj, action: str):
    return ModelLogEntry.objects.for_instance(obj).filter(action=action)


def error_keys(excinfo) -> set[str]:
    return set(excinfo.value.message_dict)


def messages_of(excinfo) -> list[str]:
    return list(excinfo.value.messages)


def stored_files() -> set[str]:
    root = Path(settings.SHOUKONG_RECORDS_ROOT)
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def pdf_bytes() -> bytes:
    return make_pdf([["Work order D0201", "scanned copy"]])


# --- Numbering ---------------------------------------------------------------------


def test_numbers_count_per_form_per_day(people, work_order):
    first = factories.record(people.staff)
    second = factories.record(people.staff)
    next_day = factories.record(people.staff, record_date=date(2026, 11, 23))

    assert [first.number, second.number, next_day.number] == [
        "D0201-2026112201",
        "D0201-2026112202",
        "D0201-2026112301",
    ]
    assert [first.day_seq, second.day_seq, next_day.day_seq] == [1, 2, 1]
    assert first.record_date == TODAY
    assert first.related_to is None and first.related_ordinal is None
    assert first.chain_depth == 0
    [entry] = logged(first, "shoukong.records.create")
    assert entry.user_id == people.staff.pk
    assert entry.data["number"] == "D0201-2026112201"
    assert entry.data["form"] == "D0201"
    assert entry.data["issue"] == "A"
    assert entry.data["related_to"] is None


def test_each_form_has_its_own_day_counter(people, work_order):
    free_form("D0202")
    assert factories.record(people.staff).number == "D0201-2026112201"
    other = services.record_create(user=people.staff, form="D0202", data={"内容": "x"})
    assert other.number == "D0202-2026112201"


def test_a_backdated_record_is_numbered_by_its_own_date(people, work_order):
    factories.record(people.staff)
    old = factories.record(people.staff, record_date=date(2025, 3, 1))
    assert old.number == "D0201-2025030101"
    assert old.retention_until == date(2030, 3, 1)


def test_related_records_embed_the_source_number(people, work_order):
    tracking_form()
    source = factories.record(people.staff)
    factories.record(people.staff)  # D0201-2026112202, not the source

    first = services.record_create(
        user=people.staff,
        form="D0302",
        data={"gen_zong_qing_kuang": "已联系用户"},
        related_to=source.number,
    )
    second = services.record_create(
        user=people.staff,
        form="D0302",
        data={"gen_zong_qing_kuang": "已解决"},
        related_to=source,
    )

    assert first.number == "D0302-D0201-2026112201"
    assert second.number == "D0302-02-D0201-2026112201"
    assert (first.related_ordinal, second.related_ordinal) == (1, 2)
    assert first.day_seq is None and second.day_seq is None
    assert first.related_to == source and first.chain_depth == 1
    assert list(source.related_records.order_by("pk")) == [first, second]
    [entry] = logged(first, "shoukong.records.create")
    assert entry.data["related_to"] == "D0201-2026112201"


def test_related_source_is_found_whatever_the_case(people, work_order):
    tracking_form()
    factories.record(people.staff)
    related = services.record_create(
        user=people.staff,
        form="d0302",
        data={"gen_zong_qing_kuang": "x"},
        related_to=" d0201-2026112201 ",
    )
    assert related.number == "D0302-D0201-2026112201"


def test_a_chain_of_related_records(people, work_order):
    tracking_form()
    review_form()
    source = factories.record(people.staff)
    tracking = services.record_create(
        user=people.staff,
        form="D0302",
        data={"gen_zong_qing_kuang": "x"},
        related_to=source,
    )
    tracking_2 = services.record_create(
        user=people.staff,
        form="D0302",
        data={"gen_zong_qing_kuang": "y"},
        related_to=source,
    )

    review = services.record_create(
        user=people.staff,
        form="D0503",
        data={"hui_fang_jie_guo": "满意"},
        related_to=tracking,
    )
    review_2 = services.record_create(
        user=people.staff,
        form="D0503",
        data={"hui_fang_jie_guo": "满意"},
        related_to=tracking,
    )
    review_of_second = services.record_create(
        user=people.staff,
        form="D0503",
        data={"hui_fang_jie_guo": "满意"},
        related_to=tracking_2,
    )

    assert review.number == "D0503-D0302-D0201-2026112201"
    assert review.chain_depth == 2
    assert review_2.number == "D0503-02-D0302-D0201-2026112201"
    assert review_of_second.number == "D0503-D0302-02-D0201-2026112201"
    assert review_of_second.related_ordinal == 1


def test_a_refused_record_uses_no_number(people, work_order):
    tracking_form()
    with pytest.raises(ValidationError):
        factories.record(people.staff, data=factories.work_order_data(you_xian_ji="?"))
    with pytest.raises(ValidationError):
        factories.record(people.staff, related_to="D0201-2026112299")
    first = factories.record(people.staff)
    assert first.number == "D0201-2026112201"

    with pytest.raises(ValidationError):
        services.record_create(
            user=people.staff, form="D0302", data={}, related_to=first
        )
    related = services.record_create(
        user=people.staff,
        form="D0302",
        data={"gen_zong_qing_kuang": "x"},
        related_to=first,
    )
    assert related.number == "D0302-D0201-2026112201"
    assert Record.objects.count() == 2


def test_the_number_carries_the_company_date(people, work_order, monkeypatch):
    """17:30 UTC on 22 November is 01:30 on the 23rd in Shanghai."""
    monkeypatch.setattr("django.utils.timezone.localdate", _real_localdate)
    instant = datetime(2026, 11, 22, 17, 30, tzinfo=UTC)
    monkeypatch.setattr("django.utils.timezone.now", lambda: instant)
    with override_settings(TIME_ZONE="UTC", SHOUKONG_COMPANY_TIME_ZONE="Asia/Shanghai"):
        assert services.company_today() == date(2026, 11, 23)
        record = factories.record(people.staff)
    assert record.number == "D0201-2026112301"
    assert record.record_date == date(2026, 11, 23)


# --- The form and its issue in force -----------------------------------------------


def test_a_record_is_bound_to_the_issue_in_force(people, work_order):
    issue_a = work_order.issues.effective().get()
    before = factories.record(people.staff)
    assert before.form_issue == issue_a
    assert [f["name"] for f in before.schema] == [
        "bao_gao_ren",
        "gu_zhang_miao_shu",
        "you_xian_ji",
        "chu_li_shi_zhang_xiao_shi",
        "wan_cheng_ri_qi",
    ]

    # Issue B adds a field.
    page = DocumentPage.objects.get(pk=work_order.pk).specific
    page.form_fields = [
        FormFieldDefinition(**spec) for spec in factories.WORK_ORDER_FIELDS
    ] + [FormFieldDefinition(label="备注", field_type="singleline", required=False)]
    page.save()
    page.save_revision(log_action=False)
    doc_services.issue_create(user=None, document=page, publish_date=date(2026, 11, 1))
    issue_b = work_order.issues.effective().get()
    assert issue_b.label == "B"

    after = factories.record(
        people.staff, data=factories.work_order_data(bei_zhu="新字段")
    )
    assert after.form_issue == issue_b
    assert after.data["bei_zhu"] == "新字段"
    before.refresh_from_db()
    assert before.form_issue == issue_a
    assert "bei_zhu" not in {f["name"] for f in before.schema}
    # The old record is corrected against the fields it was filled with.
    with pytest.raises(ValidationError) as excinfo:
        services.record_correct(
            user=people.staff, record=before, field="bei_zhu", value="x", reason="r"
        )
    assert error_keys(excinfo) == {"field"}


def test_a_form_never_issued_cannot_be_filled(people, db):
    factories.form("D0202", issue=False)
    with pytest.raises(ValidationError) as excinfo:
        services.record_create(
            user=people.staff, form="D0202", data=factories.work_order_data()
        )
    assert error_keys(excinfo) == {"form"}
    assert "not in force" in messages_of(excinfo)[0]
    assert not Record.objects.exists()
    assert not RecordType.objects.filter(form__number="D0202").exists()


def test_a_withdrawn_form_cannot_be_filled(people, work_order):
    kept = factories.record(people.staff)
    document_withdraw(user=None, document=work_order)
    with pytest.raises(ValidationError) as excinfo:
        factories.record(people.staff)
    assert error_keys(excinfo) == {"form"}
    # Records already filled stay, bound to the issue they were filled to.
    kept.refresh_from_db()
    assert kept.status == RecordStatus.ACTIVE
    assert Record.objects.count() == 1


def test_a_document_that_is_not_a_form_cannot_be_filled(people, work_order):
    with pytest.raises(ValidationError) as excinfo:
        services.record_create(user=people.staff, form="B02", data={"x": "y"})
    assert error_keys(excinfo) == {"form"}
    assert messages_of(excinfo) == ["B02 is not a form."]


@pytest.mark.parametrize("number", ["D9999", "", "not a number"])
def test_an_unknown_form_number_is_refused(people, work_order, number):
    with pytest.raises(ValidationError) as excinfo:
        services.record_create(user=people.staff, form=number, data={"x": "y"})
    assert error_keys(excinfo) == {"form"}
    assert not Record.objects.exists()


def test_form_resolve_accepts_any_case(work_order):
    assert services.form_resolve("d0201").pk == work_order.pk
    assert services.form_resolve(work_order).pk == work_order.pk


# --- Field rules -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"bao_gao_ren": ""}, "bao_gao_ren"),
        ({"gu_zhang_miao_shu": None}, "gu_zhang_miao_shu"),
        ({"you_xian_ji": "紧急"}, "you_xian_ji"),
        ({"chu_li_shi_zhang_xiao_shi": "两小时"}, "chu_li_shi_zhang_xiao_shi"),
        ({"wan_cheng_ri_qi": "下周一"}, "wan_cheng_ri_qi"),
        ({"wan_cheng_ri_qi": "2026-02-30"}, "wan_cheng_ri_qi"),
    ],
)
def test_values_that_break_the_field_rules_are_refused(
    people, work_order, overrides, field
):
    with pytest.raises(ValidationError) as excinfo:
        factories.record(people.staff, data=factories.work_order_data(**overrides))
    assert error_keys(excinfo) == {field}
    assert not Record.objects.exists()


def test_a_missing_required_field_is_refused(people, work_order):
    data = factories.work_order_data()
    del data["bao_gao_ren"]
    with pytest.raises(ValidationError) as excinfo:
        factories.record(people.staff, data=data)
    assert error_keys(excinfo) == {"bao_gao_ren"}


def test_unknown_field_names_are_refused_not_dropped(people, work_order):
    with pytest.raises(ValidationError) as excinfo:
        factories.record(
            people.staff, data=factories.work_order_data(hacker="x", zzz="y")
        )
    assert error_keys(excinfo) == {NON_FIELD_ERRORS}
    assert "hacker, zzz" in messages_of(excinfo)[0]
    assert not Record.objects.exists()


def test_values_are_stored_by_name_and_may_be_given_by_label(people, work_order):
    record = factories.record(
        people.staff,
        data={
            "报告人": "李四",
            "故障描述": "网络中断",
            "优先级": "高",
            "处理时长（小时）": 2.5,
            "完成日期": "2026-11-21",
        },
    )
    assert record.data == {
        "bao_gao_ren": "李四",
        "gu_zhang_miao_shu": "网络中断",
        "you_xian_ji": "高",
        "chu_li_shi_zhang_xiao_shi": "2.5",
        "wan_cheng_ri_qi": "2026-11-21",
    }


def test_a_whole_number_is_stored_without_decimals(people, work_order):
    record = factories.record(
        people.staff, data=factories.work_order_data(chu_li_shi_zhang_xiao_shi=3)
    )
    assert record.data["chu_li_shi_zhang_xiao_shi"] == "3"


def test_a_form_without_fields_accepts_free_values(people, work_order):
    free_form()
    record = services.record_create(
        user=people.staff, form="D0401", data={"检查项": "机房温度", "结果": "正常"}
    )
    assert record.number == "D0401-2026112201"
    assert record.data == {"检查项": "机房温度", "结果": "正常"}
    assert [f["name"] for f in record.schema] == ["检查项", "结果"]
    assert all(f["type"] == "multiline" for f in record.schema)


@pytest.mark.parametrize("data", [None, {}, {"检查项": ""}, {"检查项": "  "}])
def test_a_record_with_neither_values_nor_file_is_refused(people, work_order, data):
    free_form()
    with pytest.raises(ValidationError) as excinfo:
        services.record_create(user=people.staff, form="D0401", data=data)
    assert error_keys(excinfo) == {"file"}
    assert not Record.objects.exists()


def test_a_form_without_fields_may_be_filled_with_a_file_only(people, work_order):
    free_form()
    content = pdf_bytes()
    record = services.record_create(
        user=people.staff, form="D0401", upload=(content, "巡检表.pdf")
    )
    assert record.data == {}
    assert record.file_sha256 == hashlib.sha256(content).hexdigest()


# --- Record date -------------------------------------------------------------------


def test_a_record_may_be_dated_up_to_the_limit_ahead(people, work_order):
    ahead = TODAY + timedelta(days=settings.SHOUKONG_RECORD_MAX_DAYS_AHEAD)
    assert factories.record(people.staff, record_date=ahead).record_date == ahead


def test_a_record_dated_too_far_ahead_is_refused(people, work_order):
    too_far = TODAY + timedelta(days=settings.SHOUKONG_RECORD_MAX_DAYS_AHEAD + 1)
    with pytest.raises(ValidationError) as excinfo:
        factories.record(people.staff, record_date=too_far)
    assert error_keys(excinfo) == {"date"}
    assert not Record.objects.exists()


@override_settings(SHOUKONG_RECORD_MAX_DAYS_AHEAD=0)
def test_the_limit_ahead_is_a_setting(people, work_order):
    with pytest.raises(ValidationError):
        factories.record(people.staff, record_date=TODAY + timedelta(days=1))
    assert factories.record(people.staff, record_date=TODAY).record_date == TODAY


def test_past_dates_are_allowed(people, work_order):
    record = factories.record(people.staff, record_date=date(2019, 6, 30))
    assert record.number == "D0201-2019063001"


# --- Who may fill ------------------------------------------------------------------


def test_staff_fill_for_their_own_department_only(people, work_order):
    market = Department.objects.get(name="市场部")
    with pytest.raises(PermissionDenied):
        factories.record(people.staff, department=market)
    own = factories.record(people.staff)
    assert own.department.name == "技术部"
    assert own.created_by == people.staff
    assert own.created_by_name == "staff"


def test_document_control_fills_for_any_department(people, work_order):
    tech = Department.objects.get(name="技术部")
    record = factories.record(people.controller, department=tech)
    assert record.department == tech


def test_a_customer_representative_cannot_fill(people, work_order):
    StaffProfile.objects.create(
        user=people.customer, department=Department.objects.get(name="技术部")
    )
    people.customer.refresh_from_db()
    with pytest.raises(PermissionDenied):
        factories.record(people.customer)
    assert not Record.objects.exists()


def test_someone_without_a_department_is_told_so(people, work_order):
    with pytest.raises(ValidationError) as excinfo:
        factories.record(people.homeless)
    assert error_keys(excinfo) == {"department"}


# --- Uploads -----------------------------------------------------------------------


def test_a_pdf_is_stored_on_the_records_storage_with_its_digest(people, work_order):
    content = pdf_bytes()
    record = factories.record(people.staff, upload=(content, "工作单扫描件.pdf"))

    assert record.file_name == "工作单扫描件.pdf"
    assert record.file_size == len(content)
    assert record.file_sha256 == hashlib.sha256(content).hexdigest()
    assert record.file_content_type == "application/pdf"
    assert record.file.name.startswith("2026/D0201-2026112201/")
    path = Path(record.file.path)
    assert path.is_relative_to(Path(settings.SHOUKONG_RECORDS_ROOT))
    assert not path.is_relative_to(Path(settings.MEDIA_ROOT))
    assert path.read_bytes() == content
    with record.file.open("rb") as handle:
        assert handle.read() == content


@pytest.mark.parametrize(
    ("content", "filename"),
    [
        (b"MZ\x90\x00" + b"\x00" * 200, "扫描件.pdf"),
        (b"<html><script>alert(1)</script></html>", "扫描件.pdf"),
        (b"%PDF-1.7 not really", "扫描件.exe"),
        (b"", "扫描件.pdf"),
    ],
    ids=["exe-as-pdf", "html-as-pdf", "exe-extension", "empty"],
)
def test_a_disguised_or_unsupported_file_is_refused_with_nothing_written(
    people, work_order, content, filename
):
    before = stored_files()
    with pytest.raises(ValidationError) as excinfo:
        factories.record(people.staff, upload=(content, filename))
    assert error_keys(excinfo) == {"file"}
    assert not Record.objects.exists()
    assert stored_files() == before


def test_an_oversized_file_is_refused(people, work_order):
    content = pdf_bytes()
    before = stored_files()
    with override_settings(SHOUKONG_RECORD_MAX_UPLOAD_BYTES=len(content) - 1):
        with pytest.raises(ValidationError) as excinfo:
            factories.record(people.staff, upload=(content, "scan.pdf"))
    assert error_keys(excinfo) == {"file"}
    assert "larger than" in messages_of(excinfo)[0]
    assert not Record.objects.exists()
    assert stored_files() == before
    with override_settings(SHOUKONG_RECORD_MAX_UPLOAD_BYTES=len(content)):
        assert factories.record(people.staff, upload=(content, "scan.pdf")).file


def test_a_valid_file_with_invalid_values_leaves_nothing(people, work_order):
    before = stored_files()
    with pytest.raises(ValidationError):
        factories.record(
            people.staff,
            data=factories.work_order_data(you_xian_ji="?"),
            upload=(pdf_bytes(), "scan.pdf"),
        )
    assert stored_files() == before
    assert not Record.objects.exists()


def test_the_file_goes_when_the_row_cannot_be_written(people, work_order, monkeypatch):
    def broken_log(**kwargs):
        raise RuntimeError("log failed")

    before = stored_files()
    monkeypatch.setattr(services, "log", broken_log)
    with pytest.raises(RuntimeError):
        factories.record(people.staff, upload=(pdf_bytes(), "scan.pdf"))
    assert stored_files() == before
    assert not Record.objects.exists()


# --- Related records you cannot see ------------------------------------------------


def test_a_source_you_cannot_see_is_reported_as_missing(people, work_order):
    tracking_form()
    hidden = factories.record(people.market_staff)
    assert hidden.number == "D0201-2026112201"

    with pytest.raises(ValidationError) as invisible:
        services.record_create(
            user=people.staff,
            form="D0302",
            data={"gen_zong_qing_kuang": "x"},
            related_to=hidden.number,
        )
    with pytest.raises(ValidationError) as as_instance:
        services.record_create(
            user=people.staff,
            form="D0302",
            data={"gen_zong_qing_kuang": "x"},
            related_to=hidden,
        )
    hidden.delete()  # as if it had never existed (test only)
    with pytest.raises(ValidationError) as missing:
        services.record_create(
            user=people.staff,
            form="D0302",
            data={"gen_zong_qing_kuang": "x"},
            related_to="D0201-2026112201",
        )
    assert invisible.value.message_dict == missing.value.message_dict
    assert as_instance.value.message_dict == missing.value.message_dict
    assert missing.value.message_dict == {
        "related_to": ["There is no record numbered “D0201-2026112201”."]
    }


def test_record_lookup_does_not_disclose_what_you_cannot_see(people, work_order):
    record = factories.record(people.market_staff)
    assert services.record_lookup("d0201-2026112201") == record
    assert services.record_lookup(record.number, user=people.market_staff) == record
    with pytest.raises(Record.DoesNotExist):
        services.record_lookup(record.number, user=people.staff)
    with pytest.raises(Record.DoesNotExist):
        services.record_lookup("D0201-2099010101", user=people.staff)


# --- Corrections (划改) -------------------------------------------------------------


def test_a_correction_keeps_old_and_new_value_with_reason_and_corrector(
    people, work_order
):
    record = factories.record(people.staff)
    original = dict(record.data)

    correction = services.record_correct(
        user=people.colleague,
        record=record,
        field="gu_zhang_miao_shu",
        value="打印机卡纸",
        reason="  描述写错  ",
    )

    correction.refresh_from_db()
    assert correction.field_name == "gu_zhang_miao_shu"
    assert correction.field_label == "故障描述"
    assert correction.old_value == "打印机无法打印"
    assert correction.new_value == "打印机卡纸"
    assert correction.reason == "描述写错"
    assert correction.corrected_by == people.colleague
    assert correction.corrected_by_name == "colleague"
    assert correction.corrected_at is not None
    record.refresh_from_db()
    assert record.data == original
    assert record.current_values()["gu_zhang_miao_shu"] == "打印机卡纸"
    [entry] = logged(record, "shoukong.records.correct")
    assert entry.user_id == people.colleague.pk
    assert entry.data["field"] == "gu_zhang_miao_shu"
    assert entry.data["reason"] == "描述写错"


def test_a_second_correction_strikes_the_first(people, work_order):
    record = factories.record(people.staff)
    services.record_correct(
        user=people.staff, record=record, field="you_xian_ji", value="高", reason="a"
    )
    second = services.record_correct(
        user=people.controller,
        record=record,
        field="you_xian_ji",
        value="低",
        reason="b",
    )
    assert (second.old_value, second.new_value) == ("高", "低")
    assert record.current_values()["you_xian_ji"] == "低"
    assert record.corrections.count() == 2
    assert Record.objects.get(pk=record.pk).data["you_xian_ji"] == "中"


def test_a_correction_is_cleaned_like_the_form(people, work_order):
    record = factories.record(people.staff)
    hours = services.record_correct(
        user=people.staff,
        record=record,
        field="chu_li_shi_zhang_xiao_shi",
        value=" 1.5 ",
        reason="补填",
    )
    assert (hours.old_value, hours.new_value) == (None, "1.5")
    day = services.record_correct(
        user=people.staff,
        record=record,
        field="wan_cheng_ri_qi",
        value="2026-11-21",
        reason="补填",
    )
    assert day.new_value == "2026-11-21"


def test_a_correction_to_the_same_value_is_refused(people, work_order):
    record = factories.record(people.staff)
    with pytest.raises(ValidationError) as excinfo:
        services.record_correct(
            user=people.staff,
            record=record,
            field="you_xian_ji",
            value="中",
            reason="x",
        )
    assert error_keys(excinfo) == {"value"}
    assert not Correction.objects.exists()


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_a_correction_needs_a_reason(people, work_order, reason):
    record = factories.record(people.staff)
    with pytest.raises(ValidationError) as excinfo:
        services.record_correct(
            user=people.staff,
            record=record,
            field="you_xian_ji",
            value="高",
            reason=reason,
        )
    assert error_keys(excinfo) == {"reason"}
    assert not Correction.objects.exists()


def test_a_field_to_correct_may_be_named_by_its_label(people, work_order):
    record = factories.record(people.staff)
    correction = services.record_correct(
        user=people.staff, record=record, field="优先级", value="高", reason="x"
    )
    assert correction.field_name == "you_xian_ji"
    assert correction.field_label == "优先级"
    assert record.current_values()["you_xian_ji"] == "高"


@pytest.mark.parametrize("field", ["no_such_field", "故障等级", ""])
def test_a_correction_to_an_unknown_field_is_refused(people, work_order, field):
    record = factories.record(people.staff)
    with pytest.raises(ValidationError) as excinfo:
        services.record_correct(
            user=people.staff, record=record, field=field, value="高", reason="x"
        )
    assert error_keys(excinfo) == {"field"}
    assert not Correction.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("you_xian_ji", "紧急"),
        ("bao_gao_ren", ""),
        ("chu_li_shi_zhang_xiao_shi", "abc"),
        ("wan_cheng_ri_qi", "昨天"),
    ],
)
def test_an_invalid_new_value_is_refused(people, work_order, field, value):
    record = factories.record(people.staff)
    with pytest.raises(ValidationError) as excinfo:
        services.record_correct(
            user=people.staff, record=record, field=field, value=value, reason="x"
        )
    assert error_keys(excinfo) == {field}
    assert not Correction.objects.exists()


def test_a_record_under_legal_hold_cannot_be_corrected(people, work_order):
    record = factories.record(people.staff)
    services.record_hold_place(user=people.controller, record=record, reason="诉讼")
    with pytest.raises(ValidationError):
        services.record_correct(
            user=people.staff,
            record=record,
            field="you_xian_ji",
            value="高",
            reason="x",
        )
    assert not Correction.objects.exists()


@pytest.mark.parametrize("who", ["market_staff", "market_manager", "customer"])
def test_another_department_cannot_correct(people, work_order, who):
    record = factories.record(people.staff)
    services.record_access_grant(
        user=people.controller, record=record, grantee=people.customer
    )
    with pytest.raises(PermissionDenied):
        services.record_correct(
            user=getattr(people, who),
            record=record,
            field="you_xian_ji",
            value="高",
            reason="x",
        )
    assert not Correction.objects.exists()


def test_document_control_and_the_auditor(people, work_order):
    """文控 corrects any record it reads; an auditor reads but does not correct."""
    record = factories.record(people.staff)
    services.record_correct(
        user=people.controller,
        record=record,
        field="you_xian_ji",
        value="高",
        reason="x",
    )
    with pytest.raises(PermissionDenied):
        services.record_correct(
            user=people.auditor,
            record=record,
            field="you_xian_ji",
            value="低",
            reason="x",
        )


# --- Retention ---------------------------------------------------------------------


def test_fixed_retention_runs_from_the_record_date(people, work_order):
    record = factories.record(people.staff)
    assert record.retention_class.rule == retention.parse("5年")
    assert record.retention_until == date(2031, 11, 22)
    assert record.retention_event_on is None
    assert record.retention_state == RetentionState.RUNNING


def test_permanent_retention_has_no_end(people, db):
    factories.form("D0701", "管理评审记录", fields=None, retention_period="永久")
    record = services.record_create(
        user=people.staff, form="D0701", data={"结论": "有效"}
    )
    assert record.retention_class.kind == RetentionKind.PERMANENT
    assert record.retention_until is None
    assert record.retention_state == RetentionState.PERMANENT


def test_event_retention_needs_a_subject(people, db):
    training_form()
    with pytest.raises(ValidationError) as excinfo:
        services.record_create(
            user=people.staff, form="D0601", data={"pei_xun_nei_rong": "ITIL"}
        )
    assert error_keys(excinfo) == {"retention_subject"}
    assert not Record.objects.exists()


def test_event_retention_waits_for_the_event_then_counts_from_it(people, db):
    training_form()

    def train(subject: str) -> Record:
        return services.record_create(
            user=people.staff,
            form="D0601",
            data={"pei_xun_nei_rong": "ITIL"},
            retention_subject=subject,
        )

    li_1, li_2, wang = train("李四"), train(" 李四 "), train("王五")
    for record in (li_1, li_2, wang):
        assert record.retention_until is None
        assert record.retention_event_on is None
        assert record.retention_state == RetentionState.PENDING_EVENT
    assert li_2.retention_subject == "李四"

    trigger = services.retention_event_record(
        user=people.tech_manager,
        event=EXIT,
        subject="李四",
        occurred_on=date(2026, 10, 31),
        note="离职手续已办",
    )

    for record in (li_1, li_2):
        record.refresh_from_db()
        assert record.retention_event_on == date(2026, 10, 31)
        assert record.retention_until == date(2027, 10, 31)
        assert record.retention_state == RetentionState.RUNNING
    wang.refresh_from_db()
    assert wang.retention_until is None and wang.retention_event_on is None
    [entry] = logged(trigger, "shoukong.records.retention_event")
    assert entry.data["records"] == 2
    assert entry.data["subject"] == "李四"

    # Entered again with the same date: nothing changes, no second event.
    again = services.retention_event_record(
        user=people.controller,
        event=EXIT,
        subject="李四",
        occurred_on=date(2026, 10, 31),
    )
    assert again.pk == trigger.pk
    assert logged(trigger, "shoukong.records.retention_event").count() == 1

    # A different date is refused; the first one stands.
    with pytest.raises(ValidationError):
        services.retention_event_record(
            user=people.controller,
            event=EXIT,
            subject="李四",
            occurred_on=date(2026, 11, 1),
        )
    li_1.refresh_from_db()
    assert li_1.retention_until == date(2027, 10, 31)

    # A training record filled after the departure is dated at once.
    late = train("李四")
    assert late.retention_event_on == date(2026, 10, 31)
    assert late.retention_until == date(2027, 10, 31)


def test_an_event_of_another_kind_does_not_end_retention(people, db):
    training_form()
    record = services.record_create(
        user=people.staff,
        form="D0601",
        data={"pei_xun_nei_rong": "ITIL"},
        retention_subject="服务器A",
    )
    services.retention_event_record(
        user=people.controller,
        event=RetentionEvent.EQUIPMENT_SCRAPPED,
        subject="服务器A",
        occurred_on=date(2026, 1, 1),
    )
    record.refresh_from_db()
    assert record.retention_until is None


def test_a_future_event_date_is_refused(people, db):
    with pytest.raises(ValidationError) as excinfo:
        services.retention_event_record(
            user=people.controller,
            event=EXIT,
            subject="李四",
            occurred_on=TODAY + timedelta(days=1),
        )
    assert error_keys(excinfo) == {"occurred_on"}


@pytest.mark.parametrize(
    ("event", "subject", "key"),
    [("holiday", "李四", "event"), (EXIT, "   ", "subject")],
)
def test_an_event_needs_a_known_kind_and_a_subject(people, db, event, subject, key):
    with pytest.raises(ValidationError) as excinfo:
        services.retention_event_record(
            user=people.controller, event=event, subject=subject, occurred_on=TODAY
        )
    assert error_keys(excinfo) == {key}


@pytest.mark.parametrize("who", ["staff", "auditor", "customer"])
def test_only_document_control_or_a_manager_enters_events(people, db, who):
    with pytest.raises(PermissionDenied):
        services.retention_event_record(
            user=getattr(people, who), event=EXIT, subject="李四", occurred_on=TODAY
        )


# --- The records list (记录清单) ------------------------------------------------------


@pytest.mark.parametrize(
    ("wording", "kind", "months", "event"),
    [
        ("3年", RetentionKind.FIXED, 36, ""),
        ("永久", RetentionKind.PERMANENT, 0, ""),
        ("离职后1年", RetentionKind.EVENT, 12, RetentionEvent.EMPLOYEE_EXIT),
        ("报废后1年", RetentionKind.EVENT, 12, RetentionEvent.EQUIPMENT_SCRAPPED),
        ("停产后1年", RetentionKind.EVENT, 12, RetentionEvent.PRODUCT_DISCONTINUED),
        ("按合同约定", RetentionKind.FIXED, 60, ""),  # unreadable: the default
        ("", RetentionKind.FIXED, 60, ""),
        ("长期", RetentionKind.FIXED, 60, ""),
    ],
)
def test_record_type_ensure_reads_the_register_wording(
    db, wording, kind, months, event
):
    page = factories.form("D0801", fields=None, retention_period=wording)
    record_type = services.record_type_ensure(form=page)
    assert record_type.retention_class.rule == retention.RetentionRule(
        kind, months, event
    )
    assert services.record_type_ensure(form=page) == record_type
    assert RecordType.objects.filter(form=page).count() == 1
    [entry] = logged(record_type, "shoukong.records.type_create")
    assert entry.data["form"] == "D0801"


@override_settings(SHOUKONG_RECORDS_DEFAULT_RETENTION="永久")
def test_the_default_retention_is_a_setting(db):
    page = factories.form("D0801", fields=None, retention_period="???")
    assert (
        services.record_type_ensure(form=page).retention_class.kind
        == RetentionKind.PERMANENT
    )


def test_a_retention_class_is_shared_not_duplicated(db):
    first = factories.form("D0801", fields=None, retention_period="3年")
    second = factories.form("D0802", fields=None, retention_period="三年")
    assert (
        services.record_type_ensure(form=first).retention_class
        == services.record_type_ensure(form=second).retention_class
    )


def test_record_type_update_applies_to_new_records_only(people, work_order):
    kept = factories.record(people.staff)
    record_type = RecordType.objects.get(form=work_order)
    permanent = services.retention_class_for(retention.parse("永久"))
    market = Department.objects.get(name="市场部")

    services.record_type_update(
        user=people.controller,
        record_type=record_type,
        retention_class=permanent,
        custodian=market,
        confidential=True,
        storage_location="档案室 2 号柜",
    )

    record_type.refresh_from_db()
    assert record_type.retention_class == permanent
    assert record_type.custodian == market
    assert record_type.confidential
    assert record_type.storage_location == "档案室 2 号柜"
    kept.refresh_from_db()
    assert kept.retention_class.rule == retention.parse("5年")
    assert kept.retention_until == date(2031, 11, 22)
    assert not kept.confidential
    new = factories.record(people.staff)
    assert new.retention_class == permanent
    assert new.retention_until is None
    assert new.confidential
    [entry] = logged(record_type, "shoukong.records.type_update")
    assert entry.data["before"] == {"retention": "5年", "confidential": False}
    assert entry.data["after"] == {"retention": "永久", "confidential": True}


@pytest.mark.parametrize("who", ["staff", "tech_manager", "auditor", "mr"])
def test_only_document_control_updates_the_records_list(people, work_order, who):
    factories.record(people.staff)
    record_type = RecordType.objects.get(form=work_order)
    with pytest.raises(PermissionDenied):
        services.record_type_update(
            user=getattr(people, who),
            record_type=record_type,
            retention_class=services.retention_class_for(retention.parse("永久")),
        )
    record_type.refresh_from_db()
    assert record_type.retention_class.wording == "5年"


# --- Legal holds -------------------------------------------------------------------


@pytest.mark.parametrize("who", ["controller", "mr", "admin"])
def test_a_hold_is_placed_and_lifted_with_reasons(people, work_order, who):
    record = factories.record(people.staff)
    user = getattr(people, who)

    services.record_hold_place(user=user, record=record, reason=" 合同纠纷 ")
    record.refresh_from_db()
    assert record.legal_hold
    assert record.legal_hold_reason == "合同纠纷"
    [entry] = logged(record, "shoukong.records.hold")
    assert entry.data["reason"] == "合同纠纷" and entry.user_id == user.pk

    services.record_hold_release(user=user, record=record, reason="纠纷已结案")
    record.refresh_from_db()
    assert not record.legal_hold
    assert record.legal_hold_reason == ""
    [entry] = logged(record, "shoukong.records.hold_release")
    assert entry.data["reason"] == "纠纷已结案"


@pytest.mark.parametrize("who", ["staff", "tech_manager", "auditor", "customer"])
def test_only_document_control_or_the_representative_hold(people, work_order, who):
    record = factories.record(people.staff)
    with pytest.raises(PermissionDenied):
        services.record_hold_place(user=getattr(people, who), record=record, reason="x")
    services.record_hold_place(user=people.controller, record=record, reason="x")
    with pytest.raises(PermissionDenied):
        services.record_hold_release(
            user=getattr(people, who), record=record, reason="x"
        )
    record.refresh_from_db()
    assert record.legal_hold


def test_hold_refusals(people, work_order):
    record = factories.record(people.staff)
    with pytest.raises(ValidationError) as excinfo:
        services.record_hold_place(user=people.controller, record=record, reason=" ")
    assert error_keys(excinfo) == {"reason"}
    with pytest.raises(ValidationError):
        services.record_hold_release(user=people.controller, record=record, reason="x")
    services.record_hold_place(user=people.controller, record=record, reason="x")
    with pytest.raises(ValidationError):
        services.record_hold_place(user=people.mr, record=record, reason="y")
    with pytest.raises(ValidationError) as excinfo:
        services.record_hold_release(user=people.controller, record=record, reason="")
    assert error_keys(excinfo) == {"reason"}
    record.refresh_from_db()
    assert record.legal_hold and record.legal_hold_reason == "x"


# --- Access and visibility ---------------------------------------------------------


def visible(user) -> set[str]:
    return set(Record.objects.visible_to(user).values_list("number", flat=True))


def test_access_is_granted_and_revoked_by_name(people, work_order):
    record = factories.record(people.staff)
    assert visible(people.customer) == set()
    assert not permissions.can_view(people.customer, record)

    services.record_access_grant(
        user=people.tech_manager, record=record, grantee=people.customer
    )
    assert visible(people.customer) == {record.number}
    assert permissions.can_view(people.customer, record)
    assert list(services.users_named_on(record)) == [people.customer]
    [entry] = logged(record, "shoukong.records.access_grant")
    assert entry.data["grantee"] == "customer"

    services.record_access_revoke(
        user=people.controller, record=record, grantee=people.customer
    )
    assert visible(people.customer) == set()
    assert not permissions.can_view(people.customer, record)
    assert not services.users_named_on(record).exists()
    [entry] = logged(record, "shoukong.records.access_revoke")
    assert entry.user_id == people.controller.pk


def test_a_customer_representative_sees_only_what_is_named(people, work_order):
    """Even with a department, a customer representative reads only the records
    named to them."""
    StaffProfile.objects.create(
        user=people.customer, department=Department.objects.get(name="技术部")
    )
    people.customer.refresh_from_db()
    first = factories.record(people.staff)
    second = factories.record(people.staff)
    services.record_access_grant(
        user=people.controller, record=second, grantee=people.customer
    )
    assert visible(people.customer) == {second.number}
    assert not permissions.can_view(people.customer, first)
    assert permissions.can_view(people.customer, second)


@pytest.mark.parametrize("who", ["staff", "market_manager", "auditor", "customer"])
def test_only_document_control_or_the_head_grants(people, work_order, who):
    record = factories.record(people.staff)
    with pytest.raises(PermissionDenied):
        services.record_access_grant(
            user=getattr(people, who), record=record, grantee=people.customer
        )
    services.record_access_grant(
        user=people.controller, record=record, grantee=people.customer
    )
    with pytest.raises(PermissionDenied):
        services.record_access_revoke(
            user=getattr(people, who), record=record, grantee=people.customer
        )
    assert permissions.can_view(people.customer, record)


def test_access_goes_to_an_active_user(people, work_order):
    record = factories.record(people.staff)
    people.customer.is_active = False
    people.customer.save()
    with pytest.raises(ValidationError) as excinfo:
        services.record_access_grant(
            user=people.controller, record=record, grantee=people.customer
        )
    assert error_keys(excinfo) == {"grantee"}
    with pytest.raises(ValidationError):
        services.record_access_grant(
            user=people.controller, record=record, grantee=None
        )


def confidential_records(people, work_order) -> SimpleNamespace:
    """An ordinary and a confidential record of 技术部 and one of 市场部."""
    ordinary = factories.record(people.staff)
    market = factories.record(people.market_staff)
    services.record_type_update(
        user=people.controller,
        record_type=RecordType.objects.get(form=work_order),
        retention_class=services.retention_class_for(retention.parse("5年")),
        confidential=True,
    )
    secret = factories.record(people.staff)
    assert secret.confidential and not ordinary.confidential
    return SimpleNamespace(ordinary=ordinary, market=market, secret=secret)


def test_who_sees_what(people, work_order):
    r = confidential_records(people, work_order)
    everything = {r.ordinary.number, r.market.number, r.secret.number}
    expected = {
        "staff": {r.ordinary.number, r.secret.number},
        "tech_manager": {r.ordinary.number, r.secret.number},
        "market_staff": {r.market.number},
        "controller": {r.ordinary.number, r.market.number},
        "auditor": {r.ordinary.number, r.market.number},
        "mr": set(),
        "customer": set(),
        "homeless": set(),
        "admin": everything,
    }
    for who, numbers in expected.items():
        assert visible(getattr(people, who)) == numbers, who


def test_a_named_reader_sees_a_confidential_record(people, work_order):
    r = confidential_records(people, work_order)
    assert not permissions.can_view(people.controller, r.secret)
    services.record_access_grant(
        user=people.tech_manager, record=r.secret, grantee=people.auditor
    )
    assert permissions.can_view(people.auditor, r.secret)
    assert r.secret.number in visible(people.auditor)
    assert r.secret.number not in visible(people.controller)


def test_an_inactive_user_sees_nothing(people, work_order):
    factories.record(people.staff)
    people.staff.is_active = False
    people.staff.save()
    assert visible(people.staff) == set()


def test_the_filter_and_can_view_agree(people, work_order):
    """The list (visible_to) and the record page (can_view) never disagree."""
    r = confidential_records(people, work_order)
    services.record_access_grant(
        user=people.controller, record=r.market, grantee=people.customer
    )
    services.record_access_grant(
        user=people.controller, record=r.secret, grantee=people.market_staff
    )
    records = [r.ordinary, r.market, r.secret]
    for who in vars(people):
        user = getattr(people, who)
        listed = visible(user)
        for record in records:
            assert permissions.can_view(user, record) == (record.number in listed), (
                who,
                record.number,
            )


def test_the_status_of_a_new_record(people, work_order):
    record = factories.record(people.staff)
    assert record.status == RecordStatus.ACTIVE
    assert not record.legal_hold
    assert record.destroyed_at is None and record.disposal is None
    assert RetentionClass.objects.filter(pk=record.retention_class_id).exists()


def test_an_absurd_number_is_a_field_error(people, work_order):
    with pytest.raises(ValidationError) as excinfo:
        factories.record(
            people.staff,
            data=factories.work_order_data(chu_li_shi_zhang_xiao_shi="1e9999999999"),
        )
    assert error_keys(excinfo) == {"chu_li_shi_zhang_xiao_shi"}


@pytest.mark.parametrize(
    "data",
    [{"": "x"}, {f"f{i}": "x" for i in range(101)}],
    ids=["blank-name", "too-many"],
)
def test_bad_free_values_are_a_validation_error(people, work_order, data):
    free_form()
    with pytest.raises(ValidationError) as excinfo:
        services.record_create(user=people.staff, form="D0401", data=data)
    assert error_keys(excinfo) == {NON_FIELD_ERRORS}
    assert not Record.objects.exists()


@pytest.mark.parametrize("data", [["a"], "报告人=张三", 3], ids=["list", "text", "int"])
def test_values_that_are_not_an_object_are_a_validation_error(people, work_order, data):
    with pytest.raises(ValidationError):
        factories.record(people.staff, data=data)


def test_a_chain_is_at_most_eight_deep(people, work_order):
    tracking_form()
    source = factories.record(people.staff)
    for depth in range(1, 9):
        source = services.record_create(
            user=people.staff,
            form="D0302",
            data={"gen_zong_qing_kuang": "x"},
            related_to=source,
        )
        assert source.chain_depth == depth
    assert source.number == "D0302-" * 8 + "D0201-2026112201"
    with pytest.raises(ValidationError) as excinfo:
        services.record_create(
            user=people.staff,
            form="D0302",
            data={"gen_zong_qing_kuang": "x"},
            related_to=source,
        )
    assert error_keys(excinfo) == {"related_to"}
    assert Record.objects.count() == 9


def test_one_departure_ends_every_class_waiting_for_it(people, db):
    training_form("D0601")
    factories.form(
        "D0602",
        "上岗资格记录",
        fields=None,
        retention_period="离职后3年",
    )
    one_year = services.record_create(
        user=people.staff,
        form="D0601",
        data={"pei_xun_nei_rong": "ITIL"},
        retention_subject="李四",
    )
    three_years = services.record_create(
        user=people.staff,
        form="D0602",
        data={"资格": "网络工程师"},
        retention_subject="李四",
    )
    trigger = services.retention_event_record(
        user=people.controller,
        event=EXIT,
        subject="李四",
        occurred_on=date(2026, 2, 28),
    )
    one_year.refresh_from_db()
    three_years.refresh_from_db()
    assert one_year.retention_until == date(2027, 2, 28)
    assert three_years.retention_until == date(2029, 2, 28)
    [entry] = logged(trigger, "shoukong.records.retention_event")
    assert entry.data["records"] == 2


def test_an_upload_name_cannot_leave_the_records_folder(people, work_order):
    record = factories.record(
        people.staff, upload=(pdf_bytes(), "../../../../etc/cron.d/x.pdf")
    )
    root = Path(settings.SHOUKONG_RECORDS_ROOT).resolve()
    assert Path(record.file.path).resolve().is_relative_to(root)
    assert ".." not in record.file.name
    assert "/" not in record.file_name
