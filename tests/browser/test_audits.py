"""An internal auditor fills in the checklist on a tablet, in a real browser.

The acceptance audit (7.5 and 8.5.1 on 技术部) is in its fieldwork. The auditor
opens its checklist, marks 8.5.1 nonconforming and types the evidence: it
saves as she types (a reload shows it). The connection drops: she types more,
the page says it is offline with one change waiting, and the change stays on
the tablet; when the connection returns it is sent, and a reload shows it. She
attaches a file; another tablet saves the item first and she keeps her text;
what was typed but never sent comes back on the next visit and is sent. At
phone width (390px) nothing is wider than the screen.

Screenshots go to /tmp (shoukong-checklist.png, shoukong-checklist-offline.png,
shoukong-checklist-mobile.png) for a person to look at.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from audits import services
from audits.lifecycle import ItemResult
from audits.models import ChecklistItem
from audits.tests import factories

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

TABLET = {"width": 1024, "height": 768}
MOBILE = {"width": 390, "height": 844}
TIMEOUT_MS = 15_000
FIRST = "抽查变更单CR-12：紧急变更实施后未补做CAB评审"
MORE = "；变更经理称评审会改期，无书面记录"
LAST = "。"
OTHER = "另一台平板记下的内容"
RESTORED = "离线时记下、关闭页面前未发出的内容"
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<<>>\n%%EOF\n"
ITEM = '[data-testid=checklist-item][data-clause="8.5.1"]'


@pytest.fixture
def fieldwork(live_server):
    scene = factories.scene()
    audit = factories.in_progress(factories.audit(scene.people.auditor), scene.people)
    return audit


def open_checklist(browser, base: str, path: str, viewport):
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(base + path)
    assert "/accounts/login/" in page.url
    page.fill("#id_username", "auditor")
    page.fill("#id_password", "pw")
    page.click("form.stack button[type=submit]")
    page.wait_for_url(base + path)
    page.wait_for_selector(ITEM)
    return context, page


def wait_saved(page):
    """Every change confirmed by the server: nothing left in localStorage."""
    page.wait_for_selector('[data-checklist][data-pending="0"][data-online="1"]')
    page.wait_for_selector(f"{ITEM} .cl-item__state--saved")


def stored(audit) -> ChecklistItem:
    return ChecklistItem.objects.get(audit=audit, clause__ref_id="8.5.1")


def test_auditor_fills_the_checklist_and_loses_nothing_offline(
    live_server, browser, fieldwork
):
    audit = fieldwork
    base = live_server.url
    path = f"/audits/audits/{audit.number}/checklist/"
    context, page = open_checklist(browser, base, path, TABLET)
    item = page.locator(ITEM)
    assert "B07" in item.locator("[data-testid=item-documents]").inner_text()

    # Nonconforming, with the facts: saved as she goes, no button pressed.
    item.locator("[data-testid=item-evidence]").fill(FIRST)
    item.locator("[data-testid=result-nonconforming] input").check()
    wait_saved(page)
    saved = stored(audit)
    assert saved.result == ItemResult.NONCONFORMING and saved.evidence == FIRST
    assert page.inner_text("[data-role=answered]") == "1"
    assert item.locator("[data-testid=write-up]").is_visible()
    page.screenshot(path="/tmp/shoukong-checklist.png", full_page=True)

    page.reload()
    item = page.locator(ITEM)
    assert item.locator("[data-testid=item-evidence]").input_value() == FIRST
    assert item.locator("[data-testid=result-nonconforming] input").is_checked()

    # The connection drops while she types: the change waits on the tablet.
    context.set_offline(True)
    item.locator("[data-testid=item-evidence]").press("End")
    item.locator("[data-testid=item-evidence]").type(MORE)
    banner = page.locator("[data-testid=offline-banner]")
    banner.wait_for(state="visible")
    page.wait_for_selector('[data-checklist][data-online="0"][data-pending="1"]')
    assert "1" in banner.inner_text()
    waiting = page.evaluate(
        "Object.keys(localStorage).filter(k => k.startsWith('shoukong.checklist.'))"
    )
    assert len(waiting) == 1
    assert stored(audit).evidence == FIRST
    page.screenshot(path="/tmp/shoukong-checklist-offline.png", full_page=True)

    # Back online: the waiting change is sent, the banner goes.
    context.set_offline(False)
    wait_saved(page)
    banner.wait_for(state="hidden")
    assert stored(audit).evidence == FIRST + MORE
    assert page.evaluate("Object.keys(localStorage).length") == 0
    page.reload()
    item = page.locator(ITEM)
    assert item.locator("[data-testid=item-evidence]").input_value() == FIRST + MORE

    # A photo of the change log, from the tablet.
    item.locator("[data-testid=evidence-input]").set_input_files(
        {"name": "变更日志.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    item.locator("[data-testid=evidence-file]").wait_for()
    assert "变更日志.pdf" in item.locator("[data-testid=item-files]").inner_text()

    # Another tablet saves the item first: she sees its copy and keeps hers.
    auditor = get_user_model().objects.get(username="auditor")
    services.checklist_item_update(user=auditor, item=stored(audit), evidence=OTHER)
    item.locator("[data-testid=item-evidence]").press("End")
    item.locator("[data-testid=item-evidence]").type(LAST)
    conflict = item.locator("[data-testid=item-conflict]")
    conflict.wait_for()
    assert OTHER in conflict.inner_text()
    conflict.locator("[data-testid=keep-mine]").click()
    wait_saved(page)
    assert stored(audit).evidence == FIRST + MORE + LAST

    # Typed but never sent (the tab was closed while offline): the next visit
    # puts it back into its field and sends it.
    saved = stored(audit)
    page.evaluate(
        "([key, entry]) => localStorage.setItem(key, JSON.stringify(entry))",
        [
            f"shoukong.checklist.{auditor.pk}.{audit.number}.{saved.pk}",
            {"version": saved.version, "fields": {"evidence": RESTORED}},
        ],
    )
    page.reload()
    wait_saved(page)
    assert stored(audit).evidence == RESTORED
    assert page.locator(ITEM).locator("[data-testid=item-evidence]").input_value() == (
        RESTORED
    )
    context.close()

    # A phone: one column, nothing wider than the screen.
    context, mobile = open_checklist(browser, base, path, MOBILE)
    overflow = mobile.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    mobile.screenshot(path="/tmp/shoukong-checklist-mobile.png", full_page=True)
    assert overflow <= 0
    box = mobile.locator(f"{ITEM} [data-testid=result-conforming]").bounding_box()
    assert box["height"] >= 44
    context.close()
