"""Management reviews in the Wagtail admin: log actions (the audit trail) and
the dashboard panel."""

from django.utils.translation import gettext_lazy as _
from wagtail import hooks

LOG_ACTIONS = {
    "shoukong.reviews.review_create": _("Management review planned"),
    "shoukong.reviews.review_update": _("Review plan changed"),
    "shoukong.reviews.plan_submit": _("Review plan submitted"),
    "shoukong.reviews.plan_sign": _("Review plan signed"),
    "shoukong.reviews.plan_return": _("Review plan returned"),
    "shoukong.reviews.plan_approve": _("Review plan approved"),
    "shoukong.reviews.plan_revise": _("Review plan revised"),
    "shoukong.reviews.review_cancel": _("Management review cancelled"),
    "shoukong.reviews.review_notify": _("Review meeting notice sent"),
    "shoukong.reviews.input_save": _("Review input written"),
    "shoukong.reviews.input_sign": _("Review input signed off"),
    "shoukong.reviews.input_return": _("Review input returned"),
    "shoukong.reviews.input_attach": _("File attached to a review input"),
    "shoukong.reviews.pack_compile": _("Review input pack compiled"),
    "shoukong.reviews.pack_confirm": _("Review input pack confirmed"),
    "shoukong.reviews.meeting_record": _("Review meeting recorded"),
    "shoukong.reviews.meeting_correct": _("Review minutes corrected"),
    "shoukong.reviews.output_add": _("Review decision recorded"),
    "shoukong.reviews.output_complete": _("Review action done"),
    "shoukong.reviews.output_verify": _("Review action verified"),
    "shoukong.reviews.output_reopen": _("Review action not verified: reopened"),
    "shoukong.reviews.output_cancel": _("Review action cancelled"),
    "shoukong.reviews.report_submit": _("Review report submitted"),
    "shoukong.reviews.report_sign": _("Review report signed"),
    "shoukong.reviews.report_return": _("Review report returned"),
    "shoukong.reviews.report_approve": _("Review report approved"),
    "shoukong.reviews.records_file": _("Review records filed"),
    "shoukong.reviews.objective_create": _("Objective defined"),
    "shoukong.reviews.objective_update": _("Objective changed"),
    "shoukong.reviews.measurement_record": _("Measured value entered"),
    "shoukong.reviews.measurement_correct": _("Measured value corrected"),
}


@hooks.register("register_log_actions")
def register_log_actions(actions):
    for action, label in LOG_ACTIONS.items():
        actions.register_action(action, label, label)


# --- Dashboard ------------------------------------------------------------------------


@hooks.register("construct_homepage_panels")
def add_panels(request, panels):
    """When the next review is due (flagged past the interval) and what waits
    for the user."""
    from .panels import homepage_panels

    panels.extend(homepage_panels(request))
