"""Compliance in the Wagtail admin: log actions (the audit trail), permission
policies, the "Compliance" menu (合规) and the dashboard panels."""

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet

from .models import Clause, NonconformityGrade, Standard
from .viewsets import (
    ClausePermissionPolicy,
    ComplianceViewSetGroup,
    NonconformityGradePermissionPolicy,
    StandardPermissionPolicy,
)

# Registered before anything asks for a policy (see wagtail.permissions).
register_permission_policy(Standard, StandardPermissionPolicy(Standard))
register_permission_policy(Clause, ClausePermissionPolicy(Clause))
register_permission_policy(
    NonconformityGrade, NonconformityGradePermissionPolicy(NonconformityGrade)
)

LOG_ACTIONS = {
    "shoukong.compliance.catalogue_load": _("Clause catalogue loaded"),
    "shoukong.compliance.responsibility_set": _("Function allocation changed"),
    "shoukong.compliance.document_link": _("Document traced to clause"),
    "shoukong.compliance.document_unlink": _("Document trace removed"),
    "shoukong.compliance.applicability_set": _("Clause applicability set"),
    "shoukong.compliance.nonconformity_raise": _("Nonconformity raised"),
    "shoukong.compliance.nonconformity_approve": _("Nonconformity approved"),
    "shoukong.compliance.nonconformity_cancel": _("Nonconformity cancelled"),
    "shoukong.compliance.nonconformity_plan": _("Action planned"),
    "shoukong.compliance.nonconformity_accept": _("Action plan accepted"),
    "shoukong.compliance.nonconformity_return": _("Action plan returned"),
    "shoukong.compliance.nonconformity_extension_request": _("Extension requested"),
    "shoukong.compliance.nonconformity_extension_decide": _("Extension decided"),
    "shoukong.compliance.nonconformity_implement": _("Action implemented"),
    "shoukong.compliance.nonconformity_verify": _("Action verified"),
    "shoukong.compliance.nonconformity_close": _("Nonconformity closed"),
    "shoukong.compliance.nonconformity_change_request": _(
        "Document change requested by an action"
    ),
}


@hooks.register("register_log_actions")
def register_log_actions(actions):
    for action, label in LOG_ACTIONS.items():
        actions.register_action(action, label, label)


# --- The "Compliance" menu (合规) ---------------------------------------------------

register_snippet(ComplianceViewSetGroup)


# --- Dashboard ------------------------------------------------------------------------


@hooks.register("construct_homepage_panels")
def add_panels(request, panels):
    """Open findings, overdue actions and what waits for the user."""
    from .panels import homepage_panels

    panels.extend(homepage_panels(request))


@hooks.register("shoukong_document_panels")
def document_clauses_panel(request, page):
    """The clauses a document answers, on its page (documents.views)."""
    from .views.clauses import document_clauses_panel as panel

    return panel(request, page)
