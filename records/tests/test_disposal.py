"""Disposal of records (记录销毁): requested, approved by the department head
and then by document control, executed before a witness. Files really go, a
stub of each record stays so the numbering is explainable, and nothing is
destroyed before its time or under a legal hold."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation
from wagtail.models import ModelLogEntry

from documents import roles
from documents.models import StaffProfile
from documents.tests import factories as doc_factories
from documents.tests.filefactories import make_pdf
from records import permissions, retention, services
from records.lifecycle import (
    DisposalMethod,
    DisposalStatus,
    InvalidTransition,
    RecordStatus,
)
from records.models import (
    Correction,
    DisposalItem,
    DisposalRequest,
    Record,
    RecordType,
    RecordUserObjectPermission,
)
from records.retention import RetentionEvent

from . import factories

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 22)
OLD = date(2020, 1, 10)  # kept 5 years: due since 2025-01-10
SHRED = DisposalMethod.SHRED
RECYCLE = DisposalMethod.RECYCLE


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    """Today's date, movable: ``clock.today = date(...)``."""
    clock = SimpleNamespace(today=TODAY)
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: clock.today)
    return clock


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def make_user(username: str, department: str | None, *role_names: str):
    user = get_user_model().objects.create_user(username=username, password="pw")
    for role in role_names:
        user.groups.add(Group.objects.get(name=role))
    if department:
        StaffProfile.objects.create(
            user=user, department=doc_factories.department(department)
        )
    return user


@pytest.fixture
def people(role_groups):
    return SimpleNamespace(
        staff=make_user("staff", "技术部", roles.STAFF),
        colleague=make_user("colleague", "技术部", roles.STAFF),
        tech_manager=make_user("tech_manager", "技术部", roles.DEPARTMENT_MANAGER),
        market_staff=make_user("market_staff", "市场部", roles.STAFF),
        market_manager=make_user("market_manager", "市场部", roles.DEPARTMENT_MANAGER),
        controller=make_user("controller", "行政部", roles.DOCUMENT_CONTROLLER),
        controller2=make_user("controller2", "行政部", roles.DOCUMENT_CONTROLLER),
        mr=make_user("mr", "管理层", roles.MANAGEMENT_REPRESENTATIVE),
        customer=make_user("customer", None, roles.CUSTOMER_REPRESENTATIVE),
        # Head of 行政部 and document controller at once.
        dual=make_user(
            "dual", "行政部", roles.DEPARTMENT_MANAGER, roles.DOCUMENT_CONTROLLER
        ),
    )


@pytest.fixture
def work_order(db):
    return factories.form()  # D0201, kept 5 years


def expired(user, n: int = 1, **kwargs) -> list[Record]:
    kwargs.setdefault("record_date", OLD)
    return [factories.record(user, **kwargs) for _ in range(n)]


def request_for(people, records, method=SHRED, user=None) -> DisposalRequest:
    return services.disposal_request_create(
        user=user or people.staff, records=records, method=method, reason="保存期满"
    )


def approved(people, records, method=SHRED) -> DisposalRequest:
    request = request_for(people, records, method)
    services.disposal_request_approve(user=people.tech_manager, request=request)
    return services.disposal_request_approve(user=people.controller, request=request)


def execute(people, request, **kwargs) -> DisposalRequest:
    kwargs.setdefault("witness", people.colleague)
    return services.disposal_execute(user=people.staff, request=request, **kwargs)


def make_confidential(people, form) -> None:
    services.record_type_update(
        user=people.controller,
        record_type=services.record_type_ensure(form=form),
        retention_class=services.retention_class_for(retention.parse("5年")),
        confidential=True,
    )


def logged(obj, action: str):
    return ModelLogEntry.objects.for_instance(obj).filter(action=action)


def statuses(records) -> list[str]:
    return [Record.objects.get(pk=r.pk).status for r in records]


# --- The whole path ----------------------------------------------------------------


