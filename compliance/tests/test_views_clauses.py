"""The clause pages: the catalogue, a clause, the function allocation matrix,
the process owners, the coverage view and the document page's clause panel
(compliance.views.clauses)."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from wagtail import hooks
from wagtail.models import ModelLogEntry

from compliance import coverage, services
from compliance.lifecycle import ResponsibilityLevel
from compliance.models import ClauseDocumentLink, ClauseResponsibility, Process
from compliance.views.clause_forms import cell_name, matrix_version
from compliance.views.clauses import document_clauses_panel
from documents import roles
from documents.tests import factories as doc_factories

from . import factories

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 22)
STD = "iso20000-1-2018"
PRIMARY, SUPPORTING = ResponsibilityLevel.PRIMARY, ResponsibilityLevel.SUPPORTING


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    monkeypatch.setattr("compliance.nonconformities.company_today", lambda: TODAY)
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: TODAY)


@pytest.fixture
def people():
    return factories.people()


@pytest.fixture
def customer(people):
    return doc_factories.user(
        "customer", role=roles.CUSTOMER_REPRESENTATIVE, department_name=None
    )


@pytest.fixture
def b05(people):
    """文件控制程序 B05, issued, traced to 7.5."""
    page = doc_factories.document("procedure", "文件控制程序", number="B05", issue=True)
    services.document_link(
        user=people.controller,
        clause=factories.clause("7.5"),
        document=page,
        note="规定文件的编制、审批和发放",
    )
    return page


def as_user(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def body(response) -> str:
    return response.content.decode()


def clause_url(ref_id: str, standard: str = STD) -> str:
    return reverse("compliance:clause", kwargs={"standard": standard, "ref_id": ref_id})


def matrix_url(**extra) -> str:
    query = "&".join(f"{k}={v}" for k, v in {"standard": STD, **extra}.items())
    return f"{reverse('compliance:matrix')}?{query}"


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def cells_of(ref_id: str) -> dict[str, str]:
    return dict(
        ClauseResponsibility.objects.filter(
            clause=factories.clause(ref_id)
        ).values_list("department__name", "level")
    )


# --- Access --------------------------------------------------------------------------

PAGES = ["clauses", "clause", "matrix", "processes", "coverage"]


@pytest.mark.parametrize("name", PAGES)
def test_pages_open_for_staff_and_controller_only(name, people, customer):
    url = clause_url("7.5") if name == "clause" else reverse(f"compliance:{name}")
    assert as_user(people.staff).get(url).status_code == 200
    assert as_user(people.controller).get(url).status_code == 200
    assert as_user(customer).get(url).status_code == 403
    anonymous = Client().get(url)
    assert anonymous.status_code == 302
    assert reverse("login") in anonymous["Location"]


def test_home_redirects_to_the_catalogue(people):
    response = as_user(people.staff).get(reverse("compliance:home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("compliance:clauses")


def test_unknown_standard_or_clause_is_404(people):
    client = as_user(people.staff)
    for url in (
        clause_url("7.5", "no-such-standard"),
        clause_url("99.9"),
        f"{reverse('compliance:clauses')}?standard=no-such-standard",
        f"{reverse('compliance:matrix')}?standard=no-such-standard",
        f"{reverse('compliance:coverage')}?standard=no-such-standard",
    ):
        assert client.get(url).status_code == 404, url


def test_navigation_shows_compliance_to_staff_only(people, customer):
    page = body(as_user(people.staff).get(reverse("compliance:clauses")))
    link = re.search(r'<a [^>]*data-testid="nav-compliance"[^>]*>', page)
    assert link and 'aria-current="page"' in link.group(0)
    library = body(as_user(people.staff).get(reverse("documents:library")))
    assert 'data-testid="nav-compliance"' in library
    records = body(as_user(customer).get(reverse("records:list")))
    assert 'data-testid="nav-compliance"' not in records


# --- The catalogue -------------------------------------------------------------------


def test_catalogue_lists_every_clause_with_documents_and_departments(people, b05):
    services.responsibility_set(
        user=people.controller,
        clause=factories.clause("7.5"),
        department=doc_factories.department("行政部"),
        level=PRIMARY,
    )
    response = as_user(people.staff).get(reverse("compliance:clauses"))
    rows = response.context["rows"]
    refs = [row.clause.ref_id for row in rows]
    assert refs[0] == "4" and refs[-1] == "10.2" and "8.5.1" in refs
    html = body(response)
    row_75 = html[html.index('data-clause="7.5"') :].split("</tr>")[0]
    assert reverse("documents:detail", kwargs={"number": "B05"}) in row_75
    assert "★ 行政部" in row_75
    assert "Documented information" in row_75  # English title, small
    assert 'data-testid="standard-picker"' in html


def test_catalogue_reads_a_bounded_number_of_queries(people, b05):
    client = as_user(people.staff)
    client.get(reverse("compliance:clauses"))  # warm the caches

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("compliance:clauses")).status_code == 200
        return len(ctx.captured_queries)

    before = count()
    for number, ref in (("B06", "8.5.1"), ("B07", "8.6.1"), ("B08", "9.2")):
        page = doc_factories.document(
            "procedure", f"程序{number}", number=number, issue=True
        )
        services.document_link(
            user=people.controller, clause=factories.clause(ref), document=page
        )
    factories.nonconformity(people.auditor)
    assert count() == before
    assert before < 40


# --- One clause ----------------------------------------------------------------------


def test_clause_shows_its_document_and_the_sub_clause_inherits_it(people, b05):
    client = as_user(people.staff)
    response = client.get(clause_url("7.5"))
    html = body(response)
    assert "B05" in html and "文件控制程序" in html
    assert "规定文件的编制、审批和发放" in html
    assert 'data-testid="children"' in html and clause_url("7.5.3") in html
    assert "No audit recorded yet." in html
    assert 'data-testid="link-form"' not in html  # staff may not link

    sub = body(client.get(clause_url("7.5.3")))
    assert "B05" in sub
    assert "inherited from 7.5" in sub
    assert clause_url("7.5") in sub  # the breadcrumb


def test_drafts_are_listed_only_on_request(people):
    draft = doc_factories.document("procedure", "沟通管理程序", number="B09")
    clause = factories.clause("7.4")
    services.document_link(user=people.controller, clause=clause, document=draft)
    # (The title, not the number: "B09" may turn up in a random CSRF token.)
    client = as_user(people.staff)
    assert "沟通管理程序" not in body(client.get(clause_url("7.4")))
    # Staff never learn of drafts; those who keep the catalogue see them.
    assert "沟通管理程序" not in body(client.get(clause_url("7.4") + "?all=1"))
    keeper = as_user(people.controller)
    assert "沟通管理程序" not in body(keeper.get(clause_url("7.4")))
    assert "沟通管理程序" in body(keeper.get(clause_url("7.4") + "?all=1"))


def test_clause_lists_open_findings_and_process_owners(people):
    nc = factories.nonconformity(people.auditor)
    owner = people.tech_manager
    owner.first_name, owner.last_name = "俊浩", "阮"
    owner.save()
    process = Process.objects.create(
        name="变更管理", owner=owner, department=doc_factories.department("技术部")
    )
    process.clauses.add(factories.clause("8.5.1"))
    html = body(as_user(people.staff).get(clause_url("8.5.1")))
    assert reverse("compliance:nonconformity", kwargs={"number": nc.number}) in html
    assert "变更管理" in html and "技术部" in html


def test_controller_links_and_unlinks_a_document(people):
    page = doc_factories.document("procedure", "记录控制程序", number="B06", issue=True)
    clause = factories.clause("7.5")
    client = as_user(people.controller)
    assert 'data-testid="link-form"' in body(client.get(clause_url("7.5")))

    response = client.post(
        clause_url("7.5"),
        {"action": "link", "number": " b06 ", "note": "记录的标识和保存"},
        follow=True,
    )
    link = ClauseDocumentLink.objects.get(clause=clause, document=page)
    assert link.note == "记录的标识和保存" and link.linked_by == people.controller
    assert any("B06" in text for text in texts(response))
    assert ModelLogEntry.objects.filter(
        action="shoukong.compliance.document_link", object_id=str(clause.pk)
    ).exists()
    assert 'data-testid="unlink"' in body(response)

    response = client.post(
        clause_url("7.5"), {"action": "unlink", "document": page.pk}, follow=True
    )
    assert not ClauseDocumentLink.objects.filter(clause=clause).exists()
    assert ModelLogEntry.objects.filter(
        action="shoukong.compliance.document_unlink", object_id=str(clause.pk)
    ).exists()


@pytest.mark.parametrize(
    "data",
    [
        {"action": "link", "number": "B99"},
        {"action": "link", "number": ""},
        {"action": "unlink", "document": "x"},
        {"action": "unlink", "document": "999999"},
        {"action": "explode"},
    ],
)
def test_bad_link_requests_are_messages(people, data):
    response = as_user(people.controller).post(clause_url("7.5"), data, follow=True)
    assert response.status_code == 200
    assert texts(response)
    assert not ClauseDocumentLink.objects.exists()


def test_staff_may_not_link_a_document(people):
    page = doc_factories.document("procedure", "记录控制程序", number="B06", issue=True)
    response = as_user(people.staff).post(
        clause_url("7.5"), {"action": "link", "number": "B06"}, follow=True
    )
    assert response.status_code == 200
    assert "You may not do this." in texts(response)
    assert not ClauseDocumentLink.objects.filter(document=page).exists()


def test_staff_may_not_unlink_a_document(people, b05):
    response = as_user(people.staff).post(
        clause_url("7.5"), {"action": "unlink", "document": b05.pk}, follow=True
    )
    assert texts(response)
    assert ClauseDocumentLink.objects.filter(document=b05).exists()


def test_controller_sets_applicability_and_must_justify_exclusion(people):
    client = as_user(people.controller)
    response = client.post(
        clause_url("8.2.5"),
        {"action": "applicability", "justification": ""},
        follow=True,
    )
    assert "Justify why the clause does not apply." in texts(response)
    client.post(
        clause_url("8.2.5"),
        {"action": "applicability", "justification": "公司无自有资产需管理"},
    )
    html = body(client.get(clause_url("8.2.5")))
    assert "Not applicable" in html and "公司无自有资产需管理" in html
    staff = as_user(people.staff).post(
        clause_url("8.2.5"),
        {"action": "applicability", "applicable": "on"},
        follow=True,
    )
    assert "You may not do this." in texts(staff)


# --- The matrix ----------------------------------------------------------------------


def _matrix_post(user, data: dict):
    cells = {
        (c, d): level
        for c, d, level in ClauseResponsibility.objects.filter(
            clause__standard__ref_id=STD
        ).values_list("clause_id", "department_id", "level")
    }
    return as_user(user).post(
        matrix_url(), {"version": matrix_version(cells), **data}, follow=True
    )


def test_matrix_shows_stars_and_edit_mode_only_to_managers(people):
    services.responsibility_set(
        user=people.controller,
        clause=factories.clause("7.5"),
        department=doc_factories.department("行政部"),
        level=PRIMARY,
    )
    html = body(as_user(people.staff).get(matrix_url(edit=1)))
    assert 'data-testid="matrix-form"' not in html
    row = html[html.index('<tr data-clause="7.5"') :].split("</tr>")[0]
    assert "★" in row
    editing = body(as_user(people.controller).get(matrix_url(edit=1)))
    assert 'data-testid="matrix-form"' in editing


def test_matrix_edit_saves_a_primary_and_moves_the_old_one(people):
    clause = factories.clause("7.5")
    admin, tech = doc_factories.department("行政部"), doc_factories.department("技术部")
    services.responsibility_set(
        user=people.controller, clause=clause, department=admin, level=PRIMARY
    )
    logged = ModelLogEntry.objects.filter(
        action="shoukong.compliance.responsibility_set"
    ).count()
    response = _matrix_post(
        people.controller,
        {
            # Unchanged cells are sent too and must not be written.
            cell_name(clause.pk, admin.pk): PRIMARY,
            cell_name(clause.pk, tech.pk): PRIMARY,
        },
    )
    assert cells_of("7.5") == {"技术部": PRIMARY, "行政部": SUPPORTING}
    assert any("1 cell" in text for text in texts(response))
    assert (
        ModelLogEntry.objects.filter(
            action="shoukong.compliance.responsibility_set"
        ).count()
        == logged + 1
    )


def test_matrix_edit_clears_a_cell(people):
    clause = factories.clause("7.2")
    admin = doc_factories.department("行政部")
    services.responsibility_set(
        user=people.controller, clause=clause, department=admin, level=SUPPORTING
    )
    _matrix_post(people.controller, {cell_name(clause.pk, admin.pk): ""})
    assert cells_of("7.2") == {}


@pytest.mark.parametrize("bad", ["gold", "unknown-cell", "stale", "two-primaries"])
def test_invalid_matrix_post_saves_nothing(people, bad):
    clause, other = factories.clause("7.5"), factories.clause("7.6")
    admin, tech = doc_factories.department("行政部"), doc_factories.department("技术部")
    data = {cell_name(other.pk, admin.pk): PRIMARY}  # a valid change
    if bad == "gold":
        data[cell_name(clause.pk, tech.pk)] = "gold"
    elif bad == "unknown-cell":
        data[cell_name(999999, tech.pk)] = PRIMARY
    elif bad == "two-primaries":
        data[cell_name(clause.pk, tech.pk)] = PRIMARY
        data[cell_name(clause.pk, admin.pk)] = PRIMARY
    if bad == "stale":
        response = as_user(people.controller).post(
            matrix_url(), {"version": "old", **data}, follow=True
        )
    else:
        response = _matrix_post(people.controller, data)
    assert response.status_code == 200
    assert any("Nothing was saved" in text for text in texts(response))
    assert not ClauseResponsibility.objects.exists()


def test_matrix_post_by_staff_is_refused(people):
    clause, tech = factories.clause("7.5"), doc_factories.department("技术部")
    response = as_user(people.staff).post(
        matrix_url(), {"version": "x", cell_name(clause.pk, tech.pk): PRIMARY}
    )
    assert response.status_code == 403
    assert not ClauseResponsibility.objects.exists()


# --- Process owners ------------------------------------------------------------------


def test_process_owners_are_listed(people):
    owner = people.tech_manager
    owner.first_name, owner.last_name = "俊浩", "阮"
    owner.save()
    process = Process.objects.create(
        name="事件管理", owner=owner, department=doc_factories.department("技术部")
    )
    process.clauses.add(factories.clause("8.6.1"))
    html = body(as_user(people.staff).get(reverse("compliance:processes")))
    assert "事件管理" in html and owner.get_full_name() in html
    assert clause_url("8.6.1") in html
    assert 'data-testid="processes-admin"' not in html


# --- The document page ---------------------------------------------------------------


def test_document_page_lists_its_clauses(people, b05):
    url = reverse("documents:detail", kwargs={"number": "B05"})
    with hooks.register_temporarily("shoukong_document_panels", document_clauses_panel):
        html = body(as_user(people.staff).get(url))
    assert 'data-testid="document-clauses"' in html
    panel = html[html.index('data-testid="document-clauses"') :].split("</section>")[0]
    assert clause_url("7.5") in panel
    assert "ISO/IEC 20000-1:2018" in panel and "规定文件的编制、审批和发放" in panel


def test_document_page_without_clauses_has_no_panel(people):
    doc_factories.document("procedure", "沟通管理程序", number="B09", issue=True)
    url = reverse("documents:detail", kwargs={"number": "B09"})
    with hooks.register_temporarily("shoukong_document_panels", document_clauses_panel):
        html = body(as_user(people.staff).get(url))
    assert 'data-testid="document-clauses"' not in html


# --- Coverage ------------------------------------------------------------------------


def test_coverage_lists_the_gaps(people, b05):
    old = doc_factories.document(
        "procedure",
        "变更管理程序",
        number="B13",
        issue=True,
        publish_date=date(2022, 1, 5),
    )
    change = factories.clause("8.5.1")
    services.document_link(user=people.controller, clause=change, document=old)
    factories.nonconformity(people.auditor)
    audited = factories.clause("7.5")

    def audit_dates(clause_ids):
        return {audited.pk: date(2026, 6, 1)}

    with hooks.register_temporarily(coverage.AUDIT_DATES_HOOK, audit_dates):
        response = as_user(people.staff).get(reverse("compliance:coverage"))
    html = body(response)

    def section(testid: str) -> str:
        return html[html.index(f'data-testid="{testid}"') :].split("</section>")[0]

    assert 'data-clause="7.4"' in section("no-procedure")
    assert 'data-clause="7.5"' not in section("no-procedure")
    assert 'data-clause="8.5.1"' in section("only-overdue")
    assert 'data-clause="7.5"' not in section("only-overdue")
    assert 'data-clause="7.5.3"' not in section("not-audited")  # inherits 7.5's
    assert 'data-clause="7.4"' in section("not-audited")
    findings = section("open-ncs")
    assert 'data-clause="8.5.1"' in findings and "1 open nonconformity" in findings
    assert (
        reverse("compliance:nonconformities") + f"?clause=8.5.1&amp;standard={STD}"
        "&amp;open=1"
    ) in findings
    assert response.context["summary"]["open_nonconformities"] == 1
    assert 'data-testid="export-xlsx"' not in html  # staff: no downloads
