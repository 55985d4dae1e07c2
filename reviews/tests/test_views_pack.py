"""The compiled pack's page: the empty state with the compile button, one
compilation through pack_compile, a hand-made pack rendered section by
section (numbers, linked rows, signed inputs, missing departments), an older
or partial pack that still renders, the versions, and 管理者代表's
confirmation with its filing warnings."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from documents import roles
from documents.tests import factories as doc_factories

from ..models import ReviewPack
from . import factories

pytestmark = pytest.mark.django_db


def as_user(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def pack_url(review, version=None) -> str:
    url = reverse("reviews:pack", kwargs={"number": review.number})
    return f"{url}?version={version}" if version is not None else url


def action_url(review, action: str) -> str:
    return reverse(
        "reviews:pack_action", kwargs={"number": review.number, "action": action}
    )


SAMPLE = {
    "schema": 1,
    "review": "MR-2026-01",
    "period": {"start": "2025-11-24", "end": "2026-11-20"},
    "compiled_on": "2026-11-23",
    "sections": [
        {
            "code": "previous_actions",
            "title": "以往管理评审措施的状态",
            "source": "reviews",
            "source_url": "/reviews/actions/",
            "compiled": True,
            "summary": {
                "total": 2,
                "open": 1,
                "closed": 1,
                "overdue": 1,
                "by_status": {"进行中": 1, "已验证": 1},
            },
            "rows": [
                {
                    "reference": "MR-2025-01-01",
                    "review": "MR-2025-01",
                    "kind": "improvement",
                    "kind_label": "改进措施",
                    "description": "完善客户满意度调查",
                    "owner": "张工",
                    "department": "技术部",
                    "due_date": "2026-03-31",
                    "status": "open",
                    "status_label": "进行中",
                    "open": True,
                    "overdue": True,
                    "url": "/compliance/nonconformities/NC-2026-007/",
                },
            ],
            "inputs": [],
            "missing": [],
        },
        {
            "code": "objectives",
            "title": "方针和目标的实现",
            "source": "reviews",
            "source_url": "/reviews/objectives/",
            "compiled": True,
            "summary": {"total": 2, "met": 1, "not_met": 1, "unmeasured": 0},
            "rows": [
                {
                    "code": "response-rate",
                    "name": "服务响应及时率",
                    "target": "95",
                    "target_label": "≥ 95%",
                    "unit": "%",
                    "comparison": "gte",
                    "frequency": "monthly",
                    "measurements": [
                        {
                            "period": "2026-09",
                            "start": "2026-09-01",
                            "value": "96.5",
                            "met": True,
                        }
                    ],
                    "latest": "96.5",
                    "latest_period": "2026-09",
                    "met": True,
                },
                {
                    "code": "satisfaction",
                    "name": "客户满意度",
                    "target": "90",
                    "target_label": "≥ 90%",
                    "unit": "%",
                    "comparison": "gte",
                    "frequency": "quarterly",
                    "measurements": [],
                    "latest": "87",
                    "latest_period": "2026Q3",
                    "met": False,
                },
            ],
            "inputs": [],
            "missing": [],
        },
        {
            "code": "nonconformities",
            "title": "不符合和纠正措施",
            "source": "compliance",
            "source_url": "/compliance/nonconformities/?open=on",
            "compiled": True,
            "summary": {
                "open": 3,
                "by_status": {"planned": 2, "accepted": 1},
                "by_status_label": {"已制定措施": 2, "措施已接受": 1},
                "by_age": {"lt30": 1, "30to90": 1, "gt90": 1},
                "overdue": 1,
                "raised_in_period": 5,
                "closed_in_period": 2,
                "by_clause": {"8.5": 2, "7.5": 1},
            },
            "rows": [
                {
                    "number": "NC-2026-003",
                    "title": "变更未经评审",
                    "kind": "nonconformity",
                    "grade": "一般",
                    "status": "planned",
                    "status_label": "已制定措施",
                    "department": "技术部",
                    "clause": "8.5.1",
                    "owner": "李工",
                    "due_date": "2026-10-01",
                    "age_days": 120,
                    "overdue": True,
                    "url": "/compliance/nonconformities/NC-2026-003/",
                },
                {
                    "number": "NC-2026-009",
                    "title": "恶意链接",
                    "kind": "nonconformity",
                    "grade": "轻微",
                    "status": "accepted",
                    "status_label": "措施已接受",
                    "department": "市场部",
                    "clause": "7.5",
                    "owner": "王工",
                    "due_date": "2026-12-31",
                    "age_days": 12,
                    "overdue": False,
                    "url": "javascript:alert(1)",
                },
            ],
            "inputs": [],
            "missing": [],
        },
        {
            "code": "suppliers",
            "title": "供方及其他相关方的绩效",
            "source": "departments",
            "source_url": "",
            "compiled": False,
            "summary": {"inputs": 1},
            "rows": [],
            "inputs": [
                {
                    "id": 5,
                    "department": "技术部",
                    "content": "两家供方年度评价均合格。",
                    "prepared_by": "staff",
                    "signed_by": "tech_manager",
                    "signed_at": "2026-11-20T10:15:00+08:00",
                    "attachments": [{"id": 77, "name": "供方评价.pdf", "size": 2048}],
                },
            ],
            "missing": ["市场部"],
        },
    ],
}


def make_pack(review, user, version=1, data=None, **fields) -> ReviewPack:
    return ReviewPack.objects.create(
        review=review,
        version=version,
        period_start=review.period_start,
        period_end=review.period_end,
        data=SAMPLE if data is None else data,
        compiled_by=user,
        compiled_at=timezone.now(),
        **fields,
    )


@pytest.fixture
def world():
    p = factories.people()
    return p, factories.approved(p)


def test_empty_state_offers_the_compile_button_to_preparers_only(world):
    p, review = world
    page = as_user(p.controller).get(pack_url(review))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="pack-empty"' in html
    assert "No pack has been compiled yet." in html
    assert 'data-testid="pack-compile"' in html
    assert 'data-testid="review-tabs"' in html

    staff = as_user(p.staff).get(pack_url(review))
    assert staff.status_code == 200
    assert 'data-testid="pack-compile"' not in staff.content.decode()

    customer = doc_factories.user(
        "customer", role=roles.CUSTOMER_REPRESENTATIVE, department_name=None
    )
    assert as_user(customer).get(pack_url(review)).status_code == 403
    unknown = reverse("reviews:pack", kwargs={"number": "MR-1999-01"})
    assert as_user(p.staff).get(unknown).status_code == 404


def test_a_draft_review_cannot_be_compiled_yet(world):
    p, _review = world
    draft = factories.review(p, days=30)
    page = as_user(p.controller).get(pack_url(draft))
    html = page.content.decode()
    assert 'data-testid="pack-compile"' not in html
    assert "once the plan is approved" in html
    refused = as_user(p.controller).post(action_url(draft, "compile"), follow=True)
    assert "once the plan is approved" in " ".join(messages_of(refused))
    assert not ReviewPack.objects.filter(review=draft).exists()


def test_compiling_through_the_page_makes_a_version(world):
    p, review = world
    assert as_user(p.staff).post(action_url(review, "compile")).status_code == 403
    response = as_user(p.controller).post(action_url(review, "compile"), follow=True)
    assert response.status_code == 200
    pack = ReviewPack.objects.get(review=review)
    assert pack.version == 1 and pack.compiled_by == p.controller
    assert "Version 1 of the pack is compiled." in messages_of(response)
    html = response.content.decode()
    assert 'data-testid="pack-head"' in html and 'data-version="1"' in html
    # Again: version 2; the first stays in the list.
    again = as_user(p.controller).post(action_url(review, "compile"), follow=True)
    assert "Version 2 of the pack is compiled." in messages_of(again)
    assert [v["pack"].version for v in again.context["versions"]] == [2, 1]
    assert as_user(p.controller).post(action_url(review, "shred")).status_code == 404
    assert as_user(p.controller).get(action_url(review, "compile")).status_code == 405


def test_a_pack_is_rendered_section_by_section(world):
    p, review = world
    make_pack(review, p.controller)
    page = as_user(p.staff).get(pack_url(review))
    assert page.status_code == 200
    html = page.content.decode()
    codes = [s["code"] for s in page.context["sections"]]
    assert codes == ["previous_actions", "objectives", "nonconformities", "suppliers"]
    # Summary numbers with their labels; status counts by label.
    nc = page.context["sections"][2]
    facts = {f["key"]: f for f in nc["facts"]}
    assert facts["open"]["value"] == "3"
    assert "by_status" not in facts
    assert {i["label"]: i["value"] for i in facts["by_status_label"]["items"]} == {
        "已制定措施": "2",
        "措施已接受": "1",
    }
    assert [str(i["label"]) for i in facts["by_age"]["items"]] == [
        "under 30 days",
        "30 to 90 days",
        "over 90 days",
    ]
    # Rows link to their source; the overdue one is flagged; a link that is
    # not a path on this site is not a link.
    assert 'href="/compliance/nonconformities/NC-2026-003/"' in html
    assert 'href="/compliance/nonconformities/?open=on"' in html
    assert "javascript:" not in html
    assert "NC-2026-009" in html
    assert html.count('data-flagged="1"') == 2  # the overdue action and NC
    # Objectives met and not met.
    assert 'class="pack-met" data-testid="pack-met">✓' in html
    assert 'class="pack-not-met" data-testid="pack-met">✗' in html
    # The signed input and the missing department.
    assert "两家供方年度评价均合格。" in html
    assert 'data-testid="pack-missing"' in html and "市场部" in html
    files_url = reverse(
        "reviews:input_file", kwargs={"number": review.number, "file_id": 77}
    )
    assert files_url in html
    assert 'data-testid="pack-confirm"' not in html  # staff do not confirm


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"schema": 0},
        {"sections": "none"},
        {
            "sections": [
                {"code": "audits"},
                "junk",
                {"code": "documents", "summary": []},
            ]
        },
        {
            "sections": [
                {
                    "code": "nonconformities",
                    "summary": {"open": None},
                    "rows": {"not": "a list"},
                    "inputs": [{"attachments": ["x"]}],
                    "missing": "市场部",
                }
            ]
        },
        {
            "sections": [
                {
                    "code": "audits",
                    "summary": {"coverage": [{"year": 2026}]},
                    "open_findings": [{"number": "NC-1", "url": "/x/"}],
                },
                {"code": "future_section", "rows": [{"a": 1, "url": "/y/"}]},
            ]
        },
    ],
)
def test_an_older_or_partial_pack_still_renders(world, data):
    p, review = world
    make_pack(review, p.controller, data=data)
    page = as_user(p.controller).get(pack_url(review))
    assert page.status_code == 200
    assert 'data-testid="pack-head"' in page.content.decode()


def test_versions_and_an_older_version(world):
    p, review = world
    make_pack(review, p.controller, version=1, data={"sections": []})
    make_pack(review, p.controller, version=2)
    client = as_user(p.mr)
    latest = client.get(pack_url(review))
    assert latest.context["pack"].version == 2
    assert 'data-testid="pack-old-version"' not in latest.content.decode()
    assert 'data-testid="pack-confirm"' in latest.content.decode()
    older = client.get(pack_url(review, 1))
    html = older.content.decode()
    assert older.context["pack"].version == 1
    assert 'data-testid="pack-old-version"' in html
    assert 'data-testid="pack-confirm"' not in html
    assert "This version of the pack has no sections." in html
    assert client.get(pack_url(review, 9)).status_code == 404
    assert client.get(pack_url(review, "abc")).status_code == 404


def test_the_management_representative_confirms_with_the_filing_warnings(world):
    p, review = world
    make_pack(review, p.controller, version=1)
    make_pack(review, p.controller, version=2)
    assert as_user(p.controller).post(action_url(review, "confirm")).status_code == 403
    client = as_user(p.mr)
    stale = client.post(action_url(review, "confirm"), {"version": "1"}, follow=True)
    assert "confirm version 2" in " ".join(messages_of(stale))
    response = client.post(action_url(review, "confirm"), {"version": "2"}, follow=True)
    pack = ReviewPack.objects.get(review=review, version=2)
    assert pack.confirmed_by == p.mr and pack.confirmed_at is not None
    texts = messages_of(response)
    assert "Version 2 of the pack is confirmed." in texts
    # No form D1404 in the test library: the record is not filed, and the
    # page says so.
    warnings = [
        str(m) for m in response.context["messages"] if m.level_tag == "warning"
    ]
    assert any("D1404" in w for w in warnings), texts
    html = response.content.decode()
    assert 'data-testid="pack-confirm"' not in html
    assert "Not yet confirmed" not in html
    again = client.post(action_url(review, "confirm"), {"version": "2"}, follow=True)
    assert "already confirmed" in " ".join(messages_of(again))
