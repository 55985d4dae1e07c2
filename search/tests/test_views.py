"""The staff search page (/search/) and its autocomplete (/search/suggest/)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from django.urls import reverse

from documents import access, roles, services
from documents.tests import factories

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
SEARCH = "/search/"
SUGGEST = "/search/suggest/"

SECRET_TITLE = "保密协议管理规定"
SECRET_NUMBER = "B30"


@pytest.fixture
def corpus(role_groups, departments, controller):
    """B05 (issues A, superseded, and B), its form D0501, B17 approved but not
    yet effective, and B30: restricted to 市场部 (staff of 技术部 may not read it)."""
    b05 = factories.document(
        "procedure",
        "文件控制程序",
        number="B05",
        body="<p>规定文件的编制、审批、发放和回收。</p>",
        issue=True,
    )
    form = factories.document("form", "文件发放、回收记录", parent=b05, issue=True)
    services.issue_create(user=None, document=b05, publish_date=date(2026, 3, 1))
    pending = factories.document(
        "procedure",
        "应急预案管理程序",
        number="B17",
        body="<p>应急预案的编制与发放。</p>",
    )
    today = date.today()
    services.issue_create(
        user=None,
        document=pending,
        publish_date=today,
        effective_date=today + timedelta(days=10),
    )
    secret = factories.document(
        "procedure",
        SECRET_TITLE,
        number=SECRET_NUMBER,
        dept=factories.department("市场部"),
        body="<p>保密文件的发放须经总经理批准。</p>",
        issue=True,
    )
    access.document_set_access(user=controller, document=secret, confidential=True)
    return SimpleNamespace(b05=b05, form=form, pending=pending, secret=secret)


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def controller_client(client, controller):
    client.force_login(controller)
    return client


def page(client, **params):
    response = client.get(SEARCH, params, **EN)
    assert response.status_code == 200
    return response.content.decode()


def hits(html: str) -> list[str]:
    """The numbers of the results shown, in order."""
    return re.findall(r'data-testid="hit-number">([^<]*)<', html)


# --- access --------------------------------------------------------------------


def test_login_required(client, corpus):
    response = client.get(SEARCH, {"q": "发放"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    response = client.get(SUGGEST, {"q": "B0"})
    assert response.status_code == 401
    assert response.json() == {"results": []}


def test_header_search_box_for_logged_in_users(client, staff_user):
    login = client.get(reverse("login"), **EN).content.decode()
    assert 'data-testid="header-search"' not in login
    client.force_login(staff_user)
    library = client.get(reverse("documents:library"), **EN).content.decode()
    assert 'data-testid="header-search"' in library
    assert 'action="/search/"' in library
    assert 'data-suggest-url="/search/suggest/"' in library
    assert "search/suggest.js" in library
    # The search page has its own box (autofocused) instead.
    html = page(client)
    assert 'data-testid="header-search"' not in html
    assert '<input type="search" id="search-q" name="q" value="" autofocus' in html


# --- results -------------------------------------------------------------------


def test_a_total_counted_up_to_its_cap_reads_at_least(
    staff_client, corpus, monkeypatch
):
    from search.engines import database

    monkeypatch.setattr(database, "TOP_K_MIN_DF", 0)
    monkeypatch.setattr(database, "CANDIDATES", 1)
    monkeypatch.setattr(database, "COUNT_CAP", 1)
    monkeypatch.setattr("search.views.PER_PAGE", 1)
    html = page(staff_client, q="发放")
    assert len(hits(html)) == 1
    assert "At least 1 results" in html
    assert "1–1 of at least 1" in html
    api = "/api/v1/search/"
    answer = staff_client.get(api, {"q": "发放", "limit": 1}, **EN).json()
    assert answer["total_exact"] is False and answer["total"] == 1
    monkeypatch.setattr(database, "COUNT_CAP", 10_000)
    answer = staff_client.get(api, {"q": "发放", "limit": 1}, **EN).json()
    assert answer["total_exact"] is True and answer["total"] == 3


def test_two_character_word_finds_and_marks(staff_client, corpus):
    html = page(staff_client, q="发放")
    assert sorted(hits(html)) == ["B05", "B17", "D0501"]
    assert "3 results" in html
    assert 'aria-live="polite"' in html
    assert 'value="发放"' in html
    # Snippets and titles mark the word.
    assert "审批、<mark>发放</mark>和回收" in html
    assert "文件<mark>发放</mark>、回收记录" in html
    # Links to the current issue, its kind, status and department.
    assert 'href="/documents/B05/"' in html
    assert "Controlled" in html
    assert "行政部" in html
    assert "Form" in html and "Document" in html
    # Facet counts: two documents and one form.
    assert re.search(r'data-testid="kind-count-document">2<', html)
    assert re.search(r'data-testid="kind-count-form">1<', html)
    assert "ms)" in html


def test_pending_issue_is_labelled_with_its_effective_date(staff_client, corpus):
    html = page(staff_client, q="应急预案")
    assert hits(html)[0] == "B17"
    assert "Published, not yet effective" in html
    effective = (date.today() + timedelta(days=10)).isoformat()
    assert f"effective from {effective}" in html


def test_kind_filter(staff_client, corpus):
    html = page(staff_client, q="发放", kind="form")
    assert hits(html) == ["D0501"]
    assert re.search(r'value="form" checked data-testid="kind-form"', html)
    assert 'data-testid="clear-filters"' in html


def test_tier_and_department_filters(staff_client, corpus):
    assert sorted(hits(page(staff_client, q="发放", tier="2"))) == ["B05", "B17"]
    admin = factories.department("行政部")
    html = page(staff_client, q="发放", department=str(admin.pk))
    assert sorted(hits(html)) == ["B05", "B17", "D0501"]
    assert f'<option value="{admin.pk}" selected>行政部 (3)</option>' in html


def test_paging_keeps_the_query_and_filters(staff_client, corpus, monkeypatch):
    monkeypatch.setattr("search.views.PER_PAGE", 2)
    first = page(staff_client, q="发放", tier="2", status="effective")
    first_hits = hits(first)
    assert len(first_hits) == 1  # B17 is pending: one effective procedure
    html = page(staff_client, q="发放")
    assert len(hits(html)) == 2
    assert 'data-testid="previous-page"' not in html
    match = re.search(r'rel="next" href="\?([^"]+)"', html)
    assert match
    next_query = match.group(1).replace("&amp;", "&")
    assert "offset=2" in next_query and "q=%E5%8F%91%E6%94%BE" in next_query
    second = staff_client.get(SEARCH + "?" + next_query, **EN).content.decode()
    assert len(hits(second)) == 1
    assert set(hits(html) + hits(second)) == {"B05", "B17", "D0501"}
    assert 'data-testid="previous-page"' in second
    assert 'data-testid="next-page"' not in second
    assert 'start="3"' in second


def test_offset_past_the_end(staff_client, corpus):
    html = page(staff_client, q="发放", offset="500")
    assert 'data-testid="search-past-end"' in html
    assert page(staff_client, q="发放", offset="junk")  # read as 0


# --- obsolete issues ---------------------------------------------------------------


def test_obsolete_issues_only_on_request_for_history_roles(controller_client, corpus):
    html = page(controller_client, q="文件控制")
    assert 'data-testid="include-obsolete"' in html
    assert 'data-testid="void-badge"' not in html
    html = page(controller_client, q="文件控制", include_obsolete="1")
    assert hits(html).count("B05") == 2
    void = re.findall(
        r'<li class="search-hit search-hit--void".*?</li>', html, flags=re.S
    )
    assert len(void) == 1
    assert 'href="/documents/B05/A/"' in void[0]
    assert 'data-testid="void-badge">Obsolete<' in void[0]
    assert re.search(r'name="include_obsolete" value="1" checked', html)


def test_staff_never_sees_obsolete_issues(staff_client, corpus):
    html = page(staff_client, q="文件控制", include_obsolete="1")
    assert hits(html) == ["B05"]
    assert 'data-testid="void-badge"' not in html
    assert "/documents/B05/A/" not in html
    assert 'data-testid="include-obsolete"' not in html
    assert "You may not search superseded and obsolete issues" in html
    # The status filter offers no obsolete issues either.
    assert '<option value="obsolete"' not in html


# --- restricted documents ------------------------------------------------------------


def test_restricted_document_is_found_by_its_readers(controller_client, corpus):
    html = page(controller_client, q="保密协议")
    assert hits(html) == [SECRET_NUMBER]
    found = controller_client.get(SUGGEST, {"q": "保密"}).json()["results"]
    assert [r["number"] for r in found] == [SECRET_NUMBER]


@pytest.mark.parametrize(
    "q",
    [
        "保密协议",
        SECRET_TITLE,
        SECRET_NUMBER,
        "b30",
        "发放",
        "总经理批准",
        "保密协议管理规程",
    ],
)
def test_staff_never_sees_a_restricted_document(staff_client, corpus, q):
    html = page(staff_client, q=q)
    assert SECRET_NUMBER not in hits(html)
    assert "/documents/B30/" not in html
    assert "保密文件的" not in html and "须经" not in html  # its text
    # What remains once the query (echoed in the box, the title and the
    # message) and the random CSRF tokens are taken out holds nothing of it.
    rest = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)
    if q in (SECRET_TITLE, SECRET_NUMBER, "b30"):
        rest = rest.replace(q, "")
    assert SECRET_TITLE not in rest and "管理规定" not in rest
    assert SECRET_NUMBER not in rest
    # Nor in the counts: 市场部 (the secret's department) gets no count.
    market = factories.department("市场部")
    assert re.search(rf'<option value="{market.pk}">市场部</option>', html)
    for prefix in ("保密", "B3", "b30", SECRET_TITLE[:3]):
        answer = staff_client.get(SUGGEST, {"q": prefix})
        assert answer.status_code == 200
        assert answer.json() == {"results": []}
        assert SECRET_TITLE not in answer.content.decode("unicode_escape")


def test_staff_facets_do_not_count_a_restricted_document(staff_client, corpus):
    html = page(staff_client, q="发放")
    assert re.search(r'data-testid="kind-count-document">2<', html)
    assert SECRET_NUMBER not in hits(html)


# --- empty states --------------------------------------------------------------------


def test_empty_query_explains_what_can_be_searched(staff_client, corpus):
    html = page(staff_client)
    assert 'data-testid="search-hint"' in html
    assert "a document or form number" in html
    assert "a record number" in html
    assert 'data-testid="search-hit"' not in html
    assert "0 results" not in html
    # A query of nothing searchable gets the same hint and says so.
    html = page(staff_client, q=" *** ")
    assert 'data-testid="search-hint"' in html
    assert "There are no words or numbers to search for" in html


def test_no_results_suggests_the_closest_titles(staff_client, corpus):
    html = page(staff_client, q="文件程式管控")
    assert 'data-testid="search-empty"' in html
    assert "Nothing found for “文件程式管控”." in html
    suggestions = re.search(
        r'data-testid="did-you-mean">(.*?)</ul>', html, flags=re.S
    ).group(1)
    assert 'href="/documents/B05/"' in suggestions
    assert "<mark>文件</mark>" in suggestions
    assert 'data-testid="remove-filters"' not in html


def test_no_results_with_filters_offers_to_remove_them(staff_client, corpus):
    html = page(staff_client, q="发放", tier="1")
    assert 'data-testid="search-empty"' in html
    assert 'data-testid="remove-filters"' in html
    assert 'href="?q=%E5%8F%91%E6%94%BE"' in html


# --- wrong filters and hostile queries ---------------------------------------


def test_wrong_filters_are_shown_next_to_their_fields(staff_client, corpus):
    html = page(
        staff_client,
        q="发放",
        tier="9",
        kind="bogus",
        department="abc",
        clause="<b>8",
        status="Bad!",
        date_from="2026-13-40",
        date_to="yesterday",
    )
    assert 'data-testid="error-tier">The tier is a number from 1 to 4.<' in html
    assert 'data-testid="error-kind">Unknown kind: bogus<' in html
    assert 'data-testid="error-department">The department is given by its id.<' in html
    assert 'data-testid="error-clause">A clause is given by its number' in html
    assert 'data-testid="error-status">Unknown status.<' in html
    assert 'data-testid="error-date_from">Dates are written YYYY-MM-DD.<' in html
    assert 'data-testid="error-date_to">Dates are written YYYY-MM-DD.<' in html
    assert 'aria-invalid="true" aria-describedby="err-tier"' in html
    assert "<b>8" not in html
    # The wrong filters are left out: the search still answers.
    assert sorted(hits(html)) == ["B05", "B17", "D0501"]


HOSTILE = [
    "发" * 2000,
    "x" * 2000,
    '"',
    '"文件 控制',
    "'; DROP TABLE search_searchentry; --",
    "文件 NEAR 控制",
    "文件 OR 控制",
    "NEAR(文件 控制, 3)",
    "*",
    "文*",
    ":",
    "title:文件",
    "a AND (b OR",
    "\x00\x01\x1f文件\x7f",
    "\u200b\u202e文件",
    "😀",
    "文件😀控制",
    "％＆＊",
    "<script>alert(1)</script>",
    "%",
    "_",
    "\\",
    "   ",
]


@pytest.mark.parametrize("q", HOSTILE)
def test_hostile_queries_answer_normally(staff_client, corpus, q):
    response = staff_client.get(SEARCH, {"q": q}, **EN)
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.content.decode()
    response = staff_client.get(SUGGEST, {"q": q})
    assert response.status_code == 200
    assert isinstance(response.json()["results"], list)


def test_long_query_is_cut_with_a_notice(staff_client, corpus):
    html = page(staff_client, q="发放 " + "x" * 2000)
    assert "Only the first 200 characters of the query were searched." in html


def test_query_is_escaped(staff_client, corpus):
    html = page(staff_client, q='"><img src=x onerror=alert(1)>')
    assert "<img src=x" not in html
    assert "&quot;&gt;&lt;img" in html


# --- autocomplete ------------------------------------------------------------


def test_suggest_by_number_and_title(staff_client, corpus):
    found = staff_client.get(SUGGEST, {"q": "b0"}).json()["results"]
    assert [r["number"] for r in found] == ["B05"]
    assert found[0] == {
        "kind": "document",
        "number": "B05",
        "title": "文件控制程序",
        "issue": "B",
        "status": "effective",
        "label": "B05 文件控制程序",
        "url": "/documents/B05/",
    }
    found = staff_client.get(SUGGEST, {"q": "D05"}).json()["results"]
    assert [r["number"] for r in found] == ["D0501"]
    found = staff_client.get(SUGGEST, {"q": "应急"}).json()["results"]
    assert [r["number"] for r in found] == ["B17"]
    assert staff_client.get(SUGGEST).json() == {"results": []}
    assert staff_client.post(SUGGEST, {"q": "b0"}).status_code == 405


def test_customer_representative_sees_no_documents(client, corpus):
    customer = factories.user(
        "customer", role=roles.CUSTOMER_REPRESENTATIVE, department_name=None
    )
    client.force_login(customer)
    html = page(client, q="发放")
    assert hits(html) == []
    assert client.get(SUGGEST, {"q": "b0"}).json() == {"results": []}
