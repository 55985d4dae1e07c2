"""The search API: the answer's shape, filters, refused parameters, hostile
queries, who finds what (restricted documents, obsolete issues), suggestions
and the OpenAPI schema."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import translation
from drf_spectacular.drainage import GENERATOR_STATS
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from compliance.tests import factories as compliance_factories
from documents import access, roles, services
from documents.models import Department, DocumentPage
from documents.tests import factories as doc_factories

pytestmark = pytest.mark.django_db

URL = "/api/v1/search/"
SUGGEST = "/api/v1/search/suggest/"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
RESULT_KEYS = {
    "kind",
    "number",
    "title",
    "issue",
    "status",
    "status_label",
    "void",
    "department",
    "tier",
    "snippet",
    "url",
    "date",
    "effective_date",
}


def client_for(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def get(user, url=URL, **params):
    return client_for(user).get(url, params, **EN)


def numbers(answer) -> list[str]:
    return [r["number"] for r in answer["results"]]


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


def reissue(page, *, body: str, publish_date=date(2026, 6, 1)):
    page = DocumentPage.objects.get(pk=page.pk).specific
    page.body = f"<p>{body}</p>"
    page.save_revision(log_action=False)
    return services.issue_create(user=None, document=page, publish_date=publish_date)


@pytest.fixture
def people(db):
    return compliance_factories.people()


@pytest.fixture
def library(people):
    """B05 (行政部, issue A superseded by B), its form D0503, B17 (技术部) and
    B30, restricted to 行政部."""
    b05 = issued(
        "procedure", "文件控制程序", "B05", body="文件的编制、审批、发放与归档。"
    )
    reissue(b05, body="文件的编制、审批、发放与回收。")
    d0503 = issued("form", "文件发放、回收记录", "D0503", parent=b05)
    b17 = issued(
        "procedure", "应急预案管理程序", "B17", dept="技术部", body="应急预案的演练。"
    )
    b30 = issued(
        "procedure", "保密协议管理规定", "B30", body="保密文件的发放须经批准。"
    )
    access.document_set_access(user=people.controller, document=b30, confidential=True)
    return {"B05": b05, "D0503": d0503, "B17": b17, "B30": b30}


# --- the answer -------------------------------------------------------------------


def test_search_answers_results_with_the_documented_shape(people, library):
    response = get(people.staff, q="发放")
    assert response.status_code == 200
    answer = response.json()
    assert set(answer) >= {
        "results",
        "total",
        "took_ms",
        "offset",
        "limit",
        "query",
        "notices",
        "suggestions",
        "match_all",
    }
    assert answer["query"] == "发放"
    assert answer["offset"] == 0 and answer["limit"] == 20
    assert answer["match_all"] is True
    assert answer["total"] == len(answer["results"]) == 2
    assert set(numbers(answer)) == {"B05", "D0503"}
    assert answer["suggestions"] == [] and answer["notices"] == []
    first = answer["results"][0]
    assert RESULT_KEYS <= set(first)
    b05 = next(r for r in answer["results"] if r["number"] == "B05")
    assert b05["kind"] == "document"
    assert b05["title"] == "文件控制程序"
    assert b05["issue"] == "B"
    assert b05["status"] == "effective" and b05["void"] is False
    assert b05["department"] == "行政部"
    assert "<mark>发放</mark>" in b05["snippet"]
    assert b05["url"].startswith("http://testserver/")
    assert b05["date"] == "2026-06-01"


def test_a_number_finds_its_document_first(people, library):
    answer = get(people.staff, q="D0503").json()
    assert numbers(answer)[0] == "D0503"
    assert answer["results"][0]["title"] == "文件发放、回收记录"
    assert answer["results"][0]["kind"] == "form"
    assert numbers(get(people.staff, q="b05").json())[0] == "B05"
    assert numbers(get(people.staff, q="应急预案").json()) == ["B17"]


def test_token_and_session_sign_in(people, library):
    token = Token.objects.create(user=people.staff)
    api = APIClient()
    response = api.get(URL, {"q": "发放"}, HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200
    assert response.json()["total"] == 2
    session = APIClient()
    session.force_login(people.staff)
    assert session.get(SUGGEST, {"q": "B0"}).status_code == 200


@pytest.mark.parametrize("url", [URL, SUGGEST])
def test_anonymous_callers_are_refused_with_401(db, url):
    response = APIClient().get(url, {"q": "发放"}, **EN)
    assert response.status_code == 401
    assert response.has_header("WWW-Authenticate")
    assert "results" not in response.json()


def test_an_empty_query_answers_nothing_with_a_notice(people, library):
    for params in ({}, {"q": ""}, {"q": "   "}, {"q": "\t\n"}):
        response = get(people.staff, **params)
        assert response.status_code == 200
        answer = response.json()
        assert answer["results"] == [] and answer["total"] == 0
        assert answer["suggestions"] == []
        assert (
            "Type words, a document number or a record number to search."
            in (answer["notices"])
        )


def test_partial_matches_come_with_a_notice(people, library):
    answer = get(people.staff, q="应急预案 审计方案").json()
    assert answer["match_all"] is False
    assert numbers(answer) == ["B17"]
    assert any("some of them" in n for n in answer["notices"])


def test_nothing_found_suggests_close_titles(people, library):
    # No record holds the words: the closest documents are suggested.
    answer = get(people.staff, q="发放", kind="record").json()
    assert answer["total"] == 0 and answer["results"] == []
    suggested = [s["number"] for s in answer["suggestions"]]
    assert "B05" in suggested and "B30" not in suggested
    assert RESULT_KEYS <= set(answer["suggestions"][0])
    assert answer["suggestions"][0]["url"].startswith("http://testserver/")
    secret = get(people.staff, q="保密协议", kind="record").json()
    assert "B30" not in [s["number"] for s in secret["suggestions"]]
    mine = get(people.controller, q="保密协议", kind="record").json()
    assert [s["number"] for s in mine["suggestions"]] == ["B30"]
    answer = get(people.staff, q="完全无关的词语").json()
    assert answer["total"] == 0 and answer["results"] == []


# --- filters and paging -------------------------------------------------------------


def test_filters_narrow_the_results(people, library):
    assert numbers(get(people.staff, q="发放", kind="form").json()) == ["D0503"]
    assert set(numbers(get(people.staff, q="发放", kind="document,form").json())) == {
        "B05",
        "D0503",
    }
    api = client_for(people.staff)
    both = api.get(URL + "?q=发放&kind=document&kind=form", **EN).json()
    assert set(numbers(both)) == {"B05", "D0503"}
    assert numbers(get(people.staff, q="发放", kind="record").json()) == []
    form_tier = library["D0503"].tier
    assert numbers(get(people.staff, q="发放", tier=form_tier).json()) == ["D0503"]
    tech = Department.objects.get(name="技术部")
    assert numbers(get(people.staff, q="程序", department=tech.pk).json()) == ["B17"]
    assert numbers(get(people.staff, q="发放", status="pending").json()) == []
    assert set(numbers(get(people.staff, q="发放", status="effective").json())) == {
        "B05",
        "D0503",
    }
    later = get(people.staff, q="发放", date_from="2026-03-01").json()
    assert numbers(later) == ["B05"]  # issue B, 2026-06-01
    earlier = get(people.staff, q="发放", date_to="2026-03-01").json()
    assert numbers(earlier) == ["D0503"]
    assert get(people.staff, q="发放", clause="8.5.1").json()["total"] == 0


def test_paging_with_offset_and_limit(people, library):
    for n in range(3):
        issued("procedure", f"巡检程序{n}", f"B4{n}", body="机房巡检的要求。")
    whole = get(people.staff, q="巡检").json()
    assert whole["total"] == 3
    page = get(people.staff, q="巡检", offset=1, limit=1).json()
    assert page["total"] == 3 and page["offset"] == 1 and page["limit"] == 1
    assert numbers(page) == numbers(whole)[1:2]
    assert get(people.staff, q="巡检", limit=5000).json()["limit"] == 100
    beyond = get(people.staff, q="巡检", offset=50).json()
    assert beyond["results"] == []


def test_wrong_parameters_are_refused_with_messages(people, library):
    response = get(
        people.staff,
        q="发放",
        kind="document,memo",
        tier="9",
        department="行政部",
        clause="8.5.1; drop",
        status="Effective!",
        date_from="2026-13-01",
        date_to="yesterday",
        offset="-1",
        limit="ten",
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {
        "kind",
        "tier",
        "department",
        "clause",
        "status",
        "date_from",
        "date_to",
        "offset",
        "limit",
    }
    assert errors["tier"] == "The tier is a number from 1 to 4."
    assert errors["kind"] == "Unknown kind: memo"
    assert errors["date_from"] == "Dates are written YYYY-MM-DD."
    assert errors["limit"] == "A whole number of at least 1."
    assert errors["offset"] == "A whole number of at least 0."
    assert get(people.staff, q="发放", limit="0").status_code == 400
    refused = get(people.staff, SUGGEST, q="B", limit="x")
    assert refused.status_code == 400 and set(refused.json()["errors"]) == {"limit"}


def test_messages_follow_the_callers_language(people, library):
    api = client_for(people.staff)
    response = api.get(URL, {"q": "发放", "tier": "9"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400
    with translation.override("zh-hans"):
        expected = translation.gettext("The tier is a number from 1 to 4.")
    assert response.json()["errors"]["tier"] == expected
    empty = api.get(URL, {"q": ""}, HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    with translation.override("zh-hans"):
        notice = translation.gettext(
            "Type words, a document number or a record number to search."
        )
    assert notice in empty["notices"]


HOSTILE = [
    "发" * 2000,
    "文件" * 1000,
    '"文件控制',
    '"""',
    "文件 NEAR 发放",
    "文件 OR 发放",
    "OR",
    "NOT AND OR NEAR",
    "*",
    "发放*",
    "**",
    ":",
    "title:发放",
    "B05:",
    "a\x00b",
    "\x00",
    "文件\x07\x1b[0m发放",
    "\u202e发放",
    "😀",
    "文件😀发放",
    "%",
    "_",
    "\\",
    "'; DROP TABLE search_searchentry; --",
    "() [] {} ^ ~ - + !",
    " ".join(f"词{n}" for n in range(100)),
]


