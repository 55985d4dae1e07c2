"""Internal audits in the Wagtail admin: log actions (the audit trail), the
question bank, the dashboard panels, and the audit dates the compliance
coverage reads."""

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet

from compliance.coverage import AUDIT_DATES_HOOK, AUDIT_HISTORY_HOOK

from .models import ClauseQuestion
from .viewsets import AuditsViewSetGroup, QuestionBankPermissionPolicy

# Registered before anything asks for a policy (see wagtail.permissions).
register_permission_policy(ClauseQuestion, QuestionBankPermissionPolicy(ClauseQuestion))

LOG_ACTIONS = {
    "shoukong.audits.programme_create": _("Audit programme created"),
    "shoukong.audits.programme_update": _("Audit programme changed"),
    "shoukong.audits.programme_submit": _("Audit programme submitted"),
    "shoukong.audits.programme_sign": _("Audit programme signed"),
    "shoukong.audits.programme_return": _("Audit programme returned"),
    "shoukong.audits.programme_approve": _("Audit programme approved"),
    "shoukong.audits.programme_revise": _("Audit programme revised"),
    "shoukong.audits.audit_create": _("Audit planned"),
    "shoukong.audits.audit_update": _("Audit changed"),
    "shoukong.audits.audit_decide": _("Ad hoc audit decided"),
    "shoukong.audits.audit_team_set": _("Audit team formed"),
    "shoukong.audits.audit_schedule_set": _("Audit schedule set"),
    "shoukong.audits.audit_notify": _("Auditees notified"),
    "shoukong.audits.audit_cancel": _("Audit cancelled"),
    "shoukong.audits.checklist_generate": _("Checklist generated"),
    "shoukong.audits.checklist_item_add": _("Checklist question added"),
    "shoukong.audits.checklist_item_update": _("Checklist item saved"),
    "shoukong.audits.checklist_item_remove": _("Checklist question removed"),
    "shoukong.audits.checklist_evidence_add": _("Audit evidence attached"),
    "shoukong.audits.question_save": _("Question kept in the bank"),
    "shoukong.audits.meeting_opening": _("Opening meeting held"),
    "shoukong.audits.meeting_closing": _("Closing meeting held"),
    "shoukong.audits.finding_raise": _("Audit finding raised"),
    "shoukong.audits.report_save": _("Audit report written"),
    "shoukong.audits.report_submit": _("Audit report submitted"),
    "shoukong.audits.report_return": _("Audit report returned"),
    "shoukong.audits.report_approve": _("Audit report approved"),
    "shoukong.audits.records_file": _("Audit records filed"),
}


@hooks.register("register_log_actions")
def register_log_actions(actions):
    for action, label in LOG_ACTIONS.items():
        actions.register_action(action, label, label)


@hooks.register(AUDIT_DATES_HOOK)
def clause_audit_dates(clause_ids):
    from .coverage import clause_audit_dates as dates

    return dates(clause_ids)


@hooks.register(AUDIT_HISTORY_HOOK)
def clause_audit_history(clause):
    from .coverage import clause_audit_history as history

    return history(clause)


# --- The "Internal audits" menu (内部审核): the audit pages and the question bank ----

register_snippet(AuditsViewSetGroup)


# --- Dashboard ------------------------------------------------------------------------


@hooks.register("construct_homepage_panels")
def add_panels(request, panels):
    """What waits for the user and the year's programme coverage warning."""
    from .panels import homepage_panels

    panels.extend(homepage_panels(request))
