"""The audits dashboard and the programme pages (audits.views.programmes): the
coverage warnings, the heat map, the signature chain through the POST steps,
revisions, and who may open what."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from compliance import services as compliance_services
from documents import roles
from documents.tests import factories as doc_factories

from .. import services
from ..lifecycle import ItemResult, ProgrammeStatus, SignatureDecision
from ..models import AuditProgramme, ChecklistItem, ProgrammeSignature
from . import factories

pytestmark = pytest.mark.django_db

ALL_DEPARTMENTS = ("管理层", "行政部", "技术部", "市场部")
TOP_LEVEL = ("4", "5", "6", "7", "8", "9", "10")


def year() -> int:
    return services.company_today().year


def on(month: int, day: int = 10) -> date:
    return date(year(), month, day)


@pytest.fixture
def p():
    return factories.people()


@pytest.fixture
def customer(p):
    return doc_factories.user(
        "customer", role=roles.CUSTOMER_REPRESENTATIVE, department_name=None
    )


def as_user(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def body(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def last_message(response) -> str:
    """The message the response added (earlier ones wait in the cookie until
    a page shows them)."""
    found = [str(m) for m in get_messages(response.wsgi_request)]
    return found[-1] if found else ""


def home_url() -> str:
    return reverse("audits:home")


def programme_url(y: int | None = None) -> str:
    return reverse("audits:programme", kwargs={"year": y or year()})


def action_url(action: str, y: int | None = None) -> str:
    return reverse(
        "audits:programme_action", kwargs={"year": y or year(), "action": action}
    )


def section(page: str, testid: str) -> str:
    """The element marked ``data-testid=testid`` up to its closing tag (no
    nesting of the same tag inside)."""
    match = re.search(
        rf'<(\w+)[^>]*data-testid="{testid}"[^>]*>(.*?)</\1>', page, re.DOTALL
    )
    return match.group(0) if match else ""


def heat_row(page: str, ref_id: str) -> str:
    match = re.search(
        rf'<tr[^>]*data-testid="heatmap-row" data-clause="{re.escape(ref_id)}"'
        r"[^>]*>.*?</tr>",
        page,
        re.DOTALL,
    )
    assert match, ref_id
    return match.group(0)


def heat_cell(row: str, month: int) -> str:
    match = re.search(rf'<td[^>]*data-month="{month}"[^>]*>.*?</td>', row, re.DOTALL)
    assert match, month
    return match.group(0)


# --- The dashboard ------------------------------------------------------------------


def test_home_warns_until_every_clause_and_department_is_covered(p):
    factories.audit(p.auditor, start=on(3))
    client = as_user(p.auditor)

    page = body(client.get(home_url()))
    warnings = section(page, "coverage-warnings")
    assert warnings, "the warnings are shown"
    assert f"clauses are not audited in {year()}" in warnings
    assert "Departments not audited" in warnings
    for name in ("管理层", "行政部", "市场部"):
        assert name in warnings
    assert 'data-testid="coverage-complete"' not in page
    assert reverse("audits:audits") in page
    assert reverse("audits:programmes") in page
    assert reverse("audits:mine") in page

    factories.audit(
        p.auditor, clauses=TOP_LEVEL, departments=ALL_DEPARTMENTS, start=on(6)
    )
    page = body(client.get(home_url()))
    assert 'data-testid="coverage-warnings"' not in page
    assert 'data-testid="coverage-complete"' in page


def test_home_without_a_programme_offers_to_prepare_it(p):
    page = body(as_user(p.controller).get(home_url()))
    assert "There is no internal audit programme" in section(page, "coverage-warnings")
    assert f"{reverse('audits:programme_new')}?year={year()}" in page
    page = body(as_user(p.staff).get(home_url()))
    assert reverse("audits:programme_new") not in page


def test_home_lists_assignments_findings_and_what_waits():
    p = factories.scene().people
    a = factories.in_progress(factories.audit(p.auditor), p)
    items = list(ChecklistItem.objects.filter(audit=a).order_by("position"))
    assert items and all(item.auditor_id == p.auditor.pk for item in items)
    item = next(i for i in items if i.clause.ref_id == "8.5.1")
    services.checklist_item_update(
        user=p.auditor,
        item=item,
        result=ItemResult.NONCONFORMING,
        evidence="三张变更单中一张无评审记录",
    )
    nc = services.finding_raise(user=p.auditor, item=item, facts="变更单缺少评审记录")

    page = body(as_user(p.auditor).get(home_url()))
    assignment = section(page, "assignment")
    assert a.number in assignment
    assert reverse("audits:checklist", kwargs={"number": a.number}) in assignment
    assert f"{len(items) - 1} of {len(items)} items to answer" in assignment
    findings = page.split('data-testid="open-findings"', 1)[1]
    assert a.number in findings
    assert reverse("compliance:nonconformity", kwargs={"number": nc.number}) in (
        findings
    )
    assert "Awaiting approval: <strong>1</strong>" in findings

    # Nothing waits for the auditor; the report waits for 管理者代表 later.
    assert 'data-testid="waiting"' not in page
    staff_page = body(as_user(p.staff).get(home_url()))
    assert 'data-testid="assignment"' not in staff_page


def test_waiting_shows_the_programme_step_to_sign(p):
    factories.audit(p.auditor, start=on(3))
    as_user(p.controller).post(action_url("submit"))
    page = body(as_user(p.mr).get(home_url()))
    waiting = page.split('data-testid="waiting"', 1)[1]
    assert 'data-kind="sign"' in waiting
    assert programme_url() in waiting
    assert 'data-testid="waiting"' not in body(as_user(p.gm).get(home_url()))


# --- The programme page -------------------------------------------------------------


def test_heat_map_shows_the_audits_by_clause_and_month(p):
    compliance_services.applicability_set(
        user=p.controller,
        clause=factories.clause("4.3"),
        applicable=False,
        justification="范围由集团确定",
    )
    a = factories.audit(p.auditor, start=on(3, 30), days=3)  # March into April
    page = body(as_user(p.auditor).get(programme_url()))

    row = heat_row(page, "7.5")
    for month in (3, 4):
        cell = heat_cell(row, month)
        assert a.number in cell and "heat--1" in cell
    assert a.number not in heat_cell(row, 5)
    assert a.number in heat_cell(heat_row(page, "8.5.1"), 3)
    # 7.5's sub-clauses inherit the audit.
    assert a.number in heat_cell(heat_row(page, "7.5.1"), 3)
    assert 'data-covered="1"' in heat_row(page, "7.5")
    # Nothing of 9 is audited: 9 is named, its sub-clauses are marked.
    assert 'data-testid="uncovered"' in heat_row(page, "9")
    uncovered = heat_row(page, "9.1")
    assert 'data-covered="0"' in uncovered and "is-uncovered" in uncovered
    excluded = heat_row(page, "4.3")
    assert 'data-applicable="0"' in excluded and "is-excluded" in excluded
    assert 'data-testid="uncovered"' not in excluded
    # The table scrolls in its own box.
    assert 'class="heatmap-scroll"' in page

    audits = section(page, "audits")
    assert a.number in audits and "技术部" in audits and "8.5.1" in audits
    departments = section(page, "coverage-departments")
    assert re.search(r'data-department="技术部" data-covered="1"', departments)
    assert re.search(r'data-department="市场部" data-covered="0"', departments)
    assert "Departments not audited" in section(page, "coverage-warnings")
    assert f"{reverse('audits:audit_new')}?year={year()}" in page


def test_sign_chain_through_the_steps(p):
    factories.audit(p.auditor, start=on(3))
    controller, mr, gm, staff = (
        as_user(u) for u in (p.controller, p.mr, p.gm, p.staff)
    )

    response = controller.post(action_url("submit"))
    assert response.status_code == 302 and response.url == programme_url()
    programme = AuditProgramme.objects.get(year=year())
    assert programme.status == ProgrammeStatus.IN_REVIEW

    assert staff.post(action_url("sign")).status_code == 403
    assert gm.post(action_url("sign")).status_code == 403  # 管理者代表 first

    # Returning needs a comment.
    response = mr.post(action_url("return"), {"comment": ""})
    assert response.status_code == 302
    assert last_message(response) == "Say why the programme is returned."
    programme.refresh_from_db()
    assert programme.status == ProgrammeStatus.IN_REVIEW

    page = body(mr.get(programme_url()))
    assert 'data-testid="action-sign"' in page
    assert 'data-testid="action-return"' in page
    assert 'data-testid="action-sign"' not in body(staff.get(programme_url()))

    response = mr.post(action_url("sign"), {"comment": "覆盖全面"})
    assert last_message(response) == "Signed; 总经理 signs it next."
    response = gm.post(action_url("sign"))
    assert last_message(response) == "Signed: the programme is approved."
    programme.refresh_from_db()
    assert programme.status == ProgrammeStatus.APPROVED

    page = body(staff.get(programme_url()))
    signatures = section(page, "signatures")
    assert signatures.count('data-testid="signature"') == 2
    assert "覆盖全面" in signatures and "mr" in signatures and "gm" in signatures
    assert 'data-step="approve" data-state="signed"' in section(page, "programme-chain")
    # A second signature of the same step is refused, not a 500.
    response = gm.post(action_url("sign"))
    assert response.status_code == 302
    assert "nothing to sign" in last_message(response)


def test_return_goes_back_to_draft_with_the_comment(p):
    factories.audit(p.auditor, start=on(3))
    as_user(p.controller).post(action_url("submit"))
    response = as_user(p.mr).post(action_url("return"), {"comment": "缺少市场部"})
    assert last_message(response) == "The programme was returned to its preparers."
    programme = AuditProgramme.objects.get(year=year())
    assert programme.status == ProgrammeStatus.DRAFT
    signature = ProgrammeSignature.objects.get(programme=programme)
    assert (signature.decision, signature.comment) == (
        SignatureDecision.RETURNED,
        "缺少市场部",
    )
    page = body(as_user(p.controller).get(programme_url()))
    assert "缺少市场部" in section(page, "signatures")
    assert 'data-testid="action-submit"' in page


def test_revise_an_approved_programme(p):
    a = factories.audit(p.auditor, start=on(3))
    factories.programme_approve(a.programme, p)
    controller = as_user(p.controller)

    assert as_user(p.staff).post(action_url("revise")).status_code == 403
    response = controller.post(action_url("revise"), {"reason": ""})
    assert last_message(response) == "Say why the programme is revised."
    response = controller.post(action_url("revise"), {"reason": "增加市场部审核"})
    assert (
        last_message(response)
        == "Revision 1 is a draft: change the plan, then submit it again."
    )
    programme = AuditProgramme.objects.get(year=year())
    assert (programme.status, programme.revision) == (ProgrammeStatus.DRAFT, 1)
    page = body(controller.get(programme_url()))
    assert 'data-step="review" data-state="pending"' in page
    assert section(page, "signatures").count('data-testid="signature"') == 2


def test_update_and_bad_requests(p):
    factories.audit(p.auditor, start=on(3))
    controller = as_user(p.controller)
    response = controller.post(
        action_url("update"), {"title": "年度内审计划（修订）", "basis": "上年外审结果"}
    )
    assert response.status_code == 302
    programme = AuditProgramme.objects.get(year=year())
    assert (programme.title, programme.basis) == (
        "年度内审计划（修订）",
        "上年外审结果",
    )
    response = controller.post(action_url("update"), {"title": "", "basis": ""})
    assert "Title" in last_message(response)

    assert controller.get(action_url("submit")).status_code == 405
    assert controller.post(action_url("publish")).status_code == 404
    assert controller.post(action_url("submit", year() + 5)).status_code == 404
    assert controller.get(programme_url(year() + 5)).status_code == 404
    assert controller.get(programme_url() + "?format=pdf").status_code == 400


def test_customer_representative_is_kept_out(p, customer):
    factories.audit(p.auditor, start=on(3))
    client = as_user(customer)
    for url in (home_url(), reverse("audits:programmes"), programme_url()):
        assert client.get(url).status_code in (403, 404), url
    assert client.post(action_url("sign")).status_code in (403, 404)
    anonymous = Client().get(home_url())
    assert anonymous.status_code == 302 and "login" in anonymous.url


def test_navigation_link(p, customer):
    page = body(as_user(p.staff).get(home_url()))
    link = re.search(r'<a [^>]*data-testid="nav-audits"[^>]*>', page)
    assert link and 'aria-current="page"' in link.group(0)
    assert home_url() in link.group(0)
    library = body(as_user(p.staff).get(reverse("documents:library")))
    link = re.search(r'<a [^>]*data-testid="nav-audits"[^>]*>', library)
    assert link and "aria-current" not in link.group(0)
    records = body(as_user(customer).get(reverse("records:list")))
    assert 'data-testid="nav-audits"' not in records


# --- The list and a new programme ---------------------------------------------------


def test_new_programme_and_the_list(p):
    controller = as_user(p.controller)
    page = body(controller.get(reverse("audits:programme_new")))
    assert f'name="year" value="{year()}"' in page
    response = controller.post(
        reverse("audits:programme_new"),
        {"year": year() + 1, "title": "", "basis": "管理评审要求加强变更管理"},
    )
    assert response.status_code == 302
    assert response.url == programme_url(year() + 1)
    programme = AuditProgramme.objects.get(year=year() + 1)
    assert programme.status == ProgrammeStatus.DRAFT
    assert programme.prepared_by == p.controller

    response = controller.post(
        reverse("audits:programme_new"), {"year": year() + 1, "title": "重复"}
    )
    assert response.status_code == 400
    assert "There is already a programme" in response.content.decode()

    page = body(as_user(p.staff).get(reverse("audits:programmes")))
    assert f'data-year="{year() + 1}"' in page
    assert reverse("audits:programme_new") not in page
    assert as_user(p.staff).get(reverse("audits:programme_new")).status_code == 403


def test_programme_docx_download(p):
    from .. import reports

    if not hasattr(reports, "programme_docx"):
        pytest.skip("audits.reports.programme_docx is not written yet")
    import docx

    a = factories.audit(p.auditor, start=on(3))
    response = as_user(p.staff).get(programme_url() + "?format=docx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.wordprocessingml"
    )
    assert "attachment" in response["Content-Disposition"]
    document = docx.Document(io.BytesIO(response.content))
    text = "\n".join(p.text for p in document.paragraphs) + "\n".join(
        cell.text for t in document.tables for row in t.rows for cell in row.cells
    )
    assert a.number in text
