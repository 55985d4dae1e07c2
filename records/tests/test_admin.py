"""The "Records" admin menu: listings cut to what the user may read, the records
list edited only through its service, retention classes whose rule is fixed
once used, and the dashboard panels."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import NoReverseMatch, reverse
from wagtail.models import ModelLogEntry
from wagtail.users.models import UserProfile

from documents import roles
from documents.tests import factories as doc_factories
from records import services
from records.admin_views import ROLE_PERMISSIONS
from records.lifecycle import DisposalMethod
from records.models import RecordType, RetentionClass

from . import factories

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 22)


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: TODAY)


@pytest.fixture
def record_permissions(role_groups):
    """The permissions the report asks documents.roles to grant."""
    for role, dotted in ROLE_PERMISSIONS.items():
        group = Group.objects.get(name=role)
        for name in dotted:
            app_label, codename = name.split(".")
            group.permissions.add(
                Permission.objects.get(
                    content_type__app_label=app_label, codename=codename
                )
            )


def _english(user):
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = "en"
    profile.save()
    return user


@pytest.fixture
def controller(record_permissions):
    return _english(doc_factories.user("controller", role=roles.DOCUMENT_CONTROLLER))


@pytest.fixture
def tech_manager(record_permissions):
    return _english(
        doc_factories.user(
            "tech_manager", role=roles.DEPARTMENT_MANAGER, department_name="技术部"
        )
    )


@pytest.fixture
def market_manager(record_permissions):
    return _english(
        doc_factories.user(
            "market_manager", role=roles.DEPARTMENT_MANAGER, department_name="市场部"
        )
    )


@pytest.fixture
def engineer(record_permissions):
    return doc_factories.user("engineer", role=roles.STAFF, department_name="技术部")


@pytest.fixture
def seller(record_permissions):
    return doc_factories.user("seller", role=roles.STAFF, department_name="市场部")


@pytest.fixture
def work_order(library):
    return factories.form(retention_period="3年")


@pytest.fixture
def tech_record(engineer, work_order):
    return factories.record(engineer, record_date=date(2026, 11, 20))


@pytest.fixture
def market_record(seller, work_order):
    return factories.record(seller, record_date=date(2026, 11, 21))


@pytest.fixture
def old_tech_record(engineer, work_order):
    """Past its three years on TODAY."""
    return factories.record(engineer, record_date=date(2020, 5, 12))


def test_the_records_menu_opens_for_document_control(
    client, controller, tech_record, market_record
):
    client.force_login(controller)
    record_type = RecordType.objects.get()
    retention_class = RetentionClass.objects.first()
    urls = [
        reverse("records_admin:index"),
        reverse("records_admin:inspect", args=(tech_record.pk,)),
        reverse("record_types:index"),
        reverse("record_types:edit", args=(record_type.pk,)),
        reverse("record_types:inspect", args=(record_type.pk,)),
        reverse("record_types:history", args=(record_type.pk,)),
        reverse("disposal_requests:index"),
        reverse("wagtailsnippets_records_retentionclass:list"),
        reverse("wagtailsnippets_records_retentionclass:add"),
        reverse(
            "wagtailsnippets_records_retentionclass:edit", args=(retention_class.pk,)
        ),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url

    home = client.get(reverse("wagtailadmin_home")).content.decode()
    for name in ("records_admin", "record_types", "disposal_requests"):
        assert reverse(f"{name}:index") in home  # in the "Records" menu

    listing = client.get(reverse("records_admin:index")).content.decode()
    assert tech_record.number in listing and market_record.number in listing
    # Each row opens the record's staff page when it exists.
    try:
        detail = reverse("records:detail", kwargs={"number": tech_record.number})
    except NoReverseMatch:
        detail = reverse("records_admin:inspect", args=(tech_record.pk,))
    assert f'href="{detail}"' in listing

    types = client.get(reverse("record_types:index")).content.decode()
    assert "D0201" in types and "运维工作单" in types and "3年" in types


def test_records_list_has_no_add_or_delete(client, controller, tech_record):
    for name in ("record_types:add", "records_admin:add", "records_admin:edit"):
        with pytest.raises(NoReverseMatch):
            reverse(name, args=(1,)) if name.endswith("edit") else reverse(name)
    client.force_login(controller)
    body = client.get(reverse("record_types:index")).content.decode()
    assert "/delete/" not in body


def test_a_department_manager_lists_only_his_departments_records(
    client, tech_manager, tech_record, market_record
):
    # Only document control holds view_record by default (the site history
    # would list other departments' record numbers); given it, a manager still
    # sees only his department's records.
    Group.objects.get(name=roles.DEPARTMENT_MANAGER).permissions.add(
        Permission.objects.get(codename="view_record")
    )
    client.force_login(tech_manager)

    listing = client.get(reverse("records_admin:index")).content.decode()

    assert tech_record.number in listing
    assert market_record.number not in listing
    assert (
        client.get(
            reverse("records_admin:inspect", args=(market_record.pk,))
        ).status_code
        == 404
    )
    assert (
        client.get(reverse("records_admin:inspect", args=(tech_record.pk,))).status_code
        == 200
    )


def test_editing_a_records_list_entry_goes_through_the_service(
    client, controller, tech_record, departments
):
    record_type = RecordType.objects.get()
    five_years = RetentionClass.objects.get(kind="fixed", months=60)
    client.force_login(controller)

    response = client.post(
        reverse("record_types:edit", args=(record_type.pk,)),
        {
            "retention_class": five_years.pk,
            "custodian": departments["行政部"].pk,
            "confidential": "on",
            "storage_location": "行政部档案柜",
        },
    )

    assert response.status_code == 302, response.content[:3000]
    record_type.refresh_from_db()
    assert record_type.retention_class == five_years
    assert record_type.confidential
    assert record_type.custodian == departments["行政部"]
    entries = ModelLogEntry.objects.for_instance(record_type)
    update = entries.get(action="shoukong.records.type_update")
    assert update.user == controller
    assert update.data["before"] == {"retention": "3年", "confidential": False}
    assert update.data["after"] == {"retention": "5年", "confidential": True}
    assert not entries.filter(action="wagtail.edit").exists()
    # Records already kept keep the class they were filed under.
    tech_record.refresh_from_db()
    assert tech_record.retention_class.wording == "3年"


def test_only_document_control_edits_the_records_list(
    client, tech_manager, tech_record
):
    # Even a role given the model permission by mistake cannot edit it.
    Group.objects.get(name=roles.DEPARTMENT_MANAGER).permissions.add(
        Permission.objects.get(codename="change_recordtype")
    )
    record_type = RecordType.objects.get()
    client.force_login(tech_manager)

    url = reverse("record_types:edit", args=(record_type.pk,))
    assert client.get(url).status_code in (302, 403)
    response = client.post(
        url,
        {
            "retention_class": RetentionClass.objects.get(months=60).pk,
            "custodian": "",
            "storage_location": "",
        },
    )

    assert response.status_code in (302, 403)
    record_type.refresh_from_db()
    assert record_type.retention_class.wording == "3年"
    assert not ModelLogEntry.objects.filter(
        action="shoukong.records.type_update"
    ).exists()


def _retention_form(retention_class, **changes):
    data = {
        "name": retention_class.name,
        "kind": retention_class.kind,
        "months": retention_class.months,
        "event": retention_class.event,
        "description": retention_class.description,
    }
    data.update(changes)
    return data


def test_a_retention_class_in_use_keeps_its_period(client, controller, tech_record):
    used = tech_record.retention_class
    url = reverse("wagtailsnippets_records_retentionclass:edit", args=(used.pk,))
    client.force_login(controller)

    response = client.post(url, _retention_form(used, months=48))

    assert response.status_code == 200
    form = response.context["form"]
    assert "months" in form.errors
    assert "cannot change" in form.errors["months"][0]
    assert "1 record" in form.errors["months"][0]
    used.refresh_from_db()
    assert used.months == 36

    # Its name and description stay editable.
    response = client.post(
        url, _retention_form(used, name="运行记录（三年）", description="运行记录")
    )
    assert response.status_code == 302, response.content[:3000]
    used.refresh_from_db()
    assert (used.name, used.months) == ("运行记录（三年）", 36)


def test_an_unused_retention_class_may_change_its_period(client, controller):
    unused = RetentionClass.objects.create(name="两年", kind="fixed", months=24)
    client.force_login(controller)

    response = client.post(
        reverse("wagtailsnippets_records_retentionclass:edit", args=(unused.pk,)),
        _retention_form(unused, months=30),
    )

    assert response.status_code == 302, response.content[:3000]
    unused.refresh_from_db()
    assert unused.months == 30


def _panels(client) -> dict[str, str]:
    body = client.get(reverse("wagtailadmin_home")).content.decode()
    shown = {}
    for panel_id in ("shoukong-records-due-for-disposal", "shoukong-disposal-awaiting"):
        marker = f'data-shoukong-panel="{panel_id}"'
        if marker in body:
            start = body.index(marker)
            shown[panel_id] = body[start : body.index("</table>", start)]
    return shown


def test_dashboard_shows_records_due_and_requests_awaiting_the_head(
    client, controller, tech_manager, market_manager, engineer, old_tech_record
):
    client.force_login(controller)
    panels = _panels(client)
    assert old_tech_record.number in panels["shoukong-records-due-for-disposal"]

    client.force_login(market_manager)
    assert _panels(client) == {}

    request = services.disposal_request_create(
        user=engineer, records=[old_tech_record], method=DisposalMethod.RECYCLE
    )
    client.force_login(tech_manager)
    panels = _panels(client)
    assert "shoukong-records-due-for-disposal" not in panels  # now in a request
    assert request.reference in panels["shoukong-disposal-awaiting"]

    client.force_login(controller)
    assert "shoukong-disposal-awaiting" not in _panels(client)  # the head first


def test_disposal_requests_are_listed_per_department(
    client, tech_manager, market_manager, engineer, old_tech_record
):
    request = services.disposal_request_create(
        user=engineer, records=[old_tech_record], method=DisposalMethod.SHRED
    )
    client.force_login(tech_manager)
    assert (
        request.reference
        in client.get(reverse("disposal_requests:index")).content.decode()
    )

    client.force_login(market_manager)
    assert (
        request.reference
        not in client.get(reverse("disposal_requests:index")).content.decode()
    )
    assert (
        client.get(reverse("disposal_requests:inspect", args=(request.pk,))).status_code
        == 404
    )


def test_a_new_retention_class_must_be_consistent(client, controller):
    client.force_login(controller)
    url = reverse("wagtailsnippets_records_retentionclass:add")
    data = {"name": "保存到报废", "kind": "fixed", "months": 12, "description": ""}

    response = client.post(url, {**data, "event": "equipment_scrapped"})
    assert response.status_code == 200
    assert "Only retention after an event names an event." in str(
        response.context["form"].non_field_errors()
    )

    response = client.post(
        url, {**data, "kind": "event", "event": "equipment_scrapped"}
    )
    assert response.status_code == 200  # 报废后1年 exists already (unique rule)
    assert response.context["form"].errors

    response = client.post(url, {**data, "months": 18, "event": ""})
    assert response.status_code == 302, response.content[:3000]
    assert RetentionClass.objects.get(name="保存到报废").wording == "18个月"


def test_only_document_control_may_view_records_in_the_admin():
    """Wagtail's site history shows the log entries of every model a user may
    view; record numbers must not reach other departments that way."""
    holders = {
        role
        for role, granted in roles.MODEL_PERMISSIONS.items()
        if "records.view_record" in granted
    }
    assert holders == {roles.DOCUMENT_CONTROLLER}
