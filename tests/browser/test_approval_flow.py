"""Signers approve a tier 2 procedure in the Wagtail admin, in a real browser.

The test prepares 变更管理程序 (owned by 行政部, involving 技术部 and 市场部) and
submits it through the services; then each signer in turn (tech_manager,
market_manager, mr, gm, controller) logs in to the admin, opens the edit page,
chooses the action in the footer's action menu, re-enters their password in the
modal and submits. One wrong password on the way shows the modal's form error and
signs nothing. At the end issue A exists and the page history lists the five
signatures.

Screenshots go to /tmp (shoukong-sign-modal.png, shoukong-sign-error.png,
shoukong-sign-check.png, shoukong-sign-history.png) for a person to look at.
"""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from wagtail.users.models import UserProfile

from documents import approvals, demo, services
from documents.lifecycle import SignatureMeaning
from documents.models import Department, ProcedurePage, Signature

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = settings.SHOUKONG_DEMO_PASSWORD
DESKTOP = {"width": 1280, "height": 900}
TIMEOUT_MS = 15_000

SIGNERS = (
    ("tech_manager", "会签（相关部门经理）"),
    ("market_manager", "会签（相关部门经理）"),
    ("mr", "审核（管理者代表）"),
    ("gm", "审批（总经理）"),
    ("controller", "发布前检查（文控）"),
)


@pytest.fixture
def users(live_server):
    # The demo loader itself, not ``load_demo``: the command reads
    # settings.SETTINGS_MODULE, which is None under live_server's
    # override_settings.
    demo.demo_load(users_only=True)
    return {u.username: u for u in get_user_model().objects.all()}


@pytest.fixture
def submitted(users):
    """变更管理程序, submitted for approval by document control."""
    page = services.document_create(
        user=users["controller"],
        parent=services.library_ensure(),
        page_class=ProcedurePage,
        title="变更管理程序",
        department=Department.objects.get(name="行政部"),
        body="<p>变更的申请、评估与批准。</p>",
    )
    page.involved_departments.set(
        [Department.objects.get(name="技术部"), Department.objects.get(name="市场部")]
    )
    page.save_revision(user=users["controller"])
    approvals.document_submit(user=users["controller"], document=page)
    return ProcedurePage.objects.get(pk=page.pk)


def admin_log_in(browser, base, username):
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(base + "/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(base + "/admin/")
    return context, page


def open_action_modal(page, base, document):
    """Open the edit page and choose "approve" in the footer's action menu."""
    page.goto(f"{base}/admin/pages/{document.pk}/edit/")
    action = page.locator("footer button[data-workflow-action-name=approve]")
    if not action.is_visible():
        # Secondary actions sit behind the action menu's toggle.
        page.locator("footer [data-w-dropdown-target=toggle]").first.click()
    action.click()
    modal = page.locator(".modal form")
    modal.locator("input[name=password]").wait_for()
    return modal


def sign_in_browser(page, base, document, *, screenshot=None, check=False):
    modal = open_action_modal(page, base, document)
    if check:
        modal.locator("input[name=attachments_complete]").check()
    modal.locator("input[name=password]").fill(PASSWORD)
    if screenshot:
        page.screenshot(path=screenshot)
    with page.expect_navigation():
        modal.locator("button[type=submit]").click()


def test_signers_approve_a_procedure_in_the_admin(
    live_server, browser, users, submitted
):
    base = live_server.url
    document = submitted
    submitted_revision = document.get_latest_revision()

    # A wrong password: the modal shows the error and nothing is signed.
    context, page = admin_log_in(browser, base, "tech_manager")
    modal = open_action_modal(page, base, document)
    page.screenshot(path="/tmp/shoukong-sign-modal.png")
    modal.locator("input[name=password]").fill("not-my-password")
    modal.locator("button[type=submit]").click()
    error = page.locator(".modal [data-contentpath=password] .error-message")
    error.wait_for()
    page.screenshot(path="/tmp/shoukong-sign-error.png")
    assert not Signature.objects.exists()
    page.locator(".modal input[name=password]").fill(PASSWORD)
    with page.expect_navigation():
        page.locator(".modal button[type=submit]").click()
    context.close()
    assert Signature.objects.filter(user=users["tech_manager"]).exists()

    for username, step in SIGNERS[1:]:
        context, page = admin_log_in(browser, base, username)
        check = username == "controller"
        sign_in_browser(
            page,
            base,
            document,
            check=check,
            screenshot="/tmp/shoukong-sign-check.png" if check else None,
        )
        signature = Signature.objects.get(user=users[username])
        assert signature.task_state.task.name == step
        assert signature.password_confirmed
        if username != "controller":
            context.close()

    document.refresh_from_db()
    issue = document.issues.get()
    assert issue.label == "A"
    # Signing from the editor saved no revision: what was submitted is issued.
    assert issue.revision == submitted_revision
    assert sorted(
        Signature.objects.filter(issue=issue).values_list("meaning", flat=True)
    ) == sorted(
        [
            SignatureMeaning.CO_SIGNED,
            SignatureMeaning.CO_SIGNED,
            SignatureMeaning.REVIEWED,
            SignatureMeaning.APPROVED,
            SignatureMeaning.CHECKED,
        ]
    )

    # The history, read in English, lists each signature with its meaning,
    # issue and step.
    profile = UserProfile.get_for_user(users["controller"])
    profile.preferred_language = "en"
    profile.save()
    page.goto(f"{base}/admin/pages/{document.pk}/history/")
    history = page.locator("main")
    history.get_by_text(re.compile("for issue A")).first.wait_for()
    text = history.inner_text()
    page.screenshot(path="/tmp/shoukong-sign-history.png", full_page=True)
    for expected in (
        "Co-signed (会签) for issue A at step “会签（相关部门经理）” (技术部)",
        "Co-signed (会签) for issue A at step “会签（相关部门经理）” (市场部)",
        "Reviewed (审核) for issue A at step “审核（管理者代表）”",
        "Approved (批准) for issue A at step “审批（总经理）”",
        "Pre-issue check passed (发布前检查) for issue A at step “发布前检查（文控）”",
    ):
        assert expected in text

    # And the library shows issue A.
    page.goto(f"{base}/documents/{document.number}/")
    assert page.get_by_test_id("issue-label").inner_text() == "A"
    context.close()
