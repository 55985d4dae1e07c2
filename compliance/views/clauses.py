"""The clause pages: the catalogue of a standard, one clause with what answers
it, the function allocation matrix (职能分配表), the process owners and the
coverage view with its downloads; and the panel of a document page that lists
the clauses the document answers.

What answers a clause is read by :func:`compliance.coverage.clause_rows`, once
for the whole standard; changes go through :mod:`compliance.services`, which
check the permission and write the log entry. Everyone in the company reads
these pages; a customer representative gets a 403.
"""

from __future__ import annotations

from collections import Counter
from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from wagtail.permission_policies.pages import PagePermissionPolicy

from documents.lifecycle import DocumentStatus
from documents.models import Department, DocumentPage

from .. import coverage as coverage_rules
from .. import exports, permissions, services
from .. import nonconformities as nc_services
from ..lifecycle import ResponsibilityLevel
from ..models import (
    Clause,
    ClauseDocumentLink,
    ClauseResponsibility,
    Nonconformity,
    Process,
    Standard,
)
from .clause_forms import (
    ApplicabilityForm,
    DocumentLinkForm,
    cell_name,
    matrix_changes,
    matrix_version,
)

PRIMARY = ResponsibilityLevel.PRIMARY
SUPPORTING = ResponsibilityLevel.SUPPORTING
EXPORT_FORMATS = ("xlsx", "docx")


# --- Access --------------------------------------------------------------------------


