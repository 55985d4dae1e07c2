"""Document control in the Wagtail admin: each role's dashboard, the read-only
record listings, and signing through Wagtail's workflow action modal."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from wagtail.models import PageLogEntry
from wagtail.permissions import policy_registry
from wagtail.users.models import UserProfile

from documents import approvals, services
from documents.lifecycle import RecallStatus, SignatureMeaning
from documents.models import (
    Department,
    DistributionListEntry,
    ProcedurePage,
    RecallTask,
    Signature,
)

pytestmark = pytest.mark.django_db

PASSWORD = settings.SHOUKONG_DEMO_PASSWORD

LISTINGS = (
    "distribution_records",
    "controlled_copies",
    "recall_tasks",
    "change_requests",
    "periodic_reviews",
    "withdrawal_requests",
    "destruction_records",
    "borrowing_records",
    "external_sign_outs",
    "signatures",
)


@pytest.fixture
def users():
    call_command("load_demo", "--users-only", stdout=io.StringIO())
    result = {u.username: u for u in get_user_model().objects.all()}
    # The assertions read the English source strings, whatever LANGUAGE_CODE.
    for user in result.values():
        profile = UserProfile.get_for_user(user)
        profile.preferred_language = "en"
        profile.save()
    return result


@pytest.fixture
def procedure(users):
    """A tier 2 procedure of 行政部 involving 技术部 and 市场部, in approval."""
    tech = Department.objects.get(name="技术部")
    market = Department.objects.get(name="市场部")
    page = services.document_create(
        user=users["controller"],
        parent=services.library_ensure(),
        page_class=ProcedurePage,
        title="变更管理程序",
        department=Department.objects.get(name="行政部"),
        body="<p>变更的申请、评估与批准。</p>",
    )
    page.involved_departments.set([tech, market])
    page.distribution_list.add(
        DistributionListEntry(holder=users["tech_manager"], copies=1),
        DistributionListEntry(department=market, copies=1),
    )
    page.save_revision(user=users["controller"])
    approvals.document_submit(user=users["controller"], document=page)
    return ProcedurePage.objects.get(pk=page.pk)


def sign(document, users, *names):
    for name in names:
        result = approvals.document_act(
            user=users[name],
            document=document,
            action="approve",
            password=PASSWORD,
            attachments_complete=True,
        )
        assert result.signed, result.reasons
    return result


def sign_through(document, users):
    result = sign(document, users, "tech_manager", "market_manager", "mr", "gm")
    result = sign(document, users, "controller")
    assert result.finished
    return document.issues.newest_first().first()


def panels(client):
    """The ids of the Shoukong panels on the dashboard, with their text."""
    response = client.get(reverse("wagtailadmin_home"))
    assert response.status_code == 200
    html = response.content.decode()
    found = {}
    for panel_id in (
        "shoukong-my-approvals",
        "shoukong-my-cosignatures",
        "shoukong-my-acknowledgements",
        "shoukong-recalls-overdue",
        "shoukong-reviews-due",
    ):
        marker = f'data-shoukong-panel="{panel_id}"'
        if marker in html:
            start = html.index(marker)
            found[panel_id] = html[start : html.index("</table>", start)]
    return found


# --- Dashboard ----------------------------------------------------------------------


def test_involved_managers_see_their_co_signature_and_nobody_else(
    client, users, procedure
):
    for name in ("tech_manager", "market_manager"):
        client.force_login(users[name])
        shown = panels(client)
        assert set(shown) == {"shoukong-my-cosignatures"}
        assert procedure.number in shown["shoukong-my-cosignatures"]
        assert "变更管理程序" in shown["shoukong-my-cosignatures"]
        assert "会签（相关部门经理）" in shown["shoukong-my-cosignatures"]
        edit_url = reverse("wagtailadmin_pages:edit", args=(procedure.pk,))
        assert edit_url in shown["shoukong-my-cosignatures"]
    for name in ("mr", "gm", "controller", "auditor"):
        client.force_login(users[name])
        assert "shoukong-my-approvals" not in panels(client)
        assert "shoukong-my-cosignatures" not in panels(client)


def test_each_signer_sees_the_step_in_my_approvals_in_turn(client, users, procedure):
    sign(procedure, users, "tech_manager", "market_manager")
    client.force_login(users["tech_manager"])
    assert "shoukong-my-cosignatures" not in panels(client)
    for name, step in (
        ("mr", "审核（管理者代表）"),
        ("gm", "审批（总经理）"),
        ("controller", "发布前检查（文控）"),
    ):
        client.force_login(users[name])
        shown = panels(client)
        assert "shoukong-my-cosignatures" not in shown
        assert step in shown["shoukong-my-approvals"]
        assert procedure.number in shown["shoukong-my-approvals"]
        sign(procedure, users, name)
    client.force_login(users["controller"])
    assert "shoukong-my-approvals" not in panels(client)


def test_a_recipient_sees_the_issue_to_acknowledge(client, users, procedure):
    issue = sign_through(procedure, users)
    client.force_login(users["tech_manager"])
    shown = panels(client)["shoukong-my-acknowledgements"]
    assert procedure.number in shown
    assert f">{issue.label}<" in shown.replace(" ", "").replace("\n", "")
    assert 'href="/documents/my/"' in shown or "/documents/my/" in shown
    client.force_login(users["mr"])
    assert "shoukong-my-acknowledgements" not in panels(client)


def test_document_control_sees_overdue_recalls(client, users, procedure):
    issue_a = sign_through(procedure, users)
    procedure = ProcedurePage.objects.get(pk=procedure.pk)
    procedure.body = "<p>变更的申请、评估、批准与回顾。</p>"
    procedure.save_revision(user=users["controller"])
    approvals.document_submit(user=users["controller"], document=procedure)
    sign_through(procedure, users)
    recall = RecallTask.objects.get(
        copy__issue=issue_a, copy__holder=users["tech_manager"]
    )
    assert recall.status == RecallStatus.OPEN

    client.force_login(users["controller"])
    assert "shoukong-recalls-overdue" not in panels(client)

    RecallTask.objects.filter(pk=recall.pk).update(
        due_date=timezone.localdate() - timedelta(days=2)
    )
    shown = panels(client)["shoukong-recalls-overdue"]
    assert procedure.number in shown
    assert "受控02" in shown
    assert "/documents/control/" in shown
    for name in ("mr", "gm", "tech_manager"):
        client.force_login(users[name])
        assert "shoukong-recalls-overdue" not in panels(client)


def test_reviews_due_for_document_control_and_the_owner(client, users):
    library = services.library_ensure()
    old = services.document_create(
        user=users["controller"],
        parent=library,
        page_class=ProcedurePage,
        title="信息安全管理程序",
        department=Department.objects.get(name="行政部"),
        body="<p>旧的程序。</p>",
    )
    today = timezone.localdate()
    services.issue_create(
        user=None, document=old, publish_date=date(today.year - 3, 1, 5)
    )
    old = ProcedurePage.objects.get(pk=old.pk)
    assert old.next_review_due is not None and old.next_review_due < today
    client.force_login(users["controller"])
    assert old.number in panels(client)["shoukong-reviews-due"]
    # The owner sees their own documents; others (not document control) nothing.
    ProcedurePage.objects.filter(pk=old.pk).update(owner=users["mr"])
    client.force_login(users["mr"])
    assert old.number in panels(client)["shoukong-reviews-due"]
    client.force_login(users["gm"])
    assert "shoukong-reviews-due" not in panels(client)


def another_procedure(users, title):
    page = services.document_create(
        user=users["controller"],
        parent=services.library_ensure(),
        page_class=ProcedurePage,
        title=title,
        department=Department.objects.get(name="行政部"),
        body="<p>正文。</p>",
    )
    approvals.document_submit(user=users["controller"], document=page)
    return page


def test_panels_cost_nothing_per_document_for_non_signers(
    client, users, procedure, django_assert_num_queries
):
    """Someone who signs no step (an auditor) pays no query per document in
    approval; the signers' cost is approvals.task_states_awaiting's."""
    client.force_login(users["auditor"])
    client.get(reverse("wagtailadmin_home"))
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("wagtailadmin_home"))
    another_procedure(users, "事件管理程序")
    another_procedure(users, "问题管理程序")
    with django_assert_num_queries(len(one.captured_queries)):
        client.get(reverse("wagtailadmin_home"))


# --- Read-only listings -------------------------------------------------------------


def test_document_control_and_management_read_every_listing(client, users, procedure):
    sign_through(procedure, users)
    for name in ("controller", "mr", "gm"):
        client.force_login(users[name])
        for listing in LISTINGS:
            response = client.get(reverse(f"{listing}:index"))
            assert response.status_code == 200, (name, listing)
    client.force_login(users["controller"])
    index = reverse("distribution_records:index")
    html = client.get(index).content.decode()
    assert procedure.number in html
    assert "受控02" in html
    assert "受控02" in client.get(index + "?action=issued").content.decode()
    assert "受控02" not in client.get(index + "?action=returned").content.decode()
    html = client.get(reverse("signatures:index")).content.decode()
    assert html.count("会签（相关部门经理）") == 2


def test_the_menu_groups_the_listings_under_document_control(client, users):
    client.force_login(users["controller"])
    html = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "Document control" in html
    assert reverse("distribution_records:index") in html
    client.force_login(users["tech_manager"])
    html = client.get(reverse("wagtailadmin_home")).content.decode()
    assert reverse("distribution_records:index") not in html


@pytest.mark.parametrize("name", ["staff", "tech_manager", "auditor"])
def test_other_roles_cannot_read_the_listings(client, users, name):
    client.force_login(users[name])
    for listing in LISTINGS:
        response = client.get(reverse(f"{listing}:index"))
        # Wagtail answers "no permission" with a redirect to the login page or
        # the dashboard, and a message.
        assert response.status_code in (302, 403), (name, listing)
        if response.status_code == 302:
            assert urlsplit(response["Location"]).path in (
                reverse("wagtailadmin_login"),
                reverse("wagtailadmin_home"),
            )


def test_there_is_no_add_edit_or_delete_url(client, users, procedure):
    sign_through(procedure, users)
    for listing in LISTINGS:
        for view in ("add", "edit", "delete", "copy", "history", "usage"):
            args = () if view == "add" else (1,)
            with pytest.raises(NoReverseMatch):
                reverse(f"{listing}:{view}", args=args)
    client.force_login(users["admin"])
    base = reverse("distribution_records:index")
    for suffix in ("new/", "edit/1/", "delete/1/"):
        assert client.get(base + suffix).status_code == 404
    # Not even a superuser may add, change or delete a record.
    record = Signature.objects.first()
    policy = policy_registry.get(record)
    for action in ("add", "change", "delete"):
        assert not policy.user_has_permission(users["admin"], action)
        assert not policy.user_has_permission_for_instance(
            users["admin"], action, record
        )
    assert policy.user_has_permission(users["controller"], "view")


def test_inspecting_a_copy_never_shows_its_opening_password(client, users, procedure):
    issue = sign_through(procedure, users)
    copy = issue.copies.get(holder=users["tech_manager"])
    type(copy).objects.filter(pk=copy.pk).update(open_password="s3cret-Pw")
    client.force_login(users["controller"])
    response = client.get(reverse("controlled_copies:inspect", args=(copy.pk,)))
    assert response.status_code == 200
    html = response.content.decode()
    assert "受控02" in html
    assert "s3cret-Pw" not in html
    # Times in local time (Asia/Shanghai), as everywhere else.
    with translation.override("en"):
        issued_at = date_format(timezone.localtime(copy.issued_at), "DATETIME_FORMAT")
    assert issued_at in html
    listing = client.get(reverse("controlled_copies:index")).content.decode()
    assert "s3cret-Pw" not in listing


def test_distribution_record_exports_in_local_time(client, users, procedure):
    issue = sign_through(procedure, users)
    client.force_login(users["controller"])
    response = client.get(reverse("distribution_records:index") + "?export=csv")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    lines = text.strip().splitlines()
    # (The headings are translated in the site language: Wagtail streams the
    # file after the admin's language override has ended.)
    assert len(lines[0].split(",")) == 9
    assert any(procedure.number in line and "受控02" in line for line in lines[1:])
    event_time = timezone.localtime(issue.copies.first().events.first().at)
    assert event_time.strftime("%Y-%m-%d %H:%M") in text
    response = client.get(reverse("distribution_records:index") + "?export=xlsx")
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.xlsx"')


def test_recall_listing_filters_open_and_overdue(client, users, procedure):
    issue_a = sign_through(procedure, users)
    procedure = ProcedurePage.objects.get(pk=procedure.pk)
    procedure.body = "<p>第二版。</p>"
    procedure.save_revision(user=users["controller"])
    approvals.document_submit(user=users["controller"], document=procedure)
    sign_through(procedure, users)
    recalls = RecallTask.objects.filter(copy__issue=issue_a)
    assert recalls.count() == 2
    late = recalls.get(copy__holder=users["tech_manager"])
    RecallTask.objects.filter(pk=late.pk).update(
        due_date=timezone.localdate() - timedelta(days=3)
    )
    client.force_login(users["controller"])
    index = reverse("recall_tasks:index")

    on_time = recalls.exclude(pk=late.pk).get()
    on_time_url = reverse("recall_tasks:inspect", args=(on_time.pk,))
    late_url = reverse("recall_tasks:inspect", args=(late.pk,))

    def listed(query):
        html = client.get(index + query).content.decode()
        return late_url in html, on_time_url in html

    assert listed("?state=overdue") == (True, False)
    assert listed("?state=open") == (True, True)
    assert listed("?state=closed") == (False, False)
    assert listed("") == (True, True)


# --- Signing through the admin's workflow action modal -------------------------------


def action_url(procedure, action="approve"):
    procedure = ProcedurePage.objects.get(pk=procedure.pk)
    task_state = procedure.current_workflow_task_state
    return reverse(
        "wagtailadmin_pages:workflow_action",
        args=(procedure.pk, action, task_state.pk),
    )


XHR = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}


def test_the_edit_view_offers_our_actions_to_the_signer(client, users, procedure):
    client.force_login(users["tech_manager"])
    response = client.get(reverse("wagtailadmin_pages:edit", args=(procedure.pk,)))
    html = response.content.decode()
    assert 'data-workflow-action-name="approve"' in html
    assert "Co-sign" in html
    assert "Return with comment" in html
    # The author submitted it: no action for them at the co-signature.
    client.force_login(users["gm"])
    html = client.get(
        reverse("wagtailadmin_pages:edit", args=(procedure.pk,))
    ).content.decode()
    assert 'data-workflow-action-name="approve"' not in html


def test_the_modal_asks_for_the_password(client, users, procedure):
    client.force_login(users["tech_manager"])
    response = client.get(action_url(procedure), **XHR)
    assert response.status_code == 200
    html = response.json()["html"]
    assert 'type="password"' in html
    assert 'name="password"' in html
    assert "attachments_complete" not in html


def test_a_wrong_password_signs_nothing_and_says_so_in_the_modal(
    client, users, procedure
):
    client.force_login(users["tech_manager"])
    response = client.post(
        action_url(procedure), {"password": "not-my-password", "comment": ""}, **XHR
    )
    assert response.status_code == 200
    payload = response.json()
    assert payload["step"] == "action"
    assert "The password is not correct." in payload["html"]
    assert not Signature.objects.exists()
    # Without the modal (a plain form post) it does not sign either.
    client.post(action_url(procedure), {"password": "not-my-password"})
    assert not Signature.objects.exists()


def test_the_right_password_signs_and_the_history_shows_it(client, users, procedure):
    client.force_login(users["tech_manager"])
    response = client.post(
        action_url(procedure), {"password": PASSWORD, "comment": "同意"}, **XHR
    )
    assert response.json()["step"] == "success"
    signature = Signature.objects.get()
    assert signature.user == users["tech_manager"]
    assert signature.meaning == SignatureMeaning.CO_SIGNED
    assert signature.department.name == "技术部"
    assert signature.password_confirmed
    assert signature.comment == "同意"
    entry = PageLogEntry.objects.get(action="shoukong.documents.sign")
    assert entry.user == users["tech_manager"]

    client.force_login(users["controller"])
    history = client.get(
        reverse("wagtailadmin_pages:history", args=(procedure.pk,))
    ).content.decode()
    assert (
        "Co-signed (会签) for issue A at step “会签（相关部门经理）” (技术部)"
        in history
    )


def test_the_pre_issue_check_modal_asks_about_the_attachments(client, users, procedure):
    sign(procedure, users, "tech_manager", "market_manager", "mr", "gm")
    client.force_login(users["controller"])
    html = client.get(action_url(procedure), **XHR).json()["html"]
    assert 'name="attachments_complete"' in html
    assert 'name="password"' in html
    # Unticked, the form refuses; ticked with the password, the issue is released.
    response = client.post(action_url(procedure), {"password": PASSWORD}, **XHR)
    assert response.json()["step"] == "action"
    assert not procedure.issues.exists()
    response = client.post(
        action_url(procedure),
        {"password": PASSWORD, "attachments_complete": "on"},
        **XHR,
    )
    assert response.json()["step"] == "success"
    issue = procedure.issues.get()
    assert issue.label == "A"
    assert Signature.objects.filter(issue=issue).count() == 5


def test_returning_needs_a_reason(client, users, procedure):
    client.force_login(users["tech_manager"])
    url = action_url(procedure, "reject")
    response = client.post(url, {"comment": ""}, **XHR)
    assert response.json()["step"] == "action"
    procedure.refresh_from_db()
    assert procedure.current_workflow_state.status == "in_progress"
    response = client.post(url, {"comment": "范围写得不清楚"}, **XHR)
    assert response.json()["step"] == "success"
    procedure = ProcedurePage.objects.get(pk=procedure.pk)
    assert procedure.current_workflow_state.status == "needs_changes"


def edit_view_action(client, procedure, action, **extra):
    """What the editor's footer posts after the modal collected the data."""
    return client.post(
        reverse("wagtailadmin_pages:edit", args=(procedure.pk,)),
        {
            "action-workflow-action": "true",
            "workflow-action-name": action,
            "workflow-action-extra-data": json.dumps(extra),
        },
    )


