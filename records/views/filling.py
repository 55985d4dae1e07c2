"""Filling a form (填写记录): the forms in force, and the page that files a
record from one (ISO/IEC 20000-1:2018 7.5.3.1).

The page is built from the fields the form's issue in force was released with;
a form released without fields takes free name/value rows or just a file. The
record is written by ``services.record_create`` only; a refusal re-renders the
page with every typed value kept (a chosen file must be chosen again: browsers
never refill file inputs).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import OuterRef, Q, Subquery
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from documents.lifecycle import DocumentKind, DocumentStatus, IssueStatus
from documents.models import Department, DocumentIssue, DocumentPage
from documents.permissions import department_of

from .. import files, numbering, permissions, services
from ..forms import schema_form_class, to_json
from ..models import Record, RecordType
from .common import error_text, form_retention, login_required_for, split_errors

# Blank name/value rows offered by a form released without fields.
FREE_ROWS = 8

# What the file input offers (the same list records.files accepts).
ACCEPT = ",".join(files.ALLOWED_EXTENSIONS)

fill_access = login_required_for(lambda user: permissions.can_fill(user))


# --- The forms in force ---------------------------------------------------------------


def fillable_forms(user):
    """Tier 4 forms with an issue in force that ``user`` may read (never a
    restricted one they may not), with that issue's label and title."""
    effective = DocumentIssue.objects.effective().filter(document=OuterRef("pk"))
    return (
        DocumentPage.objects.visible_to(user)
        .filter(
            kind=DocumentKind.FORM,
            status=DocumentStatus.CONTROLLED,
            issues__status=IssueStatus.EFFECTIVE,
        )
        .annotate(
            issue_label=Subquery(effective.values("label")[:1]),
            issue_title=Subquery(effective.values("title")[:1]),
        )
        .select_related("department")
        .defer("body", "source_text")
        .order_by("number_sort", "pk")
    )


@fill_access
def fill_index(request):
    q = (request.GET.get("q") or "").strip()
    related_to = numbering.normalise(request.GET.get("related_to") or "")
    queryset = fillable_forms(request.user)
    if q:
        queryset = queryset.filter(
            Q(number__startswith=numbering.normalise(q))
            | Q(title__icontains=q)
            | Q(issues__status=IssueStatus.EFFECTIVE, issues__title__icontains=q)
        ).distinct()
    pages = list(queryset)
    types = {
        t.form_id: t
        for t in RecordType.objects.filter(
            form__in=[p.pk for p in pages]
        ).select_related("retention_class")
    }
    source = _visible_source(request.user, related_to)
    suffix = f"?{urlencode({'related_to': source.number})}" if source else ""
    rows = []
    for page in pages:
        rows.append(
            {
                "number": page.number,
                "title": page.issue_title or page.title,
                "issue": page.issue_label,
                "department": page.department.name if page.department else "",
                "retention": form_retention(page, types.get(page.pk)),
                "url": reverse("records:fill", kwargs={"number": page.number}) + suffix,
                "form_url": page.get_permalink(),
            }
        )
    return render(
        request,
        "records/fill_index.html",
        {"rows": rows, "q": q, "source": source},
    )


def _visible_source(user, number: str) -> Record | None:
    if not number:
        return None
    return (
        Record.objects.visible_to(user)
        .kept()
        .select_related("form")
        .filter(number=number)
        .first()
    )


# --- The fill page --------------------------------------------------------------------


