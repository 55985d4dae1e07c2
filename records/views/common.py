"""What the records pages share: who may open them, how a refusal becomes a
message, how a record's retention and values read on a page.

Reads go through ``Record.objects.visible_to(user)`` and
:mod:`records.permissions`; writes only through :mod:`records.services`. A
record the user may not open is a 404, never a 403, so its existence is not
disclosed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.http import FileResponse, Http404
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from documents.permissions import can_view_library

from .. import numbering, permissions, retention
from ..forms import display_value
from ..lifecycle import InvalidTransition
from ..models import Record, RecordType


def login_required_for(
    allowed: Callable[[Any], bool] | None = None,
) -> Callable:
    """Send anonymous visitors to the login page; refuse (403) signed-in users
    for whom ``allowed(user)`` is false."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            user = request.user
            if not user.is_authenticated or not user.is_active:
                return redirect_to_login(request.get_full_path())
            if allowed is not None and not allowed(user):
                raise PermissionDenied(_("You may not open this page."))
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


# Anyone signed in: what they see is filtered by the visibility rules.
signed_in = login_required_for()
# Staff pages: not for customer representatives, who read only named records.
staff_only = login_required_for(can_view_library)


# Subqueries of the visibility rule read into a list up to this many ids.
MAX_MATERIALISED = 1_000


def _materialised(condition: Q) -> Q:
    """``condition`` with each small subquery read into a list of ids.

    The visibility rule names the records shared with a person as a subquery;
    inside an OR it keeps PostgreSQL from using any index (a count of 200,000
    records then reads the whole table). A person is named on a handful of
    records: read first, the ids are a plain ``IN (...)``, and none at all
    drop out of the condition, so ``department = …`` is counted on its index.
    """
    copy = Q()
    copy.connector, copy.negated = condition.connector, condition.negated
    for child in condition.children:
        if isinstance(child, Q):
            child = _materialised(child)
        else:
            key, value = child
            if isinstance(value, QuerySet):
                selected = value.query.values_select or ("pk",)
                if len(selected) == 1:
                    ids = list(
                        value.values_list(selected[0], flat=True)[
                            : MAX_MATERIALISED + 1
                        ]
                    )
                    if len(ids) <= MAX_MATERIALISED:
                        child = (key, ids)
        copy.children.append(child)
    return copy


def visible_records(user):
    """``Record.objects.visible_to(user)``: the same rule
    (``permissions.visible_records_filter``), with its subqueries read first."""
    return Record.objects.filter(
        _materialised(permissions.visible_records_filter(user))
    )


def visible_record(user, number: str, queryset=None) -> Record:
    """The record numbered ``number`` if ``user`` may open it, else 404."""
    queryset = queryset if queryset is not None else Record.objects.all()
    try:
        return queryset.visible_to(user).get(number=numbering.normalise(number))
    except Record.DoesNotExist:
        raise Http404(_("No such record.")) from None


# --- Refusals -----------------------------------------------------------------------


def error_text(exc: Exception) -> str:
    """A refusal from a service as one translated sentence."""
    if isinstance(exc, InvalidTransition):
        return _(
            "This is no longer possible: it has been done already, or someone "
            "else was first. The page shows where it stands now."
        )
    if isinstance(exc, ValidationError):
        return " ".join(str(m) for m in exc.messages)
    text = str(exc) if exc.args else ""
    return text or _("You may not do this.")


def split_errors(
    exc: ValidationError, fields: Iterable[str]
) -> tuple[dict[str, list[str]], list[str]]:
    """The messages of ``exc`` keyed by the inputs in ``fields``; the others."""
    known = set(fields)
    by_field: dict[str, list[str]] = {}
    general: list[str] = []
    if hasattr(exc, "error_dict"):
        for key, messages in exc.message_dict.items():
            if key in known:
                by_field.setdefault(key, []).extend(messages)
            else:
                general.extend(messages)
    else:
        general.extend(exc.messages)
    return by_field, general


# --- Retention on screen ------------------------------------------------------------


def retention_info(record: Record, today: date) -> dict[str, Any]:
    """How a record's retention reads: the state, the end date, the rule."""
    rule = record.retention_class.rule
    state = retention.state(
        rule, start=record.record_date, event_on=record.retention_event_on, today=today
    )
    return {
        "state": state,
        "state_label": retention.RetentionState(state).label,
        "until": record.retention_until,
        "summary": retention.summary(rule),
        "wording": retention.describe(rule),
        "subject": record.retention_subject,
        "event_on": record.retention_event_on,
        "event_label": (
            retention.RetentionEvent(rule.event).label if rule.event else ""
        ),
        "due": state == retention.RetentionState.DUE,
        "pending": state == retention.RetentionState.PENDING_EVENT,
        "permanent": state == retention.RetentionState.PERMANENT,
    }


def form_retention(form, record_type: RecordType | None) -> dict[str, Any]:
    """The retention a form's records get: the records-list entry's class if
    the form has one, else what the register's wording says (read-only: no
    entry is created). ``warning`` says why the default was used."""
    from .. import services

    if record_type is not None:
        rule = record_type.retention_class.rule
        source, warning = "records_list", ""
    else:
        rule = services.retention_rule_of_form(form)
        source, warning = "register", ""
        try:
            retention.parse(form.retention_period)
        except retention.RetentionParseError as exc:
            warning = str(exc)
    return {
        "rule": rule,
        "wording": retention.describe(rule),
        "summary": retention.summary(rule),
        "is_event": rule.kind == retention.RetentionKind.EVENT,
        "event_label": (
            retention.RetentionEvent(rule.event).label if rule.event else ""
        ),
        "from_register": source == "register",
        "warning": warning,
        "register_text": form.retention_period,
    }


# --- Values -------------------------------------------------------------------------


def value_rows(record: Record, corrections: list) -> list[dict[str, Any]]:
    """One row per field: label, current value and every correction of it, in
    order (each with its old value, struck through on the page)."""
    by_field: dict[str, list] = {}
    for correction in corrections:
        by_field.setdefault(correction.field_name, []).append(correction)
    current = record.current_values(corrections)
    rows = []
    seen = set()
    for spec in record.schema or []:
        name = spec["name"]
        seen.add(name)
        rows.append(
            _value_row(name, spec.get("label") or name, record, current, by_field)
        )
    for name in current:
        if name not in seen:
            rows.append(_value_row(name, name, record, current, by_field))
    return rows


def _value_row(name, label, record, current, by_field) -> dict[str, Any]:
    history = [
        {
            "old": display_value(c.old_value),
            "new": display_value(c.new_value),
            "by": c.corrected_by_name,
            "at": c.corrected_at,
            "reason": c.reason,
        }
        for c in by_field.get(name, [])
    ]
    return {
        "name": name,
        "label": label,
        "value": display_value(current.get(name)),
        "original": display_value(record.data.get(name)),
        "corrections": history,
        "corrected": bool(history),
    }


def attachment_response(
    field_file, *, filename: str, content_type: str, missing: str
) -> FileResponse:
    """A stored file as a download: an attachment, never rendered inline (no
    sniffing, sandboxed if a browser tries, not cached). ``missing`` is the
    404's message when the file is gone from storage."""
    if not field_file:
        raise Http404(missing)
    try:
        handle = field_file.open("rb")
    except FileNotFoundError:
        raise Http404(missing) from None
    filename = filename or field_file.name.rsplit("/", 1)[-1]
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=filename,
        content_type=content_type or "application/octet-stream",
    )
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