def test_signing_from_the_editor_saves_no_new_revision(client, users, procedure):
    revision = procedure.get_latest_revision()
    client.force_login(users["tech_manager"])
    response = edit_view_action(client, procedure, "approve", password="wrong")
    assert response.status_code == 302
    assert not Signature.objects.exists()
    for name in ("tech_manager", "market_manager"):
        client.force_login(users[name])
        response = edit_view_action(client, procedure, "approve", password=PASSWORD)
        assert response.status_code == 302
    procedure = ProcedurePage.objects.get(pk=procedure.pk)
    assert procedure.get_latest_revision() == revision
    assert set(Signature.objects.values_list("revision_id", "department__name")) == {
        (revision.pk, "技术部"),
        (revision.pk, "市场部"),
    }
    assert procedure.current_workflow_task.name == "审核（管理者代表）"


def test_the_editor_refuses_an_action_that_is_not_yours(client, users, procedure):
    client.force_login(users["controller"])
    revision = procedure.get_latest_revision()
    response = edit_view_action(client, procedure, "approve", password=PASSWORD)
    assert response.status_code == 302
    assert not Signature.objects.exists()
    assert ProcedurePage.objects.get(pk=procedure.pk).get_latest_revision() == revision


def test_signers_cannot_cancel_the_chain_but_the_author_can(client, users, procedure):
    edit_url = reverse("wagtailadmin_pages:edit", args=(procedure.pk,))
    client.force_login(users["tech_manager"])
    assert 'name="action-cancel-workflow"' not in client.get(edit_url).content.decode()
    client.post(edit_url, {"action-cancel-workflow": "true"})
    procedure = ProcedurePage.objects.get(pk=procedure.pk)
    assert procedure.current_workflow_state.status == "in_progress"
    assert approvals.may_cancel(user=users["controller"], document=procedure)
    assert not approvals.may_cancel(user=users["gm"], document=procedure)