def test_requested_approved_twice_and_executed(
    people, work_order, django_capture_on_commit_callbacks
):
    content = make_pdf([["Work order", "scan"]])
    [plain] = expired(people.staff)
    [scanned] = expired(people.staff, upload=(content, "a.pdf"))
    services.record_correct(
        user=people.staff,
        record=scanned,
        field="you_xian_ji",
        value="高",
        reason="笔误",
    )
    services.record_access_grant(
        user=people.controller, record=scanned, grantee=people.customer
    )
    file_path = Path(scanned.file.path)
    assert file_path.exists()

    # Requested by the department's archive keeper.
    request = request_for(people, [scanned, plain])
    assert request.status == DisposalStatus.REQUESTED
    assert request.reference == "XH-2026-001"
    assert request.department.name == "技术部"
    assert request.requested_by == people.staff
    assert statuses([scanned, plain]) == [RecordStatus.DISPOSAL_PENDING] * 2
    [entry] = logged(request, "shoukong.records.disposal_request")
    assert entry.data == {"reference": "XH-2026-001", "records": 2, "method": SHRED}

    # Approved by the head, then by document control.
    services.disposal_request_approve(user=people.tech_manager, request=request)
    request.refresh_from_db()
    assert request.status == DisposalStatus.HEAD_APPROVED
    assert request.head_approved_by == people.tech_manager
    assert request.head_approved_at is not None
    services.disposal_request_approve(user=people.controller, request=request)
    request.refresh_from_db()
    assert request.status == DisposalStatus.APPROVED
    assert request.controller_approved_by == people.controller
    approvals = logged(request, "shoukong.records.disposal_approve")
    assert sorted((e.user_id, e.data["status"]) for e in approvals) == sorted(
        [
            (people.tech_manager.pk, DisposalStatus.HEAD_APPROVED),
            (people.controller.pk, DisposalStatus.APPROVED),
        ]
    )

    # Executed before a witness; the file goes when the transaction commits.
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        execute(people, request, note="碎纸机 A")
    assert file_path.exists(), "deleted before the commit"
    assert callbacks
    for callback in callbacks:
        callback()
    assert not file_path.exists()

    request.refresh_from_db()
    assert request.status == DisposalStatus.EXECUTED
    assert request.executed_on == TODAY
    assert request.executor == people.staff
    assert request.witness == people.colleague
    assert request.witness_name == "colleague"
    assert request.execution_note == "碎纸机 A"
    [entry] = logged(request, "shoukong.records.disposal_execute")
    assert entry.data["records"] == 2 and entry.data["witness"] == "colleague"

    for before in (scanned, plain):
        stub = Record.objects.get(pk=before.pk)
        # The stub: number, form, issue, dates, department, disposal reference.
        assert stub.number == before.number
        assert stub.form_id == before.form_id
        assert stub.form_issue_id == before.form_issue_id
        assert stub.record_date == OLD
        assert stub.retention_until == date(2025, 1, 10)
        assert stub.department_id == before.department_id
        assert stub.disposal == request
        assert stub.disposal.reference == "XH-2026-001"
        assert stub.status == RecordStatus.DESTROYED
        assert stub.destroyed_at is not None
        # The content: gone.
        assert stub.data == {}
        assert stub.current_values() == {}
        assert not stub.file
        assert stub.file_name == "" and stub.file_size is None
        assert stub.file_content_type == ""
        [entry] = logged(stub, "shoukong.records.destroy")
        assert entry.data == {"number": before.number, "disposal": "XH-2026-001"}
    assert not Correction.objects.filter(record=scanned).exists()
    assert not RecordUserObjectPermission.objects.filter(
        content_object=scanned
    ).exists()
    assert not permissions.can_view(people.customer, scanned)
    assert services.users_named_on(scanned).count() == 0

    # What was destroyed stays listed on the request.
    items = {i.number: i for i in DisposalItem.objects.filter(request=request)}
    assert set(items) == {scanned.number, plain.number}
    item = items[scanned.number]
    assert item.record_id == scanned.pk
    assert item.form_number == "D0201"
    assert item.record_date == OLD
    assert item.retention_until == date(2025, 1, 10)
    assert not item.confidential
    assert [i.number for i in request.item_list] == sorted(items)


