"""The fields of a fillable form (tier 4): drafted with the form, released with
each issue (``DocumentIssue.form_schema``), edited in the admin and by the API."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from wagtail.models import PageLogEntry
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text

from documents import services
from documents.models import DocumentIssue, DocumentPage, FormFieldDefinition
from documents.tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = settings.SHOUKONG_DEMO_PASSWORD
LIST_URL = "/api/v1/documents/"

# The work order (运维工作单) as an API client sends it.
WORK_ORDER = [
    {"label": "报告人", "field_type": "singleline"},
    {"label": "故障描述", "field_type": "multiline", "help_text": "现象与影响"},
    {
        "label": "优先级",
        "field_type": "dropdown",
        "choices": ["高", "中", "低"],
        "default_value": "中",
    },
    {"label": "处理时长（小时）", "field_type": "number", "required": False},
    {"label": "完成日期", "field_type": "date", "required": False},
]
# What each issue keeps of it.
WORK_ORDER_SCHEMA = [
    {
        "name": "bao_gao_ren",
        "label": "报告人",
        "type": "singleline",
        "required": True,
        "choices": "",
        "default": "",
        "help_text": "",
    },
    {
        "name": "gu_zhang_miao_shu",
        "label": "故障描述",
        "type": "multiline",
        "required": True,
        "choices": "",
        "default": "",
        "help_text": "现象与影响",
    },
    {
        "name": "you_xian_ji",
        "label": "优先级",
        "type": "dropdown",
        "required": True,
        "choices": "高\n中\n低",
        "default": "中",
        "help_text": "",
    },
    {
        "name": "chu_li_shi_zhang_xiao_shi",
        "label": "处理时长（小时）",
        "type": "number",
        "required": False,
        "choices": "",
        "default": "",
        "help_text": "",
    },
    {
        "name": "wan_cheng_ri_qi",
        "label": "完成日期",
        "type": "date",
        "required": False,
        "choices": "",
        "default": "",
        "help_text": "",
    },
]


def shown(schema: list[dict]) -> list[dict]:
    """The API's view of a released field list: choices as a list."""
    return [
        {**field, "choices": [c for c in field["choices"].split("\n") if c]}
        for field in schema
    ]


def definitions(specs: list[dict]) -> list[FormFieldDefinition]:
    return [
        FormFieldDefinition(
            label=spec["label"],
            field_type=spec["field_type"],
            required=spec.get("required", True),
            choices="\n".join(spec.get("choices", [])),
            default_value=spec.get("default_value", ""),
            help_text=spec.get("help_text", ""),
            sort_order=order,
        )
        for order, spec in enumerate(specs)
    ]


@pytest.fixture(autouse=True)
def today(monkeypatch):
    # Sunday 22 November 2026, whatever day the suite runs.
    monkeypatch.setattr(
        "django.utils.timezone.localdate", lambda *args, **kwargs: date(2026, 11, 22)
    )
    cache.clear()


# --- Released with the issue ----------------------------------------------------


def test_fields_edited_in_a_draft_are_released_with_the_issue(procedure):
    form = factories.document("form", "运维工作单", parent=procedure)
    draft = form.get_latest_revision_as_object()
    draft.form_fields = definitions(WORK_ORDER)
    draft.save_revision(log_action=False)

    issue = services.issue_create(
        user=None, document=form, publish_date=date(2026, 11, 22)
    )

    assert issue.form_schema == WORK_ORDER_SCHEMA
    # Released, the fields are rows of the page under the same names.
    form = DocumentPage.objects.get(pk=form.pk).specific
    assert [f.clean_name for f in form.form_fields.all()] == [
        field["name"] for field in WORK_ORDER_SCHEMA
    ]


