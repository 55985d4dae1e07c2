"""The audit pages: the list, planning an audit, its page with everything
about it and the steps the user may take now, the steps themselves, the
report's .docx and the user's own assignments (ISO/IEC 20000-1:2018 9.2; the
internal audit procedure). The checklist is in :mod:`audits.views.checklists`.

Each step calls one service in :mod:`audits.services` and redirects back with
a message: a refusal (not allowed now, a double submit, bad input) is a
message and changes nothing; a step the user may not take is a 403. An audit
the user may not read is a 404.
"""

from .common import visible_audit
from .detail import audit_detail, detail_context, report_download
from .listing import audit_list, audit_new, my_assignments
from .steps import audit_action

__all__ = [
    "audit_action",
    "audit_detail",
    "audit_list",
    "audit_new",
    "detail_context",
    "my_assignments",
    "report_download",
    "visible_audit",
]
