"""The searchable list of records and the records list (记录清单), each with
its .xlsx export.

A page of the list is one query of plain values (the record joined with its
form, form issue, department and retention class: what ``for_listing()``
selects, without building model instances), ordered ``-record_date, -id``
along the ``(record_date, id)`` index, plus the count the pager needs. Every
row and every count comes through ``Record.objects.visible_to(user)``: nobody
sees, counts or exports a record they may not open.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from django import forms
from django.core.paginator import Paginator
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.shortcuts import render
from django.urls import reverse
from django.utils.encoding import force_str
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from documents.lifecycle import DocumentKind, DocumentStatus
from documents.models import Department, DocumentIssue, DocumentPage
from documents.permissions import RESTRICTED_DOCUMENT, restricted_ids

from .. import exports, numbering, permissions, retention, services
from ..lifecycle import RecordStatus
from ..models import RecordType, RetentionClass
from .common import (
    form_retention,
    signed_in,
    staff_only,
    visible_records,
)

PAGE_SIZE = 50
# The list counts its records up to this many (see RowPaginator).
COUNT_CAP = 10_000
# Forms whose title matches a search, at most (a company has a few hundred).
MAX_TITLE_MATCHES = 500

RETENTION_FILTERS = (
    ("due", gettext_lazy("Past retention")),
    ("running", gettext_lazy("Retained")),
    ("pending_event", gettext_lazy("Pending event")),
    ("permanent", gettext_lazy("Permanent")),
)


def _form_choices(user) -> list[tuple[str, str]]:
    """The forms ``user`` may read (never a restricted one they may not); every
    released form when no user is given (a script)."""
    documents = (
        DocumentPage.objects.visible_to(user)
        if user is not None
        else DocumentPage.objects.visible_to_staff()
    )
    forms_ = (
        documents.filter(kind=DocumentKind.FORM)
        .order_by("number_sort")
        .values_list("number", "title")
    )
    return [("", _("All forms"))] + [(n, f"{n} {t}") for n, t in forms_ if n]


class RecordFilters(forms.Form):
    q = forms.CharField(label=gettext_lazy("Number or form title"), required=False)
    form = forms.ChoiceField(label=gettext_lazy("Form"), required=False)
    department = forms.ModelChoiceField(
        label=gettext_lazy("Department"),
        queryset=Department.objects.all(),
        required=False,
        empty_label=gettext_lazy("All departments"),
    )
    date_from = forms.DateField(
        label=gettext_lazy("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    date_to = forms.DateField(
        label=gettext_lazy("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False)
    retention = forms.ChoiceField(label=gettext_lazy("Retention"), required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["form"].choices = _form_choices(user)
        self.fields["status"].choices = [("", _("All statuses")), *RecordStatus.choices]
        self.fields["retention"].choices = [("", _("Any")), *RETENTION_FILTERS]

    def value(self, name: str) -> Any:
        """A valid filter value, or None (an invalid one is shown, not used)."""
        if not self.is_bound:
            return None
        self.is_valid()
        return self.cleaned_data.get(name) or None

    # Whether the filters applied select few records scattered over the years
    # (see RowPaginator).
    sparse = False

    def apply(self, queryset, *, today):
        q = (self.value("q") or "").strip()
        if q:
            # Forms are few: find the ones whose title matches first, so the
            # records are searched on two indexed columns (number, form).
            forms_ = DocumentPage.objects.filter(
                kind=DocumentKind.FORM, title__icontains=q
            )
            if self.user is not None:
                # Nor found by the title of a restricted form they may not open.
                forms_ = forms_.exclude(
                    pk__in=DocumentPage.objects.restricted_from(self.user).values("pk")
                )
            titled = list(forms_.values_list("pk", flat=True)[:MAX_TITLE_MATCHES])
            match = Q(number__startswith=numbering.normalise(q))
            if titled:
                match |= Q(form_id__in=titled)
            else:
                # A number searched: few matches, scattered over the years.
                self.sparse = True
            queryset = queryset.filter(match)
        if form := self.value("form"):
            # By id, not through a join: the (form, record_date) index serves.
            page = DocumentPage.objects.filter(number=form).values("pk").first()
            queryset = queryset.filter(form_id=page["pk"] if page else None)
        if department := self.value("department"):
            queryset = queryset.filter(department=department)
        if date_from := self.value("date_from"):
            queryset = queryset.filter(record_date__gte=date_from)
        if date_to := self.value("date_to"):
            queryset = queryset.filter(record_date__lte=date_to)
        if status := self.value("status"):
            queryset = queryset.filter(status=status)
        state = self.value("retention")
        # Records past retention, waiting for an event or kept for ever are
        # few where disposal keeps up; each is found by its own index.
        self.sparse = self.sparse or state in ("due", "pending_event", "permanent")
        if state == "due":
            queryset = queryset.past_retention(today)
        elif state == "running":
            queryset = queryset.kept().filter(retention_until__gt=today)
        elif state == "pending_event":
            queryset = queryset.kept().filter(
                retention_class__in=_class_ids(retention.RetentionKind.EVENT),
                retention_until__isnull=True,
            )
        elif state == "permanent":
            queryset = queryset.filter(
                retention_class__in=_class_ids(retention.RetentionKind.PERMANENT)
            )
        return queryset

    def query_items(self) -> list[tuple[str, str]]:
        if not self.is_bound:
            return []
        return [
            (name, self.data[name])
            for name in self.fields
            if self.data.get(name) not in (None, "")
        ]


# What a row of the list and of its export shows: read as plain values in
# the one query of the page (no model instances: a page of 50 rows costs ~1 ms
# to read instead of ~50 ms with select_related models).
LIST_VALUES = (
    "pk",
    "number",
    "record_date",
    "status",
    "confidential",
    "legal_hold",
    "created_by_name",
    "retention_until",
    "retention_class__kind",
    "form_id",
    "form__confidential",
    "form__number",
    "form__title",
    "form_issue__label",
    "form_issue__title",
    "department__name",
)


def _class_ids(kind: str) -> list[int]:
    return list(RetentionClass.objects.filter(kind=kind).values_list("pk", flat=True))


def filtered_records(user, filters: RecordFilters, *, today):
    """The records ``user`` may open that match ``filters``, newest first."""
    queryset = visible_records(user).order_by("-record_date", "-id")
    return filters.apply(queryset, today=today)


class RowPaginator(Paginator):
    """Pages of row values, newest first, counted cheaply.

    The count stops at :data:`COUNT_CAP` (the page then says "more than"):
    counting every one of 200,000 visible records reads the whole table, and
    nobody pages through 200 pages of 50. It is taken on the records alone,
    not through the joins a row needs.

    Some filters select few records scattered over the years (a number
    searched, records past retention): unless the count reaches the cap,
    those are sorted from what the number or status indexes find, instead of
    walking the ``(record_date, id)`` index backwards past every newer record
    that does not match. ``NULLS LAST`` (``record_date`` is never null, so the
    order is the same) is an order no index gives, which steers the planner
    to that choice.
    """

    def __init__(self, records, per_page: int, *, sparse: bool = False):
        super().__init__(records.values(*LIST_VALUES), per_page)
        self._records = records
        self._sparse = sparse
        self.count_capped = False

    @cached_property
    def count(self) -> int:
        found = self._records.order_by().values("pk")[: COUNT_CAP + 1].count()
        self.count_capped = found > COUNT_CAP
        return min(found, COUNT_CAP)

    def page(self, number):
        records = self._records
        if self._sparse and not self.count_capped and self.count:
            records = records.order_by(
                F("record_date").desc(nulls_last=True), F("id").desc()
            )
        self.object_list = records.values(*LIST_VALUES)
        return super().page(number)


def list_retention_state(kind: str, until, today) -> str:
    """The retention state from the stored end date (services keep
    ``retention_until`` in step with the class and the event date)."""
    if kind == retention.RetentionKind.PERMANENT:
        return retention.RetentionState.PERMANENT
    if until is None:
        return retention.RetentionState.PENDING_EVENT
    if today >= until:
        return retention.RetentionState.DUE
    return retention.RetentionState.RUNNING


def record_row(
    values: dict, today, *, labels: dict, url: str, restricted=frozenset()
) -> dict:
    """One row of the list (and of its export) from :data:`LIST_VALUES`; a form
    whose id is in ``restricted`` (the reader may not open it) is not named."""
    state = list_retention_state(
        values["retention_class__kind"], values["retention_until"], today
    )
    until = values["retention_until"]
    if state == retention.RetentionState.PERMANENT:
        text = labels["permanent"]
    elif state == retention.RetentionState.PENDING_EVENT:
        text = labels["pending"]
    else:
        text = until.isoformat()
    status = values["status"]
    form_restricted = values["form_id"] in restricted
    return {
        "number": values["number"],
        "url": url,
        "form_restricted": form_restricted,
        "form": "" if form_restricted else values["form__number"] or "",
        "title": labels["restricted"]
        if form_restricted
        else values["form_issue__title"] or values["form__title"],
        "issue": values["form_issue__label"],
        "record_date": values["record_date"],
        "department": values["department__name"],
        "status": status,
        "status_label": labels["status"][status],
        "retention": text,
        "retention_until": until,
        "permanent": state == retention.RetentionState.PERMANENT,
        "pending": state == retention.RetentionState.PENDING_EVENT,
        "due": state == retention.RetentionState.DUE and status != "destroyed",
        "filled_by": values["created_by_name"],
        "confidential": values["confidential"],
        "legal_hold": values["legal_hold"],
    }


def _row_labels() -> dict[str, Any]:
    """Translated once per page, not once per row."""
    return {
        "status": {value: force_str(label) for value, label in RecordStatus.choices},
        "permanent": _("Permanent"),
        "pending": _("Pending event"),
        "restricted": force_str(RESTRICTED_DOCUMENT),
    }


def restricted_forms(user, rows) -> frozenset[int]:
    """The forms of ``rows`` (:data:`LIST_VALUES`) that are restricted documents
    ``user`` may not open; no query when none of them is restricted."""
    return restricted_ids(user, {r["form_id"] for r in rows if r["form__confidential"]})


def _url_maker():
    # One reverse(), filled in per row: reverse() per row costs more.
    placeholder = "NUMBER0"
    pattern = reverse("records:detail", kwargs={"number": placeholder})
    return lambda number: pattern.replace(placeholder, quote(number))


@signed_in
def record_list(request):
    today = services.company_today()
    filters = RecordFilters(request.GET or None, user=request.user)
    queryset = filtered_records(request.user, filters, today=today)
    if request.GET.get("format") == "xlsx":
        return _export_records(request, queryset, filters, today)
    paginator = RowPaginator(queryset, PAGE_SIZE, sparse=filters.sparse)
    page_obj = paginator.get_page(request.GET.get("page"))
    labels, url = _row_labels(), _url_maker()
    values = list(page_obj.object_list)
    restricted = restricted_forms(request.user, values)
    rows = [
        record_row(r, today, labels=labels, url=url(r["number"]), restricted=restricted)
        for r in values
    ]
    filter_query = urlencode(filters.query_items())
    return render(
        request,
        "records/record_list.html",
        {
            "filters": filters,
            "rows": rows,
            "total": page_obj.paginator.count,
            "count_capped": paginator.count_capped,
            "page_obj": page_obj,
            "is_paginated": page_obj.has_other_pages(),
            "filter_query": filter_query,
            "export_cap": exports.MAX_EXPORT_ROWS,
            "can_fill": permissions.can_fill(request.user),
            "has_filters": bool(filter_query),
            "departments": list(Department.objects.all()),
        },
    )


def _export_records(request, queryset, filters, today):
    labels, url = _row_labels(), _url_maker()
    # Forms are few: the restricted ones the user may not open, read once.
    restricted = frozenset(
        DocumentPage.objects.filter(kind=DocumentKind.FORM)
        .restricted_from(request.user)
        .values_list("pk", flat=True)
    )
    rows = (
        record_row(r, today, labels=labels, url=url(r["number"]), restricted=restricted)
        for r in queryset.values(*LIST_VALUES)[: exports.MAX_EXPORT_ROWS + 1].iterator(
            chunk_size=2000
        )
    )
    content, written, truncated = exports.to_xlsx(
        rows,
        exports.RECORD_COLUMNS,
        title=_("Records"),
        cap=exports.MAX_EXPORT_ROWS,
    )
    exports.export_log(
        request.user,
        what="records",
        rows=written,
        truncated=truncated,
        filters=dict(filters.query_items()),
    )
    return exports.xlsx_response(content, name=_("Records"), today=today)


# --- The records list (记录清单) ----------------------------------------------------


def _record_type(page) -> RecordType | None:
    try:
        return page.record_type
    except RecordType.DoesNotExist:
        return None


def record_type_rows(user) -> list[dict[str, Any]]:
    """Every tier 4 form, in number order, as a line of the records list.

    Read-only: a form without a records-list entry shows what the register's
    wording would give, marked as such; nothing is created here.
    """
    effective = DocumentIssue.objects.effective().filter(document=OuterRef("pk"))
    pages = (
        DocumentPage.objects.visible_to(user)
        .filter(kind=DocumentKind.FORM)
        .annotate(issue_label=Subquery(effective.values("label")[:1]))
        .select_related(
            "department", "record_type__retention_class", "record_type__custodian"
        )
        .defer("body", "source_text")
        .order_by("number_sort", "pk")
    )
    kept = dict(
        visible_records(user)
        .kept()
        .order_by()
        .values("form")
        .annotate(n=Count("pk"))
        .values_list("form", "n")
    )
    statuses = {value: force_str(label) for value, label in DocumentStatus.choices}
    rows = []
    for page in pages:
        record_type = _record_type(page)
        info = form_retention(page, record_type)
        custodian = (
            record_type.custodian.name
            if record_type is not None and record_type.custodian is not None
            else _("The filling department")
        )
        fillable = page.status == DocumentStatus.CONTROLLED and page.issue_label
        rows.append(
            {
                "number": page.number or "",
                "title": page.title,
                "status": page.status,
                "status_label": statuses.get(page.status, page.status),
                "issue": page.issue_label or "",
                "department": page.department.name if page.department else "",
                "custodian": custodian,
                "has_entry": record_type is not None,
                "retention_info": info,
                "retention": info["wording"],
                "retention_source": (
                    _("From the register")
                    if info["from_register"]
                    else _("Records list")
                ),
                "confidential_flag": bool(record_type and record_type.confidential),
                "confidential": (
                    _("Yes") if record_type and record_type.confidential else _("No")
                ),
                "storage_location": (
                    record_type.storage_location
                    if record_type is not None
                    else page.storage_location
                ),
                "kept": kept.get(page.pk, 0),
                "url": page.get_permalink(),
                "fill_url": (
                    reverse("records:fill", kwargs={"number": page.number})
                    if fillable and page.number
                    else None
                ),
            }
        )
    return rows


@staff_only
def record_types(request):
    rows = record_type_rows(request.user)
    today = services.company_today()
    if request.GET.get("format") == "xlsx":
        content, written, truncated = exports.to_xlsx(
            rows, exports.TYPE_COLUMNS, title=_("Records list")
        )
        exports.export_log(
            request.user,
            what="record_types",
            rows=written,
            truncated=truncated,
            filters={},
        )
        return exports.xlsx_response(content, name=_("Records list"), today=today)
    return render(
        request,
        "records/record_types.html",
        {
            "rows": rows,
            "warnings": sum(1 for r in rows if r["retention_info"]["warning"]),
            "can_manage": permissions.can_manage_record_types(request.user),
        },
    )
