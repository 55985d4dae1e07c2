"""A restricted document (confidential) on the checklist (内审检查表): the
page, the finding form and the API name it to its readers only; an auditor who
may not open it sees that the clause has a restricted document, and may still
name it in a finding."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from audits import services
from audits.lifecycle import ItemResult
from audits.models import ChecklistItem
from documents import access

from . import factories

pytestmark = pytest.mark.django_db

NUMBER, TITLE = "B07", "变更管理程序"
PLACEHOLDER = "Restricted document"

# B07 belongs to 技术部 (staff, tech_manager); controller and mr read every
# restricted document. auditor (行政部, leading the audit) and market_manager
# (市场部) may not open it.
READERS = ("staff", "tech_manager", "controller", "mr")
OTHERS = ("auditor", "market_manager")


@pytest.fixture
def world():
    """The acceptance audit in its fieldwork, its checklist made while B07 was
    open; then B07 is restricted to 技术部."""
    scene = factories.scene()
    audit = factories.in_progress(factories.audit(scene.people.auditor), scene.people)
    access.document_set_access(
        user=scene.people.controller,
        document=scene.b07,
        confidential=True,
        reader_departments=[],
    )
    return scene, audit


def as_user(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def item_for(audit, ref_id: str) -> ChecklistItem:
    return ChecklistItem.objects.select_related("audit").get(
        audit=audit, clause__ref_id=ref_id, department__name="技术部"
    )


def assert_named(text: str, *, named: bool) -> None:
    assert (f'data-number="{NUMBER}"' in text) is named
    assert (TITLE in text) is named
    assert (PLACEHOLDER in text) is not named


@pytest.mark.parametrize("username", READERS + OTHERS)
def test_checklist_names_it_to_its_readers_only(world, username):
    scene, audit = world
    response = as_user(getattr(scene.people, username)).get(
        reverse("audits:checklist", kwargs={"number": audit.number})
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert_named(html, named=username in READERS)
    # The open documents of 7.5, as before.
    assert 'data-number="B05"' in html and "记录控制程序" in html
    rows = {
        r["item"].clause.ref_id: r
        for g in response.context["groups"]
        for r in g["rows"]
    }
    if username in OTHERS:
        assert rows["8.5.1"]["documents"] == [{"restricted": True}]


def test_finding_form_names_it_to_its_readers_only(world):
    scene, audit = world
    item = item_for(audit, "8.5.1")
    services.checklist_item_update(
        user=scene.people.auditor,
        item=item,
        result=ItemResult.NONCONFORMING,
        evidence="紧急变更未补做评审",
    )
    url = reverse(
        "audits:finding_new", kwargs={"number": audit.number, "item_id": item.pk}
    )
    client = as_user(scene.people.auditor)
    page = client.get(url)
    assert page.status_code == 200
    assert page.context["form"].fields["documents"].choices == [
        (str(scene.b07.pk), PLACEHOLDER)
    ]
    assert TITLE not in page.content.decode()
    # Ticked, it is named in the finding all the same.
    client.post(
        url,
        {
            "title": "8.5.1 紧急变更未补做评审",
            "facts": "紧急变更未补做评审",
            "grade": factories.grade("minor").pk,
            "documents": [str(scene.b07.pk)],
        },
    )
    nc = ChecklistItem.objects.get(pk=item.pk).nonconformity
    assert list(nc.documents.values_list("number", flat=True)) == [NUMBER]


@pytest.mark.parametrize("username", READERS + OTHERS)
def test_checklist_api_names_it_to_its_readers_only(world, username):
    scene, audit = world
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(getattr(scene.people, username))
    response = client.get(f"/api/v1/audits/{audit.number}/checklist/")
    assert response.status_code == 200
    items = {i["clause"]["ref_id"]: i for i in response.json()["items"]}
    (document,) = items["8.5.1"]["documents"]
    if username in READERS:
        assert document["number"] == NUMBER and document["title"] == TITLE
        assert document["issue"] == "A" and document["restricted"] is False
    else:
        assert document["restricted"] is True
        assert document["number"] == document["title"] == document["issue"] == ""
        assert TITLE not in response.content.decode()
    assert [d["number"] for d in items["7.5"]["documents"]] == ["B05", "B06"]
