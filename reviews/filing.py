"""Filing the review's records in the records register (management review
procedure, records: the plan, the input material, the minutes, the report and
the improvement plan, kept by 行政部 for their forms' retention).

Each kind is filed once per revision, as a record of its form in
SHOUKONG_MGMT_REVIEW_RECORD_FORMS, in the department
SHOUKONG_MGMT_REVIEW_RECORDS_DEPARTMENT, through
:func:`records.services.record_file` (the calling service has checked its own
permission). A kind whose form is missing or not in force is not filed: the
caller gets a warning naming it, and filing again later files what is still
missing. Each kind is filed in its own savepoint, so one refusal does not undo
the others. The report and the minutes filed are the files frozen when the
report was approved, byte for byte.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import partial

from django.conf import settings

from documents.models import Department
from records import filing

from . import reports
from .lifecycle import ReviewRecordKind
from .models import Review, ReviewPack, ReviewRecordLink
from .services._common import log_action

__all__ = ["inputs_record_file", "plan_record_file", "review_records_file"]

# Filed when the report is approved, in this order.
REPORT_KINDS = (
    ReviewRecordKind.MINUTES,
    ReviewRecordKind.REPORT,
    ReviewRecordKind.ACTIONS,
)


def _kind_label(kind: str) -> str:
    return str(ReviewRecordKind(kind).label)


def _file_one(
    *,
    user,
    review: Review,
    kind: str,
    revision: int,
    department: Department,
    content: Callable[[], bytes],
    filename: str,
    record_date: date | None,
) -> tuple[str | None, str | None]:
    """File one kind in its own savepoint: (record number, warning)."""
    return filing.file_paper(
        user=user,
        label=_kind_label(kind),
        form_number=settings.SHOUKONG_MGMT_REVIEW_RECORD_FORMS.get(str(kind), ""),
        department=department,
        content=content,
        filename=filename,
        record_date=record_date,
        source=review.number,
        link=lambda record: ReviewRecordLink.objects.create(
            review=review, kind=kind, revision=revision, record=record
        ),
    )


def _file_kinds(
    *, user, review: Review, revision: int, wanted: list[tuple[str, dict]]
) -> list[str]:
    """File each ``(kind, arguments)`` not filed yet at ``revision``; log the
    records filed; return the warnings."""
    filed_kinds = set(
        ReviewRecordLink.objects.filter(review=review, revision=revision).values_list(
            "kind", flat=True
        )
    )
    wanted = [(kind, args) for kind, args in wanted if kind not in filed_kinds]
    if not wanted:
        return []
    department, warning = filing.keeping_department(
        settings.SHOUKONG_MGMT_REVIEW_RECORDS_DEPARTMENT
    )
    if department is None:
        return [warning]
    warnings: list[str] = []
    filed: dict[str, str] = {}
    for kind, args in wanted:
        number, warning = _file_one(
            user=user,
            review=review,
            kind=kind,
            revision=revision,
            department=department,
            **args,
        )
        if number:
            filed[str(kind)] = number
        if warning:
            warnings.append(warning)
    if filed:
        log_action(
            review,
            "records_file",
            user,
            number=review.number,
            revision=revision,
            records=filed,
        )
    return warnings


def plan_record_file(*, user, review: Review) -> list[str]:
    """File the approved plan (管理评审计划) of its current revision once; a
    warning when its form is not in force."""
    revision = review.plan_revision
    return _file_kinds(
        user=user,
        review=review,
        revision=revision,
        wanted=[
            (
                ReviewRecordKind.PLAN,
                {
                    "content": partial(reports.plan_docx, review),
                    "filename": f"{review.number}-plan-r{revision}",
                    "record_date": None,  # today, the day it is approved
                },
            )
        ],
    )


def inputs_record_file(*, user, review: Review, pack: ReviewPack) -> list[str]:
    """File the confirmed pack (管理评审输入资料) once per version."""
    return _file_kinds(
        user=user,
        review=review,
        revision=pack.version,
        wanted=[
            (
                ReviewRecordKind.INPUTS,
                {
                    "content": partial(reports.inputs_docx, review, pack),
                    "filename": f"{review.number}-inputs-v{pack.version}",
                    "record_date": filing.local_date(pack.confirmed_at),
                },
            )
        ],
    )


def review_records_file(*, user, review: Review) -> list[str]:
    """File the minutes (会议记录), the report (管理评审报告) as frozen on its
    approval and the improvement plan (管理评审改进计划); a warning for each
    kind that could not be filed. Kinds filed already are left alone."""
    revision = review.report_revision
    name = f"{review.number}-r{revision}"
    return _file_kinds(
        user=user,
        review=review,
        revision=revision,
        wanted=[
            (
                ReviewRecordKind.MINUTES,
                {
                    "content": partial(
                        reports.frozen_bytes,
                        review.minutes_file,
                        review.minutes_sha256,
                    ),
                    "filename": f"{name}-minutes",
                    "record_date": review.held_on,
                },
            ),
            (
                ReviewRecordKind.REPORT,
                {
                    "content": partial(
                        reports.frozen_bytes,
                        review.report_file,
                        review.report_sha256,
                    ),
                    "filename": f"{name}-report",
                    "record_date": None,  # today, the day it is approved
                },
            ),
            (
                ReviewRecordKind.ACTIONS,
                {
                    "content": partial(reports.actions_docx, review),
                    "filename": f"{name}-actions",
                    "record_date": None,
                },
            ),
        ],
    )