def test_hostile_queries_answer_200(people, library):
    for q in HOSTILE:
        response = get(people.staff, q=q)
        assert response.status_code == 200, (q[:20], response.content[:200])
        answer = response.json()
        assert set(answer) >= {"results", "total", "notices", "suggestions"}
        assert "B30" not in numbers(answer)
        suggested = get(people.staff, SUGGEST, q=q)
        assert suggested.status_code == 200, q[:20]
        assert isinstance(suggested.json()["results"], list)


def test_a_long_query_is_cut_with_a_notice(people, library):
    answer = get(people.staff, q="发放" + "。" * 500).json()
    assert any("first 200 characters" in n for n in answer["notices"])
    assert "B05" in numbers(answer)


# --- who finds what ---------------------------------------------------------------


def test_staff_never_learn_of_a_restricted_document(people, library):
    staff = people.staff  # 员工, 技术部; B30 is restricted to 行政部
    for q in ("保密协议管理规定", "保密协议", "保密", "B30", "b30", "须经批准"):
        answer = get(staff, q=q).json()
        assert "B30" not in numbers(answer), q
        assert "B30" not in [s["number"] for s in answer["suggestions"]], q
        assert all("保密" not in r["title"] for r in answer["results"]), q
        assert all("保密" not in s["title"] for s in answer["suggestions"]), q
        suggested = get(staff, SUGGEST, q=q).json()["results"]
        assert all(s["number"] != "B30" for s in suggested), q
    # The common word counts only what staff may see.
    common = get(staff, q="发放").json()
    assert common["total"] == 2 and "B30" not in numbers(common)
    # Its reader roles and its own department do find it.
    assert numbers(get(people.controller, q="保密协议").json()) == ["B30"]
    assert numbers(get(people.gm, q="保密协议").json()) == ["B30"]
    assert get(people.controller, q="发放").json()["total"] == 3
    colleague = doc_factories.user("clerk", role=roles.STAFF, department_name="行政部")
    assert numbers(get(colleague, q="保密协议").json()) == ["B30"]
    assert [s["number"] for s in get(colleague, SUGGEST, q="B3").json()["results"]] == [
        "B30"
    ]
    assert get(staff, SUGGEST, q="B3").json()["results"] == []