def test_files_are_deleted_on_commit(
    people, work_order, django_capture_on_commit_callbacks
):
    [record] = expired(people.staff, upload=(make_pdf([["scan"]]), "scan.pdf"))
    path = Path(record.file.path)
    request = approved(people, [record])
    with django_capture_on_commit_callbacks(execute=True):
        execute(people, request)
    assert not path.exists()


def test_a_failed_execution_keeps_the_files(
    people, work_order, django_capture_on_commit_callbacks
):
    [record] = expired(people.staff, upload=(make_pdf([["scan"]]), "scan.pdf"))
    path = Path(record.file.path)
    request = approved(people, [record])
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(ValidationError):
            execute(people, request, witness=None)
    assert not callbacks
    assert path.exists()


def test_references_count_per_year(people, work_order, clock):
    a, b, c = expired(people.staff, 3)
    assert request_for(people, [a]).reference == "XH-2026-001"
    assert request_for(people, [b]).reference == "XH-2026-002"
    clock.today = date(2027, 1, 4)
    assert request_for(people, [c]).reference == "XH-2027-001"


# --- Not yet, never, not now -------------------------------------------------------


def test_nothing_is_destroyed_before_its_retention_ends(people, work_order, clock):
    [record] = expired(people.staff, record_date=date(2024, 1, 1))
    assert record.retention_until == date(2029, 1, 1)
    with pytest.raises(ValidationError) as excinfo:
        request_for(people, [record])
    assert excinfo.value.messages == [
        f"{record.number} is retained until 2029-01-01; it cannot be destroyed before."
    ]
    assert not DisposalRequest.objects.exists()
    assert statuses([record]) == [RecordStatus.ACTIVE]

    clock.today = date(2028, 12, 31)
    with pytest.raises(ValidationError):
        request_for(people, [record])
    clock.today = date(2029, 1, 1)  # the end date itself: due
    assert request_for(people, [record]).status == DisposalStatus.REQUESTED


def test_a_backdated_execution_is_refused(people, work_order):
    [record] = expired(people.staff)
    request = approved(people, [record])
    with pytest.raises(ValidationError):
        execute(people, request, executed_on=date(2025, 1, 9))
    assert statuses([record]) == [RecordStatus.DISPOSAL_PENDING]
    execute(people, request, executed_on=date(2025, 1, 10))
    assert statuses([record]) == [RecordStatus.DESTROYED]


def test_an_execution_date_in_the_future_is_refused(people, work_order):
    [record] = expired(people.staff)
    request = approved(people, [record])
    with pytest.raises(ValidationError) as excinfo:
        execute(people, request, executed_on=date(2026, 11, 23))
    assert set(excinfo.value.message_dict) == {"executed_on"}


def test_permanent_records_are_never_destroyed(people, db):
    factories.form("D0701", "管理评审记录", fields=None, retention_period="永久")
    record = services.record_create(
        user=people.staff, form="D0701", data={"结论": "有效"}, record_date=OLD
    )
    with pytest.raises(ValidationError) as excinfo:
        request_for(people, [record])
    assert excinfo.value.messages == [f"{record.number} is kept permanently."]
    assert not Record.objects.disposable(TODAY).exists()


