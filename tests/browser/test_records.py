"""A service desk engineer fills a work order and corrects it, in a real browser.

Screenshots go to /tmp (shoukong-record-fill.png, shoukong-record.png,
shoukong-record-mobile.png) for a person to look at.
"""

from __future__ import annotations

import pytest

from documents import roles
from documents.tests import factories
from records import services
from records.models import Record
from records.tests import factories as record_factories

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

DESKTOP = {"width": 1280, "height": 900}
MOBILE = {"width": 390, "height": 844}


@pytest.fixture
def work_order(live_server):
    factories.user("engineer", role=roles.STAFF, department_name="技术部")
    return record_factories.form()


def log_in(page, base_url, next_path):
    page.goto(base_url + next_path)
    assert "/accounts/login/" in page.url
    page.fill("#id_username", "engineer")
    page.fill("#id_password", "pw")
    page.click("form.stack button[type=submit]")
    page.wait_for_url(base_url + next_path)


def test_engineer_fills_and_corrects_a_work_order(live_server, browser, work_order):
    page = browser.new_page(viewport=DESKTOP)
    log_in(page, live_server.url, "/records/fill/D0201/")
    assert page.inner_text("[data-testid=form-number]") == "D0201"

    # A required field left empty: nothing is sent, nothing typed is lost.
    page.fill("#id_values-bao_gao_ren", "张三")
    page.select_option("#id_values-you_xian_ji", "中")
    page.click("[data-testid=submit-record]")
    assert page.evaluate(
        "document.querySelector('#id_values-gu_zhang_miao_shu').validity.valueMissing"
    )
    assert page.input_value("#id_values-bao_gao_ren") == "张三"
    assert Record.objects.count() == 0

    page.fill("#id_values-gu_zhang_miao_shu", "三楼打印机无法打印")
    page.screenshot(path="/tmp/shoukong-record-fill.png", full_page=True)
    page.click("[data-testid=submit-record]")
    page.wait_for_selector("[data-testid=record-number]")
    expected = f"D0201-{services.company_today():%Y%m%d}01"
    assert page.inner_text("[data-testid=record-number]") == expected
    assert Record.objects.get().number == expected

    # 划改: the old value stays visible, struck through, with the corrector.
    page.select_option("#correct-field", "you_xian_ji")
    page.fill("#correct-value", "高")
    page.fill("#correct-reason", "录入时选错优先级")
    page.click("[data-testid=correction-form] button[type=submit]")
    page.wait_for_selector("[data-testid=correction]")
    correction = page.inner_text("[data-testid=correction]")
    assert "录入时选错优先级" in correction
    assert page.inner_text("[data-testid=correction] del") == "中"
    assert (
        page.inner_text('tr[data-field="you_xian_ji"] [data-testid=current-value]')
        == "高"
    )
    assert Record.objects.get().data["you_xian_ji"] == "中"
    page.screenshot(path="/tmp/shoukong-record.png", full_page=True)

    mobile = browser.new_page(viewport=MOBILE)
    mobile.context.add_cookies(page.context.cookies())
    mobile.goto(live_server.url + f"/records/{expected}/")
    mobile.wait_for_selector("[data-testid=correction]")
    # Nothing wider than the screen on a phone.
    overflow = mobile.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 1
    mobile.screenshot(path="/tmp/shoukong-record-mobile.png", full_page=True)
