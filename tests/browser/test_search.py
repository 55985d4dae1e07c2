"""A member of staff searches from the header box, in a real browser.

Screenshots go to /tmp (shoukong-search-suggest.png, shoukong-search.png,
shoukong-search-form.png, shoukong-search-mobile.png) for a person to look at.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qs, urlparse

import pytest

from documents import roles, services
from documents.tests import factories

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

DESKTOP = {"width": 1280, "height": 900}
MOBILE = {"width": 390, "height": 844}


@pytest.fixture
def documents(live_server):
    factories.user("staff", role=roles.STAFF, department_name="技术部")
    services.library_ensure()
    b05 = factories.document(
        "procedure",
        "文件控制程序",
        number="B05",
        body="<p>规定文件的编制、审批、发放、更改和作废。</p>",
        issue=True,
        publish_date=date(2026, 1, 5),
    )
    factories.document("form", "文件发放、回收记录", parent=b05, issue=True)
    factories.document(
        "procedure",
        "服务级别管理程序",
        number="B10",
        body="<p>服务级别协议（SLA）的制定、监视与评审。</p>",
        issue=True,
    )
    return b05


def log_in(page, base_url):
    page.goto(base_url + "/documents/")
    page.fill("#id_username", "staff")
    page.fill("#id_password", "pw")
    page.click("form.stack button[type=submit]")
    page.wait_for_url(base_url + "/documents/")


def test_search_from_the_header(live_server, browser, documents):
    base = live_server.url
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    log_in(page, base)

    box = page.locator("#header-q")
    assert box.get_attribute("role") == "combobox"
    box.click()
    box.press_sequentially("文件", delay=50)

    # The autocomplete lists numbers and titles starting with the words.
    listbox = page.get_by_role("listbox")
    listbox.wait_for(state="visible")
    options = page.get_by_role("option")
    options.first.wait_for()
    labels = [t.split() for t in options.all_inner_texts()]
    assert ["B05", "文件控制程序", "A"] in labels
    assert ["D0501", "文件发放、回收记录", "A"] in labels
    assert box.get_attribute("aria-expanded") == "true"
    page.screenshot(path="/tmp/shoukong-search-suggest.png")

    # Keyboard: down chooses an option, escape closes the list.
    box.press("ArrowDown")
    active = box.get_attribute("aria-activedescendant")
    assert active
    assert page.locator(f"#{active}").get_attribute("aria-selected") == "true"
    box.press("Escape")
    assert listbox.is_hidden()
    assert box.get_attribute("aria-expanded") == "false"

    # Enter without a chosen option submits the search.
    box.press("Enter")
    page.wait_for_url("**/search/?q=*")
    assert parse_qs(urlparse(page.url).query)["q"] == ["文件"]
    results = page.get_by_test_id("search-hit")
    # The two documents come first; the clauses on documented information follow.
    numbers = page.get_by_test_id("hit-number").all_inner_texts()
    assert numbers[:2] == ["B05", "D0501"]
    assert "7.5" in numbers[2:]
    marks = page.locator("[data-testid=search-results] mark").all_inner_texts()
    assert marks and set(marks) == {"文件"}
    assert page.get_by_test_id("search-summary").get_attribute("aria-live") == "polite"
    # The page's own box holds the query and has the focus.
    assert page.locator("#search-q").input_value() == "文件"
    assert page.evaluate("document.activeElement.id") == "search-q"
    page.screenshot(path="/tmp/shoukong-search.png", full_page=True)

    # Apply a kind filter: only the form is left.
    page.get_by_test_id("kind-form").check()
    page.get_by_test_id("apply-filters").click()
    page.wait_for_url("**kind=form**")
    assert results.count() == 1
    assert page.get_by_test_id("hit-number").inner_text() == "D0501"
    assert "<mark>文件</mark>" in page.get_by_test_id("hit-title").inner_html()
    assert page.get_by_test_id("kind-form").is_checked()
    page.screenshot(path="/tmp/shoukong-search-form.png", full_page=True)

    # Choosing a suggestion with the keyboard opens the document.
    box = page.locator("#search-q")
    box.fill("")
    box.press_sequentially("b0", delay=50)
    page.get_by_role("option").first.wait_for()
    box.press("ArrowDown")
    box.press("Enter")
    page.wait_for_url(base + "/documents/B05/")
    assert page.locator("h1").inner_text() == "文件控制程序"


def test_search_page_on_a_phone(live_server, browser, documents):
    base = live_server.url
    context = browser.new_context(viewport=MOBILE, is_mobile=True, locale="zh-CN")
    page = context.new_page()
    log_in(page, base)
    page.goto(base + "/search/?q=SLA")
    assert page.get_by_test_id("hit-number").all_inner_texts() == ["B10"]
    assert page.evaluate("document.documentElement.scrollWidth") <= MOBILE["width"]
    page.screenshot(path="/tmp/shoukong-search-mobile.png", full_page=True)
    # Without a match: the closest titles.
    page.goto(base + "/search/?q=文件程式管控")
    assert page.get_by_test_id("did-you-mean").get_by_role("link").count() >= 1
    assert page.evaluate("document.documentElement.scrollWidth") <= MOBILE["width"]
