"""The checklist page (内审检查表) an auditor fills in on a tablet during the
interviews, and its endpoints: saving one item (JSON for the page's autosave,
a plain form post without JavaScript), the question's own steps (add, remove,
keep in the question bank, generate the missing items), evidence files, and
writing up a finding.

Every change calls one service in :mod:`audits.services`. A refusal is a
message on the page, or for the autosave a JSON answer: 409 with the stored
item when another tablet saved first, 400 with the reasons, 403 when the step
is not the user's. An audit the user may not read is a 404.
"""

from __future__ import annotations

from itertools import groupby
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from compliance.lifecycle import NonconformityStatus
from compliance.models import NonconformityGrade
from documents.models import DocumentPage
from documents.permissions import restricted_ids
from records.views.common import attachment_response, error_text, login_required_for

from .. import independence, permissions, services
from ..checklist_forms import (
    AddItemForm,
    BadRequest,
    FindingForm,
    item_changes,
    item_payload,
)
from ..lifecycle import AuditStatus, ItemResult
from ..models import Audit, ChecklistEvidence, ChecklistItem
from ..services.checklists import PREPARE_STATUSES, finding_open
from ..services.findings import DEFAULT_GRADES, default_title
from .audits.common import visible_audit

A = AuditStatus

audit_staff = login_required_for(permissions.can_view_audits)

FILTERS = ("all", "mine", "unanswered")
MAX_EVIDENCE_FILES = 10
# What the evidence file inputs offer (the service checks the bytes).
EVIDENCE_ACCEPT = "image/*,.pdf,.docx,.xlsx"


