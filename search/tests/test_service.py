"""The search service on a small library: Chinese words and phrases, numbers,
other names, extracted file text, current versions first, drafts, filters,
facets, suggestions and paging. The same tests run on SQLite and PostgreSQL
(``DATABASE_URL``)."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import translation

from documents.models import Department
from search import service
from search.service import SearchFilters, SearchResults
from search.tests import factories as f

pytestmark = pytest.mark.django_db

lib = f.shared(f.build_library)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def find(user, q, **kwargs) -> SearchResults:
    return service.search(user, q, **kwargs)


def numbers(found: SearchResults) -> list[str]:
    return [r.number for r in found.results]


def versions(found: SearchResults) -> list[tuple[str, str, str]]:
    return [(r.number, r.issue, r.status) for r in found.results]


def dept(name: str) -> int:
    return Department.objects.get(name=name).pk


class TestChineseWords:
    @pytest.mark.parametrize("word", ["发放", "回收"])
    def test_two_character_words(self, lib, word):
        found = find(lib.people.staff, word)
        assert set(numbers(found)) == {"B05", "D0503"}
        assert found.total == 2
        assert found.match_all and not found.notices

    @pytest.mark.parametrize("word", ["发放", "回收"])
    def test_the_procedure_before_a_form_named_in_part(self, lib, word):
        """D0503 文件发放、回收记录 holds the word in its title, B05 in its
        text: staff look for the procedure, then its form."""
        assert numbers(find(lib.people.staff, word)) == ["B05", "D0503"]

    def test_a_form_named_whole_keeps_its_place(self, lib):
        from search import index
        from search.engines.database import forget_stats

        whole = f.form("D0509", "发放与回收", parent_number="B05", dept_name="行政部")
        index.reindex_documents([whole.pk])
        forget_stats()
        assert numbers(find(lib.people.staff, "发放与回收")) == ["D0509", "B05"]
        longer = f.form(
            "D0510", "受控文件发放与回收登记表", parent_number="B05", dept_name="行政部"
        )
        index.reindex_documents([longer.pk])
        forget_stats()
        found = numbers(find(lib.people.staff, "发放与回收"))
        assert found == ["D0509", "B05", "D0510"]
        forget_stats()

    def test_a_form_lifts_only_its_own_procedure(self, lib):
        """运维工作单 (D0201, under B02) lifts B02, not B05 — B02 must match."""
        found = numbers(find(lib.people.staff, "工作"))
        assert found[0] == "D0201"
        assert "B05" not in found

    def test_four_character_phrase(self, lib):
        found = find(lib.people.staff, "应急预案")
        assert numbers(found) == ["B17"]
        assert found.results[0].title_html == "<mark>应急预案</mark>管理程序"
        assert "<mark>应急预案</mark>" in found.results[0].snippet

    def test_a_phrase_needs_its_characters_in_order(self, lib):
        found = find(lib.people.staff, "案预急应")
        assert found.total == 0 and found.results == []

    def test_a_phrase_across_a_word_boundary(self, lib):
        """发放回收 is in no text as typed (文件发放、回收记录; 放回 is nowhere):
        what holds most of its character pairs, with a notice."""
        found = find(lib.people.staff, "发放回收")
        assert not found.match_all
        assert set(numbers(found)) == {"B05", "D0503"}
        assert found.notices == [
            "Nothing contains the words exactly as typed; showing what contains "
            "most of them."
        ]
        assert set(
            find(lib.people.staff, "发放回收", facets=("kind",)).facets["kind"]
        ) == {"document", "form"}

    def test_too_little_of_a_phrase_is_no_answer(self, lib):
        """预案应急: two pairs of three — shown; 预案火星探测: one of five — not."""
        assert numbers(find(lib.people.staff, "预案应急")) == ["B17"]
        found = find(lib.people.staff, "预案火星探测")
        assert found.total == 0 and found.results == []

    def test_a_lone_character_finds_words_starting_with_it(self, lib):
        assert "B17" in numbers(find(lib.people.staff, "预"))

    def test_every_word_must_match(self, lib):
        found = find(lib.people.staff, "控制程序 回收")
        assert numbers(found) == ["B05"]
        assert found.match_all

    def test_partial_matches_with_a_notice(self, lib):
        found = find(lib.people.staff, "应急预案 火星探测")
        assert not found.match_all
        assert numbers(found)[0] == "B17"
        assert found.notices == [
            "Nothing contains all the words; showing what contains some of them."
        ]

    def test_matching_more_words_ranks_first(self, lib):
        found = find(lib.people.staff, "文件 回收 火星")
        assert not found.match_all
        assert set(numbers(found)[:2]) == {"B05", "D0503"}


class TestMixedText:
    @pytest.mark.parametrize("q", ["SLA", "sla", "ＳＬＡ", "SLA管理"])
    def test_english_in_chinese_text(self, lib, q):
        assert numbers(find(lib.people.staff, q))[0] == "B08"

    @pytest.mark.parametrize(
        "q", ["ITSMS-P05", "itsms-p05", "ｉｔｓｍｓ－ｐ０５", "P05"]
    )
    def test_codes(self, lib, q):
        assert "B08" in numbers(find(lib.people.staff, q))

    def test_full_width_in_the_text(self, lib):
        assert numbers(find(lib.people.staff, "rpt2026")) == ["B08"]

    def test_clause_numbers(self, lib):
        found = find(lib.people.staff, "8.5.1")
        assert found.results[0].number == "8.5.1"
        assert found.results[0].kind == "clause"
        assert "B08" in numbers(found)


class TestNumbers:
    @pytest.mark.parametrize("q", ["D0503", "d0503", "Ｄ０５０３"])
    def test_a_document_number_comes_first(self, lib, q):
        found = find(lib.people.staff, q)
        assert found.results[0].number == "D0503"
        assert found.results[0].title == "文件发放、回收记录"

    @pytest.mark.parametrize("q", ["B05", "b05", "b5"])
    def test_procedure_numbers(self, lib, q):
        assert find(lib.people.staff, q).results[0].number == "B05"

    @pytest.mark.parametrize(
        "q", ["D0201-2005031401", "d0201-2005031401", "d201-2005031401"]
    )
    def test_a_record_number_comes_first(self, lib, q):
        found = find(lib.people.staff, q)
        assert found.results[0].number == "D0201-2005031401"
        assert found.results[0].kind == "record"

    def test_a_number_prefix_finds_its_forms(self, lib):
        for q in ("D05", "d05"):
            found = find(lib.people.controller, q)
            assert {"D0501", "D0503"} <= set(numbers(found))
            assert all(n.startswith("D05") for n in numbers(found))

    def test_a_number_prefix_finds_its_forms_first(self, lib):
        found = find(lib.people.controller, "D05")
        assert set(numbers(found)[:2]) == {"D0501", "D0503"}
        assert all(n.startswith("D05") for n in numbers(found))
        # The record of D0501 comes after the forms.
        assert numbers(found)[2:] == [lib.secret_record.number]

    def test_a_prefix_being_typed(self, lib):
        assert {"B02", "B05", "B06", "B07", "B08"} <= set(
            numbers(find(lib.people.staff, "b0"))
        )

    def test_number_candidates(self):
        assert service.number_candidates("d201-2005031401")[-1] == "D0201-2005031401"
        assert service.number_candidates("b5") == ["B5", "B05"]
        assert service.number_candidates("D05") == ["D05"]
        assert service.number_candidates("b0") == ["B0"]
        assert service.number_candidates("发放") == []
        assert service.number_candidates("a b") == []


class TestWhatIsSearched:
    @pytest.mark.parametrize("alias", ["运行服务单", "服务工作单"])
    def test_other_names(self, lib, alias):
        found = find(lib.people.staff, alias)
        assert numbers(found) == ["D0201"]
        assert found.results[0].title == "运维工作单"

    def test_extracted_file_text(self, lib):
        found = find(lib.people.staff, "销毁")
        assert numbers(found) == ["B05"]
        assert "<mark>销毁</mark>" in found.results[0].snippet

    def test_records_by_their_values(self, lib):
        found = find(lib.people.staff, "打印机")
        assert numbers(found) == ["D0201-2005031401"]

    def test_nonconformities_and_findings(self, lib):
        found = find(lib.people.staff, "CAB")
        assert {r.kind for r in found.results} == {"nonconformity", "finding"}
        assert lib.nc.number in numbers(found)


class TestCurrentVersions:
    def test_the_effective_and_the_pending_issue(self, lib):
        found = find(lib.people.staff, "变更管理程序")
        assert versions(found) == [("B07", "A", "effective"), ("B07", "B", "pending")]
        pending = found.results[1]
        assert pending.status_label == "Published, not yet effective"
        assert pending.effective_date == f.FUTURE
        assert not pending.void

    def test_text_only_in_the_pending_issue(self, lib):
        found = find(lib.people.staff, "紧急变更")
        assert versions(found) == [("B07", "B", "pending")]

    def test_superseded_issues_are_not_searched_by_default(self, lib):
        for user in (lib.people.staff, lib.people.controller):
            found = find(user, "旧条款")
            assert found.total == 0 and found.results == []
        found = versions(find(lib.people.staff, "记录"))
        assert ("B06", "B", "effective") in found
        assert ("B06", "A", "superseded") not in found

    def test_history_roles_may_include_obsolete(self, lib):
        found = find(
            lib.people.tech_manager,
            "旧条款",
            filters=SearchFilters(include_obsolete=True),
        )
        assert found.include_obsolete
        assert versions(found) == [("B06", "A", "superseded")]
        assert found.results[0].void
        assert found.results[0].status_label == "Obsolete"
        assert found.results[0].url.endswith("/A/")

    def test_withdrawn_documents(self, lib):
        p = lib.people
        assert find(p.controller, "外包").total == 0
        found = find(p.controller, "外包", filters=SearchFilters(include_obsolete=True))
        assert versions(found) == [("B10", "A", "obsolete")]
        assert found.results[0].void

    def test_staff_may_not_include_obsolete(self, lib):
        found = find(
            lib.people.staff, "外包", filters=SearchFilters(include_obsolete=True)
        )
        assert not found.include_obsolete
        assert found.results == [] and found.total == 0
        assert found.notices == [
            "You may not search superseded and obsolete issues; only current ones "
            "are shown."
        ]

    def test_current_first_when_history_is_included(self, lib):
        found = find(
            lib.people.controller, "记录", filters=SearchFilters(include_obsolete=True)
        )
        found = versions(found)
        assert found.index(("B06", "B", "effective")) < found.index(
            ("B06", "A", "superseded")
        )


class TestDrafts:
    def test_a_draft_is_found_by_who_may_edit_it(self, lib):
        found = find(lib.people.controller, "容量规划")
        assert versions(found) == [("B11", "", "draft")]
        assert found.results[0].url.endswith(f"/pages/{lib.b11.pk}/edit/")

    def test_a_draft_is_hidden_from_staff(self, lib):
        p = lib.people
        assert find(p.staff, "容量规划").total == 0
        assert find(p.staff, "B11").results == []
        assert service.suggest(p.staff, "B11") == []

    def test_drafts_follow_the_page_permissions(self, lib):
        from documents.permissions import can_edit_document

        for user in (lib.people.tech_manager, lib.people.mr, lib.people.auditor):
            found = find(user, "容量规划")
            assert bool(found.results) == can_edit_document(user, lib.b11), user


class TestFilters:
    def test_kind(self, lib):
        found = find(
            lib.people.controller, "文件", filters=SearchFilters(kinds=("form",))
        )
        assert set(numbers(found)) == {"D0501", "D0503"}
        found = find(
            lib.people.controller,
            "文件",
            filters=SearchFilters(kinds=("form", "document")),
        )
        assert set(numbers(found)) == {"B05", "D0501", "D0503"}

    def test_tier(self, lib):
        found = find(lib.people.staff, "管理", filters=SearchFilters(tier=2))
        assert found.results and {r.tier for r in found.results} == {2}
        assert find(lib.people.staff, "文件", filters=SearchFilters(tier=1)).total == 0

    def test_department(self, lib):
        tech = dept("技术部")
        found = find(lib.people.staff, "管理", filters=SearchFilters(department=tech))
        assert found.results
        assert {r.department_id for r in found.results} == {tech}
        assert {r.department for r in found.results} == {"技术部"}

    def test_clause(self, lib):
        found = find(lib.people.staff, "变更", filters=SearchFilters(clause="8.5.1"))
        assert {r.kind for r in found.results} == {
            "clause",
            "nonconformity",
            "finding",
        }
        assert "8.5.1" in numbers(found)

    def test_status(self, lib):
        found = find(lib.people.staff, "变更", filters=SearchFilters(status="pending"))
        assert versions(found) == [("B07", "B", "pending")]

    def test_status_obsolete_covers_superseded(self, lib):
        found = find(
            lib.people.controller,
            "程序",
            filters=SearchFilters(status="obsolete", include_obsolete=True),
        )
        assert set(versions(found)) == {
            ("B06", "A", "superseded"),
            ("B10", "A", "obsolete"),
        }

    def test_dates(self, lib):
        staff = lib.people.staff
        found = find(
            staff,
            "运维工作单",
            filters=SearchFilters(
                date_from=date(2005, 1, 1), date_to=date(2005, 12, 31)
            ),
        )
        assert numbers(found) == ["D0201-2005031401"]
        found = find(
            staff, "运维工作单", filters=SearchFilters(date_from=date(2026, 1, 1))
        )
        assert numbers(found) == ["D0201"]

    def test_from_params(self):
        from django.http import QueryDict

        filters, errors = SearchFilters.from_params(
            QueryDict(
                "kind=form,document&kind=record&tier=4&department=3&clause=8.5.1"
                "&status=pending&date_from=2026-01-01&date_to=2026-12-31"
                "&include_obsolete=on"
            )
        )
        assert errors == {}
        assert filters == SearchFilters(
            kinds=("form", "document", "record"),
            tier=4,
            department=3,
            clause="8.5.1",
            status="pending",
            date_from=date(2026, 1, 1),
            date_to=date(2026, 12, 31),
            include_obsolete=True,
        )

    def test_wrong_params_are_left_out_with_a_message(self):
        from django.http import QueryDict

        filters, errors = SearchFilters.from_params(
            QueryDict(
                "kind=spaceship&tier=9&department=x&clause=<b>&status=Bad!"
                "&date_from=2026-13-01&date_to=yesterday&include_obsolete=maybe"
            )
        )
        assert set(errors) == {
            "kind",
            "tier",
            "department",
            "clause",
            "status",
            "date_from",
            "date_to",
        }
        assert filters == SearchFilters()


class TestFacets:
    def test_counts_by_field(self, lib):
        found = find(
            lib.people.controller, "文件", facets=("kind", "tier", "department")
        )
        by_kind: dict[str, int] = {}
        for result in found.results:
            by_kind[result.kind] = by_kind.get(result.kind, 0) + 1
        assert found.facets["kind"] == by_kind
        assert sum(found.facets["kind"].values()) == found.total
        assert found.facets["tier"][4] == 2  # D0501, D0503
        assert found.facets["department"][dept("行政部")] >= 3

    def test_facets_follow_the_filters(self, lib):
        found = find(
            lib.people.controller,
            "文件",
            filters=SearchFilters(kinds=("form",)),
            facets=("kind",),
        )
        assert found.facets == {"kind": {"form": 2}}

    def test_no_facets_unless_asked(self, lib):
        assert find(lib.people.staff, "文件").facets == {}


class TestEmptyAnswers:
    def test_the_closest_titles(self, lib):
        found = find(lib.people.staff, "文件管制")
        assert found.total == 0 and found.results == []
        titles = [s.title for s in found.suggestions]
        assert "文件控制程序" in titles
        assert all(s.kind in ("document", "form") for s in found.suggestions)
        assert len(found.suggestions) <= service.SUGGESTIONS

    def test_nothing_close(self, lib):
        found = find(lib.people.staff, "火星探测")
        assert found.total == 0 and found.suggestions == []

    def test_no_suggestions_when_asked_not_to(self, lib):
        assert find(lib.people.staff, "文件管制", suggest=False).suggestions == []

    @pytest.mark.parametrize("q", [None, "", "   ", "!!!", "😀", '""'])
    def test_an_empty_query(self, lib, q):
        found = find(lib.people.staff, q)
        assert found.is_empty_query
        assert found.results == [] and found.total == 0
        assert found.took_ms >= 0


class TestAnswer:
    def test_took_ms(self, lib):
        found = find(lib.people.staff, "发放")
        assert isinstance(found.took_ms, float) and found.took_ms >= 0

    def test_result_fields(self, lib):
        result = find(lib.people.staff, "应急预案").results[0]
        data = result.as_dict()
        assert set(data) == {
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
        assert data["kind"] == "document"
        assert data["number"] == "B17"
        assert data["title"] == "应急预案管理程序"
        assert data["issue"] == "A"
        assert data["status"] == "effective"
        assert data["department"] == "技术部"
        assert data["tier"] == 2
        assert data["url"] == "/documents/B17/"
        assert data["date"] == f.PUBLISH.isoformat()
        assert not data["void"]

    def test_long_queries_are_cut_with_a_notice(self, lib):
        found = find(lib.people.staff, "应急预案" + "。" * 400)
        assert numbers(found) == ["B17"]
        assert found.parsed.truncated
        assert found.notices == [
            "Only the first 200 characters of the query were searched."
        ]

    def test_too_many_words_with_a_notice(self, lib):
        words = " ".join(f"w{i}" for i in range(40))
        found = find(lib.people.staff, words)
        assert "The query is long: only its first words were searched." in (
            found.notices
        )


class TestPaging:
    def test_pages_cover_the_results_once(self, lib):
        user = lib.people.controller
        kinds = SearchFilters(kinds=("document", "form", "record"))
        everything = find(user, "管理", filters=kinds, per_page=100)
        total = everything.total
        assert 8 <= total < 100
        seen = []
        for offset in range(0, total, 3):
            page = find(user, "管理", filters=kinds, offset=offset, per_page=3)
            assert page.total == total
            assert page.offset == offset and page.per_page == 3
            seen += [r.id for r in page.results]
        assert seen == [r.id for r in everything.results]

    def test_past_the_last_page(self, lib):
        found = find(lib.people.controller, "管理", offset=500)
        assert found.results == []
        assert found.total == find(lib.people.controller, "管理").total

    def test_bounds(self, lib):
        found = find(lib.people.staff, "管理", offset=-5, per_page=10_000)
        assert found.offset == 0 and found.per_page == service.MAX_PER_PAGE
        found = find(lib.people.staff, "管理", offset=10**9, per_page=0)
        assert found.offset == service.MAX_OFFSET
        assert found.per_page == service.DEFAULT_PER_PAGE


class TestSuggest:
    def test_by_number_prefix(self, lib):
        found = service.suggest(lib.people.staff, "d05")
        assert [s["number"] for s in found] == ["D0501", "D0503"]
        assert found[0]["label"] == "D0501 文件审批表"

    def test_unpadded_numbers(self, lib):
        found = service.suggest(lib.people.staff, "b5")
        assert [s["number"] for s in found] == ["B05"]

    def test_by_title_prefix(self, lib):
        found = service.suggest(lib.people.staff, "文件")
        assert {"B05", "D0501", "D0503"} <= {s["number"] for s in found}
        assert all(s["title_html"].startswith("<mark>文件</mark>") for s in found)

    def test_records_after_documents(self, lib):
        found = service.suggest(lib.people.staff, "D02")
        assert [s["number"] for s in found] == ["D0201", "D0201-2005031401"]

    def test_limit(self, lib):
        assert len(service.suggest(lib.people.staff, "b", limit=2)) == 2

    @pytest.mark.parametrize("q", [None, "", "  ", "\x00"])
    def test_nothing_typed(self, lib, q):
        assert service.suggest(lib.people.staff, q) == []
