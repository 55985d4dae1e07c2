"""Rule 6 of issue 8: a user never learns the title, number or snippet of a
document or record they cannot open, in any result, count, facet,
autocomplete or API answer. Search asks the owning app's rule in the query and
checks the results shown again with the app itself."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import translation

from documents.access import document_set_access
from documents.models import Department
from records import services as record_services
from search import service
from search.models import SearchEntry
from search.service import SearchFilters
from search.tests import factories as f

pytestmark = pytest.mark.django_db

lib = f.shared(f.build_library)

FACETS = ("kind", "tier", "department", "status")
SECRET_TITLE = "薪酬保密管理程序"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def find(user, q, **kwargs):
    kwargs.setdefault("facets", FACETS)
    return service.search(user, q, **kwargs)


def numbers(found) -> list[str]:
    return [r.number for r in found.results]


def everything_shown(found) -> str:
    """All a user is told by a search: results, suggestions, counts, notices."""
    return json.dumps(
        {
            "results": [r.as_dict() for r in found.results],
            "titles": [str(r.title_html) for r in found.results],
            "suggestions": [r.as_dict() for r in found.suggestions],
            "total": found.total,
            "facets": {
                k: {str(v): n for v, n in c.items()} for k, c in found.facets.items()
            },
            "notices": [str(n) for n in found.notices],
        },
        ensure_ascii=False,
    )


def assert_learns_nothing_of(user, number: str, title: str, queries) -> None:
    for q in queries:
        found = find(user, q)
        shown = everything_shown(found)
        assert number not in shown, (user, q)
        assert title not in shown, (user, q)
        assert all(number not in s["label"] for s in service.suggest(user, q))
    for q in (number, number.lower(), title[:2], title):
        suggested = service.suggest(user, q)
        assert all(number not in s["label"] for s in suggested), (user, q)
        assert all(title not in s["label"] for s in suggested), (user, q)


def user(lib, name):
    return getattr(lib.people, name)


class TestRestrictedDocument:
    """B12 薪酬保密管理程序: restricted to 行政部; 市场部 is a reader department."""

    QUERIES = ("薪酬", SECRET_TITLE, "B12", "b12", "查阅审批", "薪酬 文件", "保密")

    @pytest.mark.parametrize("name", ["staff", "tech_manager"])
    def test_invisible_to_other_departments(self, lib, name):
        who = user(lib, name)
        found = find(who, "薪酬")
        assert found.results == [] and found.total == 0
        assert all(not counts for counts in found.facets.values())
        assert_learns_nothing_of(who, "B12", SECRET_TITLE, self.QUERIES)

    def test_partial_matches_do_not_reveal_it(self, lib):
        found = find(lib.people.staff, "薪酬 文件")
        assert not found.match_all
        assert "B12" not in numbers(found)
        assert sum(found.facets["kind"].values()) == found.total

    def test_not_even_as_history(self, lib):
        found = find(
            lib.people.tech_manager,
            "薪酬",
            filters=SearchFilters(include_obsolete=True),
        )
        assert found.total == 0

    @pytest.mark.parametrize(
        "name",
        [
            "admin_staff",
            "auditor",
            "market_staff",
            "market_manager",
            "controller",
            "mr",
            "gm",
        ],
    )
    def test_visible_to_its_department_readers_and_document_control(self, lib, name):
        who = user(lib, name)
        found = find(who, "薪酬")
        assert numbers(found) == ["B12"]
        assert found.total == 1
        assert found.facets["kind"] == {"document": 1}
        assert [s["number"] for s in service.suggest(who, "B12")] == ["B12"]

    def test_counts_leave_it_out(self, lib):
        staff = find(lib.people.staff, "管理程序")
        controller = find(lib.people.controller, "管理程序")
        assert controller.total == staff.total + 2  # B12, and the draft B11
        assert sum(staff.facets["kind"].values()) == staff.total
        admin = str(Department.objects.get(name="行政部").pk)
        staff_admin = {str(k): v for k, v in staff.facets["department"].items()}
        controller_admin = {
            str(k): v for k, v in controller.facets["department"].items()
        }
        assert staff_admin.get(admin, 0) == controller_admin[admin] - 1

    def test_closest_titles_leave_it_out(self, lib):
        found = find(lib.people.staff, "薪酬管理办法")
        assert found.total == 0
        assert SECRET_TITLE not in [s.title for s in found.suggestions]
        found = find(lib.people.controller, "薪酬管理办法")
        assert SECRET_TITLE in [s.title for s in found.suggestions]

    def test_the_api_says_nothing_of_it(self, lib, client):
        client.force_login(lib.people.staff)
        for q in ("薪酬", SECRET_TITLE, "B12"):
            answer = client.get("/api/v1/search/", {"q": q}, HTTP_ACCEPT_LANGUAGE="en")
            assert answer.status_code == 200
            data = answer.json()
            assert data.pop("query") == q  # the caller's own words, echoed
            body = json.dumps(data, ensure_ascii=False)
            assert SECRET_TITLE not in body and "B12" not in body
            assert data["total"] == 0
            suggested = client.get(
                "/api/v1/search/suggest/", {"q": q}, HTTP_ACCEPT_LANGUAGE="en"
            )
            assert suggested.json() == {"results": []}

    def test_the_api_answers_a_reader(self, lib, client):
        client.force_login(lib.people.market_staff)
        answer = client.get("/api/v1/search/", {"q": "薪酬"}, HTTP_ACCEPT_LANGUAGE="en")
        assert [r["number"] for r in answer.json()["results"]] == ["B12"]


class TestAccessChanges:
    def test_restricting_a_document_re_indexes_it_at_once(self, lib):
        p = lib.people
        key = f.issue_key(lib.b05)
        assert numbers(find(p.staff, "销毁")) == ["B05"]

        document_set_access(user=p.controller, document=lib.b05, confidential=True)
        entry = f.entry(key)
        assert entry.confidential and entry.readers == ""
        assert find(p.staff, "销毁").total == 0
        assert numbers(find(p.admin_staff, "销毁")) == ["B05"]

        tech = Department.objects.get(name="技术部")
        document_set_access(
            user=p.controller,
            document=lib.b05,
            confidential=True,
            reader_departments=[tech],
        )
        assert f.entry(key).readers == f" {tech.pk} "
        assert numbers(find(p.staff, "销毁")) == ["B05"]
        assert find(p.market_staff, "销毁").total == 0

        document_set_access(user=p.controller, document=lib.b05, confidential=False)
        entry = f.entry(key)
        assert not entry.confidential and entry.readers == ""
        assert numbers(find(p.market_staff, "销毁")) == ["B05"]

    def test_every_entry_of_the_document_follows(self, lib):
        p = lib.people
        document_set_access(user=p.controller, document=lib.b06, confidential=True)
        entries = SearchEntry.objects.filter(document_id=lib.b06.pk)
        assert entries.count() == 2  # issue A (superseded) and B
        assert all(e.confidential for e in entries)
        found = find(
            p.tech_manager, "记录 旧条款", filters=SearchFilters(include_obsolete=True)
        )
        assert "B06" not in numbers(found)


class TestStaleIndex:
    """Were the index wrong, the results shown are still checked with the apps."""

    def test_a_document_marked_open_in_the_index(self, lib):
        SearchEntry.objects.filter(document_id=lib.b12.pk).update(
            confidential=False, readers=""
        )
        staff = lib.people.staff
        found = find(staff, "薪酬", facets=())
        assert found.results == [] and found.total == 0
        assert service.suggest(staff, "B12") == []
        assert service.suggest(staff, "薪酬") == []

    def test_a_record_marked_open_in_the_index(self, lib):
        tech = Department.objects.get(name="技术部")
        number = lib.secret_record.number
        SearchEntry.objects.filter(key=f"record:{lib.secret_record.pk}").update(
            confidential=False, department_id=tech.pk
        )
        staff = lib.people.staff
        found = find(staff, number, facets=())
        assert number not in numbers(found)
        assert all(s["number"] != number for s in service.suggest(staff, number))

    def test_a_draft_marked_issued_in_the_index(self, lib):
        SearchEntry.objects.filter(key=f"draft:{lib.b11.pk}").update(status="effective")
        found = find(lib.people.staff, "容量规划", facets=())
        assert found.results == [] and found.total == 0

    def test_an_entry_whose_document_is_gone(self, lib):
        SearchEntry.objects.filter(key=f.issue_key(lib.b17)).update(document_id=10**9)
        found = find(lib.people.staff, "应急预案", facets=())
        assert found.results == [] and found.total == 0


class TestRecords:
    """Records follow records.permissions: the department, document control and
    auditors for records that are not confidential, the people named on them."""

    @pytest.mark.parametrize(
        ("name", "sees"),
        [
            ("staff", True),
            ("tech_manager", True),
            ("controller", True),
            ("auditor", True),
            ("market_staff", False),
            ("admin_staff", False),
            ("mr", False),
            ("gm", False),
            ("customer", False),
        ],
    )
    def test_a_record(self, lib, name, sees):
        who = user(lib, name)
        number = lib.old_record.number
        found = find(who, number)
        assert (number in numbers(found)) is sees
        suggested = [s["number"] for s in service.suggest(who, number)]
        assert (number in suggested) is sees
        if not sees:
            assert number not in everything_shown(found)

    @pytest.mark.parametrize(
        ("name", "sees"),
        [
            ("admin_staff", True),
            ("controller", True),
            ("auditor", True),
            ("staff", False),
            ("tech_manager", False),
            ("mr", False),
            ("gm", False),
            ("market_staff", False),
            ("customer", False),
        ],
    )
    def test_a_confidential_record(self, lib, name, sees):
        who = user(lib, name)
        number = lib.secret_record.number
        found = find(who, number)
        assert (number in numbers(found)) is sees
        assert (number in [s["number"] for s in service.suggest(who, number)]) is sees
        if not sees:
            assert number not in everything_shown(found)

    def test_named_on_a_confidential_record(self, lib):
        p = lib.people
        number = lib.secret_record.number
        assert find(p.mr, number).total == 0
        record_services.record_access_grant(
            user=p.controller, record=lib.secret_record, grantee=p.mr
        )
        assert numbers(find(p.mr, number)) == [number]


class TestCustomerRepresentative:
    QUERIES = ("文件", "B05", "发放", "应急预案", "CAB", "8.5.1", "打印机", "管理", "b")

    def test_sees_nothing_of_the_library(self, lib):
        customer = lib.people.customer
        for q in self.QUERIES:
            found = find(customer, q, filters=SearchFilters(include_obsolete=True))
            assert found.results == [] and found.total == 0, q
            assert found.suggestions == []
            assert all(not counts for counts in found.facets.values())
            assert service.suggest(customer, q) == []

    def test_sees_only_the_records_named_to_them(self, lib):
        p = lib.people
        record_services.record_access_grant(
            user=p.controller, record=lib.old_record, grantee=p.customer
        )
        found = find(p.customer, "运维工作单")
        assert numbers(found) == [lib.old_record.number]
        assert find(p.customer, "文件").total == 0

    def test_the_api(self, lib, client):
        client.force_login(lib.people.customer)
        answer = client.get("/api/v1/search/", {"q": "文件"}, HTTP_ACCEPT_LANGUAGE="en")
        assert answer.status_code == 200
        assert answer.json()["results"] == [] and answer.json()["total"] == 0


class TestNobody:
    @pytest.mark.parametrize("who", ["anonymous", "inactive"])
    def test_finds_nothing_and_never_fails(self, lib, who):
        if who == "anonymous":
            nobody = AnonymousUser()
        else:
            nobody = type(lib.people.staff).objects.get(pk=lib.people.staff.pk)
            nobody.is_active = False
        for q in ("文件", "B05", "8.5.1"):
            found = find(nobody, q)
            assert found.results == [] and found.total == 0
            assert found.suggestions == []
            assert service.suggest(nobody, q) == []