class RecordMetaForm(forms.Form):
    """What every record has besides its values."""

    record_date = forms.DateField(
        label=gettext_lazy("Record date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=gettext_lazy("The date the record carries in its number."),
    )
    related_to = forms.CharField(
        label=gettext_lazy("Related to record"),
        required=False,
        max_length=200,
        help_text=gettext_lazy(
            "The number of the record this one follows from, e.g. a work order."
        ),
    )
    retention_subject = forms.CharField(
        label=gettext_lazy("Retention depends on"),
        required=False,
        max_length=200,
    )
    department = forms.ModelChoiceField(
        label=gettext_lazy("Department"),
        queryset=Department.objects.filter(is_active=True),
        required=False,
    )
    file = forms.FileField(
        label=gettext_lazy("File (scan, photo, Word, Excel or PDF)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )

    def __init__(self, *args, choose_department: bool, event_label: str, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        if not choose_department:
            del self.fields["department"]
        if event_label:
            field = self.fields["retention_subject"]
            field.widget.attrs["required"] = True
            field.help_text = _(
                "Retention counts from an event (%(event)s): name the employee, "
                "equipment or product, as it will be entered when the event "
                "happens."
            ) % {"event": event_label}
        else:
            del self.fields["retention_subject"]


# Service error keys → the input that shows them.
META_ERROR_FIELDS = {
    "date": "record_date",
    "related_to": "related_to",
    "retention_subject": "retention_subject",
    "department": "department",
    "file": "file",
}


def _values_form_class(schema):
    form_class = schema_form_class(schema)
    for field in form_class.base_fields.values():
        if isinstance(field, forms.DateTimeField):
            field.widget = forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            )
        elif isinstance(field, forms.DateField):
            field.widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
        elif isinstance(field.widget, forms.Textarea):
            field.widget.attrs["rows"] = 4
    return form_class


def _free_rows(data=None) -> list[dict[str, str]]:
    rows = []
    for index in range(FREE_ROWS):
        name = (data or {}).get(f"free-{index}-name", "") if data else ""
        value = (data or {}).get(f"free-{index}-value", "") if data else ""
        rows.append({"index": index, "name": name, "value": value})
    return rows


def _free_values(rows) -> tuple[dict[str, str], list[str]]:
    values: dict[str, str] = {}
    errors: list[str] = []
    for row in rows:
        name, value = row["name"].strip(), row["value"]
        if not name:
            if value.strip():
                errors.append(_("Give each value a name."))
            continue
        if name in values:
            errors.append(_("Each name may be used once: “%(name)s”.") % {"name": name})
            continue
        values[name] = value
    return values, list(dict.fromkeys(errors))


def _form_in_force(user, number: str):
    """The form page numbered ``number`` (404 unless a released form ``user``
    may read) and its issue in force (None when it cannot be filled)."""
    page = (
        DocumentPage.objects.visible_to(user)
        .filter(number=number, kind=DocumentKind.FORM)
        .select_related("department")
        .first()
    )
    if page is None:
        raise Http404(_("No such form."))
    issue = None
    if page.status == DocumentStatus.CONTROLLED:
        issue = page.issues.effective().first()
    return page, issue


def _read_upload(upload) -> tuple[bytes, str]:
    # Read at most one byte more than allowed: the check refuses an oversized
    # file without the whole of it ever being held in memory.
    limit = settings.SHOUKONG_RECORD_MAX_UPLOAD_BYTES
    upload.seek(0)
    return upload.read(limit + 1), upload.name


@fill_access
def fill(request, number):
    canonical = numbering.normalise(number)
    if canonical != number:
        target = reverse("records:fill", kwargs={"number": canonical})
        query = request.GET.urlencode()
        return redirect(f"{target}?{query}" if query else target)
    page, issue = _form_in_force(request.user, canonical)
    if issue is None:
        return render(
            request, "records/fill_unavailable.html", {"page": page}, status=409
        )
    user = request.user
    record_type = (
        RecordType.objects.filter(form=page).select_related("retention_class").first()
    )
    retention_info = form_retention(page, record_type)
    schema = issue.form_schema or []
    choose_department = permissions.is_records_controller(user)
    meta_kwargs = {
        "prefix": "record",
        "choose_department": choose_department,
        "event_label": retention_info["event_label"]
        if retention_info["is_event"]
        else "",
    }
    values_class = _values_form_class(schema) if schema else None
    general_errors: list[str] = []

    if request.method == "POST":
        meta_form = RecordMetaForm(request.POST, request.FILES, **meta_kwargs)
        values_form = (
            values_class(request.POST, prefix="values") if values_class else None
        )
        free_rows = _free_rows(request.POST) if not schema else []
        valid = meta_form.is_valid()
        valid = (values_form.is_valid() if values_form else True) and valid
        if schema:
            data = (
                {k: to_json(v) for k, v in values_form.cleaned_data.items()}
                if valid
                else {}
            )
        else:
            data, free_errors = _free_values(free_rows)
            general_errors.extend(free_errors)
            valid = valid and not free_errors
        if valid:
            record, refusal = _create(request, page, meta_form, data)
            if record is not None:
                messages.success(
                    request,
                    _("Record %(number)s has been filed.") % {"number": record.number},
                )
                return redirect(record.get_absolute_url())
            _show_refusal(refusal, meta_form, values_form, general_errors)
    else:
        own = department_of(user)
        meta_form = RecordMetaForm(
            initial={
                "record_date": services.company_today(),
                "related_to": numbering.normalise(request.GET.get("related_to") or ""),
                "department": own.pk if own else None,
            },
            **meta_kwargs,
        )
        values_form = values_class(prefix="values") if values_class else None
        free_rows = _free_rows() if not schema else []

    related = meta_form["related_to"].value() or ""
    context = {
        "page": page,
        "issue": issue,
        "record_type": record_type,
        "retention": retention_info,
        "meta_form": meta_form,
        "values_form": values_form,
        "free_rows": free_rows,
        "general_errors": general_errors,
        "source": _visible_source(user, numbering.normalise(str(related))),
        "department": department_of(user),
        "choose_department": choose_department,
        "accept": ACCEPT,
        "max_upload_mb": settings.SHOUKONG_RECORD_MAX_UPLOAD_BYTES // (1024 * 1024),
        "file_was_chosen": request.method == "POST" and bool(request.FILES),
    }
    return render(request, "records/fill.html", context)


def _create(request, page, meta_form, data) -> tuple[Record | None, Any]:
    cleaned = meta_form.cleaned_data
    upload = cleaned.get("file")
    try:
        record = services.record_create(
            user=request.user,
            form=page,
            data=data,
            record_date=cleaned["record_date"],
            related_to=numbering.normalise(cleaned.get("related_to") or "") or None,
            upload=_read_upload(upload) if upload else None,
            department=cleaned.get("department"),
            retention_subject=cleaned.get("retention_subject", ""),
        )
    except (ValidationError, PermissionDenied) as exc:
        return None, exc
    return record, None


def _show_refusal(exc, meta_form, values_form, general_errors: list[str]) -> None:
    if isinstance(exc, PermissionDenied):
        general_errors.append(
            _("You may not file records for this department.")
            if not exc.args
            else error_text(exc)
        )
        return
    value_fields = list(values_form.fields) if values_form else []
    by_field, general = split_errors(exc, [*META_ERROR_FIELDS, *value_fields])
    for key, messages_ in by_field.items():
        for message in messages_:
            if key in META_ERROR_FIELDS and META_ERROR_FIELDS[key] in meta_form.fields:
                meta_form.add_error(META_ERROR_FIELDS[key], message)
            elif values_form is not None and key in values_form.fields:
                values_form.add_error(key, message)
            else:
                general_errors.append(message)
    general_errors.extend(general)