def test_a_change_of_choices_is_new_content_and_can_be_reissued(procedure):
    form = factories.document("form", "运维工作单", parent=procedure)
    form.form_fields = definitions(WORK_ORDER)
    form.save_revision(log_action=False)
    first = services.issue_create(
        user=None, document=form, publish_date=date(2026, 11, 22)
    )
    form = DocumentPage.objects.get(pk=form.pk).specific

    # Nothing changed: the same content as issue A.
    assert first.releases_same_content(form.get_latest_revision_as_object())

    draft = form.get_latest_revision_as_object()
    fields = list(draft.form_fields.all())
    fields[2].choices = "紧急\n高\n中\n低"
    draft.form_fields = fields
    draft.save_revision(log_action=False)
    changed = DocumentPage.objects.get(pk=form.pk).get_latest_revision_as_object()
    assert changed.title == first.title and str(changed.body) == first.body
    assert not first.releases_same_content(changed)

    second = services.issue_create(
        user=None, document=form, publish_date=date(2026, 11, 23)
    )
    assert second.label == "B"
    assert second.form_schema[2]["choices"] == "紧急\n高\n中\n低"
    assert second.form_schema[2]["name"] == "you_xian_ji"
    first.refresh_from_db()
    assert first.form_schema == WORK_ORDER_SCHEMA


def test_documents_other_than_forms_release_no_fields(procedure):
    assert procedure.current_issue.form_schema == []


# --- The admin's edit form -------------------------------------------------------


def admin_edit_data(page, fields: list[dict]) -> dict:
    return nested_form_data(
        {
            "title": page.title,
            "slug": page.slug,
            "department": page.department_id,
            "body": rich_text("<p>运维工作单</p>"),
            "description": "",
            "storage_location": "",
            "retention_period": "5年",
            "distribution_list": inline_formset([]),
            "form_fields": inline_formset(
                [
                    {
                        "label": field["label"],
                        "field_type": field["field_type"],
                        "required": "on" if field.get("required", True) else "",
                        "choices": "\n".join(field.get("choices", [])),
                        "default_value": field.get("default_value", ""),
                        "help_text": field.get("help_text", ""),
                        "ORDER": str(order),
                    }
                    for order, field in enumerate(fields)
                ]
            ),
        }
    )


def test_the_admin_saves_fields_and_refuses_two_with_the_same_label(
    client, procedure, controller
):
    form = factories.document("form", "运维工作单", parent=procedure)
    client.force_login(controller)
    url = reverse("wagtailadmin_pages:edit", args=(form.pk,))

    saved = client.post(url, admin_edit_data(form, WORK_ORDER))
    assert saved.status_code == 302, saved.content[:3000]
    draft = DocumentPage.objects.get(pk=form.pk).get_latest_revision_as_object()
    assert [(f.label, f.get_field_clean_name()) for f in draft.form_fields.all()] == [
        (field["label"], field["name"]) for field in WORK_ORDER_SCHEMA
    ]

    revisions = form.revisions.count()
    twice = [*WORK_ORDER, {"label": "报告人", "field_type": "multiline"}]
    refused = client.post(url, admin_edit_data(form, twice))
    assert refused.status_code == 200
    formset = refused.context["form"].formsets["form_fields"]
    assert formset.forms[0].errors["label"]
    assert formset.forms[-1].errors["label"]
    assert form.revisions.count() == revisions


# --- The API ---------------------------------------------------------------------


@pytest.fixture
def users():
    call_command("load_demo", "--users-only", stdout=io.StringIO())
    return {u.username: u for u in get_user_model().objects.all()}


@pytest.fixture
def clients(users):
    """An API client per demo user, authenticated by token, in English."""

    def client(user) -> APIClient:
        api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
        token, _created = Token.objects.get_or_create(user=user)
        api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return api

    return {name: client(user) for name, user in users.items()}


@pytest.fixture
def desk_procedure(users):
    """B02, issued, the parent of the work order."""
    return factories.document(
        "procedure",
        "服务台管理程序",
        number="B02",
        dept=factories.department("技术部"),
        issue=True,
    )


def url(number: str, action: str = "") -> str:
    return f"{LIST_URL}{number}/{action}"


def create_form(api: APIClient, **extra):
    payload = {
        "title": "运维工作单",
        "tier": 4,
        "parent": "B02",
        "department": "技术部",
        "body": "运维工作的记录。",
        "form_fields": WORK_ORDER,
        **extra,
    }
    return api.post(LIST_URL, payload, format="json")


