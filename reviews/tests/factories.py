"""Builders for review tests; every write goes through the services.

``people()`` are the compliance factories' users (controller 文控/行政部, mr
管理者代表, gm 总经理, tech_manager 部门经理/技术部, staff 员工/技术部, ...).
``review()`` plans a review whose meeting is ``days`` ahead (default 10) with
the participants and two assignments; ``approved()``, ``held()`` and
``completed()`` carry it through the plan chain, the pack and the meeting, and
the report chain. Objectives are seeded by migration 0002 (codes
response-rate, resolution-rate, satisfaction).
"""

from __future__ import annotations

from datetime import date, timedelta

from compliance.tests.factories import People, clause, grade, people
from documents.tests import factories as doc_factories

from .. import services
from ..lifecycle import InputSection, OutputKind, SignatureDecision, Verdict
from ..models import Objective, Review

__all__ = [
    "People",
    "approved",
    "clause",
    "completed",
    "grade",
    "held",
    "improvement",
    "objective",
    "people",
    "review",
    "today",
]


def today() -> date:
    return services.company_today()


def objective(code: str = "satisfaction") -> Objective:
    return Objective.objects.get(code=code)


def review(p: People, *, days: int = 10, **fields) -> Review:
    tech = doc_factories.department("技术部")
    admin = doc_factories.department("行政部")
    fields.setdefault("planned_date", today() + timedelta(days=days))
    fields.setdefault("location", "三楼会议室")
    fields.setdefault(
        "participants", [p.gm, p.mr, p.controller, p.tech_manager, p.market_manager]
    )
    fields.setdefault(
        "assignments",
        [
            (InputSection.PERFORMANCE, tech, None),
            (InputSection.RESOURCES, admin, None),
        ],
    )
    return services.review_create(user=p.controller, **fields)


def approved(p: People, r: Review | None = None, **fields) -> Review:
    """Planned, submitted, signed by 管理者代表 and approved by 总经理."""
    r = r or review(p, **fields)
    services.review_submit(user=p.controller, review=r)
    services.plan_sign(user=p.mr, review=r, decision=SignatureDecision.SIGNED)
    return services.plan_sign(user=p.gm, review=r, decision=SignatureDecision.SIGNED)


def held(
    p: People, r: Review | None = None, *, held_on: date | None = None, **fields
) -> Review:
    """Approved, the pack compiled, the meeting recorded today with the
    conclusions filled."""
    r = approved(p, r, **fields)
    services.pack_compile(user=p.controller, review=r)
    return services.meeting_record(
        user=p.controller,
        review=r,
        held_on=held_on or today(),
        attendees=[p.gm, p.mr, p.controller, p.tech_manager],
        discussions={InputSection.OBJECTIVES: "目标基本达成，满意度略低于目标。"},
        mr_report="体系运行正常。",
        evaluation="总体有效，需加强客户沟通。",
        suitability=Verdict.YES,
        adequacy=Verdict.YES,
        effectiveness=Verdict.PARTLY,
        conclusion_system="体系持续适宜。",
        conclusion_service="服务质量满足要求。",
        conclusion_resources="资源基本充分。",
    )


def improvement(p: People, r: Review, **fields):
    fields.setdefault("kind", OutputKind.IMPROVEMENT)
    fields.setdefault("description", "提高客户满意度调查的回收率")
    fields.setdefault("owner", p.tech_manager)
    fields.setdefault("due_date", today() + timedelta(days=60))
    return services.output_add(user=p.controller, review=r, **fields)


def completed(p: People, r: Review | None = None, **fields) -> Review:
    """Held with one improvement action, the report submitted to 行政部 and
    技术部, signed by 管理者代表 and approved by 总经理."""
    r = held(p, r, **fields)
    improvement(p, r)
    services.report_submit(
        user=p.controller,
        review=r,
        distribution=[
            doc_factories.department("行政部"),
            doc_factories.department("技术部"),
        ],
    )
    services.report_sign(user=p.mr, review=r, decision=SignatureDecision.SIGNED)
    return services.report_sign(user=p.gm, review=r, decision=SignatureDecision.SIGNED)
