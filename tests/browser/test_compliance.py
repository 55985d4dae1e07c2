"""Document control traces a clause and raises a nonconformity, in a real browser.

The demo users and the function allocation matrix come from the demo loaders;
文件控制程序 (B05) is issued and traced to clause 7.5. The controller opens the
clause list, sees 8.5.1 with 技术部 answering for it, opens 7.5 and finds B05
there; then raises a major nonconformity against 8.5.1 for 技术部, lands on its
page and finds it in the list and among the clause's open findings.

Screenshots go to /tmp (shoukong-clauses.png, shoukong-clause.png,
shoukong-nc-new.png, shoukong-nc.png) for a person to look at.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model

from compliance import services
from compliance.demo import demo_compliance_ensure
from compliance.lifecycle import NonconformityStatus
from compliance.models import Nonconformity
from documents import demo
from documents.tests import factories

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = settings.SHOUKONG_DEMO_PASSWORD
DESKTOP = {"width": 1280, "height": 900}
TIMEOUT_MS = 15_000
TITLE = "紧急变更未补做评审"


@pytest.fixture
def traced(live_server):
    # The loaders themselves, not ``load_demo``: the command reads
    # settings.SETTINGS_MODULE, which is None under live_server's
    # override_settings.
    demo.demo_load(users_only=True)
    demo_compliance_ensure(users_only=True)
    b05 = factories.document("procedure", "文件控制程序", number="B05", issue=True)
    controller = get_user_model().objects.get(username="controller")
    services.document_link(
        user=controller,
        clause=services.clause_for("7.5"),
        document=b05,
        note="规定文件的审批、发布、更改和作废。",
    )
    return b05


def log_in(browser, base: str, username: str, next_path: str):
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(base + next_path)
    assert "/accounts/login/" in page.url
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("form.stack button[type=submit]")
    page.wait_for_url(base + next_path)
    return page


def test_controller_traces_a_clause_and_raises_a_nonconformity(
    live_server, browser, traced
):
    base = live_server.url
    page = log_in(browser, base, "controller", "/compliance/clauses/")

    # The catalogue, with who answers for 8.5.1.
    row = page.locator('[data-testid=clause-row][data-clause="8.5.1"]')
    row.wait_for()
    assert "★ 技术部" in row.inner_text()
    page.screenshot(path="/tmp/shoukong-clauses.png", full_page=True)

    # Clause 7.5 lists the procedure traced to it, with the note.
    page.locator('[data-testid=clause-row][data-clause="7.5"]').get_by_role(
        "link", name="7.5", exact=True
    ).click()
    page.wait_for_url("**/compliance/clauses/iso20000-1-2018/7.5/")
    assert page.inner_text("[data-testid=clause-ref]") == "7.5"
    document = page.locator('[data-testid=clause-document-row][data-number="B05"]')
    assert "文件控制程序" in document.inner_text()
    assert "规定文件的审批" in document.inner_text()
    page.screenshot(path="/tmp/shoukong-clause.png", full_page=True)

    # Raise a major nonconformity against 8.5.1 for 技术部.
    page.goto(base + "/compliance/nonconformities/new/")
    page.fill("#id_title", TITLE)
    page.fill("#id_facts", "抽查三张紧急变更单，均未在实施后补做CAB评审。")
    page.select_option("#id_grade", "major")
    page.select_option("#id_source", "staff_report")
    page.fill("#id_clause", "8.5.1")
    page.select_option("#id_department", label="技术部")
    page.fill("#id_documents", "B05")
    page.screenshot(path="/tmp/shoukong-nc-new.png", full_page=True)
    page.click("[data-testid=submit-nc]")
    page.wait_for_selector("[data-testid=nc-number]")

    nc = Nonconformity.objects.get(title=TITLE)
    assert nc.status == NonconformityStatus.RAISED
    assert nc.clause.ref_id == "8.5.1" and nc.department.name == "技术部"
    assert nc.raised_by.username == "controller"
    assert page.url == base + nc.get_absolute_url()
    assert page.inner_text("[data-testid=nc-number]") == nc.number
    assert "8.5.1" in page.inner_text("[data-testid=nc-clause]")
    assert "B05" in page.inner_text("[data-testid=nc-documents]")
    page.screenshot(path="/tmp/shoukong-nc.png", full_page=True)

    # The list shows it, and so do the clause's open findings.
    page.goto(base + "/compliance/nonconformities/")
    listed = page.locator(f'[data-testid=nc-row][data-number="{nc.number}"]')
    assert TITLE in listed.inner_text()
    assert "技术部" in listed.inner_text()
    page.goto(base + nc.clause.get_absolute_url())
    assert nc.number in page.inner_text("[data-testid=findings]")
