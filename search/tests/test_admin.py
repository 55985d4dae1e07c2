"""Search in the Wagtail admin: the search view behind the admin's search box
(its search area comes first), and the page chooser's search finding
documents by Chinese words, for what each user may see."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from django.test import Client
from wagtail.models import Page

from compliance.tests import factories as compliance_factories
from documents import access, services
from documents.models import DocumentPage
from documents.tests import factories as doc_factories

pytestmark = pytest.mark.django_db

URL = "/admin/shoukong-search/"
CHOOSER = "/admin/choose-page/search/"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def get(user, url=URL, **params):
    return client_for(user).get(url, params, **EN)


def issued(kind, title, number, *, dept="行政部", body="", parent=None):
    return doc_factories.document(
        kind,
        title,
        number=number,
        dept=doc_factories.department(dept),
        parent=parent,
        body=f"<p>{body}</p>" if body else "",
        issue=True,
    )


def shown(response) -> list[str]:
    return [r.number for r in response.context["found"].results]


@pytest.fixture
def people(db):
    return compliance_factories.people()


@pytest.fixture
def library(people):
    b05 = issued("procedure", "文件控制程序", "B05", body="文件的发放与归档。")
    page = DocumentPage.objects.get(pk=b05.pk).specific
    page.body = "<p>文件的发放与回收。</p>"
    page.save_revision(log_action=False)
    services.issue_create(user=None, document=page, publish_date=date(2026, 6, 1))
    d0503 = issued("form", "文件发放、回收记录", "D0503", parent=b05)
    b17 = issued(
        "procedure", "应急预案管理程序", "B17", dept="技术部", body="应急预案的演练。"
    )
    b30 = issued(
        "procedure", "保密协议管理规定", "B30", body="保密文件的发放须经批准。"
    )
    access.document_set_access(user=people.controller, document=b30, confidential=True)
    return {"B05": b05, "D0503": d0503, "B17": b17, "B30": b30}


# --- the admin search view ----------------------------------------------------------


def test_the_admin_search_finds_a_two_character_chinese_word(people, library):
    response = get(people.controller, q="演练")
    assert response.status_code == 200
    assert shown(response) == ["B17"]
    content = response.content.decode()
    assert "<mark>演练</mark>" in content  # the snippet
    assert "应急预案管理程序" in content
    assert "B17" in content and "技术部" in content
    assert re.search(r"One result \(\d+ ms\)", content)
    # The kinds with their counts, Wagtail's other searches with the query.
    assert "Document (1)" in content
    assert "Other searches" in content and "/admin/pages/search/?q=" in content


def test_the_title_is_highlighted_and_links_to_the_result(people, library):
    response = get(people.controller, q="应急预案")
    result = response.context["found"].results[0]
    content = response.content.decode()
    assert "<mark>应急预案</mark>管理程序" in content
    assert f'href="{result.url}"' in content


def test_the_admin_search_shows_what_the_user_may_see(people, library):
    # 部门经理 of 技术部: B30 is restricted to 行政部.
    manager = people.tech_manager
    response = get(manager, q="保密协议")
    assert response.status_code == 200
    content = response.content.decode()
    assert shown(response) == []
    assert "保密协议管理规定" not in content and "B30" not in content
    assert "Nothing found for" in content
    assert "B30" not in shown(get(manager, q="发放"))
    assert shown(get(people.controller, q="保密协议")) == ["B30"]


def test_kind_filter_and_obsolete_issues(people, library):
    controller = people.controller
    assert shown(get(controller, q="发放", kind="form")) == ["D0503"]
    assert get(controller, q="归档").context["found"].total == 0
    response = get(controller, q="归档", include_obsolete="1")
    assert shown(response) == ["B05"]
    content = response.content.decode()
    assert "shoukong-search-void" in content
    assert "Obsolete" in content
    assert 'name="include_obsolete" value="1" checked' in content


def test_wrong_filters_and_empty_queries_are_explained(people, library):
    response = get(people.controller, q="发放", tier="9")
    assert response.status_code == 200
    assert "The tier is a number from 1 to 4." in response.content.decode()
    for params in ({}, {"q": ""}, {"q": "  "}):
        empty = get(people.controller, **params)
        assert empty.status_code == 200
        assert "Type words, a document number or a record number to search." in (
            empty.content.decode()
        )


def test_hostile_queries_render(people, library):
    for q in ("发" * 2000, '"文件', "文件 OR 发放", "NEAR", "*", ":", "a\x00b", "😀"):
        response = get(people.controller, q=q)
        assert response.status_code == 200, q[:20]


def test_results_come_in_pages(people, library):
    for n in range(23):
        issued("procedure", f"巡检程序{n:02d}", f"B{40 + n}", body="机房巡检的要求。")
    first = get(people.controller, q="巡检")
    assert first.context["found"].total == 23
    assert len(shown(first)) == 20
    content = first.content.decode()
    assert "Page 1 of 2." in content and "p=2" in content
    second = get(people.controller, q="巡检", p="2")
    assert len(shown(second)) == 3
    assert not set(shown(first)) & set(shown(second))
    assert "Page 2 of 2." in second.content.decode()
    assert get(people.controller, q="巡检", p="x").status_code == 200


def test_the_search_area_comes_first_in_the_admin(people, library):
    response = get(people.controller, "/admin/")
    assert response.status_code == 200
    content = response.content.decode()
    found = re.search(
        r'\{"_type": "wagtail.sidebar.SearchModule", "_args": (\[.*?\])', content
    )
    assert found and json.loads(found.group(1)) == [URL]


def test_only_admin_users_reach_the_admin_search(people, library):
    anonymous = Client().get(URL, {"q": "演练"}, **EN)
    assert anonymous.status_code == 302 and "/admin/login/" in anonymous["Location"]
    staff = get(people.staff, q="演练")  # 员工: no admin access
    assert staff.status_code in (302, 403)
    assert "应急预案" not in staff.content.decode()


# --- the page chooser -------------------------------------------------------------


def chooser_titles(response) -> list[str]:
    table = response.context["table"]
    return [page.title for page in table.data]


def test_the_chooser_finds_documents_by_chinese_words(people, library):
    for page_type in ("documents.documentpage", "wagtailcore.page", ""):
        response = get(people.controller, CHOOSER, q="演练", page_type=page_type)
        assert response.status_code == 200
        assert chooser_titles(response) == ["应急预案管理程序"], page_type
    response = get(people.controller, CHOOSER, q="发放")
    titles = chooser_titles(response)
    assert set(titles) == {"文件控制程序", "文件发放、回收记录", "保密协议管理规定"}
    assert "There are 3 matches" in response.content.decode()
    assert chooser_titles(get(people.controller, CHOOSER, q="d0503")) == [
        "文件发放、回收记录"
    ]
    # Only the wanted types.
    forms = get(people.controller, CHOOSER, q="发放", page_type="documents.formpage")
    assert chooser_titles(forms) == ["文件发放、回收记录"]


def test_the_chooser_hides_what_the_user_may_not_see(people, library):
    response = get(people.tech_manager, CHOOSER, q="保密协议")
    assert response.status_code == 200
    assert chooser_titles(response) == []
    assert "保密协议" not in response.content.decode()


def test_the_chooser_still_finds_other_pages_and_nothing_without_a_query(
    people, library
):
    root = Page.get_first_root_node()
    root.add_child(instance=Page(title="Quality board", slug="quality-board"))
    response = get(people.controller, CHOOSER, q="Quality")
    assert "Quality board" in chooser_titles(response)
    empty = get(people.controller, CHOOSER, q="")
    assert empty.status_code == 200 and chooser_titles(empty) == []
    for q in ("a\x00b", '"文件', "文件 OR NEAR *", ":", "😀", "发" * 2000):
        assert get(people.controller, CHOOSER, q=q).status_code == 200, q[:20]
    refused = Client().get(CHOOSER, {"q": "发放"})
    assert refused.status_code == 302
