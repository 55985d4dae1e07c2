"""The annual programme (年度内部审核实施计划): prepared by 行政部 or the audit
leader, signed along SHOUKONG_AUDIT_PROGRAMME_CHAIN (by default 管理者代表
reviews, 总经理 approves), revised back to draft when the plan changes."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from compliance.models import Standard

from .. import permissions
from ..lifecycle import (
    PROGRAMME_TRANSITIONS,
    AuditKind,
    AuditStatus,
    ProgrammeStatus,
    SignatureDecision,
    ensure_transition,
)
from ..models import AuditProgramme, ProgrammeSignature
from ._common import display_name, log_action, required, text

P = ProgrammeStatus


@dataclass(frozen=True)
class ChainStep:
    code: str
    role: str


def chain_steps() -> list[ChainStep]:
    steps = [
        ChainStep(code, role) for code, role in settings.SHOUKONG_AUDIT_PROGRAMME_CHAIN
    ]
    if not steps:
        raise ValidationError(_("SHOUKONG_AUDIT_PROGRAMME_CHAIN names no step."))
    return steps


def current_step(programme: AuditProgramme) -> ChainStep | None:
    """The step awaiting a signature (None unless the programme is in review)."""
    if programme.status != P.IN_REVIEW:
        return None
    signed = set(
        programme.signatures.filter(
            revision=programme.revision, decision=SignatureDecision.SIGNED
        ).values_list("step", flat=True)
    )
    return next((step for step in chain_steps() if step.code not in signed), None)


def _standard(standard: Standard | None) -> Standard:
    if standard is not None:
        return standard
    found = Standard.objects.filter(
        ref_id=settings.SHOUKONG_COMPLIANCE_DEFAULT_STANDARD, is_active=True
    ).first()
    if found is None:
        raise ValidationError(_("The default standard is not loaded."))
    return found


def _year(year) -> int:
    try:
        year = int(year)
    except (TypeError, ValueError):
        raise ValidationError(_("Give the programme's year.")) from None
    if not 2000 <= year <= 2100:
        raise ValidationError(_("The year must be between 2000 and 2100."))
    return year


def _locked(programme: AuditProgramme) -> AuditProgramme:
    return AuditProgramme.objects.select_for_update().get(pk=programme.pk)


def _move(programme: AuditProgramme, target: str) -> None:
    ensure_transition(
        PROGRAMME_TRANSITIONS, programme.status, target, label=_("Audit programme")
    )
    programme.status = target


def default_title(year: int) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return _("%(year)s annual internal audit programme") % {"year": year}


@transaction.atomic
def programme_create(
    *,
    user,
    year,
    title: str = "",
    basis: str = "",
    standard: Standard | None = None,
) -> AuditProgramme:
    permissions.ensure(permissions.can_prepare(user))
    year = _year(year)
    if AuditProgramme.objects.filter(year=year).exists():
        raise ValidationError(
            _("There is already a programme for %(year)s.") % {"year": year}
        )
    programme = AuditProgramme(
        year=year,
        standard=_standard(standard),
        title=text(title, limit=200) or default_title(year),
        basis=text(basis),
        prepared_by=user,
    )
    try:
        with transaction.atomic():
            programme.save()
    except IntegrityError:
        raise ValidationError(
            _("There is already a programme for %(year)s.") % {"year": year}
        ) from None
    log_action(programme, "programme_create", user, year=year)
    return programme


def programme_ensure(*, user, year) -> AuditProgramme:
    """The year's programme, created as a draft when there is none. Two
    preparers planning the year's first audits at once share one programme."""
    year = _year(year)
    found = AuditProgramme.objects.filter(year=year).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return programme_create(user=user, year=year)
    except ValidationError:
        # Created meanwhile by someone else (the unique year): use theirs.
        found = AuditProgramme.objects.filter(year=year).first()
        if found is None:
            raise
        return found


