"""The writing half of the REST API (``/api/v1/``): create a draft, send it into
its approval chain, sign or return a step, download a controlled copy and
confirm reading an issue.

Views stay thin: they validate the request, call the services
(:mod:`documents.services`, :mod:`documents.approvals`,
:mod:`documents.distribution`), which check permission and transitions, and map
what those raise to HTTP answers, always ``{"detail": "..."}`` in the active
language: ``PermissionDenied`` → 403, ``InvalidTransition`` → 409, a
``ValidationError`` → 400, an unknown number, issue or copy → 404, a PDF that
cannot be stamped → 422.

Unissued drafts stay as unknown as in the read API, except to those who may
edit them and to the signers of the approval chain they are in.

The package's modules: :mod:`.base` (errors and lookups), :mod:`.serializers`
(request and answer bodies), :mod:`.drafts` (writing a draft), :mod:`.views`,
:mod:`.access` (who may read a document and its other names: document control).
Everything is importable from the package itself, as when it was one module.
"""

from .access import (
    AccessInputSerializer,
    DocumentAccessSerializer,
    DocumentAccessView,
    DocumentOtherNamesView,
    OtherNamesInputSerializer,
)
from .base import (
    CHILD_KINDS,
    KIND_OF_TIER,
    LIST_FIELDS,
    PAGE_CLASSES,
    PAGE_FIELDS,
    BadRequest,
    Conflict,
    LifecycleAPIView,
    LifecycleErrorsMixin,
    Unprocessable,
    api_exception,
    body_html,
    department_for,
    document_for,
    error_messages,
    is_readable,
    is_released,
    issue_for,
    may_see_draft,
    request_data,
    user_for,
)
from .drafts import (
    document_create_from,
    document_revise_from,
    extract_upload,
    form_fields_build,
)
from .serializers import (
    CHOICE_FIELD_TYPES,
    FIELD_TYPES,
    MAX_FORM_FIELDS,
    AcknowledgedSerializer,
    ActResultSerializer,
    ApproveSerializer,
    CopyQuerySerializer,
    DistributionEntryInputSerializer,
    DocumentCreatedSerializer,
    DocumentCreateSerializer,
    DocumentReviseSerializer,
    FormFieldInputSerializer,
    RejectSerializer,
    SubmittedSerializer,
)
from .views import (
    LABEL,
    NUMBER,
    AcknowledgeView,
    CopyPdfView,
    DocumentActView,
    DocumentApproveView,
    DocumentListCreateView,
    DocumentRejectView,
    DocumentReviseView,
    DocumentSubmitView,
    draft_answer,
)

__all__ = [
    "CHILD_KINDS",
    "CHOICE_FIELD_TYPES",
    "FIELD_TYPES",
    "KIND_OF_TIER",
    "LABEL",
    "LIST_FIELDS",
    "MAX_FORM_FIELDS",
    "NUMBER",
    "PAGE_CLASSES",
    "PAGE_FIELDS",
    "AccessInputSerializer",
    "AcknowledgeView",
    "AcknowledgedSerializer",
    "ActResultSerializer",
    "ApproveSerializer",
    "BadRequest",
    "Conflict",
    "CopyPdfView",
    "CopyQuerySerializer",
    "DistributionEntryInputSerializer",
    "DocumentAccessSerializer",
    "DocumentAccessView",
    "DocumentActView",
    "DocumentApproveView",
    "DocumentCreateSerializer",
    "DocumentCreatedSerializer",
    "DocumentListCreateView",
    "DocumentOtherNamesView",
    "DocumentRejectView",
    "DocumentReviseSerializer",
    "DocumentReviseView",
    "DocumentSubmitView",
    "FormFieldInputSerializer",
    "LifecycleAPIView",
    "LifecycleErrorsMixin",
    "OtherNamesInputSerializer",
    "RejectSerializer",
    "SubmittedSerializer",
    "Unprocessable",
    "api_exception",
    "body_html",
    "department_for",
    "document_create_from",
    "document_for",
    "document_revise_from",
    "draft_answer",
    "error_messages",
    "extract_upload",
    "form_fields_build",
    "is_readable",
    "is_released",
    "issue_for",
    "may_see_draft",
    "request_data",
    "user_for",
]