def test_a_record_waiting_for_its_event_is_not_destroyed(people, db):
    factories.form(
        "D0601",
        "培训记录",
        fields=None,
        retention_period="离职后1年",
    )
    record = services.record_create(
        user=people.staff,
        form="D0601",
        data={"课程": "ITIL"},
        record_date=OLD,
        retention_subject="李四",
    )
    with pytest.raises(ValidationError) as excinfo:
        request_for(people, [record])
    assert "an event that has not been entered" in excinfo.value.messages[0]

    # Left a year ago and a bit: due now.
    services.retention_event_record(
        user=people.controller,
        event=RetentionEvent.EMPLOYEE_EXIT,
        subject="李四",
        occurred_on=date(2025, 11, 1),
    )
    record.refresh_from_db()
    assert record.retention_until == date(2026, 11, 1)
    assert request_for(people, [record]).status == DisposalStatus.REQUESTED


def test_a_recent_departure_keeps_the_record(people, db):
    factories.form("D0601", "培训记录", fields=None, retention_period="离职后1年")
    record = services.record_create(
        user=people.staff,
        form="D0601",
        data={"课程": "ITIL"},
        record_date=OLD,
        retention_subject="李四",
    )
    services.retention_event_record(
        user=people.controller,
        event=RetentionEvent.EMPLOYEE_EXIT,
        subject="李四",
        occurred_on=date(2026, 6, 30),
    )
    with pytest.raises(ValidationError) as excinfo:
        request_for(people, [record])
    assert "retained until 2027-06-30" in excinfo.value.messages[0]


def test_a_held_record_cannot_be_requested(people, work_order):
    held, free = expired(people.staff, 2)
    services.record_hold_place(user=people.mr, record=held, reason="审计调查")
    with pytest.raises(ValidationError) as excinfo:
        request_for(people, [held, free])
    assert excinfo.value.messages == [f"{held.number} is under legal hold."]
    assert not DisposalRequest.objects.exists()
    assert statuses([held, free]) == [RecordStatus.ACTIVE] * 2
    assert list(Record.objects.disposable(TODAY)) == [free]


def test_a_hold_placed_after_approval_stops_the_execution(
    people, work_order, django_capture_on_commit_callbacks
):
    [record] = expired(people.staff, upload=(make_pdf([["scan"]]), "scan.pdf"))
    path = Path(record.file.path)
    data = dict(record.data)
    request = approved(people, [record])
    services.record_hold_place(user=people.controller, record=record, reason="诉讼")

    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(ValidationError) as excinfo:
            execute(people, request)
    assert excinfo.value.messages == [f"{record.number} is under legal hold."]
    request.refresh_from_db()
    assert request.status == DisposalStatus.APPROVED
    assert request.executor is None
    record.refresh_from_db()
    assert record.status == RecordStatus.DISPOSAL_PENDING
    assert record.data == data
    assert record.file and path.exists()
    assert not logged(record, "shoukong.records.destroy").exists()

    services.record_hold_release(user=people.controller, record=record, reason="结案")
    with django_capture_on_commit_callbacks(execute=True):
        execute(people, request)
    assert not path.exists()


def test_confidential_records_are_shredded_never_recycled(people, work_order):
    make_confidential(people, work_order)
    secret, other = expired(people.staff, 2)
    assert secret.confidential
    with pytest.raises(ValidationError) as excinfo:
        request_for(people, [secret], method=RECYCLE)
    assert set(excinfo.value.message_dict) == {"method"}
    assert statuses([secret]) == [RecordStatus.ACTIVE]
    assert not DisposalRequest.objects.exists()

    request = request_for(people, [secret], method=DisposalMethod.SECURE_ERASE)
    assert request.items.get().confidential
    assert request_for(people, [other], method=SHRED).method == SHRED


def test_ordinary_records_may_be_recycled(people, work_order):
    assert request_for(people, expired(people.staff), method=RECYCLE).method == RECYCLE


@pytest.mark.parametrize("method", ["burn", "", None])
def test_the_method_must_be_known(people, work_order, method):
    with pytest.raises(ValidationError) as excinfo:
        request_for(people, expired(people.staff), method=method)
    assert set(excinfo.value.message_dict) == {"method"}