@transaction.atomic
def programme_update(
    *,
    user,
    programme: AuditProgramme,
    title: str | None = None,
    basis: str | None = None,
) -> AuditProgramme:
    programme = _locked(programme)
    permissions.ensure(permissions.can_prepare(user))
    if programme.status != P.DRAFT:
        raise ValidationError(
            _("The programme is %(status)s: revise it before changing it.")
            % {"status": programme.get_status_display()}
        )
    changed = []
    if title is not None:
        programme.title = required(title, _("Give the programme a title."), limit=200)
        changed.append("title")
    if basis is not None:
        programme.basis = text(basis)
        changed.append("basis")
    if changed:
        programme.save(update_fields=changed)
        log_action(programme, "programme_update", user, fields=changed)
    return programme


@transaction.atomic
def programme_submit(*, user, programme: AuditProgramme) -> AuditProgramme:
    """Send the draft along the chain. The coverage warnings do not stop it:
    the signers see them."""
    programme = _locked(programme)
    permissions.ensure(permissions.can_prepare(user))
    chain_steps()
    planned = programme.audits.filter(kind=AuditKind.PLANNED).exclude(
        status__in=(AuditStatus.CANCELLED, AuditStatus.REJECTED)
    )
    if not planned.exists():
        raise ValidationError(
            _("Plan at least one audit before submitting the programme.")
        )
    _move(programme, P.IN_REVIEW)
    fields = ["status", "submitted_at"]
    if programme.signatures.filter(revision=programme.revision).exists():
        # Returned on the way: the changed plan is a new revision, signed by
        # every step again (a step signs a revision once).
        programme.revision += 1
        fields.append("revision")
    programme.submitted_at = timezone.now()
    programme.save(update_fields=fields)
    log_action(programme, "programme_submit", user, revision=programme.revision)
    return programme


@transaction.atomic
def programme_sign(
    *, user, programme: AuditProgramme, decision: str, comment: str = ""
) -> AuditProgramme:
    """Sign or return the step awaiting a signature; the last signature
    approves the programme and files it as a record."""
    programme = _locked(programme)
    step = current_step(programme)
    if step is None:
        raise ValidationError(
            _("The programme is %(status)s; there is nothing to sign.")
            % {"status": programme.get_status_display()}
        )
    permissions.ensure(permissions.can_sign_step(user, step.role))
    if decision not in SignatureDecision.values:
        raise ValidationError(_("Sign or return the programme."))
    comment = text(comment)
    if decision == SignatureDecision.RETURNED and not comment:
        raise ValidationError(_("Say why the programme is returned."))
    ProgrammeSignature.objects.create(
        programme=programme,
        revision=programme.revision,
        step=step.code,
        role=step.role,
        user=user,
        signer_name=display_name(user),
        decision=decision,
        comment=comment,
        signed_at=timezone.now(),
    )
    if decision == SignatureDecision.RETURNED:
        _move(programme, P.DRAFT)
        programme.save(update_fields=["status"])
        log_action(
            programme, "programme_return", user, step=step.code, comment=comment[:200]
        )
        return programme
    log_action(programme, "programme_sign", user, step=step.code, role=step.role)
    if current_step(programme) is None:
        _move(programme, P.APPROVED)
        programme.approved_at = timezone.now()
        programme.save(update_fields=["status", "approved_at"])
        log_action(programme, "programme_approve", user, revision=programme.revision)
        from ..filing import programme_record_file

        # A form not in force is not filed: the signer is told (filing_warnings).
        programme.filing_warnings = programme_record_file(
            user=user, programme=programme
        )
    return programme


@transaction.atomic
def programme_revise(*, user, programme: AuditProgramme, reason: str) -> AuditProgramme:
    """Open an approved programme for change: a new revision, signed again."""
    programme = _locked(programme)
    permissions.ensure(permissions.can_prepare(user))
    reason = required(reason, _("Say why the programme is revised."))
    _move(programme, P.DRAFT)
    programme.revision += 1
    programme.approved_at = None
    programme.save(update_fields=["status", "revision", "approved_at"])
    log_action(
        programme,
        "programme_revise",
        user,
        revision=programme.revision,
        reason=reason[:200],
    )
    return programme
