"""Every change to reviews, their inputs, packs, meetings, outputs, reports and
the objectives: each service checks the permission, enforces the transition
and leaves one ``shoukong.reviews.*`` log entry."""

from ._common import chain_steps, company_today, step_label
from .inputs import input_attach, input_return, input_save, input_sign
from .measurements import (
    IMPORT_COLUMNS,
    ImportResult,
    measurement_record,
    measurements_import,
    objective_save,
    period_bounds,
    period_label,
)
from .meeting import meeting_record
from .outputs import output_add, output_cancel, output_complete, output_verify
from .packs import pack_compile, pack_confirm
from .plans import (
    current_step,
    default_period,
    plan_sign,
    previous_review,
    review_cancel,
    review_create,
    review_notify,
    review_revise,
    review_submit,
    review_update,
)
from .reporting import report_sign, report_submit

__all__ = [
    "IMPORT_COLUMNS",
    "ImportResult",
    "chain_steps",
    "company_today",
    "current_step",
    "default_period",
    "input_attach",
    "input_return",
    "input_save",
    "input_sign",
    "measurement_record",
    "measurements_import",
    "meeting_record",
    "objective_save",
    "output_add",
    "output_cancel",
    "output_complete",
    "output_verify",
    "pack_compile",
    "pack_confirm",
    "period_bounds",
    "period_label",
    "plan_sign",
    "previous_review",
    "report_sign",
    "report_submit",
    "review_cancel",
    "review_create",
    "review_notify",
    "review_revise",
    "review_submit",
    "review_update",
    "step_label",
]
