"""Auditors never audit their own work: not their own department, not a
process they own (and a process answering a clause answers its sub-clauses
and its heading too)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from audits import independence
from audits.tests import factories
from compliance.models import Clause, Process
from documents import roles
from documents.tests import factories as doc_factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def s(db, monkeypatch):
    groups = roles.roles_ensure()
    monkeypatch.setattr(roles, "roles_ensure", lambda: groups)
    return factories.scene()


def test_overlapping_clauses(s):
    c = factories.clause
    assert independence.overlaps(c("8.5.1"), c("8.5.1"))
    assert independence.overlaps(c("8.5"), c("8.5.1"))
    assert independence.overlaps(c("8.5.1.2"), c("8"))
    assert not independence.overlaps(c("8.5.1"), c("8.5.2"))
    assert not independence.overlaps(c("8.5.1"), c("8.5.1", standard="iso9001-2015"))
    assert not independence.overlaps(c("7.1"), c("7.5"))
    # Only whole parts count: 8.1 is not above 8.10.
    assert not independence.overlaps(
        Clause(ref_id="8.1", standard_id=1), Clause(ref_id="8.10", standard_id=1)
    )


def test_pair_conflicts_name_every_reason(s):
    p = s.people
    tech, market = (
        doc_factories.department("技术部"),
        doc_factories.department("市场部"),
    )
    c = factories.clause
    reasons = independence.pair_conflicts(
        p.tech_manager, department=tech, clause=c("8.5.1")
    )
    assert len(reasons) == 2
    assert "技术部" in reasons[0] and "audited department" in reasons[0]
    assert "变更管理" in reasons[1] and "8.5.1" in reasons[1]
    # His process answers 8.5.1: the heading 8.5 and 8.5.1.2 too, in any department.
    assert (
        len(
            independence.pair_conflicts(
                p.tech_manager, department=market, clause=c("8.5")
            )
        )
        == 1
    )
    assert len(independence.pair_conflicts(p.tech_manager, clause=c("8.5.1.2"))) == 1
    assert (
        independence.pair_conflicts(p.tech_manager, department=market, clause=c("7.5"))
        == []
    )
    assert (
        independence.pair_conflicts(p.auditor, department=tech, clause=c("8.5.1")) == []
    )
    # A process no longer in use binds nobody.
    Process.objects.filter(pk=s.change_process.pk).update(is_active=False)
    assert (
        independence.pair_conflicts(
            p.tech_manager, department=market, clause=c("8.5.1")
        )
        == []
    )


def test_team_conflicts_only_when_nothing_is_left_to_audit(s):
    p = s.people
    tech, market = (
        doc_factories.department("技术部"),
        doc_factories.department("市场部"),
    )
    scope = [factories.clause("7.5"), factories.clause("8.5.1")]
    reasons = independence.team_conflicts(
        p.tech_manager, departments=[tech], clauses=scope
    )
    # Each reason once, though it holds for several pairs.
    assert len(reasons) == 2 and len(set(reasons)) == 2
    assert (
        independence.team_conflicts(
            p.tech_manager, departments=[tech, market], clauses=scope
        )
        == []
    )
    assert independence.team_conflicts(p.staff, departments=[tech], clauses=[]) != []
    with pytest.raises(ValidationError) as refused:
        independence.ensure_team_independent(
            p.tech_manager, departments=[tech], clauses=scope
        )
    assert refused.value.messages[0] == "An auditor may not audit their own work."
    assert refused.value.messages[1:] == reasons
    with pytest.raises(ValidationError, match="own work"):
        independence.ensure_independent(p.staff, department=tech)
    independence.ensure_independent(p.auditor, department=tech, clause=scope[1])