def compliance_required(view):
    """Anonymous visitors go to the login page; whoever may not read the
    compliance pages (a customer representative) gets a 403."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated or not user.is_active:
            return redirect_to_login(request.get_full_path())
        if not permissions.can_view_compliance(user):
            raise PermissionDenied(_("You may not open this page."))
        return view(request, *args, **kwargs)

    return wrapped


def _today():
    return nc_services.company_today()


def _standards() -> list[Standard]:
    return list(Standard.objects.filter(is_active=True))


def _standard_of(request, standards: list[Standard]) -> Standard:
    """The standard named by ``?standard=`` (the default one when none is
    named); 404 when it is unknown."""
    from django.conf import settings

    wanted = (request.GET.get("standard") or "").strip()
    by_ref = {s.ref_id: s for s in standards}
    if wanted:
        if wanted not in by_ref:
            raise Http404(_("No such standard."))
        return by_ref[wanted]
    default = by_ref.get(settings.SHOUKONG_COMPLIANCE_DEFAULT_STANDARD)
    if default is None and standards:
        default = standards[0]
    if default is None:
        raise Http404(_("No standard has been loaded."))
    return default


def _with_standard(name: str, standard: Standard, **extra) -> str:
    return f"{reverse(name)}?{urlencode({'standard': standard.ref_id, **extra})}"


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(str(m) for m in exc.messages)
    return _("You may not do this.")


# --- The catalogue -------------------------------------------------------------------


def home(request):
    return redirect("compliance:clauses")


@compliance_required
def clause_list(request):
    """The catalogue of a standard as an indented table: who answers for each
    clause, its documents, its open nonconformities and its gaps."""
    standards = _standards()
    standard = _standard_of(request, standards)
    rows = coverage_rules.clause_rows(standard, today=_today(), reader=request.user)
    return render(
        request,
        "compliance/clause_list.html",
        {
            "standards": standards,
            "standard": standard,
            "rows": rows,
            "summary": coverage_rules.summary(rows),
        },
    )


def _edits_documents(user) -> bool:
    """Whether ``user`` may edit some document, and so trace it to clauses."""
    return PagePermissionPolicy().user_has_any_permission(user, {"add", "change"})


@compliance_required
def clause_detail(request, standard, ref_id):
    """One clause: its place in the standard, its documents, who answers for
    it, its audits, its open findings and whether it applies."""
    clause = (
        Clause.objects.active()
        .select_related("standard")
        .filter(standard__ref_id=standard, ref_id=ref_id)
        .first()
    )
    if clause is None:
        raise Http404(_("No such clause."))
    if request.method == "POST":
        return _clause_post(request, clause)

    user = request.user
    # Drafts and obsolete documents only for those who keep the catalogue.
    show_all = request.GET.get("all") == "1" and permissions.can_manage_catalogue(user)
    rows = coverage_rules.clause_rows(
        clause.standard, today=_today(), all_documents=show_all, reader=user
    )
    by_pk = {row.clause.pk: row for row in rows}
    row = by_pk[clause.pk]
    ancestors = []
    parent = by_pk.get(clause.parent_id)
    while parent is not None:
        ancestors.insert(0, parent.clause)
        parent = by_pk.get(parent.clause.parent_id)

    can_manage = permissions.can_manage_catalogue(user)
    can_link = can_manage or _edits_documents(user)
    unlinkable = (
        {
            ref.document.pk
            for ref in row.own_documents
            if not ref.restricted and permissions.can_link_documents(user, ref.document)
        }
        if can_link
        else set()
    )
    findings = permissions.visible_nonconformities(
        user, Nonconformity.objects.open().filter(clause=clause).for_listing()
    )
    processes = (
        Process.objects.filter(clauses=clause, is_active=True)
        .select_related("owner", "department")
        .order_by("sort_order", "name")
    )
    return render(
        request,
        "compliance/clause_detail.html",
        {
            "standard": clause.standard,
            "clause": clause,
            "row": row,
            "ancestors": ancestors,
            "show_all": show_all,
            "processes": list(processes),
            "audits": coverage_rules.audit_history(clause),
            "findings": list(findings),
            "today": _today(),
            "can_link": can_link,
            "unlinkable": unlinkable,
            "can_manage": can_manage,
            "link_form": DocumentLinkForm(),
            "applicability_form": ApplicabilityForm(
                initial={
                    "applicable": row.applicable,
                    "justification": row.justification,
                }
            ),
        },
    )


def _form_errors(request, form) -> None:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)


def _clause_post(request, clause: Clause):
    """Link or unlink a document, or set the clause's applicability; every
    refusal becomes a message on the clause page."""
    user, action = request.user, request.POST.get("action", "")
    try:
        if action == "link":
            form = DocumentLinkForm(request.POST, user=user)
            if form.is_valid():
                document = form.cleaned_data["number"]
                services.document_link(
                    user=user,
                    clause=clause,
                    document=document,
                    note=form.cleaned_data["note"],
                )
                messages.success(
                    request,
                    _("%(number)s is traced to clause %(clause)s.")
                    % {"number": document.number, "clause": clause.ref_id},
                )
                if document.status != DocumentStatus.CONTROLLED:
                    messages.info(
                        request,
                        _(
                            "It is not under control yet: the clause lists it "
                            "among its current documents once it is issued."
                        ),
                    )
            else:
                _form_errors(request, form)
        elif action == "unlink":
            raw = request.POST.get("document", "")
            document = (
                DocumentPage.objects.filter(pk=int(raw)).first()
                if raw.isascii() and raw.isdigit() and len(raw) < 10
                else None
            )
            if document is None:
                messages.error(request, _("No such document."))
            else:
                services.document_unlink(user=user, clause=clause, document=document)
                messages.success(
                    request,
                    _("%(number)s is no longer traced to clause %(clause)s.")
                    % {"number": document.number, "clause": clause.ref_id},
                )
        elif action == "applicability":
            form = ApplicabilityForm(request.POST)
            if form.is_valid():
                services.applicability_set(
                    user=user,
                    clause=clause,
                    applicable=form.cleaned_data["applicable"],
                    justification=form.cleaned_data["justification"],
                )
                messages.success(request, _("The applicability was saved."))
            else:
                _form_errors(request, form)
        else:
            messages.error(request, _("Unknown action."))
    except (PermissionDenied, ValidationError) as exc:
        messages.error(request, _error_text(exc))
    return redirect(clause.get_absolute_url())


# --- The function allocation matrix ------------------------------------------------


@compliance_required
def matrix(request):
    """The function allocation matrix (职能分配表): a row per clause, a column
    per department, ★ primary or ☆ supporting. Document control and 管理者代表
    edit it; a submission is saved whole or not at all."""
    standards = _standards()
    standard = _standard_of(request, standards)
    can_edit = permissions.can_manage_catalogue(request.user)
    clauses = list(
        Clause.objects.active().filter(standard=standard).select_related("standard")
    )
    departments = list(Department.objects.filter(is_active=True))
    cells = {
        (clause_id, department_id): level
        for clause_id, department_id, level in ClauseResponsibility.objects.filter(
            clause__standard=standard
        ).values_list("clause_id", "department_id", "level")
    }
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied(_("You may not change the matrix."))
        return _matrix_post(request, standard, clauses, departments, cells)

    editing = can_edit and request.GET.get("edit") == "1"
    marks = {PRIMARY: "★", SUPPORTING: "☆"}
    rows = [
        {
            "clause": clause,
            "cells": [
                {
                    "department": department,
                    "level": cells.get((clause.pk, department.pk), ""),
                    "mark": marks.get(cells.get((clause.pk, department.pk), ""), ""),
                    "name": cell_name(clause.pk, department.pk),
                }
                for department in departments
            ],
        }
        for clause in clauses
    ]
    return render(
        request,
        "compliance/matrix.html",
        {
            "standards": standards,
            "standard": standard,
            "departments": departments,
            "rows": rows,
            "can_edit": can_edit,
            "editing": editing,
            "version": matrix_version(cells),
            "level_choices": [
                ("", "—"),
                (PRIMARY, "★"),
                (SUPPORTING, "☆"),
            ],
        },
    )


def _matrix_post(request, standard, clauses, departments, cells):
    clause_by_id = {c.pk: c for c in clauses}
    department_by_id = {d.pk: d for d in departments}
    changes, errors = matrix_changes(
        request.POST,
        cells=cells,
        clause_ids=set(clause_by_id),
        department_ids=set(department_by_id),
    )
    new_primaries = Counter(c.clause_id for c in changes if c.after == PRIMARY)
    for clause_id, count in new_primaries.items():
        if count > 1:
            errors.append(
                _(
                    "Clause %(clause)s can have one primary department (★) only. "
                    "Nothing was saved."
                )
                % {"clause": clause_by_id[clause_id].ref_id}
            )
    shown = _with_standard("compliance:matrix", standard)
    editing = _with_standard("compliance:matrix", standard, edit="1")
    if errors:
        for error in errors:
            messages.error(request, error)
        return redirect(editing)
    if not changes:
        messages.info(request, _("Nothing was changed."))
        return redirect(shown)
    # Supporting and emptied cells first: a new ★ then moves the old one to ☆.
    ordered = sorted(changes, key=lambda change: change.after == PRIMARY)
    try:
        with transaction.atomic():
            for change in ordered:
                services.responsibility_set(
                    user=request.user,
                    clause=clause_by_id[change.clause_id],
                    department=department_by_id[change.department_id],
                    level=change.after or None,
                )
    except (PermissionDenied, ValidationError) as exc:
        messages.error(request, _error_text(exc))
        return redirect(editing)
    messages.success(
        request,
        ngettext(
            "%(count)d cell of the matrix was changed.",
            "%(count)d cells of the matrix were changed.",
            len(changes),
        )
        % {"count": len(changes)},
    )
    return redirect(shown)


# --- Process owners ------------------------------------------------------------------


def _process_admin_url() -> str | None:
    """The process owners in the Wagtail admin, if they are registered there."""
    names = []
    viewset = getattr(Process, "snippet_viewset", None)
    if viewset is not None:
        try:
            names.append(viewset.get_url_name("list"))
        except (AttributeError, TypeError):
            pass
    names.append("wagtailsnippets_compliance_process:list")
    for name in names:
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return None


@compliance_required
def process_list(request):
    """The process owners (流程负责人): each process, its owner, department and
    clauses."""
    processes = (
        Process.objects.filter(is_active=True)
        .select_related("owner", "department")
        .prefetch_related(
            Prefetch(
                "clauses",
                queryset=Clause.objects.active()
                .select_related("standard")
                .order_by("standard__sort_order", "standard_id", "sort_key"),
            )
        )
    )
    can_manage = permissions.can_manage_catalogue(request.user)
    return render(
        request,
        "compliance/processes.html",
        {
            "processes": list(processes),
            "admin_url": _process_admin_url() if can_manage else None,
        },
    )


# --- Coverage ------------------------------------------------------------------------


@compliance_required
def coverage(request):
    """Where the coverage has gaps: clauses with no effective procedure, with
    only documents overdue for review, not audited lately, with open
    nonconformities. ``?format=xlsx`` and ``?format=docx`` (the statement of
    applicability) download it."""
    export = request.GET.get("format", "")
    if export and not permissions.can_view_reports(request.user):
        raise PermissionDenied(_("You may not download this report."))
    if export and export not in EXPORT_FORMATS:
        return HttpResponseBadRequest(
            _("Unknown format %(format)s: choose xlsx or docx.")
            % {"format": export[:20]},
            content_type="text/plain; charset=utf-8",
        )
    standards = _standards()
    standard = _standard_of(request, standards)
    today = _today()
    rows = coverage_rules.clause_rows(standard, today=today, reader=request.user)
    if export == "xlsx":
        return exports.download(
            exports.coverage_xlsx(rows, standard=standard, today=today),
            filename=(
                f"{exports.COVERAGE_FILENAME}-{standard.ref_id}-{today:%Y%m%d}.xlsx"
            ),
            content_type=exports.XLSX_CONTENT_TYPE,
        )
    if export == "docx":
        return exports.download(
            exports.applicability_docx(rows, standard=standard, today=today),
            filename=(
                f"{exports.APPLICABILITY_FILENAME}-{standard.ref_id}-"
                f"{today:%Y%m%d}.docx"
            ),
            content_type=exports.DOCX_CONTENT_TYPE,
        )
    nc_list = reverse("compliance:nonconformities")
    with_findings = [
        (
            row,
            f"{nc_list}?"
            + urlencode(
                {"clause": row.clause.ref_id, "standard": standard.ref_id, "open": 1}
            ),
        )
        for row in rows
        if row.open_nonconformities
    ]
    return render(
        request,
        "compliance/coverage.html",
        {
            "standards": standards,
            "standard": standard,
            "summary": coverage_rules.summary(rows),
            "no_procedure": [row for row in rows if row.no_procedure],
            "only_overdue": [r for r in rows if r.applicable and r.only_overdue],
            "not_audited": [r for r in rows if r.applicable and r.not_audited],
            "with_findings": with_findings,
            "audit_months": _audit_months(),
            "can_export": permissions.can_view_reports(request.user),
        },
    )


def _audit_months() -> int:
    from django.conf import settings

    return settings.SHOUKONG_COVERAGE_AUDIT_MONTHS


# --- The document page's panel -------------------------------------------------------


def document_clauses_panel(request, page):
    """The clauses ``page`` answers, for the document page (hook
    ``shoukong_document_panels``); nothing when it answers none."""
    if not permissions.can_view_compliance(request.user):
        return None
    links = list(
        ClauseDocumentLink.objects.filter(
            document_id=page.pk,
            clause__is_active=True,
            clause__standard__is_active=True,
        )
        .select_related("clause__standard")
        .order_by(
            "clause__standard__sort_order", "clause__standard_id", "clause__sort_key"
        )
    )
    if not links:
        return None
    return render_to_string(
        "compliance/includes/document_clauses.html",
        {"links": links, "document": page},
        request=request,
    )
