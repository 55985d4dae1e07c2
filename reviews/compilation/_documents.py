"""The document system's status and the records past retention."""

from __future__ import annotations

from typing import Any

from django.db.models import Count
from django.urls import reverse

from documents import changes as document_changes
from documents.models import ChangeRequest, DocumentIssue, DocumentPage, RecallTask
from records.models import Record

from ._common import Period, name

__all__ = ["by_form_number", "documents", "pack_document_numbers", "records"]


def _document_url(number: str | None) -> str:
    return reverse("documents:detail", kwargs={"number": number}) if number else ""


def documents(period: Period) -> dict[str, Any]:
    """Issues published in the period; reviews and recalls overdue, open
    change requests and controlled documents as on the day of compilation."""
    today = period.today
    issued = [
        {
            "number": issue["document__number"] or "",
            "title": issue["title"],
            "revision": issue["label"],
            "date": issue["publish_date"].isoformat(),
            "status": issue["status"],
            "url": (
                reverse(
                    "documents:issue",
                    kwargs={
                        "number": issue["document__number"],
                        "label": issue["label"],
                    },
                )
                if issue["document__number"]
                else ""
            ),
        }
        for issue in DocumentIssue.objects.filter(
            publish_date__gte=period.start, publish_date__lte=period.end
        )
        .order_by("publish_date", "document__number_sort", "id")
        .values("label", "title", "status", "publish_date", "document__number")
    ]
    # The document control desk's list: due within the warning window or overdue.
    reviews_overdue = []
    for document in document_changes.reviews_due(today=today):
        due = document.next_review_due
        if due is None or due >= today:
            continue
        issue = document.current_issue
        reviews_overdue.append(
            {
                "number": document.number or "",
                "title": document.title,
                "revision": issue.label if issue else "",
                "date": due.isoformat(),
                "url": _document_url(document.number),
            }
        )
    recalls = (
        RecallTask.objects.overdue(today)
        .select_related("copy__issue__document", "copy__holder", "copy__department")
        .only(
            "due_date",
            "status",
            "copy__kind",
            "copy__copy_number",
            "copy__recipient",
            "copy__issue__label",
            "copy__issue__title",
            "copy__issue__document__number",
            "copy__holder__username",
            "copy__holder__first_name",
            "copy__holder__last_name",
            "copy__department__name",
        )
        .order_by("due_date", "id")
    )
    recalls_overdue = [
        {
            "number": recall.copy.issue.document.number or "",
            "title": recall.copy.issue.title,
            "revision": recall.copy.issue.label,
            "date": recall.due_date.isoformat(),
            "copy": recall.copy.copy_label,
            "holder": name(recall.copy.holder)
            or (recall.copy.department.name if recall.copy.department else "")
            or recall.copy.recipient,
            "url": _document_url(recall.copy.issue.document.number),
        }
        for recall in recalls
    ]
    return {
        "source": "documents",
        "source_url": reverse("documents:control_desk"),
        "summary": {
            "issued_in_period": len(issued),
            "reviews_overdue": len(reviews_overdue),
            "recalls_overdue": len(recalls_overdue),
            "open_change_requests": ChangeRequest.objects.open().count(),
            "controlled": DocumentPage.objects.controlled().count(),
        },
        "rows": [],
        "rows_issued": issued,
        "rows_reviews_overdue": reviews_overdue,
        "rows_recalls_overdue": recalls_overdue,
        "register_url": reverse("documents:register"),
    }


# --- Records --------------------------------------------------------------------------


def records(period: Period) -> dict[str, Any]:
    """Records past retention and not destroyed (the disposal queue's), per
    form. Counts only: record numbers are not for every reader of the pack."""
    past = Record.objects.past_retention(period.today)
    by_form = (
        past.values("form__number", "form__title")
        .annotate(n=Count("pk"))
        .order_by("form__number_sort", "form__number")
    )
    return {
        "source": "records",
        "source_url": reverse("records:disposal_queue"),
        "summary": {
            "past_retention": past.count(),
            # Of those, the ones no hold or disposal request keeps yet.
            "disposable": Record.objects.disposable(period.today).count(),
            "by_form": {
                f"{row['form__number'] or ''} {row['form__title']}".strip(): row["n"]
                for row in by_form
            },
        },
        "rows": [],
    }


# --- Reading a snapshot ------------------------------------------------------------


def by_form_number(label: str) -> str:
    """The form's number in a key of the records' ``by_form`` ("number title",
    see :func:`records`)."""
    return str(label).split(" ", 1)[0]


DOCUMENT_TABLES = ("rows_issued", "rows_reviews_overdue", "rows_recalls_overdue")


def pack_document_numbers(data) -> set[str]:
    """The document numbers a pack's snapshot (``Pack.data``) names: the
    documents tables (:func:`documents`) and the forms of the records past
    retention (:func:`records`). A page showing the pack asks which of them
    its reader may not open."""
    sections = data.get("sections") if isinstance(data, dict) else None
    numbers: set[str] = set()
    for section in sections if isinstance(sections, list) else []:
        if not isinstance(section, dict):
            continue
        for key in DOCUMENT_TABLES:
            rows = section.get(key)
            for row in rows if isinstance(rows, list) else []:
                if isinstance(row, dict) and row.get("number"):
                    numbers.add(str(row["number"]))
        summary = section.get("summary")
        by_form = summary.get("by_form") if isinstance(summary, dict) else None
        if isinstance(by_form, dict):
            numbers.update(by_form_number(k) for k in by_form)
    return numbers
