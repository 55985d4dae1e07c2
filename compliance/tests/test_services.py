"""Who answers for each clause, which documents meet it, whether it applies,
and finding a clause by its reference (ISO/IEC 20000-1:2018 5.3, 7.5.1)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation
from wagtail.models import ModelLogEntry

from compliance import services
from compliance.lifecycle import ResponsibilityLevel
from compliance.models import (
    Clause,
    ClauseApplicability,
    ClauseDocumentLink,
    ClauseResponsibility,
)
from documents import roles
from documents import services as doc_services
from documents.models import ExternalDocumentPage, OtherDocumentPage
from documents.tests import factories as doc_factories

from . import factories

PRIMARY = ResponsibilityLevel.PRIMARY
SUPPORTING = ResponsibilityLevel.SUPPORTING


@pytest.fixture
def p(db, monkeypatch):
    # The role groups once per test, not once per user: roles_ensure is slow.
    groups = roles.roles_ensure()
    monkeypatch.setattr(roles, "roles_ensure", lambda: groups)
    return factories.people()


def dept(name: str):
    return doc_factories.department(name)


def logged(clause: Clause, action: str) -> list[ModelLogEntry]:
    return list(
        ModelLogEntry.objects.for_instance(clause)
        .filter(action=f"shoukong.compliance.{action}")
        .order_by("timestamp", "id")
    )


def matrix(clause: Clause) -> dict[str, str]:
    return dict(
        ClauseResponsibility.objects.filter(clause=clause).values_list(
            "department__name", "level"
        )
    )


# --- clause_for ---------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("ref", "standard"),
    [
        ("8.5.1", None),
        ("  8.5.1 ", None),
        ("iso20000-1-2018:8.5.1", None),
        ("8.5.1", "iso20000-1-2018"),
    ],
)
def test_clause_for_finds_a_clause(ref, standard):
    clause = services.clause_for(ref, standard=standard)
    assert (clause.standard.ref_id, clause.ref_id) == ("iso20000-1-2018", "8.5.1")
    assert clause.title_zh == "变更管理"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("ref", "standard", "message"),
    [
        ("8.5.9", None, "No clause 8.5.9 in iso20000-1-2018."),
        ("11", None, "No clause 11 in iso20000-1-2018."),
        ("", None, "No clause - in iso20000-1-2018."),
        ("iso99999-2030:4.1", None, "No clause 4.1 in iso99999-2030."),
        ("8.5.1", "iso99999-2030", "No clause 8.5.1 in iso99999-2030."),
    ],
)
def test_clause_for_refuses_an_unknown_reference_clearly(ref, standard, message):
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        services.clause_for(ref, standard=standard)
    assert refused.value.messages == [message]
    # In the company's language too, naming what was asked for.
    with pytest.raises(ValidationError) as refused:
        services.clause_for(ref, standard=standard)
    [local] = refused.value.messages
    assert message.split()[2] in local


@pytest.mark.django_db
def test_clause_for_skips_inactive_clauses():
    Clause.objects.filter(ref_id="8.5.1").update(is_active=False)
    with pytest.raises(ValidationError):
        services.clause_for("8.5.1")


@pytest.mark.django_db
def test_the_default_standard_is_a_setting(settings):
    settings.SHOUKONG_COMPLIANCE_DEFAULT_STANDARD = "iso99999-2030"
    with pytest.raises(ValidationError):
        services.clause_for("8.5.1")
    assert services.clause_for("iso20000-1-2018:8.5.1").ref_id == "8.5.1"


# --- responsibility_set (职能分配表) -----------------------------------------------


def test_a_department_is_made_primary_and_logged(p):
    clause = factories.clause("8.5.1")
    cell = services.responsibility_set(
        user=p.controller, clause=clause, department=dept("技术部"), level=PRIMARY
    )
    assert (cell.department.name, cell.level) == ("技术部", PRIMARY)
    assert matrix(clause) == {"技术部": PRIMARY}
    [entry] = logged(clause, "responsibility_set")
    assert entry.user == p.controller
    assert entry.data == {
        "clause": "8.5.1",
        "standard": "iso20000-1-2018",
        "department": "技术部",
        "before": None,
        "level": PRIMARY,
    }


def test_a_new_primary_makes_the_previous_one_supporting(p):
    clause = factories.clause("8.5.1")
    services.responsibility_set(
        user=p.controller, clause=clause, department=dept("技术部"), level=PRIMARY
    )
    services.responsibility_set(
        user=p.mr, clause=clause, department=dept("市场部"), level=SUPPORTING
    )
    services.responsibility_set(
        user=p.mr, clause=clause, department=dept("行政部"), level=PRIMARY
    )
    assert matrix(clause) == {
        "技术部": SUPPORTING,
        "市场部": SUPPORTING,
        "行政部": PRIMARY,
    }
    entries = logged(clause, "responsibility_set")
    assert [
        (e.data["department"], e.data["before"], e.data["level"]) for e in entries
    ] == [
        ("技术部", None, PRIMARY),
        ("市场部", None, SUPPORTING),
        ("行政部", None, PRIMARY),
    ]
    # Another clause is untouched.
    assert matrix(factories.clause("8.5.2")) == {}


def test_a_supporting_department_is_promoted(p):
    clause = factories.clause("7.5")
    services.responsibility_set(
        user=p.controller, clause=clause, department=dept("技术部"), level=SUPPORTING
    )
    services.responsibility_set(
        user=p.controller, clause=clause, department=dept("技术部"), level=PRIMARY
    )
    assert matrix(clause) == {"技术部": PRIMARY}
    assert logged(clause, "responsibility_set")[-1].data["before"] == SUPPORTING


def test_none_empties_the_cell(p):
    clause = factories.clause("8.5.1")
    services.responsibility_set(
        user=p.controller, clause=clause, department=dept("技术部"), level=PRIMARY
    )
    assert (
        services.responsibility_set(
            user=p.controller, clause=clause, department=dept("技术部"), level=None
        )
        is None
    )
    assert matrix(clause) == {}
    entry = logged(clause, "responsibility_set")[-1]
    assert (entry.data["before"], entry.data["level"]) == (PRIMARY, None)


@pytest.mark.parametrize("level", [PRIMARY, SUPPORTING, None])
def test_setting_the_same_value_again_logs_nothing(p, level):
    clause = factories.clause("8.5.1")
    first = services.responsibility_set(
        user=p.controller, clause=clause, department=dept("技术部"), level=level
    )
    count = len(logged(clause, "responsibility_set"))
    again = services.responsibility_set(
        user=p.controller, clause=clause, department=dept("技术部"), level=level
    )
    assert again == first
    assert len(logged(clause, "responsibility_set")) == count
    assert count == (0 if level is None else 1)


@pytest.mark.parametrize("who", ["gm", "tech_manager", "auditor", "staff"])
def test_only_document_control_and_the_mr_keep_the_matrix(p, who):
    clause = factories.clause("8.5.1")
    with pytest.raises(PermissionDenied):
        services.responsibility_set(
            user=getattr(p, who),
            clause=clause,
            department=dept("技术部"),
            level=PRIMARY,
        )
    assert matrix(clause) == {} and not logged(clause, "responsibility_set")


@pytest.mark.parametrize("level", ["tertiary", "★", ""])
def test_an_unknown_level_is_refused(p, level):
    clause = factories.clause("8.5.1")
    with pytest.raises(ValidationError):
        services.responsibility_set(
            user=p.controller, clause=clause, department=dept("技术部"), level=level
        )
    assert matrix(clause) == {}


def test_the_database_holds_one_primary_per_clause(p):
    clause = factories.clause("8.5.1")
    ClauseResponsibility.objects.create(
        clause=clause, department=dept("技术部"), level=PRIMARY
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        ClauseResponsibility.objects.create(
            clause=clause, department=dept("行政部"), level=PRIMARY
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        ClauseResponsibility.objects.create(
            clause=clause, department=dept("技术部"), level=SUPPORTING
        )


def test_rows_are_filled_in_bulk_only_where_nothing_is_set(p):
    started = factories.clause("8.5.1")
    services.responsibility_set(
        user=p.controller, clause=started, department=dept("行政部"), level=PRIMARY
    )
    first, second = factories.clause("8.5.2"), factories.clause("8.5.3")
    filled = services.responsibility_rows_fill(
        user=p.mr,
        rows={
            started: {dept("技术部"): PRIMARY},
            first: {dept("技术部"): PRIMARY, dept("市场部"): SUPPORTING},
            second: {dept("技术部"): SUPPORTING},
        },
    )
    assert filled == [first, second]
    assert matrix(started) == {"行政部": PRIMARY}
    assert matrix(first) == {"技术部": PRIMARY, "市场部": SUPPORTING}
    assert matrix(second) == {"技术部": SUPPORTING}
    entries = logged(first, "responsibility_set") + logged(second, "responsibility_set")
    assert sorted((e.data["clause"], e.data["department"]) for e in entries) == [
        ("8.5.2", "市场部"),
        ("8.5.2", "技术部"),
        ("8.5.3", "技术部"),
    ]
    assert {e.user for e in entries} == {p.mr}
    assert len({e.uuid for e in entries}) == 1, "one run id"
    assert all(e.data["before"] is None for e in entries)
    assert len(logged(started, "responsibility_set")) == 1
    # Filling again changes nothing.
    assert (
        services.responsibility_rows_fill(
            user=p.mr, rows={first: {dept("行政部"): PRIMARY}}
        )
        == []
    )
    assert matrix(first) == {"技术部": PRIMARY, "市场部": SUPPORTING}


@pytest.mark.parametrize(
    "row",
    [
        {"技术部": PRIMARY, "市场部": PRIMARY},
        {"技术部": "tertiary"},
    ],
    ids=["two-primaries", "unknown-level"],
)
def test_a_bad_row_fills_nothing(p, row):
    good, bad = factories.clause("8.5.2"), factories.clause("8.5.3")
    with pytest.raises(ValidationError):
        services.responsibility_rows_fill(
            user=p.controller,
            rows={
                good: {dept("行政部"): PRIMARY},
                bad: {dept(name): level for name, level in row.items()},
            },
        )
    assert not ClauseResponsibility.objects.exists()
    assert not logged(good, "responsibility_set")


@pytest.mark.parametrize("who", ["gm", "tech_manager", "auditor", "staff"])
def test_only_document_control_and_the_mr_fill_the_matrix(p, who):
    clause = factories.clause("8.5.2")
    with pytest.raises(PermissionDenied):
        services.responsibility_rows_fill(
            user=getattr(p, who), rows={clause: {dept("技术部"): PRIMARY}}
        )
    assert matrix(clause) == {}


# --- document_link / document_unlink -----------------------------------------------


@pytest.fixture
def b05(p):
    return doc_factories.document("procedure", "文件控制程序", number="B05", issue=True)


def test_document_control_links_a_document_with_a_note(p, b05):
    clause = factories.clause("7.5")
    link = services.document_link(
        user=p.controller, clause=clause, document=b05, note=" 文件的编制、审批与发放 "
    )
    assert (link.clause, link.document_id, link.note) == (
        clause,
        b05.pk,
        "文件的编制、审批与发放",
    )
    assert link.linked_by == p.controller and link.linked_at is not None
    [entry] = logged(clause, "document_link")
    assert entry.user == p.controller
    assert entry.data == {
        "clause": "7.5",
        "standard": "iso20000-1-2018",
        "document": "B05",
        "note": "文件的编制、审批与发放",
        "created": True,
    }


def test_linking_again_updates_the_note_only_when_it_changed(p, b05):
    clause = factories.clause("7.5")
    services.document_link(user=p.controller, clause=clause, document=b05, note="一")
    services.document_link(user=p.controller, clause=clause, document=b05, note="一")
    assert len(logged(clause, "document_link")) == 1
    link = services.document_link(user=p.mr, clause=clause, document=b05, note="二")
    assert link.note == "二"
    assert ClauseDocumentLink.objects.filter(clause=clause).count() == 1
    entries = logged(clause, "document_link")
    assert [(e.data["note"], e.data["created"]) for e in entries] == [
        ("一", True),
        ("二", False),
    ]
    # The first linker stays on record.
    assert link.linked_by == p.controller


def test_a_long_note_is_cut_to_its_field(p, b05):
    link = services.document_link(
        user=p.controller, clause=factories.clause("7.5"), document=b05, note="注" * 600
    )
    assert len(link.note) == 500


def test_an_unnumbered_document_is_not_traced(p):
    other = doc_services.document_create(
        user=None,
        parent=doc_services.library_ensure(),
        page_class=OtherDocumentPage,
        title="会议纪要",
        department=dept("行政部"),
    )
    assert not other.number
    clause = factories.clause("7.5")
    with pytest.raises(ValidationError):
        services.document_link(user=p.controller, clause=clause, document=other)
    assert not ClauseDocumentLink.objects.exists()


def test_an_external_document_is_traced(p):
    page = doc_services.document_create(
        user=None,
        parent=doc_services.external_register(),
        page_class=ExternalDocumentPage,
        title="ISO/IEC 20000-1:2018",
        issuer="ISO/IEC",
        department=dept("行政部"),
    )
    page = doc_services.external_document_register(user=None, document=page)
    link = services.document_link(
        user=p.controller, clause=factories.clause("4.1"), document=page, note="标准"
    )
    assert link.document_id == page.pk


@pytest.mark.parametrize("who", ["staff", "auditor"])
def test_who_cannot_draft_the_document_does_not_link_it(p, b05, who):
    clause = factories.clause("7.5")
    with pytest.raises(PermissionDenied):
        services.document_link(user=getattr(p, who), clause=clause, document=b05)
    assert not ClauseDocumentLink.objects.exists()
    assert not logged(clause, "document_link")


def test_a_drafter_of_the_document_links_it(p):
    change = doc_factories.document(
        "procedure", "变更管理程序", dept=dept("技术部"), issue=True
    )
    clause = factories.clause("8.5.1")
    services.document_link(
        user=p.tech_manager, clause=clause, document=change, note="变更流程"
    )
    assert [e.user for e in logged(clause, "document_link")] == [p.tech_manager]
    services.document_unlink(user=p.tech_manager, clause=clause, document=change)
    assert not ClauseDocumentLink.objects.exists()


def test_unlinking_removes_the_trace_and_the_log_keeps_it(p, b05):
    clause = factories.clause("7.5")
    services.document_link(user=p.controller, clause=clause, document=b05, note="注")
    with pytest.raises(PermissionDenied):
        services.document_unlink(user=p.staff, clause=clause, document=b05)
    assert ClauseDocumentLink.objects.count() == 1
    services.document_unlink(user=p.controller, clause=clause, document=b05)
    assert not ClauseDocumentLink.objects.exists()
    [entry] = logged(clause, "document_unlink")
    assert (entry.user, entry.data) == (
        p.controller,
        {"clause": "7.5", "standard": "iso20000-1-2018", "document": "B05"},
    )
    with pytest.raises(ValidationError):
        services.document_unlink(user=p.controller, clause=clause, document=b05)
    assert len(logged(clause, "document_unlink")) == 1


def test_the_database_links_a_document_once_per_clause(p, b05):
    clause = factories.clause("7.5")
    ClauseDocumentLink.objects.create(clause=clause, document=b05)
    with pytest.raises(IntegrityError), transaction.atomic():
        ClauseDocumentLink.objects.create(clause=clause, document=b05)


# --- applicability_set (statement of applicability) --------------------------------


def test_an_exclusion_needs_a_justification(p):
    clause = factories.clause("8.4.1")
    for empty in ("", "   "):
        with pytest.raises(ValidationError):
            services.applicability_set(
                user=p.controller, clause=clause, applicable=False, justification=empty
            )
    assert not ClauseApplicability.objects.exists()
    assert not logged(clause, "applicability_set")

    statement = services.applicability_set(
        user=p.mr,
        clause=clause,
        applicable=False,
        justification=" 服务不单独核算 ",
    )
    assert (statement.applicable, statement.justification) == (False, "服务不单独核算")
    assert statement.updated_by == p.mr
    [entry] = logged(clause, "applicability_set")
    assert (entry.user, entry.data) == (
        p.mr,
        {"clause": "8.4.1", "applicable": False, "justification": "服务不单独核算"},
    )


def test_a_clause_declared_applicable_again_keeps_one_statement(p):
    clause = factories.clause("8.4.1")
    services.applicability_set(
        user=p.controller, clause=clause, applicable=False, justification="不适用"
    )
    statement = services.applicability_set(
        user=p.controller, clause=clause, applicable=True
    )
    assert (statement.applicable, statement.justification) == (True, "")
    assert ClauseApplicability.objects.filter(clause=clause).count() == 1
    assert [e.data["applicable"] for e in logged(clause, "applicability_set")] == [
        False,
        True,
    ]


@pytest.mark.parametrize("who", ["gm", "tech_manager", "auditor", "staff"])
def test_only_document_control_and_the_mr_set_applicability(p, who):
    clause = factories.clause("8.4.1")
    with pytest.raises(PermissionDenied):
        services.applicability_set(
            user=getattr(p, who), clause=clause, applicable=False, justification="x"
        )
    assert not ClauseApplicability.objects.exists()


def test_the_database_refuses_an_unjustified_exclusion(p):
    clause = factories.clause("8.4.1")
    with pytest.raises(IntegrityError), transaction.atomic():
        ClauseApplicability.objects.create(
            clause=clause, applicable=False, justification=""
        )
    ClauseApplicability.objects.create(clause=clause, applicable=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        ClauseApplicability.objects.filter(clause=clause).update(applicable=False)
    assert ClauseApplicability.objects.get(clause=clause).applicable is True