def sign_all(clients, number: str, workflow: dict | None) -> dict:
    """Sign each step of the chain as one who may act on it, to the end."""
    result: dict = {}
    for _step in range(10):
        if workflow is None:
            return result
        extra = {}
        if workflow["step_type"] == "PreIssueCheckTask":
            extra["attachments_complete"] = True
        signer = workflow["may_act"][0]
        response = clients[signer].post(
            url(number, "approve/"), {"password": PASSWORD, **extra}, format="json"
        )
        assert response.status_code == 200, (signer, response.json())
        result = response.json()
        assert result["signed"] is True, result
        workflow = result["workflow"]
    raise AssertionError("the chain did not end")


def test_the_api_creates_and_replaces_a_drafts_fields(clients, desk_procedure):
    controller = clients["controller"]
    created = create_form(controller)
    assert created.status_code == 201, created.json()
    number = created.json()["number"]
    assert created.json()["form_fields"] == shown(WORK_ORDER_SCHEMA)
    form = DocumentPage.objects.get(number=number).specific
    draft = form.get_latest_revision_as_object()
    assert [f.clean_name for f in draft.form_fields.all()] == [
        field["name"] for field in WORK_ORDER_SCHEMA
    ]

    # PATCH replaces the whole list, in the new order; choices may be one per line.
    edits = PageLogEntry.objects.filter(page=form, action="wagtail.edit").count()
    replaced = controller.patch(
        url(number, "draft/"),
        {
            "form_fields": [
                {"label": "优先级", "field_type": "radio", "choices": "高\n低"},
                {"label": "报告人", "field_type": "singleline", "required": False},
            ]
        },
        format="json",
    )
    assert replaced.status_code == 200, replaced.json()
    assert [
        (f["name"], f["type"], f["required"], f["choices"])
        for f in replaced.json()["form_fields"]
    ] == [
        ("you_xian_ji", "radio", True, ["高", "低"]),
        ("bao_gao_ren", "singleline", False, []),
    ]
    assert (
        PageLogEntry.objects.filter(page=form, action="wagtail.edit").count()
        == edits + 1
    )

    # A change of something else keeps the fields.
    retitled = controller.patch(
        url(number, "draft/"), {"title": "运维工作单（新）"}, format="json"
    )
    assert retitled.status_code == 200, retitled.json()
    assert [f["label"] for f in retitled.json()["form_fields"]] == ["优先级", "报告人"]

    # Only those who may edit the draft change its fields.
    refused = clients["staff"].patch(
        url(number, "draft/"), {"form_fields": []}, format="json"
    )
    assert refused.status_code in (403, 404)
    draft = DocumentPage.objects.get(number=number).get_latest_revision_as_object()
    assert [f.label for f in draft.form_fields.all()] == ["优先级", "报告人"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            [{"label": "颜色", "field_type": "colour"}],
            "form_fields[0].field_type: Unknown field type “colour”; use one of "
            "singleline, multiline, email, number, url, checkbox, checkboxes, "
            "dropdown, multiselect, radio, date, datetime, hidden.",
        ),
        (
            [{"label": "  ", "field_type": "singleline"}],
            "form_fields[0].label: A field needs a label.",
        ),
        (
            [
                {"label": "报告人", "field_type": "singleline"},
                {"label": "报告人", "field_type": "multiline"},
            ],
            "form_fields: Two fields are labelled “报告人”.",
        ),
        (
            [
                {"label": "报告人", "field_type": "singleline"},
                {"label": "报告 人", "field_type": "singleline"},
            ],
            "form_fields: “报告 人” and “报告人” would both be stored as "
            "“bao_gao_ren”; change one of the labels.",
        ),
        (
            [{"label": "优先级", "field_type": "dropdown"}],
            "form_fields[0].choices: A choice field needs its choices.",
        ),
        (
            [{"label": "优先级", "field_type": "radio", "choices": ["高", " "]}],
            None,  # blank choices are dropped: accepted
        ),
        (
            [{"label": "报告人", "field_type": "singleline", "choices": ["张三"]}],
            "form_fields[0].choices: Only checkboxes, dropdown, multiselect and "
            "radio fields have choices.",
        ),
        (
            [
                {
                    "label": "优先级",
                    "field_type": "dropdown",
                    "choices": ["高", "低"],
                    "default_value": "中",
                }
            ],
            "form_fields[0].default_value: “中” is not one of the choices.",
        ),
        (
            [{"label": f"字段{i}", "field_type": "singleline"} for i in range(101)],
            "form_fields: A form has at most 100 fields.",
        ),
    ],
)
def test_the_api_refuses_bad_fields(clients, desk_procedure, fields, message):
    controller = clients["controller"]
    before = DocumentPage.objects.count()
    created = create_form(controller, form_fields=fields)
    if message is None:
        assert created.status_code == 201, created.json()
        assert created.json()["form_fields"][0]["choices"] == ["高"]
        return
    assert created.status_code == 400, created.json()
    assert created.json()["detail"] == message
    assert "form_fields" in created.json()
    assert DocumentPage.objects.count() == before

    # The same refusal when a draft's fields are replaced; the draft is kept.
    number = create_form(controller).json()["number"]
    patched = controller.patch(
        url(number, "draft/"), {"form_fields": fields}, format="json"
    )
    assert patched.status_code == 400, patched.json()
    assert patched.json()["detail"] == message
    draft = DocumentPage.objects.get(number=number).get_latest_revision_as_object()
    assert len(draft.form_fields.all()) == len(WORK_ORDER)


