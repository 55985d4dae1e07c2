"""Bad input never breaks search: the query parser, the analyser, snippets,
the filters and the whole service take any text (control characters, emoji,
quotes, FTS and SQL syntax, 2,000 characters) and answer normally.

Property-based (hypothesis), derandomised so that CI runs the same examples
every time; no timing is asserted (timings are bench/search.py's)."""

from __future__ import annotations

import html
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from search import analysis, service, snippets
from search.analysis import MAX_QUERY_LENGTH, MAX_QUERY_TERMS, MAX_TERM_LENGTH
from search.service import SearchFilters
from search.tests import factories as f

SPECIAL = [
    '"',
    "'",
    "“",
    "”",
    "「",
    "*",
    ":",
    "NEAR",
    "NEAR/3",
    "OR",
    "AND",
    "NOT",
    "(",
    ")",
    "^",
    "-",
    "+",
    "~",
    "\\",
    "%",
    "_",
    "--",
    ";",
    "' OR '1'='1",
    "/*",
    "\x00",
    "\x1b",
    "\u200b",
    "\ufeff",
    "\u2028",
    "😀",
    "👨‍👩‍👧",
    "發放",
    "发放",
    "回收",
    "受控文件",
    "应急预案",
    "B05",
    "b0",
    "d201-2005031401",
    "D0503",
    "ＳＬＡ",
    "ITSMS-P05",
    "8.5.1",
    "\U00020000",
    "\uf900",
    "ﬁ",
    "……",
    "İ",
    " ",
    "\n",
    "\t",
    ".",
    "/",
]

words = st.lists(
    st.one_of(st.sampled_from(SPECIAL), st.text(max_size=6)), max_size=80
).map(" ".join)
joined = st.lists(
    st.one_of(st.sampled_from(SPECIAL), st.text(max_size=4)), max_size=80
).map("".join)
# Up to 2,000 characters without a huge buffer: a piece repeated.
long_text = st.tuples(
    st.one_of(st.sampled_from(SPECIAL), st.text(min_size=1, max_size=12)),
    st.integers(min_value=100, max_value=2000),
).map(lambda t: (t[0] * t[1])[:2000])
queries = st.one_of(st.text(max_size=300), words, joined, long_text)

FUZZ = settings(
    max_examples=300,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
FUZZ_DB = settings(FUZZ, max_examples=150)

_TAG = re.compile(r"</?mark>")


def assert_safe_html(html: str) -> None:
    """Only <mark> tags, balanced; everything else escaped."""
    assert "<" not in _TAG.sub("", html)
    assert html.count("<mark>") == html.count("</mark>")


class TestAnalysis:
    @FUZZ
    @given(queries)
    def test_terms_are_short_and_never_empty(self, text):
        found = list(analysis.terms(text))
        assert all(0 < len(term) <= MAX_TERM_LENGTH for term in found)
        assert all(term == term.strip() and term.strip() for term in found)
        assert list(analysis.terms(analysis.normalise(text), normalised=True)) == found

    @FUZZ
    @given(queries)
    def test_normalise(self, text):
        out = analysis.normalise(text)
        assert isinstance(out, str)
        assert not any(ch in out for ch in "\x00\x1b\u200b\ufeff\u2028")

    @FUZZ
    @given(queries)
    def test_parse_query_never_raises(self, text):
        query = analysis.parse_query(text)
        assert query.raw == text
        assert len(query.text) <= MAX_QUERY_LENGTH
        assert query.truncated == (
            len(" ".join(analysis.normalise(text).split())) > MAX_QUERY_LENGTH
        )
        slots = query.slots
        assert len(slots) <= MAX_QUERY_TERMS
        assert len(set(slots)) == len(slots)
        assert all(0 < len(s.term) <= MAX_TERM_LENGTH for s in slots)
        assert query.is_empty == (not slots)
        assert all(part.slots and part.text for part in query.parts)
        assert query.too_many_terms == (
            len({s for p in query.parts for s in p.slots}) > MAX_QUERY_TERMS
        )

    @FUZZ
    @given(queries, queries)
    def test_snippets_are_safe_html(self, text, q):
        query = analysis.parse_query(q)
        snippet = snippets.snippet(text, query)
        assert_safe_html(snippet)
        shown = html.unescape(_TAG.sub("", snippet))
        assert len(shown) <= snippets.SNIPPET_CHARS + 2  # and the two …
        assert_safe_html(snippets.highlight(text, query))

    @FUZZ
    @given(
        st.dictionaries(
            st.sampled_from(
                [
                    "kind",
                    "tier",
                    "department",
                    "clause",
                    "status",
                    "date_from",
                    "date_to",
                    "include_obsolete",
                    "other",
                ]
            ),
            queries,
        )
    )
    def test_filters_from_params(self, params):
        filters, errors = SearchFilters.from_params(params)
        assert isinstance(filters, SearchFilters)
        assert all(isinstance(message, str) for message in errors.values())
        filters.q()

    @FUZZ
    @given(queries)
    def test_number_candidates(self, text):
        for number in service.number_candidates(text):
            assert number and number == number.strip() and " " not in number


lib = f.shared(f.build_library)


@pytest.mark.django_db
class TestService:
    @FUZZ_DB
    @given(q=queries)
    def test_search_answers_anything(self, lib, q):
        found = service.search(lib.people.controller, q, facets=("kind",))
        assert found.query == q
        assert 0 <= len(found.results) <= found.per_page
        assert found.total >= len(found.results)
        assert found.took_ms >= 0
        assert found.is_empty_query == found.parsed.is_empty
        if found.is_empty_query:
            assert found.results == [] and found.total == 0
        assert all(isinstance(n, str) for n in found.notices)
        for result in found.results + found.suggestions:
            assert result.title
            assert_safe_html(result.snippet)
            assert_safe_html(result.title_html)
            result.as_dict()
        if found.match_all and found.facets.get("kind"):
            assert sum(found.facets["kind"].values()) == found.total

    @FUZZ_DB
    @given(q=queries)
    def test_staff_never_see_the_restricted_document(self, lib, q):
        found = service.search(lib.people.staff, q + " 薪酬")
        assert "B12" not in [r.number for r in found.results + found.suggestions]
        assert all(s["number"] != "B12" for s in service.suggest(lib.people.staff, q))

    @FUZZ_DB
    @given(q=queries, offset=st.integers(-10, 5000), per_page=st.integers(-5, 500))
    def test_paging_any_numbers(self, lib, q, offset, per_page):
        found = service.search(
            lib.people.staff, q, offset=offset, per_page=per_page, suggest=False
        )
        assert 0 <= found.offset <= service.MAX_OFFSET
        assert 1 <= found.per_page <= service.MAX_PER_PAGE
        assert len(found.results) <= found.per_page

    @FUZZ_DB
    @given(q=queries)
    def test_suggest_answers_anything(self, lib, q):
        found = service.suggest(lib.people.controller, q)
        assert len(found) <= 10
        for item in found:
            assert_safe_html(item["title_html"])
            assert item["label"]
