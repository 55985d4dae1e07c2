"""The departments' inputs: signed off by their heads, per section, and the
assigned departments whose input is still missing. Every section takes
inputs, compiled or not."""

from __future__ import annotations

from collections import defaultdict

from django.urls import reverse
from django.utils import timezone

from ..lifecycle import InputSection, InputStatus
from ..models import DepartmentInput, ReviewAssignment
from ._common import Period, name

__all__ = ["inputs_by_section"]


def inputs_by_section(period: Period) -> tuple[dict[str, list], dict[str, list]]:
    """Per section: the signed inputs, and the assigned departments without one."""
    review, zone = period.review, period.zone
    signed = (
        DepartmentInput.objects.filter(review=review, status=InputStatus.SIGNED)
        .select_related("department", "prepared_by", "signed_by")
        .prefetch_related("files")
        .order_by("section", "department__sort_order", "department__name", "id")
    )
    inputs: dict[str, list] = {code: [] for code in InputSection.values}
    have: dict[str, set[int]] = defaultdict(set)
    for item in signed:
        have[item.section].add(item.department_id)
        inputs[item.section].append(
            {
                "id": item.pk,
                "department": item.department.name,
                "content": item.content,
                "prepared_by": name(item.prepared_by),
                "signed_by": name(item.signed_by),
                "signed_at": timezone.localtime(item.signed_at, zone).isoformat(
                    timespec="seconds"
                ),
                "attachments": [
                    {
                        "id": f.pk,
                        "name": f.name,
                        "size": f.size,
                        "url": reverse(
                            "reviews:input_file",
                            kwargs={"number": review.number, "file_id": f.pk},
                        ),
                    }
                    for f in item.files.all()
                ],
            }
        )
    missing: dict[str, list] = {code: [] for code in InputSection.values}
    assignments = (
        ReviewAssignment.objects.filter(review=review)
        .select_related("department")
        .order_by("department__sort_order", "department__name", "id")
    )
    for assignment in assignments:
        if assignment.department_id not in have[assignment.section]:
            missing[assignment.section].append(assignment.department.name)
    return inputs, missing
