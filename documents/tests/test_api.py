"""The REST API: token, document list and filters, detail, query count, schema."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from drf_spectacular.drainage import GENERATOR_STATS
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from wagtail.models import Page

from documents import services
from documents.lifecycle import DocumentStatus, IssueStatus
from documents.models import (
    Department,
    DocumentIssue,
    DocumentPage,
    ExternalDocumentPage,
)
from documents.tests import factories

pytestmark = pytest.mark.django_db

LIST_URL = "/api/v1/documents/"
TOKEN_URL = "/api/v1/auth/token/"
SCHEMA_URL = "/api/v1/schema/"

LIST_FIELDS = {
    "number",
    "title",
    "kind",
    "kind_display",
    "tier",
    "parent",
    "department",
    "status",
    "status_display",
    "current_issue",
    "publish_date",
    "effective_date",
    "next_review_due",
    "other_names",
    "confidential",
    "url",
    "issues",
}
DETAIL_FIELDS = LIST_FIELDS | {
    "description",
    "retention_period",
    "storage_location",
    "text_excerpt",
    "children",
    "workflow",
    "distribution",
}


def detail_url(number: str) -> str:
    return f"{LIST_URL}{number}/"


@pytest.fixture(autouse=True)
def fresh_throttle():
    """Token requests are throttled per address in the default cache: every
    test starts with none counted."""
    cache.clear()
    yield
    cache.clear()


def change_without_issuing(page: DocumentPage, **fields) -> None:
    """Change the live page as a publish in the admin would, with no new issue."""
    if "title" in fields:
        Page.objects.filter(pk=page.pk).update(title=fields.pop("title"))
    if fields:
        DocumentPage.objects.filter(pk=page.pk).update(**fields)


@pytest.fixture
def api(staff_user) -> APIClient:
    """A client signed in (by session) as an ordinary member of staff."""
    client = APIClient()
    client.force_login(staff_user)
    return client


@pytest.fixture
def register(library, departments):
    """A small register: B05 with two children, B99, B100, A01, a draft, an
    obsolete procedure and an external document."""
    tech = Department.objects.get(name="技术部")
    b05 = factories.document("procedure", "文件控制程序", number="B05", issue=True)
    factories.document("form", "文件发放回收登记表", parent=b05, issue=True)
    factories.document(
        "instruction", "文件编写指导书", parent=b05, dept=tech, issue=True
    )
    factories.document("procedure", "第九十九号程序", number="B99", issue=True)
    factories.document("procedure", "第一百号程序", number="B100", issue=True)
    factories.document("manual", "服务管理手册", number="A01", issue=True)
    factories.document("procedure", "未发布的草稿", number="B07")
    old = factories.document("procedure", "已作废程序", number="B06", issue=True)
    # No withdrawal service yet: put the document in its obsolete state directly.
    DocumentPage.objects.filter(pk=old.pk).update(status=DocumentStatus.OBSOLETE)
    external = services.document_create(
        user=None,
        parent=services.external_register(),
        page_class=ExternalDocumentPage,
        title="信息技术 服务管理 第1部分：服务管理体系要求",
        issuer="国家市场监督管理总局",
        department=tech,
    )
    # Registered by publishing it (external documents are never issued).
    external.save_revision().publish()
    return b05


def numbers(response) -> list[str | None]:
    return [row["number"] for row in response.json()["results"]]


# --- token -------------------------------------------------------------------------


class TestToken:
    def test_good_credentials_give_the_users_token(self, staff_user):
        response = APIClient().post(
            TOKEN_URL, {"username": "staff", "password": "pw"}, format="json"
        )
        assert response.status_code == 200
        assert response.json() == {"token": Token.objects.get(user=staff_user).key}

    def test_form_post_gives_the_same_token(self, staff_user):
        client = APIClient()
        first = client.post(TOKEN_URL, {"username": "staff", "password": "pw"})
        second = client.post(TOKEN_URL, {"username": "staff", "password": "pw"})
        assert first.status_code == second.status_code == 200
        assert first.json()["token"] == second.json()["token"]

    def test_token_authenticates_api_calls(self, staff_user, procedure):
        token = Token.objects.create(user=staff_user)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        response = client.get(LIST_URL)
        assert response.status_code == 200
        assert "B05" in numbers(response)

    def test_wrong_password_is_refused_with_a_translated_error(self, staff_user):
        client = APIClient()
        data = {"username": "staff", "password": "wrong"}
        english = client.post(TOKEN_URL, data, HTTP_ACCEPT_LANGUAGE="en")
        chinese = client.post(TOKEN_URL, data, HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert english.status_code == chinese.status_code == 400
        english_error = english.json()["non_field_errors"][0]
        chinese_error = chinese.json()["non_field_errors"][0]
        assert english_error == "Unable to log in with provided credentials."
        assert chinese_error != english_error
        assert not Token.objects.filter(user=staff_user).exists()

    def test_inactive_user_gets_no_token(self, staff_user):
        staff_user.is_active = False
        staff_user.save()
        response = APIClient().post(
            TOKEN_URL, {"username": "staff", "password": "pw"}, format="json"
        )
        assert response.status_code == 400
        assert "token" not in response.json()
        assert not Token.objects.filter(user=staff_user).exists()

    def test_missing_fields_are_reported(self, db):
        response = APIClient().post(TOKEN_URL, {}, format="json")
        assert response.status_code == 400
        assert set(response.json()) == {"username", "password"}

    def test_password_guessing_is_throttled(self, staff_user):
        client = APIClient()
        data = {"username": "staff", "password": "wrong"}
        for _attempt in range(10):
            assert client.post(TOKEN_URL, data).status_code == 400
        response = client.post(TOKEN_URL, data)
        assert response.status_code == 429
        assert "Retry-After" in response
        # Even the right password waits: the limit is on attempts.
        right = client.post(TOKEN_URL, {"username": "staff", "password": "pw"})
        assert right.status_code == 429
        # Reading the API is not throttled.
        client.force_login(staff_user)
        assert client.get(LIST_URL).status_code == 200


# --- authentication ------------------------------------------------------------------


class TestAuthentication:
    def test_anonymous_requests_are_refused(self, procedure):
        client = APIClient()
        for url in (LIST_URL, detail_url("B05")):
            response = client.get(url)
            assert response.status_code in (401, 403)
            assert "detail" in response.json()

    def test_bad_token_is_refused(self, db):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
        # 403 while SessionAuthentication comes first in the settings, else 401.
        assert client.get(LIST_URL).status_code in (401, 403)

    def test_token_of_an_inactive_user_is_refused(self, staff_user):
        token = Token.objects.create(user=staff_user)
        staff_user.is_active = False
        staff_user.save()
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        assert client.get(LIST_URL).status_code in (401, 403)

    def test_writes_are_not_allowed(self, api, procedure):
        # Drafts are created by POST on the list (test_api_lifecycle.py); a
        # document is never replaced nor deleted through the API.
        assert api.put(detail_url("B05"), {}, format="json").status_code == 405
        assert api.delete(detail_url("B05")).status_code == 405


# --- list ----------------------------------------------------------------------------


class TestList:
    def test_lists_what_staff_may_see_in_natural_order(self, api, register):
        response = api.get(LIST_URL)
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"count", "next", "previous", "results"}
        # B99 before B100; unnumbered (external) documents last.
        assert numbers(response) == [
            "A01",
            "B05",
            "B06",
            "B99",
            "B100",
            "C0501",
            "D0501",
            None,
        ]
        assert body["count"] == 8

    def test_drafts_are_never_listed(self, api, register):
        response = api.get(LIST_URL)
        assert "B07" not in numbers(response)
        assert "未发布的草稿" not in [
            row["title"] for row in response.json()["results"]
        ]
        assert api.get(LIST_URL, {"q": "B07"}).json()["count"] == 0

    def test_row_fields(self, api, register):
        rows = {row["number"]: row for row in api.get(LIST_URL).json()["results"]}
        assert set(rows["B05"]) == LIST_FIELDS
        b05 = rows["B05"]
        assert b05 == {
            "number": "B05",
            "title": "文件控制程序",
            "kind": "procedure",
            "kind_display": b05["kind_display"],
            "tier": 2,
            "parent": None,
            "department": "行政部",
            "status": "controlled",
            "status_display": b05["status_display"],
            "current_issue": "A",
            "publish_date": "2026-01-05",
            "effective_date": "2026-01-05",
            "next_review_due": "2029-01-05",
            "other_names": [],
            "confidential": False,
            "url": "http://testserver/documents/B05/",
            "issues": [
                {
                    "label": "A",
                    "status": "effective",
                    "status_display": b05["issues"][0]["status_display"],
                    "publish_date": "2026-01-05",
                    "effective_date": "2026-01-05",
                    "url": "http://testserver/documents/B05/A/",
                }
            ],
        }
        assert rows["D0501"]["parent"] == "B05"
        assert rows["D0501"]["tier"] == 4
        assert rows["C0501"]["department"] == "技术部"
        external = rows[None]
        assert external["status"] == "external"
        assert external["url"] is None
        assert external["tier"] is None
        assert external["issues"] == []
        assert external["current_issue"] is None
        obsolete = rows["B06"]
        assert obsolete["status"] == "obsolete"
        assert obsolete["next_review_due"] is None

    def test_display_labels_follow_the_language(self, api, register):
        english = api.get(LIST_URL, {"q": "B05"}, HTTP_ACCEPT_LANGUAGE="en")
        row = english.json()["results"][0]
        assert row["status"] == "controlled"
        assert row["status_display"] == "Controlled"
        assert row["kind_display"] == "Procedure"
        assert row["issues"][0]["status_display"] == "Effective"

    def test_filters(self, api, register):
        """One register, every filter (building the register is the slow part)."""
        tech = Department.objects.get(name="技术部")
        all_numbers = ["A01", "B05", "B06", "B99", "B100", "C0501", "D0501", None]
        cases = [
            ({"tier": 2}, ["B05", "B06", "B99", "B100"]),
            ({"tier": "4"}, ["D0501"]),
            ({"department": "技术部"}, ["C0501", None]),
            ({"department": str(tech.pk)}, ["C0501", None]),
            ({"department": "不存在的部门"}, []),
            ({"status": "obsolete"}, ["B06"]),
            ({"status": "external"}, [None]),
            ({"status": "controlled"}, ["A01", "B05", "B99", "B100", "C0501", "D0501"]),
            ({"parent": "B05"}, ["C0501", "D0501"]),
            # Parent numbers are normalised: case, spaces, full-width forms.
            ({"parent": " b05"}, ["C0501", "D0501"]),
            ({"parent": "Ｂ０５"}, ["C0501", "D0501"]),
            ({"parent": "B99"}, []),
            ({"parent": "B404"}, []),
            ({"kind": "manual"}, ["A01"]),
            ({"kind": "instruction"}, ["C0501"]),
            ({"parent": "B05", "kind": "form", "tier": 4}, ["D0501"]),
            ({"q": "b10"}, ["B100"]),
            ({"q": "手册"}, ["A01"]),
            ({"q": "B07"}, []),  # a draft
            # Empty parameters mean "any", as from an HTML form.
            ({"status": "", "tier": "", "q": " "}, all_numbers),
        ]
        for params, expected in cases:
            response = api.get(LIST_URL, params)
            assert response.status_code == 200, params
            assert numbers(response) == expected, params
            assert response.json()["count"] == len(expected), params

    def test_draft_parents_are_not_revealed(self, api, register):
        """A draft parent's number is not shown, nor its existence confirmed."""
        DocumentPage.objects.filter(pk=register.pk).update(status=DocumentStatus.DRAFT)
        rows = {row["number"]: row for row in api.get(LIST_URL).json()["results"]}
        assert "B05" not in rows
        assert rows["D0501"]["parent"] is None
        assert rows["C0501"]["parent"] is None
        assert api.get(detail_url("D0501")).json()["parent"] is None
        # Same answer as for a number that does not exist.
        for number in ("B05", "b05", "B404"):
            response = api.get(LIST_URL, {"parent": number})
            assert response.status_code == 200
            assert response.json()["count"] == 0
            assert numbers(response) == []

    def test_status_draft_is_refused(self, api):
        response = api.get(LIST_URL, {"status": "draft"})
        assert response.status_code == 400
        assert "status" in response.json()

    def test_invalid_filters_get_translated_errors(self, api):
        english = api.get(LIST_URL, {"tier": 9}, HTTP_ACCEPT_LANGUAGE="en")
        chinese = api.get(LIST_URL, {"tier": 9}, HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert english.status_code == chinese.status_code == 400
        assert english.json()["tier"][0] == '"9" is not a valid choice.'
        assert chinese.json()["tier"][0] != english.json()["tier"][0]
        assert api.get(LIST_URL, {"kind": "memo"}).status_code == 400

    def test_pagination(self, api, register):
        first = api.get(LIST_URL, {"limit": 3}).json()
        assert first["count"] == 8
        assert [row["number"] for row in first["results"]] == ["A01", "B05", "B06"]
        assert first["previous"] is None
        assert "offset=3" in first["next"]
        second = api.get(LIST_URL, {"limit": 3, "offset": 3}).json()
        assert [row["number"] for row in second["results"]] == ["B99", "B100", "C0501"]

    def test_shows_the_issued_title_not_the_live_page(self, api, register):
        change_without_issuing(
            register, title="未发布的标题", source_text="未发布的文本"
        )
        rows = {row["number"]: row for row in api.get(LIST_URL).json()["results"]}
        assert rows["B05"]["title"] == "文件控制程序"
        assert "未发布的标题" not in str(rows)
        # Searched by the title it shows, not by the one waiting to be issued.
        assert numbers(api.get(LIST_URL, {"q": "文件控制"})) == ["B05"]
        assert api.get(LIST_URL, {"q": "未发布的标题"}).json()["count"] == 0
        # Registered, never issued: the page's own title.
        assert rows[None]["title"] == "信息技术 服务管理 第1部分：服务管理体系要求"

    def test_obsolete_document_shows_its_latest_issue(self, api, register):
        old = DocumentPage.objects.get(number="B06")
        DocumentIssue.objects.filter(document=old).update(status=IssueStatus.OBSOLETE)
        change_without_issuing(old, title="作废后改的标题")
        row = api.get(LIST_URL, {"status": "obsolete"}).json()["results"][0]
        assert row["title"] == "已作废程序"
        assert api.get(detail_url("B06")).json()["title"] == "已作废程序"
        assert numbers(api.get(LIST_URL, {"q": "已作废"})) == ["B06"]

    def test_issues_are_newest_first(self, api, register):
        services.issue_create(
            user=None, document=register, publish_date=date(2026, 3, 2)
        )
        row = api.get(LIST_URL, {"q": "B05"}).json()["results"][0]
        assert row["current_issue"] == "B"
        assert row["publish_date"] == "2026-03-02"
        assert [(i["label"], i["status"]) for i in row["issues"]] == [
            ("B", "effective"),
            ("A", "superseded"),
        ]

    def test_query_count_does_not_grow_with_the_documents(
        self, api, library, departments
    ):
        def add(count: int, prefix: int) -> None:
            procedure = factories.document(
                "procedure", f"程序{prefix}", number=f"B{prefix:02d}", issue=True
            )
            for i in range(count - 1):
                factories.document(
                    "form", f"表单{prefix}-{i}", parent=procedure, issue=True
                )

        def queries() -> int:
            with CaptureQueriesContext(connection) as captured:
                response = api.get(LIST_URL)
            assert response.status_code == 200
            return len(captured), response.json()["count"]

        add(3, 1)
        few, count = queries()
        assert count == 3
        for prefix in range(2, 11):
            add(3, prefix)
        many, count = queries()
        assert count == 30
        assert many == few
        # One of them reads the user's department: restricted documents are
        # listed for their department's staff (DocumentPage.objects.visible_to).
        assert few <= 9, few

    def test_list_reads_no_text_columns(self, api, register):
        with CaptureQueriesContext(connection) as captured:
            assert api.get(LIST_URL).status_code == 200
        sql = " ".join(query["sql"] for query in captured)
        assert '"source_text"' not in sql
        assert '"body"' not in sql


# --- detail --------------------------------------------------------------------------


class TestDetail:
    def test_detail_fields(self, api, register):
        response = api.get(detail_url("B05"))
        assert response.status_code == 200
        body = response.json()
        assert set(body) == DETAIL_FIELDS
        assert body["number"] == "B05"
        assert body["parent"] is None
        assert body["children"] == ["C0501", "D0501"]
        assert body["current_issue"] == "A"
        assert body["url"] == "http://testserver/documents/B05/"
        assert body["issues"][0]["url"] == "http://testserver/documents/B05/A/"
        assert api.get(detail_url("D0501")).json()["parent"] == "B05"

    def test_text_excerpt_comes_from_the_source_text(self, api, library, departments):
        page = factories.document(
            "procedure",
            "文件控制程序",
            number="B05",
            description="文件的编制、审批、发放和作废。",
            retention_period="永久",
            storage_location="文控室 2 号柜",
        )
        text = "1  目的\n\n为规范文件控制，\t特制定本程序。\n" + "正文" * 400
        services.document_attach_source(
            user=None,
            document=page,
            filename="B05.docx",
            content=b"docx bytes",
            text=text,
        )
        services.issue_create(user=None, document=page, publish_date=date(2026, 1, 5))
        body = api.get(detail_url("B05")).json()
        excerpt = body["text_excerpt"]
        assert excerpt.startswith("1 目的 为规范文件控制， 特制定本程序。 正文正文")
        assert len(excerpt) <= 501
        assert excerpt.endswith("…")
        assert body["description"] == "文件的编制、审批、发放和作废。"
        assert body["retention_period"] == "永久"
        assert body["storage_location"] == "文控室 2 号柜"

    def test_detail_shows_what_was_issued(self, api, library, departments):
        page = factories.document(
            "procedure",
            "文件控制程序",
            number="B05",
            body="<p>已发布的正文</p>",
            issue=True,
        )
        change_without_issuing(
            page,
            title="未发布的标题",
            body="<p>未发布的正文</p>",
            source_text="未发布的文本",
        )
        body = api.get(detail_url("B05")).json()
        assert body["title"] == "文件控制程序"
        assert body["text_excerpt"] == "已发布的正文"

    def test_detail_query_count_does_not_grow_with_the_issues(
        self, api, library, departments
    ):
        page = factories.document("procedure", "文件控制程序", number="B05", issue=True)

        def queries() -> int:
            with CaptureQueriesContext(connection) as captured:
                assert api.get(detail_url("B05")).status_code == 200
            return len(captured)

        few = queries()
        for day in (2, 3, 4):
            services.issue_create(
                user=None, document=page, publish_date=date(2026, 3, day)
            )
        assert queries() == few

    def test_text_excerpt_falls_back_to_the_body(self, api, library, departments):
        factories.document(
            "procedure",
            "记录控制程序",
            number="B06",
            body="<p>第一段</p><p>第二段 &amp; <b>更多</b></p>",
            issue=True,
        )
        body = api.get(detail_url("B06")).json()
        assert body["text_excerpt"] == "第一段 第二段 & 更多"
        assert body["children"] == []

    def test_number_is_case_insensitive(self, api, register):
        assert api.get(detail_url("b05")).json()["number"] == "B05"
        assert api.get(detail_url("d0501")).json()["number"] == "D0501"

    def test_unknown_number_is_404(self, api, procedure):
        response = api.get(detail_url("B404"), HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found."}
        chinese = api.get(detail_url("B404"), HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert chinese.status_code == 404
        assert chinese.json()["detail"] != "Not found."

    def test_draft_is_404(self, api, library, departments):
        factories.document("procedure", "未发布的草稿", number="B07")
        assert api.get(detail_url("B07")).status_code == 404

    def test_children_exclude_drafts(self, api, register):
        factories.document("form", "草稿表单", parent=register)
        assert api.get(detail_url("B05")).json()["children"] == ["C0501", "D0501"]

    def test_obsolete_document_is_shown(self, api, register):
        body = api.get(detail_url("B06")).json()
        assert body["status"] == "obsolete"


# --- schema --------------------------------------------------------------------------


class TestSchema:
    def test_schema_is_for_signed_in_staff(self, staff_user):
        response = APIClient().get(SCHEMA_URL)
        assert response.status_code in (401, 403)
        client = APIClient()
        client.credentials(
            HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=staff_user).key}"
        )
        assert client.get(SCHEMA_URL).status_code == 200
        staff_user.is_active = False
        staff_user.save()
        assert client.get(SCHEMA_URL).status_code in (401, 403)

    def test_schema_describes_the_api_without_warnings(self, api):
        GENERATOR_STATS.reset()
        response = api.get(SCHEMA_URL, {"format": "json"})
        assert response.status_code == 200
        schema = response.json()
        assert set(schema["paths"]) >= {
            "/api/v1/auth/token/",
            "/api/v1/documents/",
            "/api/v1/documents/{number}/",
        }
        # Only this API, not Wagtail's admin API served by the same URLconf.
        assert all(path.startswith("/api/v1/") for path in schema["paths"])
        list_params = {
            p["name"]
            for p in schema["paths"]["/api/v1/documents/"]["get"]["parameters"]
        }
        assert list_params >= {"tier", "department", "status", "parent", "kind", "q"}
        assert not GENERATOR_STATS, "drf-spectacular reported warnings or errors"

    def test_schema_as_yaml(self, api):
        response = api.get(SCHEMA_URL)
        assert response.status_code == 200
        assert b"/api/v1/documents/{number}/:" in response.content