def test_a_reader_department_opens_a_restricted_document(people, library):
    access.document_set_access(
        user=people.controller,
        document=library["B30"],
        confidential=True,
        reader_departments=[Department.objects.get(name="技术部")],
    )
    assert numbers(get(people.staff, q="保密协议").json()) == ["B30"]


def test_obsolete_issues_only_for_history_roles_on_request(people, library):
    # "归档" is only in issue A of B05, superseded by issue B.
    assert get(people.staff, q="归档").json()["total"] == 0
    refused = get(people.staff, q="归档", include_obsolete="1").json()
    assert refused["total"] == 0 and refused["include_obsolete"] is False
    assert any("may not search superseded" in n for n in refused["notices"])
    assert get(people.controller, q="归档").json()["total"] == 0
    for user in (people.controller, people.tech_manager, people.auditor, people.mr):
        answer = get(user, q="归档", include_obsolete="true").json()
        assert answer["include_obsolete"] is True
        assert numbers(answer) == ["B05"], user
        old = answer["results"][0]
        assert old["issue"] == "A" and old["void"] is True
        assert old["status"] == "superseded"
        assert old["status_label"] == "Obsolete"
    # Both issues with include_obsolete; the effective one only without.
    history = get(people.controller, q="文件控制程序", include_obsolete="on").json()
    assert sorted(r["issue"] for r in history["results"] if r["number"] == "B05") == [
        "A",
        "B",
    ]
    current = get(people.controller, q="文件控制程序").json()
    assert [r["issue"] for r in current["results"] if r["number"] == "B05"] == ["B"]


