"""Every change to programmes, audits, checklists, meetings, findings and
reports: each service checks the permission, enforces the transition and leaves
one ``shoukong.audits.*`` log entry."""

from ._common import company_today
from .audits import (
    audit_cancel,
    audit_create,
    audit_decide,
    audit_notify,
    audit_schedule_set,
    audit_team_set,
    audit_update,
)
from .checklists import (
    ChecklistConflict,
    checklist_evidence_add,
    checklist_generate,
    checklist_item_add,
    checklist_item_remove,
    checklist_item_update,
    question_bank_save,
)
from .findings import finding_raise
from .meetings import meeting_record
from .programmes import (
    chain_steps,
    current_step,
    programme_create,
    programme_ensure,
    programme_revise,
    programme_sign,
    programme_submit,
    programme_update,
)
from .reporting import report_approve, report_return, report_save, report_submit

__all__ = [
    "ChecklistConflict",
    "audit_cancel",
    "audit_create",
    "audit_decide",
    "audit_notify",
    "audit_schedule_set",
    "audit_team_set",
    "audit_update",
    "chain_steps",
    "checklist_evidence_add",
    "checklist_generate",
    "checklist_item_add",
    "checklist_item_remove",
    "checklist_item_update",
    "company_today",
    "current_step",
    "finding_raise",
    "meeting_record",
    "programme_create",
    "programme_ensure",
    "programme_revise",
    "programme_sign",
    "programme_submit",
    "programme_update",
    "question_bank_save",
    "report_approve",
    "report_return",
    "report_save",
    "report_submit",
]