def test_a_request_names_records(people, work_order):
    with pytest.raises(ValidationError):
        request_for(people, [])


def test_a_request_covers_one_department(people, work_order):
    ours = expired(people.staff)
    theirs = expired(people.market_staff)
    with pytest.raises(ValidationError) as excinfo:
        request_for(people, ours + theirs, user=people.controller)
    assert excinfo.value.messages == [
        "A disposal request covers the records of one department."
    ]
    assert statuses(ours + theirs) == [RecordStatus.ACTIVE] * 2


def test_a_record_is_in_one_open_request_at_a_time(people, work_order):
    record, other = expired(people.staff, 2)
    request_for(people, [record])
    with pytest.raises(ValidationError) as excinfo:
        request_for(people, [other, record])
    assert "already destroyed or in a disposal request" in excinfo.value.messages[0]
    assert statuses([other]) == [RecordStatus.ACTIVE]
    assert DisposalRequest.objects.count() == 1


# --- Who does what -----------------------------------------------------------------


@pytest.mark.parametrize("who", ["market_staff", "market_manager", "customer", "mr"])
def test_who_may_request(people, work_order, who):
    records = expired(people.staff)
    with pytest.raises(PermissionDenied):
        request_for(people, records, user=getattr(people, who))
    assert statuses(records) == [RecordStatus.ACTIVE]
    assert request_for(people, records, user=people.controller).requested_by == (
        people.controller
    )


def test_a_confidential_record_is_requested_by_its_department_or_control(
    people, work_order
):
    make_confidential(people, work_order)
    records = expired(people.staff)
    # 文控 cannot read it but keeps the records list and may request it.
    assert not permissions.can_view(people.controller, records[0])
    request = request_for(people, records, user=people.controller)
    assert request.status == DisposalStatus.REQUESTED


@pytest.mark.parametrize(
    "who", ["staff", "colleague", "market_manager", "controller", "customer", "mr"]
)
def test_only_the_department_head_approves_first(people, work_order, who):
    request = request_for(people, expired(people.staff))
    with pytest.raises(PermissionDenied):
        services.disposal_request_approve(user=getattr(people, who), request=request)
    request.refresh_from_db()
    assert request.status == DisposalStatus.REQUESTED
    assert not logged(request, "shoukong.records.disposal_approve").exists()


@pytest.mark.parametrize("who", ["staff", "tech_manager", "market_manager", "mr"])
def test_only_document_control_approves_second(people, work_order, who):
    request = request_for(people, expired(people.staff))
    services.disposal_request_approve(user=people.tech_manager, request=request)
    with pytest.raises(PermissionDenied):
        services.disposal_request_approve(user=getattr(people, who), request=request)
    request.refresh_from_db()
    assert request.status == DisposalStatus.HEAD_APPROVED


def test_the_same_person_cannot_approve_twice(people, db):
    """The head of 行政部 is also a document controller: one signature only."""
    factories.form()
    records = expired(people.controller)  # 行政部's records
    request = request_for(people, records, user=people.controller)
    services.disposal_request_approve(user=people.dual, request=request)
    with pytest.raises(PermissionDenied):
        services.disposal_request_approve(user=people.dual, request=request)
    request.refresh_from_db()
    assert request.status == DisposalStatus.HEAD_APPROVED
    assert request.controller_approved_by is None
    services.disposal_request_approve(user=people.controller2, request=request)
    request.refresh_from_db()
    assert request.status == DisposalStatus.APPROVED


@pytest.mark.parametrize("who", ["market_staff", "market_manager", "customer", "mr"])
def test_who_may_execute(people, work_order, who):
    records = expired(people.staff)
    request = approved(people, records)
    with pytest.raises(PermissionDenied):
        services.disposal_execute(
            user=getattr(people, who), request=request, witness=people.colleague
        )
    assert statuses(records) == [RecordStatus.DISPOSAL_PENDING]


