"""A member of staff finds B05 in the library and reads it, in a real browser.

Screenshots go to /tmp (shoukong-b05.png, shoukong-b05-mobile.png,
shoukong-b05-void.png, shoukong-b05-void-mobile.png, shoukong-library.png,
shoukong-library-mobile.png, shoukong-login.png, shoukong-register-en.png,
shoukong-register-mobile.png) for a person to look at.
"""

from __future__ import annotations

from datetime import date

import pytest

from documents import roles, services
from documents.tests import factories

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

DESKTOP = {"width": 1280, "height": 900}
MOBILE = {"width": 390, "height": 844}

B05_BODY = (
    "<h2>1 目的</h2><p>对体系文件的编制、审批、发布、更改和作废进行控制，"
    "确保使用处获得适用文件的有效版本。</p>"
    "<h2>2 范围</h2><p>适用于信息技术服务管理体系的所有文件。</p>"
)


@pytest.fixture
def b05(live_server):
    factories.user("staff", role=roles.STAFF, department_name="技术部")
    services.library_ensure()
    procedure = factories.document(
        "procedure",
        "文件控制程序",
        number="B05",
        body=B05_BODY,
        description="规定文件的编制、审批、发布和作废",
    )
    services.issue_create(user=None, document=procedure, publish_date=date(2026, 1, 5))
    factories.document("form", "文件更改申请表", parent=procedure, issue=True)
    return procedure


def log_in(page, base_url, screenshot=None):
    page.goto(base_url + "/documents/")
    assert "/accounts/login/" in page.url
    if screenshot:
        page.screenshot(path=screenshot)
    page.fill("#id_username", "staff")
    page.fill("#id_password", "pw")
    page.click("form.stack button[type=submit]")
    page.wait_for_url(base_url + "/documents/")


def test_staff_opens_b05_from_the_library(live_server, browser, b05):
    base = live_server.url
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    log_in(page, base, screenshot="/tmp/shoukong-login.png")

    assert page.locator("h1").inner_text() == "文件库"
    page.screenshot(path="/tmp/shoukong-library.png", full_page=True)
    assert page.get_by_test_id("user-box").inner_text().split() == ["staff", "技术部"]
    page.get_by_role("link", name="B05", exact=True).click()
    page.wait_for_url(base + "/documents/B05/")
    assert page.get_by_test_id("issue-label").inner_text() == "A"
    assert page.get_by_test_id("current-badge").inner_text() == "受控 · 现行版本"
    assert page.locator("h1").inner_text() == "文件控制程序"
    assert page.get_by_text("D0501").is_visible()
    assert page.get_by_test_id("void-banner").count() == 0
    page.screenshot(path="/tmp/shoukong-b05.png", full_page=True)

    # The page is laid out for a phone: nothing wider than the screen.
    mobile = browser.new_context(
        viewport=MOBILE,
        storage_state=context.storage_state(),
        is_mobile=True,
        locale="zh-CN",
    )
    phone = mobile.new_page()
    phone.goto(base + "/documents/B05/")
    assert phone.get_by_test_id("issue-label").inner_text() == "A"
    assert phone.evaluate("document.documentElement.scrollWidth") <= MOBILE["width"]
    phone.screenshot(path="/tmp/shoukong-b05-mobile.png", full_page=True)
    phone.goto(base + "/documents/")
    # Under 640px the table becomes cards: the header row is visually hidden.
    assert phone.locator("table.doc-table thead").first.bounding_box()["height"] <= 1
    assert phone.evaluate("document.documentElement.scrollWidth") <= MOBILE["width"]
    phone.screenshot(path="/tmp/shoukong-library-mobile.png", full_page=True)
    phone.goto(base + "/register/")
    assert phone.evaluate("document.documentElement.scrollWidth") <= MOBILE["width"]
    phone.screenshot(path="/tmp/shoukong-register-mobile.png", full_page=True)

    # Issue B supersedes A: A now carries the 作废 banner.
    services.issue_create(
        user=None,
        document=b05,
        publish_date=date(2026, 3, 1),
        change_summary="增加电子文件的控制要求",
    )
    page.goto(base + "/documents/B05/A/")
    banner = page.get_by_test_id("void-banner")
    assert banner.is_visible()
    assert "作废 — 此版本已失效，请使用现行版本" in banner.inner_text()
    assert page.title().startswith("【作废】")
    assert page.locator(".void-watermark").is_visible()
    page.screenshot(path="/tmp/shoukong-b05-void.png", full_page=False)
    page.get_by_test_id("current-link").click()
    page.wait_for_url(base + "/documents/B05/B/")
    assert page.get_by_test_id("issue-label").inner_text() == "B"
    assert page.get_by_test_id("void-banner").count() == 0

    phone.goto(base + "/documents/B05/A/")
    assert phone.get_by_test_id("void-banner").is_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= MOBILE["width"]
    phone.screenshot(path="/tmp/shoukong-b05-void-mobile.png", full_page=False)


def test_language_switcher_changes_to_english(live_server, browser, b05):
    base = live_server.url
    page = browser.new_context(viewport=DESKTOP, locale="zh-CN").new_page()
    log_in(page, base)
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Document library"
    page.get_by_role("link", name="Document register").click()
    page.wait_for_url(base + "/register/")
    assert page.locator("h1").inner_text() == "Document register"
    page.screenshot(path="/tmp/shoukong-register-en.png", full_page=True)
    page.get_by_role("button", name="简体中文").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "受控文件清单"
