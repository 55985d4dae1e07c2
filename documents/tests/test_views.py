"""The staff front end: library, document and issue pages, languages."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from documents import library as listing
from documents import services
from documents.lifecycle import DocumentStatus, IssueStatus
from documents.models import DocumentIssue, DocumentPage, ExternalDocumentPage
from documents.tests import factories

pytestmark = pytest.mark.django_db


def issued(kind="procedure", title="测试程序", **kwargs):
    return factories.document(kind, title, issue=True, **kwargs)


def make_obsolete(page):
    # No withdrawal service exists yet; set the end state directly for the view.
    DocumentIssue.objects.filter(document=page).update(status=IssueStatus.OBSOLETE)
    DocumentPage.objects.filter(pk=page.pk).update(status=DocumentStatus.OBSOLETE)


def external_document(title="GB/T 24405.1-2009 信息技术 服务管理", **fields):
    page = services.document_create(
        user=None,
        parent=services.external_register(),
        page_class=ExternalDocumentPage,
        title=title,
        issuer="国家标准化管理委员会",
        edition="2009",
        department=factories.department(),
        **fields,
    )
    page.save_revision().publish()
    return DocumentPage.objects.get(pk=page.pk).specific


def text(response) -> str:
    return response.content.decode()


def count_queries(client, url) -> int:
    # Warm up: the first request fills caches (Wagtail's site root paths).
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


# --- Access ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["/documents/", "/register/", "/documents/B05/", "/documents/B05/A/"],
)
def test_login_required(client, procedure, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_inactive_user_is_refused(client, staff_user, procedure):
    client.force_login(staff_user)
    staff_user.is_active = False
    staff_user.save()
    response = client.get("/documents/")
    assert response.status_code == 302


def test_home_redirects_to_library(staff_client):
    response = staff_client.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse("documents:library")


def test_login_page_renders_in_chinese(client, library):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    body = text(response)
    assert "登录" in body
    assert 'name="username"' in body
    assert 'lang="zh-hans"' in body


def test_login_form_logs_in_and_logout_posts(client, staff_user, procedure):
    response = client.post(
        "/accounts/login/",
        {"username": "staff", "password": "pw", "next": "/documents/B05/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/documents/B05/"
    page = text(client.get("/documents/"))
    assert "staff" in page and "技术部" in page  # user name and department
    assert 'action="/accounts/logout/"' in page
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert client.get("/documents/").status_code == 302


# --- Library ---------------------------------------------------------------------


def test_library_lists_issued_documents_and_hides_drafts(staff_client, procedure):
    factories.document("procedure", "草稿程序", number="B06")
    body = text(staff_client.get("/documents/"))
    assert "B05" in body and "文件控制程序" in body
    assert "B06" not in body and "草稿程序" not in body
    assert 'href="/documents/B05/"' in body


def test_library_row_shows_issue_status_department_and_dates(staff_client, procedure):
    body = text(staff_client.get("/documents/"))
    assert '<span class="issue-letter">A</span>' in body
    assert "badge--controlled" in body and "受控" in body
    assert "行政部" in body
    assert "2026-01-05" in body  # publish date
    assert "2029-01-05" in body  # next review due: publish + 3 years


def test_library_groups_by_tier_in_tier_order(staff_client, library):
    procedure = issued("procedure", "文件控制程序", number="B05")
    issued("form", "文件更改申请表", parent=procedure)
    issued("manual", "信息技术服务管理手册", number="A01")
    external_document()
    body = text(staff_client.get("/documents/"))
    heading = 'class="doc-group__title">'
    positions = [
        body.index(heading + label)
        for label in ("一级 · 手册", "二级 · 程序文件", "四级 · 表单", "外来文件")
    ]
    assert positions == sorted(positions)
    assert body.index(heading + "二级 · 程序文件") < body.index(">B05</a>")
    assert heading + "三级 · 作业指导书" not in body  # empty groups are left out


def test_library_orders_numbers_naturally(staff_client, library):
    for number in ("B100", "B99", "B10", "B02"):
        issued("procedure", f"程序{number}", number=number)
    body = text(staff_client.get("/documents/"))
    positions = [body.index(f">{n}</a>") for n in ("B02", "B10", "B99", "B100")]
    assert positions == sorted(positions)


def test_library_filters(staff_client, departments):
    tech = departments["技术部"]
    b05 = issued("procedure", "文件控制程序", number="B05")
    issued("form", "文件更改申请表", parent=b05)
    issued("procedure", "事件管理程序", number="B07", dept=tech)
    obsolete = issued("procedure", "旧程序", number="B09")
    make_obsolete(obsolete)

    def numbers(query):
        body = text(staff_client.get("/documents/" + query))
        return {n for n in ("B05", "D0501", "B07", "B09") if f">{n}</a>" in body}

    assert numbers("") == {"B05", "D0501", "B07", "B09"}
    assert numbers("?tier=4") == {"D0501"}
    assert numbers(f"?department={tech.pk}") == {"B07"}
    assert numbers("?status=obsolete") == {"B09"}
    assert numbers("?status=controlled") == {"B05", "D0501", "B07"}
    assert numbers("?q=事件") == {"B07"}
    assert numbers("?q=b0") == {"B05", "B07", "B09"}
    assert numbers("?q=ｄ０５０１") == {"D0501"}  # full-width input is normalised
    assert numbers("?tier=bogus&status=bogus&department=x") == numbers("")


def test_library_shows_obsolete_badge(staff_client, library):
    make_obsolete(issued("procedure", "旧程序", number="B09"))
    body = text(staff_client.get("/documents/"))
    assert "badge--obsolete" in body and "作废" in body


def test_library_groups_by_department(departments, staff_client):
    # departments first: staff_user would otherwise create 技术部 with sort order 0
    issued("procedure", "行政程序", number="B01", dept=departments["行政部"])
    issued("procedure", "技术程序", number="B02", dept=departments["技术部"])
    body = text(staff_client.get("/documents/?group=department"))
    headings = [
        body.index('class="doc-group__title">行政部'),
        body.index('class="doc-group__title">技术部'),
    ]
    assert headings == sorted(headings)  # departments in their sort order
    assert body.index("B01") < headings[1] < body.index(">B02</a>")
    assert "二级 · 程序文件 <span" not in body  # no tier headings


def test_library_lists_external_documents_with_their_page_link(staff_client, library):
    page = external_document()
    body = text(staff_client.get("/documents/?tier=external"))
    assert "GB/T 24405.1-2009" in body
    assert f'href="{page.url}"' in body
    detail = staff_client.get(page.url)
    assert detail.status_code == 200
    assert "国家标准化管理委员会" in text(detail)


def test_wagtail_served_document_requires_login(client, library):
    page = external_document()
    response = client.get(page.url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_library_query_count_does_not_grow(staff_client, library):
    def build(n, offset):
        for i in range(n):
            procedure = issued("procedure", f"程序{i}", number=f"B{offset + i:02d}")
        issued("form", "表单", parent=procedure)

    build(3, 10)
    external_document("外来文件一")
    few = count_queries(staff_client, "/documents/")
    build(30, 20)
    external_document("外来文件二")
    many = count_queries(staff_client, "/documents/")
    assert many == few
    dept = count_queries(staff_client, "/documents/?group=department")
    assert dept == few


def test_library_paginates(staff_client, library, monkeypatch):
    from documents import views

    monkeypatch.setattr(views, "LIBRARY_PAGE_SIZE", 2)
    for number in ("B01", "B02", "B03"):
        issued("procedure", f"程序{number}", number=number)
    first = text(staff_client.get("/documents/"))
    second = text(staff_client.get("/documents/?page=2"))
    assert ">B01</a>" in first and ">B02</a>" in first and ">B03</a>" not in first
    assert ">B03</a>" in second and ">B01</a>" not in second
    assert 'rel="next"' in first


def test_library_rows_per_page_can_be_chosen(staff_client, library):
    for number in range(1, 53):
        issued("procedure", f"程序{number}", number=f"B{number:02d}")
    default = text(staff_client.get("/documents/"))
    assert ">B52</a>" in default  # 52 rows fit the default page of 100
    body = text(staff_client.get("/documents/?per_page=50"))
    assert ">B50</a>" in body and ">B51</a>" not in body
    assert "per_page=50&amp;page=2" in body
    second = text(staff_client.get("/documents/?per_page=50&page=2"))
    assert ">B51</a>" in second and ">B52</a>" in second
    # Unknown sizes fall back to the default.
    assert ">B52</a>" in text(staff_client.get("/documents/?per_page=7"))


# --- Document page ---------------------------------------------------------------


def test_detail_shows_the_current_issue(staff_client, procedure):
    child = issued("form", "文件更改申请表", parent=procedure)
    response = staff_client.get("/documents/B05/")
    assert response.status_code == 200
    body = text(response)
    assert "B05" in body and "文件控制程序" in body
    assert 'data-testid="issue-label">A<' in body
    assert "受控 · 现行版本" in body
    assert "二级 · 程序文件" in body
    assert "行政部" in body
    assert "2026-01-05" in body
    assert 'data-testid="next-review">2029-01-05<' in body
    assert f'href="/documents/{child.number}/"' in body and "文件更改申请表" in body
    assert 'href="/documents/B05/A/"' in body  # issue history
    assert "void-banner" not in body
    assert "<title>B05 文件控制程序" in body


def test_detail_links_parent(staff_client, procedure):
    child = issued("form", "文件更改申请表", parent=procedure)
    body = text(staff_client.get(f"/documents/{child.number}/"))
    assert 'href="/documents/B05/"' in body
    assert "上级文件" in body


def test_detail_renders_issue_snapshot_body_and_source(staff_client, library):
    page = factories.document("procedure", "文件控制程序", number="B05")
    page.body = "<p>第一版正文</p>"
    page.save()  # a draft: publishing it would already release issue A
    page = services.document_attach_source(
        user=None,
        document=DocumentPage.objects.get(pk=page.pk).specific,
        filename="B05.txt",
        content=b"source",
        text="提取的文本内容",
    )
    services.issue_create(user=None, document=page, publish_date=date(2026, 1, 5))
    body = text(staff_client.get("/documents/B05/"))
    assert "<p>第一版正文</p>" in body
    assert "<details" in body and "提取的文本内容" in body
    assert 'data-testid="source-file"' in body and "B05" in body
    issue = DocumentIssue.objects.get(document=page)
    assert issue.source_file.url in body


def test_lowercase_number_redirects_to_canonical_url(staff_client, procedure):
    response = staff_client.get("/documents/b05/")
    assert response.status_code == 301
    assert response["Location"] == "/documents/B05/"
    response = staff_client.get("/documents/b05/a/")
    assert response.status_code == 301
    assert response["Location"] == "/documents/B05/A/"


def test_superseded_issue_shows_void_banner(staff_client, procedure):
    services.issue_create(
        user=None,
        document=procedure,
        publish_date=date(2026, 3, 1),
        change_summary="增加电子文件要求",
    )
    old = text(staff_client.get("/documents/B05/A/"))
    assert 'data-testid="void-banner"' in old
    assert "作废 — 此版本已失效，请使用现行版本" in old
    assert 'href="/documents/B05/B/"' in old
    assert "void-watermark" in old
    assert "<title>【作废】B05" in old
    assert "受控 · 现行版本" not in old

    current = text(staff_client.get("/documents/B05/"))
    assert 'data-testid="issue-label">B<' in current
    assert "受控 · 现行版本" in current
    assert "void-banner" not in current
    assert "增加电子文件要求" in current
    assert text(staff_client.get("/documents/B05/B/")).count("void-banner") == 0


def test_obsolete_document_shows_void_banner(staff_client, procedure):
    make_obsolete(procedure)
    body = text(staff_client.get("/documents/B05/"))
    assert 'data-testid="void-banner"' in body
    assert "此文件已废止" in body
    assert "<title>【作废】" in body


@pytest.mark.parametrize(
    "url",
    ["/documents/B99/", "/documents/B05/C/", "/documents/B06/", "/documents/B06/A/"],
)
def test_not_found(staff_client, procedure, url):
    factories.document("procedure", "草稿程序", number="B06")  # a draft
    response = staff_client.get(url)
    assert response.status_code == 404
    assert "未找到" in text(response)


def test_403_page(rf, staff_user, library):
    from django.core.exceptions import PermissionDenied
    from django.views.defaults import permission_denied

    request = rf.get("/somewhere/")
    request.user = staff_user
    response = permission_denied(request, PermissionDenied())
    assert response.status_code == 403
    assert "无权访问" in response.content.decode()


def test_detail_query_count_does_not_grow_with_children(staff_client, library):
    few = issued("procedure", "少", number="B01")
    many = issued("procedure", "多", number="B02")
    for i in range(2):
        issued("form", f"表{i}", parent=few)
    for i in range(10):
        issued("form", f"表{i}", parent=many)
    services.issue_create(user=None, document=few, publish_date=date(2026, 2, 1))
    services.issue_create(user=None, document=many, publish_date=date(2026, 2, 1))
    assert count_queries(staff_client, "/documents/B01/") == count_queries(
        staff_client, "/documents/B02/"
    )
    assert count_queries(staff_client, "/documents/B01/A/") == count_queries(
        staff_client, "/documents/B02/A/"
    )


def test_preview_renders_the_draft(rf, staff_user, procedure):
    from documents.views import render_document

    page = procedure.specific
    page.body = "<p>草稿修改</p>"
    request = rf.get("/admin/preview/")
    request.user = staff_user
    response = render_document(request, page, preview=True)
    assert response.status_code == 200
    assert "草稿修改" in response.content.decode()
    assert "草稿预览" in response.content.decode()


# --- Languages -------------------------------------------------------------------


def test_default_language_is_chinese(staff_client, procedure):
    body = text(staff_client.get("/documents/"))
    assert 'lang="zh-hans"' in body
    assert "文件库" in body and "受控文件清单" in body


def test_accept_language_en_shows_english(staff_client, procedure):
    body = text(staff_client.get("/documents/", HTTP_ACCEPT_LANGUAGE="en"))
    assert 'lang="en"' in body
    assert "Document library" in body and "Tier 2 · procedure" in body
    assert "Controlled" in body
    detail = text(staff_client.get("/documents/B05/", HTTP_ACCEPT_LANGUAGE="en"))
    assert "Controlled · current issue" in detail and "Next review due" in detail


def test_setlang_switches_to_english(staff_client, procedure):
    response = staff_client.post(
        "/i18n/setlang/", {"language": "en", "next": "/documents/B05/"}
    )
    assert response.status_code == 302
    body = text(staff_client.get("/documents/B05/"))
    assert 'lang="en"' in body and "Issue history" in body


def test_language_switcher_posts_to_setlang(staff_client, procedure):
    body = text(staff_client.get("/documents/"))
    assert 'action="/i18n/setlang/"' in body and 'method="post"' in body
    assert 'name="language" value="en"' in body


def test_admin_link_only_for_admin_users(client, staff_user, controller, procedure):
    client.force_login(staff_user)
    assert "/admin/" not in text(client.get("/documents/"))
    client.force_login(controller)
    assert 'href="/admin/"' in text(client.get("/documents/"))


# --- Pure helpers ------------------------------------------------------------------


def test_filters_ignore_unknown_values():
    filters = listing.LibraryFilters.from_query(
        {"tier": "9", "status": "draft", "department": "x", "group": "y", "q": " B05 "}
    )
    assert filters == listing.LibraryFilters(q="B05")
    assert filters.query_items() == [("q", "B05")]


def test_library_order_is_natural(library, departments):
    parent = factories.document("procedure", "程序五", number="B05", issue=True)
    for number, kind, kwargs in [
        ("B100", "procedure", {}),
        ("A01", "manual", {}),
        ("D0501", "form", {"parent": parent}),
        ("B99", "procedure", {}),
        ("C0501", "instruction", {"parent": parent}),
    ]:
        factories.document(kind, number, number=number, issue=True, **kwargs)
    ids = listing.ordered_ids(DocumentPage.objects.all())
    numbers = list(DocumentPage.objects.in_bulk(ids).get(pk).number for pk in ids)
    assert numbers == ["A01", "B05", "B99", "B100", "C0501", "D0501"]


def test_overdue_reviews_are_flagged(client, library, departments, staff_user):
    factories.document(
        "procedure", "过期程序", number="B01", issue=True, publish_date=date(2022, 8, 1)
    )
    factories.document(
        "procedure", "新程序", number="B02", issue=True, publish_date=date(2026, 8, 1)
    )
    client.force_login(staff_user)
    library_page = client.get(reverse("documents:library")).content.decode()
    assert library_page.count("badge-overdue") == 1
    detail = client.get(reverse("documents:detail", args=["B01"])).content.decode()
    assert "badge-overdue" in detail
    detail = client.get(reverse("documents:detail", args=["B02"])).content.decode()
    assert "badge-overdue" not in detail
