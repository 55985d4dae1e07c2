"""Internal audits in the Wagtail admin: the question bank (kept by the
preparers; a question asked by a checklist is never deleted), the "Internal
audits" menu and the dashboard panels."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.messages import get_messages
from django.test import RequestFactory
from django.urls import reverse
from wagtail.admin.menu import admin_menu
from wagtail.permissions import policy_registry
from wagtail.users.models import UserProfile

from .. import services
from ..models import ChecklistItem, ClauseQuestion
from ..panels import homepage_panels
from . import factories

pytestmark = pytest.mark.django_db


def _english(*users):
    for user in users:
        profile = UserProfile.get_for_user(user)
        profile.preferred_language = "en"
        profile.save()


@pytest.fixture
def p():
    people = factories.people()
    _english(people.controller, people.tech_manager, people.mr)
    return people


def url(view: str, *args) -> str:
    return reverse(f"wagtailsnippets_audits_clausequestion:{view}", args=args)


def last_message(response) -> str:
    found = [str(m) for m in get_messages(response.wsgi_request)]
    return found[-1] if found else ""


def question(text: str = "是否按程序评审变更？", ref: str = "8.5.1", by=None):
    return ClauseQuestion.objects.create(
        clause=factories.clause(ref), text=text, created_by=by
    )


# --- The question bank ----------------------------------------------------------------


def test_document_control_lists_and_adds_questions(client, p):
    kept = question()
    client.force_login(p.controller)
    response = client.get(url("list"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "是否按程序评审变更？" in content
    assert url("add") in content
    assert url("edit", kept.pk) in content

    clause = factories.clause("7.5.3")
    response = client.post(
        url("add"),
        {
            "clause": clause.pk,
            "text": "受控文件是否在使用处可获得？",
            "sort_order": "1",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    added = ClauseQuestion.objects.get(text="受控文件是否在使用处可获得？")
    assert (added.clause, added.created_by) == (clause, p.controller)


def test_staff_and_readers_do_not_change_the_bank(client, p):
    kept = question()
    client.force_login(p.staff)  # no admin access at all
    for target in (url("list"), url("add"), url("edit", kept.pk)):
        response = client.get(target)
        assert response.status_code in (302, 403), target
        assert response.status_code != 200

    client.force_login(p.tech_manager)  # reads the bank
    response = client.get(url("list"))
    assert response.status_code == 200
    assert url("add") not in response.content.decode()
    assert url("edit", kept.pk) not in response.content.decode()
    response = client.get(url("add"))
    assert response.status_code in (302, 403)
    response = client.post(url("add"), {"clause": kept.clause_id, "text": "x"})
    assert response.status_code in (302, 403)
    assert not ClauseQuestion.objects.filter(text="x").exists()


def test_a_question_asked_by_a_checklist_is_kept(client, p):
    asked = question(by=p.auditor)
    unused = question("变更是否分级？", ref="8.5.2")
    audit = factories.audit(p.auditor, start=date(services.company_today().year, 3, 1))
    services.audit_team_set(user=p.controller, audit=audit, leader=p.auditor)
    services.checklist_generate(user=p.auditor, audit=audit)
    assert ChecklistItem.objects.filter(audit=audit, bank_question=asked).exists()

    policy = policy_registry.get_by_type(ClauseQuestion)
    assert not policy.user_has_permission_for_instance(p.controller, "delete", asked)
    assert policy.user_has_permission_for_instance(p.controller, "delete", unused)
    assert not policy.user_has_permission_for_instance(p.staff, "delete", unused)

    client.force_login(p.controller)
    response = client.get(url("delete", asked.pk))
    assert response.status_code == 302
    assert last_message(response) == (
        "This question is asked in 1 checklist item and cannot be deleted; mark "
        "it inactive instead."
    )
    client.post(url("delete", asked.pk))
    assert ClauseQuestion.objects.filter(pk=asked.pk).exists()

    # Made inactive instead; the next checklist no longer asks it.
    response = client.post(
        url("edit", asked.pk),
        {"clause": asked.clause_id, "text": asked.text, "sort_order": "0"},
    )
    assert response.status_code == 302, response.content[:2000]
    asked.refresh_from_db()
    assert not asked.is_active

    response = client.post(url("delete", unused.pk))
    assert response.status_code == 302
    assert not ClauseQuestion.objects.filter(pk=unused.pk).exists()


# --- The menu and the dashboard -------------------------------------------------------


def _menu(user) -> dict[str, str]:
    request = RequestFactory().get("/admin/")
    request.user = user
    for item in admin_menu.menu_items_for_request(request):
        if item.name == "audits":
            return {
                sub.name: sub.url for sub in item.menu.menu_items_for_request(request)
            }
    return {}


def test_the_internal_audits_menu(p):
    menu = _menu(p.controller)
    assert menu["audits-home"] == reverse("audits:home")
    assert menu["audits-programmes"] == reverse("audits:programmes")
    assert menu["audits-audits"] == reverse("audits:audits")
    assert menu["audits-mine"] == reverse("audits:mine")
    assert url("list") in menu.values()
    assert url("list") in _menu(p.tech_manager).values()


def test_dashboard_panels(client, p):
    request = RequestFactory().get("/admin/")
    request.user = p.controller
    names = [panel.name for panel in homepage_panels(request)]
    assert names == ["shoukong_audits_coverage"]  # no programme this year yet
    request.user = p.staff
    assert homepage_panels(request) == []

    year = services.company_today().year
    factories.audit(p.auditor, start=date(year, 3, 1))
    services.programme_submit(
        user=p.controller, programme=services.programme_ensure(user=p.mr, year=year)
    )
    client.force_login(p.mr)
    content = client.get(reverse("wagtailadmin_home")).content.decode()
    assert 'data-shoukong-panel="shoukong-audits-waiting"' in content
    assert "Audits waiting for you" in content
    assert reverse("audits:programme", kwargs={"year": year}) in content
    assert 'data-shoukong-panel="shoukong-audits-coverage"' in content
    assert "Departments not audited" in content
