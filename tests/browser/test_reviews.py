"""行政部 records a management review's meeting and its decisions, in a real
browser.

The review's plan is approved and its input pack compiled. The controller
opens the meeting page, ticks who signed in, writes 管理者代表's report and the
verdicts, and saves: the review is "meeting held". On the outputs page she
records an improvement action with its owner and due date; it is listed with
the nonconformity it raised in compliance.

Screenshots go to /tmp (shoukong-review-meeting.png,
shoukong-review-outputs.png) for a person to look at.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from compliance.lifecycle import NonconformitySource
from reviews import services
from reviews.lifecycle import ReviewStatus
from reviews.models import Review, ReviewOutput
from reviews.tests import factories

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

DESKTOP = {"width": 1280, "height": 900}
TIMEOUT_MS = 15_000
DECISION = "提高客户满意度调查的回收率"


@pytest.fixture
def scene(live_server):
    people = factories.people()
    review = factories.approved(people)
    services.pack_compile(user=people.controller, review=review)
    return people, review


def log_in(browser, base: str, username: str, next_path: str):
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(base + next_path)
    assert "/accounts/login/" in page.url
    page.fill("#id_username", username)
    page.fill("#id_password", "pw")
    page.click("form.stack button[type=submit]")
    page.wait_for_url(base + next_path)
    return context, page


def test_controller_records_the_meeting_and_an_improvement_action(
    live_server, browser, scene
):
    people, review = scene
    base = live_server.url
    context, page = log_in(
        browser, base, "controller", f"/reviews/{review.number}/meeting/"
    )

    # 签到: tick who came, write the report and the verdicts, save.
    for user in (people.gm, people.mr, people.controller, people.tech_manager):
        page.check(f'[data-testid=attendees] input[value="{user.pk}"]')
    page.fill("#id_mr_report", "体系运行总体正常，客户满意度略低于目标。")
    page.fill("#id_notes_objectives", "满意度需提升。")
    for name, value in (
        ("suitability", "yes"),
        ("adequacy", "yes"),
        ("effectiveness", "partly"),
    ):
        page.check(f'input[name="{name}"][value="{value}"]')
    page.screenshot(path="/tmp/shoukong-review-meeting.png", full_page=True)
    page.click("[data-testid=save-meeting]")
    page.wait_for_selector('[data-testid=review-status][data-status="held"]')
    review = Review.objects.get(pk=review.pk)
    assert review.status == ReviewStatus.HELD
    present = set(
        review.participants.filter(attended=True).values_list(
            "user__username", flat=True
        )
    )
    assert present == {"gm", "mr", "controller", "tech_manager"}

    # The decision: an improvement action with its owner and due date.
    page.click("[data-testid=tab-outputs]")
    page.wait_for_selector("[data-testid=output-form]")
    page.select_option("#id_kind", "improvement")
    page.select_option("#id_section", "performance")
    page.fill("#id_description", DECISION)
    page.select_option("#id_owner", str(people.tech_manager.pk))
    due = factories.today() + timedelta(days=60)
    page.fill("#id_due_date", due.isoformat())
    page.click("[data-testid=add-output]")
    row = page.locator('[data-testid=output][data-seq="1"]')
    row.wait_for()

    output = ReviewOutput.objects.select_related("nonconformity").get(review=review)
    nc = output.nonconformity
    assert nc.source == NonconformitySource.MANAGEMENT_REVIEW
    assert nc.owner == people.tech_manager and nc.due_date == due
    assert DECISION in row.inner_text()
    link = row.locator("[data-testid=output-link]")
    assert nc.number in link.inner_text()
    assert link.get_attribute("href") == nc.get_absolute_url()
    page.screenshot(path="/tmp/shoukong-review-outputs.png", full_page=True)
    context.close()