def test_nothing_is_executed_before_both_approvals(people, work_order):
    records = expired(people.staff)
    request = request_for(people, records)
    with pytest.raises(InvalidTransition):
        execute(people, request)
    services.disposal_request_approve(user=people.tech_manager, request=request)
    with pytest.raises(InvalidTransition):
        execute(people, request)
    assert statuses(records) == [RecordStatus.DISPOSAL_PENDING]


def test_a_witness_is_someone_else(people, work_order):
    records = expired(people.staff)
    request = approved(people, records)
    with pytest.raises(ValidationError) as excinfo:
        execute(people, request, witness=None, witness_name="  ")
    assert set(excinfo.value.message_dict) == {"witness"}
    with pytest.raises(ValidationError) as excinfo:
        execute(people, request, witness=people.staff)
    assert set(excinfo.value.message_dict) == {"witness"}
    assert statuses(records) == [RecordStatus.DISPOSAL_PENDING]

    execute(people, request, witness=None, witness_name="  保安 王师傅 ")
    request.refresh_from_db()
    assert request.witness is None
    assert request.witness_name == "保安 王师傅"


def test_a_request_is_executed_once(people, work_order):
    request = approved(people, expired(people.staff))
    execute(people, request)
    with pytest.raises(InvalidTransition):
        execute(people, request)
    with pytest.raises(InvalidTransition):
        services.disposal_request_approve(user=people.controller, request=request)
    with pytest.raises(InvalidTransition):
        services.disposal_request_reject(
            user=people.controller, request=request, reason="x"
        )
    assert logged(request, "shoukong.records.disposal_execute").count() == 1


def test_an_approved_request_is_not_approved_again(people, work_order):
    request = approved(people, expired(people.staff))
    with pytest.raises(InvalidTransition):
        services.disposal_request_approve(user=people.controller2, request=request)


# --- Rejection ---------------------------------------------------------------------


@pytest.mark.parametrize("approvals", [0, 1, 2])
def test_a_rejection_gives_the_records_back(people, work_order, approvals):
    records = expired(people.staff, 2)
    request = request_for(people, records)
    approvers = [people.tech_manager, people.controller][:approvals]
    for approver in approvers:
        services.disposal_request_approve(user=approver, request=request)

    services.disposal_request_reject(
        user=people.controller, request=request, reason=" 仍在使用 "
    )

    request.refresh_from_db()
    assert request.status == DisposalStatus.REJECTED
    assert request.rejected_by == people.controller
    assert request.rejection_reason == "仍在使用"
    assert statuses(records) == [RecordStatus.ACTIVE] * 2
    [entry] = logged(request, "shoukong.records.disposal_reject")
    assert entry.data["reason"] == "仍在使用"
    # They may be requested again; the rejected request is kept.
    again = request_for(people, records)
    assert again.reference == "XH-2026-002"
    assert DisposalItem.objects.filter(record=records[0]).count() == 2


def test_rejection_refusals(people, work_order):
    records = expired(people.staff)
    request = request_for(people, records)
    with pytest.raises(ValidationError) as excinfo:
        services.disposal_request_reject(
            user=people.tech_manager, request=request, reason="  "
        )
    assert set(excinfo.value.message_dict) == {"reason"}
    for who in ("staff", "market_manager", "customer"):
        with pytest.raises(PermissionDenied):
            services.disposal_request_reject(
                user=getattr(people, who), request=request, reason="x"
            )
    services.disposal_request_reject(
        user=people.tech_manager, request=request, reason="x"
    )
    with pytest.raises(InvalidTransition):
        services.disposal_request_reject(
            user=people.tech_manager, request=request, reason="x"
        )
    with pytest.raises(InvalidTransition):
        services.disposal_request_approve(user=people.tech_manager, request=request)
    assert statuses(records) == [RecordStatus.ACTIVE]


# --- After destruction -------------------------------------------------------------