def test_suggest_completes_numbers_and_titles(people, library):
    response = get(people.staff, SUGGEST, q="b0")
    assert response.status_code == 200
    results = response.json()["results"]
    assert "B05" in [s["number"] for s in results]
    item = next(s for s in results if s["number"] == "B05")
    assert set(item) >= {"kind", "number", "title", "issue", "label", "url"}
    assert item["url"].startswith("http://testserver/")
    assert [s["number"] for s in get(people.staff, SUGGEST, q="D05").json()["results"]][
        :1
    ] == ["D0503"]
    assert "B17" in [
        s["number"] for s in get(people.staff, SUGGEST, q="应急").json()["results"]
    ]
    assert len(get(people.staff, SUGGEST, q="B", limit=1).json()["results"]) == 1
    assert get(people.staff, SUGGEST, q="").json() == {"results": []}
    assert get(people.staff, SUGGEST).json() == {"results": []}


# --- schema ---------------------------------------------------------------------


def test_schema_describes_the_search_api(people):
    GENERATOR_STATS.reset()
    response = client_for(people.staff).get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    paths = schema["paths"]
    search = paths["/api/v1/search/"]["get"]
    params = {p["name"] for p in search["parameters"]}
    assert params >= {
        "q",
        "kind",
        "tier",
        "department",
        "clause",
        "status",
        "date_from",
        "date_to",
        "include_obsolete",
        "offset",
        "limit",
    }
    assert {"200", "400", "401"} <= set(search["responses"])
    answer = schema["components"]["schemas"]["SearchAnswer"]["properties"]
    assert {"results", "total", "took_ms", "notices", "suggestions"} <= set(answer)
    result = schema["components"]["schemas"]["SearchResult"]["properties"]
    assert RESULT_KEYS == set(result)
    suggest = paths["/api/v1/search/suggest/"]["get"]
    assert {"q", "limit"} <= {p["name"] for p in suggest["parameters"]}
    assert not GENERATOR_STATS, "drf-spectacular reported warnings or errors"