def _name(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def _item_of(audit: Audit, item_id: int) -> ChecklistItem:
    item = (
        ChecklistItem.objects.select_related(
            "clause", "department", "auditor", "answered_by", "nonconformity"
        )
        .filter(pk=item_id, audit=audit)
        .first()
    )
    if item is None:
        raise Http404(_("No such checklist item."))
    item.audit = audit
    return item


def checklist_url(audit: Audit, show: str = "", item_id: int | None = None) -> str:
    url = reverse("audits:checklist", kwargs={"number": audit.number})
    if show in FILTERS and show != "all":
        url += "?" + urlencode({"show": show})
    if item_id:
        url += f"#item-{item_id}"
    return url


def _wants_json(request) -> bool:
    return (
        request.content_type == "application/json"
        or "application/json" in request.headers.get("Accept", "")
    )


def _local(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def item_json(item: ChecklistItem) -> dict[str, Any]:
    """What the page's script needs to show a saved item."""
    finding = item.nonconformity if finding_open(item) else None
    return {
        "id": item.pk,
        "version": item.version,
        "question": item.question,
        "result": item.result,
        "result_label": str(ItemResult(item.result).label),
        "evidence": item.evidence,
        "auditor": item.auditor_id,
        "auditor_name": _name(item.auditor),
        "answered_by": _name(item.answered_by),
        "answered_at": item.answered_at.isoformat() if item.answered_at else None,
        "answered_at_display": _local(item.answered_at),
        "updated_at": item.updated_at.isoformat() if item.updated_at else None,
        "needs_finding": item.needs_finding and finding is None,
        "finding": finding.number if finding else None,
        "finding_url": reverse(
            "compliance:nonconformity", kwargs={"number": finding.number}
        )
        if finding
        else None,
        "finding_new_url": reverse(
            "audits:finding_new",
            kwargs={"number": item.audit.number, "item_id": item.pk},
        ),
    }


def _document_urls(items) -> dict[int, str]:
    """The page of each snapshot document that still exists, by id."""
    ids = {d.get("id") for item in items for d in item.documents if d.get("id")}
    urls = {}
    for pk, number in DocumentPage.objects.filter(pk__in=ids, live=True).values_list(
        "pk", "number"
    ):
        if not number:
            continue
        try:
            urls[pk] = reverse("documents:detail", kwargs={"number": number})
        except NoReverseMatch:
            continue
    return urls


def _documents_shown(item, urls: dict[int, str], restricted) -> list[dict]:
    """The item's snapshot of documents as the reader may see them: a
    restricted document they may not open is listed last as ``restricted``,
    without its number, title or issue."""
    shown = [
        {"restricted": True}
        if d.get("id") in restricted
        else {**d, "url": urls.get(d.get("id"), "")}
        for d in item.documents
    ]
    return sorted(shown, key=lambda d: d.get("restricted", False))


# --- The page -----------------------------------------------------------------------


def _answer_hint(audit: Audit) -> str:
    if audit.status in (A.REQUESTED, A.PLANNED, A.NOTIFIED):
        return _(
            "Answers are recorded during the fieldwork: hold the opening meeting first."
        )
    if audit.status == A.IN_PROGRESS:
        return ""
    return _("The audit is %(status)s: its answers can no longer change.") % {
        "status": audit.get_status_display()
    }


def _client_texts() -> dict[str, str]:
    """The script's messages, translated here."""
    return {
        "saving": _("Saving…"),
        "saved": _("Saved %(time)s"),
        "waiting": _("Not sent yet: kept on this device"),
        "offline": _(
            "Offline: %(count)s change(s) waiting. They are kept on this device "
            "and sent when the connection returns."
        ),
        "pending": _("%(count)s change(s) waiting to be sent…"),
        "conflict": _(
            "Someone else saved this item after you opened it. Their copy is shown "
            "below: keep yours or take theirs."
        ),
        "theirs_result": _("Their result"),
        "theirs_evidence": _("Their evidence"),
        "theirs_question": _("Their question"),
        "keep_mine": _("Keep mine"),
        "take_theirs": _("Take theirs"),
        "discard": _("Discard my change"),
        "refused": _("Not saved"),
        "uploading": _("Uploading…"),
        "uploaded": _("File added"),
        "upload_offline": _(
            "Files can only be sent while connected; the text you typed is kept."
        ),
        "none": _("—"),
        "answered": _("Answered by %(name)s, %(when)s"),
    }


def _auditor_choices(item, team, processes) -> list:
    return [
        user
        for user in team
        if not independence.pair_conflicts(
            user,
            department=item.department,
            clause=item.clause,
            processes=processes[user.pk],
        )
    ]


def checklist_context(request, audit: Audit, *, rejected=None) -> dict[str, Any]:
    user = request.user
    show = request.GET.get("show") or request.POST.get("show") or "all"
    if show not in FILTERS:
        show = "all"
    preparing = audit.status in PREPARE_STATUSES
    can_prepare = preparing and permissions.can_prepare_checklist(user, audit)
    can_conduct = permissions.can_conduct(user, audit)
    in_progress = audit.status == A.IN_PROGRESS
    can_assign = preparing and (
        permissions.is_leader(user, audit) or permissions.can_prepare(user)
    )
    team = [m.user for m in audit.team.all()]
    processes = {u.pk: independence.owned_processes(u) for u in team}
    own_processes = processes.get(user.pk)
    if own_processes is None:
        own_processes = independence.owned_processes(user)
    items = list(
        audit.items.select_related(
            "clause", "department", "auditor", "answered_by", "nonconformity"
        ).prefetch_related(
            Prefetch("files", queryset=ChecklistEvidence.objects.order_by("id"))
        )
    )
    items.sort(key=lambda i: (i.clause.sort_key, i.position, i.pk))
    urls = _document_urls(items)
    restricted = restricted_ids(
        user, {d["id"] for i in items for d in i.documents if d.get("id")}
    )
    rejected = rejected or {}
    rows = []
    answered = 0
    for item in items:
        item.audit = audit
        answered += item.answered
        reasons = (
            independence.pair_conflicts(
                user,
                department=item.department,
                clause=item.clause,
                processes=own_processes,
            )
            if can_conduct
            else []
        )
        independent = can_conduct and not reasons
        finding = item.nonconformity if finding_open(item) else None
        mine = item.auditor_id == user.pk
        hidden = (show == "mine" and not mine) or (
            show == "unanswered" and item.answered
        )
        rows.append(
            {
                "item": item,
                "hidden": hidden,
                "mine": mine,
                "responsible": item.responsible,
                "documents": _documents_shown(item, urls, restricted),
                "can_edit_question": can_prepare and not item.answered,
                "can_answer": in_progress and independent,
                "result_locked": finding is not None,
                "reasons": reasons if can_conduct and in_progress else [],
                "can_assign": can_assign and not item.answered,
                "auditor_choices": _auditor_choices(item, team, processes)
                if can_assign and not item.answered
                else [],
                "can_upload": in_progress and independent,
                "files": [
                    {
                        "file": f,
                        "url": reverse(
                            "audits:evidence",
                            kwargs={"number": audit.number, "evidence_id": f.pk},
                        ),
                    }
                    for f in item.files.all()
                ],
                "finding": finding,
                "write_up": item.needs_finding
                and finding is None
                and in_progress
                and independent,
                "removable": can_prepare
                and not item.answered
                and item.nonconformity_id is None
                and not item.files.all(),
                "can_bank": can_prepare and item.bank_question_id is None,
                "rejected": rejected.get(item.pk),
            }
        )
    groups = []
    for _clause_id, grouped in groupby(rows, key=lambda r: r["item"].clause_id):
        members = list(grouped)
        groups.append(
            {
                "clause": members[0]["item"].clause,
                "rows": members,
                "hidden": all(r["hidden"] for r in members),
            }
        )
    editable = any(
        r["can_edit_question"] or r["can_answer"] or r["can_assign"] for r in rows
    )
    return {
        "audit": audit,
        "groups": groups,
        "show": show,
        "filters": [
            ("all", _("All")),
            ("mine", _("Mine")),
            ("unanswered", _("Unanswered")),
        ],
        "answered": answered,
        "total": len(items),
        "mine_count": sum(1 for r in rows if r["mine"]),
        "can_prepare": can_prepare,
        "can_conduct": can_conduct,
        "can_generate": can_prepare,
        "in_progress": in_progress,
        "answer_hint": _answer_hint(audit),
        "editable": editable,
        "add_form": AddItemForm(audit=audit) if can_prepare else None,
        "results": [c for c in ItemResult.choices if c[0]],
        "accept": EVIDENCE_ACCEPT,
        "max_upload": filesizeformat(settings.SHOUKONG_AUDIT_EVIDENCE_MAX_BYTES),
        "client_texts": _client_texts(),
        "audit_url": reverse("audits:audit", kwargs={"number": audit.number}),
    }


@require_http_methods(["GET", "HEAD", "POST"])
@audit_staff
def checklist(request, number):
    audit = visible_audit(request.user, number)
    if request.method == "POST":
        return _checklist_post(request, audit)
    return render(request, "audits/checklist.html", checklist_context(request, audit))


def _checklist_post(request, audit: Audit):
    """The checklist's own steps: ``op=add`` (a question of the auditor's own)
    and ``op=generate`` (the items the checklist lacks)."""
    op = request.POST.get("op", "")
    show = request.POST.get("show", "")
    user = request.user
    if op == "generate":
        try:
            created = services.checklist_generate(user=user, audit=audit)
        except ValidationError as exc:
            messages.error(request, error_text(exc))
        else:
            if created:
                messages.success(
                    request,
                    _("%(count)d item(s) added to the checklist.")
                    % {"count": len(created)},
                )
            else:
                messages.info(request, _("The checklist lacks no item."))
        return redirect(checklist_url(audit, show))
    if op == "add":
        form = AddItemForm(request.POST, audit=audit)
        if not form.is_valid():
            messages.error(request, _form_errors(form))
            return redirect(checklist_url(audit, show) + "#add-item")
        data = form.cleaned_data
        try:
            item = services.checklist_item_add(
                user=user,
                audit=audit,
                clause=data["clause"],
                department=data["department"],
                question=data["question"],
            )
        except ValidationError as exc:
            messages.error(request, error_text(exc))
            return redirect(checklist_url(audit, show) + "#add-item")
        messages.success(
            request,
            _("Question added under %(clause)s for %(department)s.")
            % {"clause": item.clause.ref_id, "department": item.department.name},
        )
        return redirect(checklist_url(audit, show, item.pk))
    raise Http404(_("No such step."))


def _form_errors(form) -> str:
    parts = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        for error in errors:
            parts.append(f"{label}: {error}" if label else str(error))
    return " ".join(parts)


# --- Saving one item ------------------------------------------------------------------


def _json_error(status: int, errors: list[str], item=None, **extra) -> JsonResponse:
    body: dict[str, Any] = {"ok": False, "errors": errors, **extra}
    if item is not None:
        body["item"] = item_json(item)
    return JsonResponse(body, status=status)


def _stored(item: ChecklistItem) -> ChecklistItem:
    return _item_of(item.audit, item.pk)


@require_POST
@audit_staff
def item_save(request, number, item_id):
    """Save one item (``op`` absent or ``save``), or ``op=remove`` /
    ``op=bank``."""
    audit = visible_audit(request.user, number)
    item = _item_of(audit, item_id)
    wants_json = _wants_json(request)
    try:
        data = item_payload(request)
    except BadRequest as exc:
        return (
            _json_error(400, [str(exc)])
            if wants_json
            else HttpResponse(
                str(exc), status=400, content_type="text/plain; charset=utf-8"
            )
        )
    op = data.get("op") or "save"
    show = data.get("show") or ""
    if op == "remove":
        return _remove(request, audit, item, wants_json, show)
    if op == "bank":
        return _bank(request, audit, item, wants_json, show)
    if op != "save":
        raise Http404(_("No such step."))
    try:
        saved = services.checklist_item_update(
            user=request.user, item=item, **item_changes(item, data)
        )
    except BadRequest as exc:
        if wants_json:
            return _json_error(400, [str(exc)], _stored(item))
        return _rejected(request, audit, item, data, str(exc), 400)
    except services.ChecklistConflict as exc:
        message = str(exc)
        if wants_json:
            return _json_error(409, [message], _stored(exc.item), conflict=True)
        return _rejected(request, audit, item, data, message, 409)
    except ValidationError as exc:
        if wants_json:
            return _json_error(400, list(exc.messages), _stored(item))
        return _rejected(request, audit, item, data, error_text(exc), 400)
    except PermissionDenied:
        if wants_json:
            return _json_error(403, [_("You may not change this item.")])
        raise
    saved.audit = audit
    if wants_json:
        return JsonResponse({"ok": True, "item": item_json(_stored(saved))})
    messages.success(
        request,
        _("%(clause)s #%(position)s saved.")
        % {"clause": item.clause.ref_id, "position": item.position},
    )
    return redirect(checklist_url(audit, show, item.pk))


def _rejected(request, audit, item, data, message: str, status: int):
    """A plain form post that was refused: the page again, with what the
    auditor typed kept next to the stored item so nothing is lost."""
    messages.error(request, message)
    typed = {
        key: data.get(key)
        for key in ("question", "evidence", "result")
        if isinstance(data.get(key), str)
    }
    if typed.get("result"):
        typed["result_label"] = (
            ItemResult(typed["result"]).label
            if typed["result"] in ItemResult.values
            else typed["result"]
        )
    context = checklist_context(request, audit, rejected={item.pk: typed})
    return render(request, "audits/checklist.html", context, status=status)


def _remove(request, audit, item, wants_json, show):
    item_id = item.pk
    try:
        services.checklist_item_remove(user=request.user, item=item)
    except ValidationError as exc:
        if wants_json:
            return _json_error(400, list(exc.messages))
        messages.error(request, error_text(exc))
        return redirect(checklist_url(audit, show, item.pk))
    except PermissionDenied:
        if wants_json:
            return _json_error(403, [_("You may not change this item.")])
        raise
    if wants_json:
        return JsonResponse({"ok": True, "removed": item_id})
    messages.success(
        request,
        _("Question removed from %(clause)s.") % {"clause": item.clause.ref_id},
    )
    return redirect(checklist_url(audit, show))


def _bank(request, audit, item, wants_json, show):
    try:
        question = services.question_bank_save(user=request.user, item=item)
    except ValidationError as exc:
        if wants_json:
            return _json_error(400, list(exc.messages))
        messages.error(request, error_text(exc))
        return redirect(checklist_url(audit, show, item.pk))
    except PermissionDenied:
        if wants_json:
            return _json_error(403, [_("You may not change this item.")])
        raise
    if wants_json:
        return JsonResponse({"ok": True, "question": question.pk})
    messages.success(
        request,
        _("The question is in the bank for %(clause)s: the next checklists ask it.")
        % {"clause": item.clause.ref_id},
    )
    return redirect(checklist_url(audit, show, item.pk))


# --- Evidence files -------------------------------------------------------------------


def _uploads(request) -> list[tuple[str, bytes]]:
    """The uploaded files as (name, bytes); an oversized one is refused before
    it is read whole (the service checks again, by its bytes)."""
    uploads = request.FILES.getlist("files")
    if not uploads:
        raise ValidationError(_("Choose a file."))
    if len(uploads) > MAX_EVIDENCE_FILES:
        raise ValidationError(
            _("Attach at most %(count)d files.") % {"count": MAX_EVIDENCE_FILES}
        )
    limit = settings.SHOUKONG_AUDIT_EVIDENCE_MAX_BYTES
    result = []
    for upload in uploads:
        if upload.size is not None and upload.size > limit:
            raise ValidationError(
                _("%(name)s is larger than %(limit)s.")
                % {"name": upload.name, "limit": filesizeformat(limit)}
            )
        upload.seek(0)
        result.append((upload.name, upload.read(limit + 1)))
    return result


def _file_json(audit: Audit, evidence: ChecklistEvidence) -> dict[str, Any]:
    return {
        "id": evidence.pk,
        "name": evidence.name,
        "size": evidence.size,
        "size_display": filesizeformat(evidence.size),
        "url": reverse(
            "audits:evidence",
            kwargs={"number": audit.number, "evidence_id": evidence.pk},
        ),
    }


@require_POST
@audit_staff
def evidence_upload(request, number, item_id):
    audit = visible_audit(request.user, number)
    item = _item_of(audit, item_id)
    wants_json = _wants_json(request)
    show = request.POST.get("show", "")
    try:
        stored = services.checklist_evidence_add(
            user=request.user, item=item, uploads=_uploads(request)
        )
    except ValidationError as exc:
        if wants_json:
            return _json_error(400, list(exc.messages))
        messages.error(request, error_text(exc))
        return redirect(checklist_url(audit, show, item.pk))
    except PermissionDenied:
        if wants_json:
            return _json_error(403, [_("You may not add files to this item.")])
        raise
    if wants_json:
        return JsonResponse(
            {
                "ok": True,
                "files": [_file_json(audit, e) for e in stored],
                "item": item_json(_stored(item)),
            }
        )
    messages.success(
        request,
        _("Added to %(clause)s #%(position)s: %(names)s.")
        % {
            "clause": item.clause.ref_id,
            "position": item.position,
            "names": ", ".join(e.name for e in stored),
        },
    )
    return redirect(checklist_url(audit, show, item.pk))


@login_required_for()
def evidence_download(request, number, evidence_id):
    """An evidence file of an audit the user may read: an attachment, never
    rendered inline."""
    if not permissions.can_view_audits(request.user):
        raise Http404(_("No such evidence file."))
    audit = visible_audit(request.user, number)
    evidence = ChecklistEvidence.objects.filter(
        pk=evidence_id, item__audit=audit
    ).first()
    if evidence is None:
        raise Http404(_("No such evidence file."))
    return attachment_response(
        evidence.file,
        filename=evidence.name,
        content_type=evidence.content_type,
        missing=_("No such evidence file."),
    )


# --- Writing up a finding -------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@audit_staff
def finding_new(request, number, item_id):
    """不符合报告 / 建议改进项 from a nonconforming or observation item."""
    audit = visible_audit(request.user, number)
    item = _item_of(audit, item_id)
    user = request.user
    if not permissions.can_conduct(user, audit):
        raise PermissionDenied
    back = checklist_url(audit, item_id=item.pk)
    if finding_open(item):
        messages.info(
            request,
            _("Finding %(number)s was raised from this item already.")
            % {"number": item.nonconformity.number},
        )
        return redirect(back)
    if not item.needs_finding:
        messages.error(
            request,
            _("Only a nonconforming item or an observation becomes a finding."),
        )
        return redirect(back)
    status = 200
    if request.method == "POST":
        form = FindingForm(request.POST, item=item, user=user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                nc = services.finding_raise(
                    user=user,
                    item=item,
                    title=data["title"],
                    facts=data["facts"],
                    grade=data["grade"],
                    documents=form.cleaned_documents(),
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                if nc.status == NonconformityStatus.DRAFT:
                    text = _(
                        "Finding %(number)s recorded against %(clause)s; it awaits "
                        "管理者代表's approval before it goes to %(department)s."
                    )
                else:
                    text = _(
                        "Finding %(number)s recorded against %(clause)s; "
                        "%(department)s has been told."
                    )
                messages.success(
                    request,
                    text
                    % {
                        "number": nc.number,
                        "clause": item.clause.ref_id,
                        "department": item.department.name,
                    },
                )
                return redirect(back)
        status = 400
    else:
        form = FindingForm(
            item=item,
            user=user,
            initial={
                "title": default_title(item),
                "facts": item.evidence,
                "grade": form_default_grade(item),
                "documents": [str(d["id"]) for d in item.documents if d.get("id")],
            },
        )
    return render(
        request,
        "audits/finding_form.html",
        {
            "audit": audit,
            "item": item,
            "form": form,
            "back_url": back,
            "is_nonconformity": item.result == ItemResult.NONCONFORMING,
        },
        status=status,
    )


def form_default_grade(item: ChecklistItem):
    code = DEFAULT_GRADES.get(item.result)
    grade = NonconformityGrade.objects.filter(code=code, is_active=True).first()
    return grade.pk if grade else None