@pytest.fixture
def destroyed(people, work_order) -> Record:
    [record] = expired(people.staff)
    execute(people, approved(people, [record]))
    record.refresh_from_db()
    assert record.is_destroyed
    return record


def test_a_destroyed_record_cannot_be_corrected(people, destroyed):
    with pytest.raises(ValidationError) as excinfo:
        services.record_correct(
            user=people.staff,
            record=destroyed,
            field="you_xian_ji",
            value="高",
            reason="x",
        )
    assert "was destroyed" in excinfo.value.messages[0]
    assert not Correction.objects.exists()


def test_a_destroyed_record_cannot_be_held_shared_or_requested(people, destroyed):
    with pytest.raises(ValidationError):
        services.record_hold_place(user=people.controller, record=destroyed, reason="x")
    with pytest.raises(ValidationError):
        services.record_access_grant(
            user=people.controller, record=destroyed, grantee=people.customer
        )
    with pytest.raises(ValidationError):
        request_for(people, [destroyed])


def test_nothing_is_related_to_a_destroyed_record(people, destroyed):
    factories.form(
        "D0302",
        "问题跟踪记录",
        fields=({"label": "跟踪情况", "field_type": "multiline", "required": True},),
    )
    with pytest.raises(ValidationError) as excinfo:
        services.record_create(
            user=people.staff,
            form="D0302",
            data={"gen_zong_qing_kuang": "x"},
            related_to=destroyed.number,
        )
    assert set(excinfo.value.message_dict) == {"related_to"}
    assert "was destroyed" in excinfo.value.message_dict["related_to"][0]


def test_the_stub_is_still_found_by_its_number(people, destroyed):
    assert services.record_lookup(destroyed.number, user=people.staff) == destroyed
    assert list(Record.objects.destroyed()) == [destroyed]
    assert not Record.objects.kept().exists()
    assert not Record.objects.past_retention(TODAY).exists()


def test_a_destroyed_number_is_never_reused(people, work_order):
    first, second = expired(people.staff, 2)
    assert [first.number, second.number] == ["D0201-2020011001", "D0201-2020011002"]
    execute(people, approved(people, [first, second]))

    later = factories.record(people.staff, record_date=OLD)
    assert later.number == "D0201-2020011003"
    assert later.day_seq == 3
    # The numbering still explains itself: 01 and 02 are stubs of XH-2026-001.
    on_the_day = Record.objects.filter(form=work_order, record_date=OLD).order_by(
        "day_seq"
    )
    assert [(r.day_seq, r.status, r.disposal_id is not None) for r in on_the_day] == [
        (1, RecordStatus.DESTROYED, True),
        (2, RecordStatus.DESTROYED, True),
        (3, RecordStatus.ACTIVE, False),
    ]


def test_a_new_record_on_the_day_of_a_destroyed_one_today(people, work_order, clock):
    """Kept one month: filled today, destroyed next month, and the day after
    destruction a record dated that same day takes the next number."""
    factories.form("D0901", "临时记录", fields=None, retention_period="1个月")
    first = services.record_create(user=people.staff, form="D0901", data={"a": "b"})
    assert first.number == "D0901-2026112201"
    clock.today = date(2026, 12, 22)
    execute(people, approved(people, [first]))
    again = services.record_create(
        user=people.staff, form="D0901", data={"a": "c"}, record_date=TODAY
    )
    assert again.number == "D0901-2026112202"


# --- The disposal lists ------------------------------------------------------------


def test_what_is_past_retention_and_what_is_disposable(people, work_order):
    due, held, pending = expired(people.staff, 3)
    running = factories.record(people.staff)
    services.record_hold_place(user=people.controller, record=held, reason="x")
    request_for(people, [pending])

    past = set(Record.objects.past_retention(TODAY))
    assert past == {due, held, pending}
    assert running not in past
    assert list(Record.objects.disposable(TODAY)) == [due]
    assert RecordType.objects.count() == 1