def test_only_forms_have_fields(clients, desk_procedure):
    controller = clients["controller"]
    procedure = controller.post(
        LIST_URL,
        {
            "title": "事件管理程序",
            "tier": 2,
            "department": "技术部",
            "form_fields": WORK_ORDER,
        },
        format="json",
    )
    assert procedure.status_code == 400
    assert procedure.json()["detail"] == (
        "form_fields: Only forms (tier 4) have fields to fill."
    )
    assert "form_fields" not in controller.get(url("B02")).json()
    patched = controller.patch(url("B02", "draft/"), {"form_fields": []}, format="json")
    assert patched.status_code == 400
    assert patched.json()["detail"] == (
        "form_fields: Only forms (tier 4) have fields to fill."
    )


def test_fields_approved_through_the_api_are_released(clients, desk_procedure):
    controller = clients["controller"]
    number = create_form(controller).json()["number"]
    submitted = controller.post(url(number, "submit/"))
    assert submitted.status_code == 200, submitted.json()
    result = sign_all(clients, number, submitted.json()["workflow"])
    assert result["finished"] is True
    assert result["current_issue"] == "A"

    issue = DocumentIssue.objects.get(document__number=number, label="A")
    assert issue.form_schema == WORK_ORDER_SCHEMA
    detail = clients["staff"].get(url(number)).json()
    assert detail["form_fields"] == shown(WORK_ORDER_SCHEMA)
    assert detail["draft_form_fields"] is None
    assert controller.get(url(number)).json()["draft_form_fields"] == shown(
        WORK_ORDER_SCHEMA
    )

    # Unchanged, the draft is what issue A released: nothing to submit.
    unchanged = controller.post(url(number, "submit/"))
    assert unchanged.status_code == 400
    assert unchanged.json()["detail"] == "Nothing has changed since issue A."

    # Only the choices of one field change: new content, issued as B.
    fields = [dict(field) for field in WORK_ORDER]
    fields[2]["choices"] = ["紧急", "高", "中", "低"]
    patched = controller.patch(
        url(number, "draft/"), {"form_fields": fields}, format="json"
    )
    assert patched.status_code == 200, patched.json()
    assert controller.get(url(number)).json()["draft_form_fields"][2]["choices"] == [
        "紧急",
        "高",
        "中",
        "低",
    ]
    # Staff still see the fields in force.
    assert clients["staff"].get(url(number)).json()["form_fields"] == shown(
        WORK_ORDER_SCHEMA
    )
    submitted = controller.post(url(number, "submit/"))
    assert submitted.status_code == 200, submitted.json()
    result = sign_all(clients, number, submitted.json()["workflow"])
    assert result["current_issue"] == "B"

    released = DocumentIssue.objects.get(document__number=number, label="B")
    assert released.form_schema[2] == {
        **WORK_ORDER_SCHEMA[2],
        "choices": "紧急\n高\n中\n低",
    }
    assert released.form_schema[:2] == WORK_ORDER_SCHEMA[:2]
    detail = clients["staff"].get(url(number)).json()
    assert detail["current_issue"] == "B"
    assert detail["form_fields"][2]["choices"] == ["紧急", "高", "中", "低"]
