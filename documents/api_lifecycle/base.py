"""What every endpoint of the writing API shares: the page types it creates,
how service errors become HTTP answers, and the lookups of documents, issues,
departments and users by what a request names."""

from __future__ import annotations

import html
import json
import re
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, serializers, status
from rest_framework.views import APIView
from wagtail.admin.rich_text.converters.editor_html import EditorHTMLConverter
from wagtail.models import WorkflowTask

from .. import api, extraction, labels, numbering, permissions, stamping
from ..lifecycle import DocumentKind, DocumentStatus, InvalidTransition, Tier
from ..models import (
    Department,
    DocumentIssue,
    DocumentPage,
    FormPage,
    ManualPage,
    OtherDocumentPage,
    ProcedurePage,
    SignatureTask,
    WorkInstructionPage,
)

PAGE_CLASSES: dict[str, type[DocumentPage]] = {
    DocumentKind.MANUAL: ManualPage,
    DocumentKind.PROCEDURE: ProcedurePage,
    DocumentKind.INSTRUCTION: WorkInstructionPage,
    DocumentKind.FORM: FormPage,
    DocumentKind.OTHER: OtherDocumentPage,
}
KIND_OF_TIER: dict[int, str] = {
    Tier.MANUAL: DocumentKind.MANUAL,
    Tier.PROCEDURE: DocumentKind.PROCEDURE,
    Tier.INSTRUCTION: DocumentKind.INSTRUCTION,
    Tier.FORM: DocumentKind.FORM,
}
# Kinds that live under another document, never at the library's root.
CHILD_KINDS = frozenset({DocumentKind.INSTRUCTION, DocumentKind.FORM})
# Fields of the request given to the new page as they are.
PAGE_FIELDS = (
    "body",
    "change_summary",
    "effective_on",
    "training_required",
    "description",
    "storage_location",
    "retention_period",
)
# Fields that carry a list; in a multipart request, repeated or JSON-encoded.
LIST_FIELDS = frozenset(
    {"involved_departments", "distribution", "form_fields", "reader_departments"}
)

_HTML_TAG_RE = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>")


# --- errors ------------------------------------------------------------------------


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = gettext_lazy("Not possible in the document's current state.")
    default_code = "conflict"


class BadRequest(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = gettext_lazy("The request is not valid.")
    default_code = "invalid"


class Unprocessable(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = gettext_lazy("The PDF could not be made.")
    default_code = "unprocessable"


def api_exception(exc: Exception) -> Exception:
    """What the services raise, as the REST framework's exceptions."""
    if isinstance(exc, InvalidTransition):
        return Conflict(str(exc))
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, DjangoValidationError):
        return BadRequest(" ".join(str(message) for message in exc.messages))
    if isinstance(exc, stamping.StampingError):
        return Unprocessable(exc.message)
    if isinstance(exc, extraction.ExtractionError):
        return exceptions.ValidationError({"source_file": [exc.message]})
    return exc


def error_messages(detail: Any, path: str = "") -> list[str]:
    """The messages of a validation error, each prefixed by its field."""
    if isinstance(detail, dict):
        messages = []
        for key, value in detail.items():
            if key in ("non_field_errors", "detail"):
                where = path
            elif isinstance(key, int):
                where = f"{path}[{key}]"
            else:
                where = f"{path}.{key}" if path else str(key)
            messages += error_messages(value, where)
        return messages
    if isinstance(detail, list):
        messages = []
        for index, value in enumerate(detail):
            if isinstance(value, dict | list):
                messages += error_messages(value, f"{path}[{index}]")
            else:
                messages += error_messages(value, path)
        return messages
    return [f"{path}: {detail}" if path else str(detail)]


class LifecycleErrorsMixin:
    """Answer every error as ``{"detail": "..."}``; invalid fields are also
    listed under their names, as the REST framework does."""

    def handle_exception(self, exc):
        exc = api_exception(exc)
        response = super().handle_exception(exc)
        if isinstance(exc, exceptions.ValidationError):
            data = response.data
            fields = data if isinstance(data, dict) else {}
            response.data = {"detail": " ".join(error_messages(data)), **fields}
        return response


class LifecycleAPIView(LifecycleErrorsMixin, APIView):
    permission_classes = [api.CanViewLibrary]


# --- lookups -----------------------------------------------------------------------


def may_see_draft(user, page: DocumentPage) -> bool:
    """Whether ``user`` may learn of an unissued draft: they may edit it, or they
    hold a role that signs a step of the approval chain it is in."""
    if permissions.can_edit_document(user, page):
        return True
    state = page.current_workflow_state
    if state is None:
        return False
    roles = user.groups.all()
    steps = WorkflowTask.objects.filter(workflow_id=state.workflow_id)
    for step in steps.select_related("task"):
        task = step.task.specific
        if not isinstance(task, SignatureTask):
            continue
        if task.groups.filter(pk__in=roles).exists():
            return True
    return False


def is_released(page: DocumentPage) -> bool:
    """Released to staff (``DocumentPage.objects.visible_to_staff()``): not an
    unissued draft nor an unpublished external document. Who of the staff may
    read it is :func:`is_readable`."""
    if page.status == DocumentStatus.DRAFT:
        return False
    return not (page.kind == DocumentKind.EXTERNAL and not page.live)


def is_readable(user, page: DocumentPage) -> bool:
    """Released and readable by ``user`` (``DocumentPage.objects.visible_to(user)``):
    a restricted document only for its readers."""
    return is_released(page) and permissions.can_read_document(user, page)


def document_for(user, number: str, *, drafts: bool = False) -> DocumentPage:
    """The document numbered ``number`` (any case), as its specific page type.

    404, as for a number that does not exist, for a restricted document ``user``
    may not read, and for a draft unless ``drafts`` and they may see it (its
    editors and signers: see :func:`may_see_draft`)."""
    number = numbering.get_scheme().normalise(number)
    page = DocumentPage.objects.filter(number=number).first()
    if page is None:
        raise exceptions.NotFound
    if not is_readable(user, page) and not (drafts and may_see_draft(user, page)):
        raise exceptions.NotFound
    return page.specific


def issue_for(page: DocumentPage, label: str) -> DocumentIssue:
    try:
        label = labels.normalise_label(label)
    except labels.LabelError:
        raise exceptions.NotFound from None
    issue = page.issues.filter(label=label).first()
    if issue is None:
        raise exceptions.NotFound(_("No such issue."))
    return issue


def department_for(value: str) -> Department:
    """An active department by its name or id."""
    value = str(value).strip()
    departments = Department.objects.filter(is_active=True)
    department = departments.filter(name=value).first()
    if department is None and value.isascii() and value.isdigit() and len(value) < 10:
        department = departments.filter(pk=int(value)).first()
    if department is None:
        raise serializers.ValidationError(
            _("Unknown department: %(name)s") % {"name": value}
        )
    return department


def user_for(username: str):
    User = get_user_model()
    user = User.objects.filter(
        is_active=True, **{User.USERNAME_FIELD: username.strip()}
    ).first()
    if user is None:
        raise serializers.ValidationError(
            _("Unknown user: %(name)s") % {"name": username}
        )
    return user


def request_data(request) -> Any:
    """The request body as plain data. Form and multipart bodies become a dict
    with JSON's meaning (a missing boolean is missing, not false); their list
    fields are repeated or JSON-encoded."""
    data = request.data
    if not hasattr(data, "getlist"):
        return data
    result: dict[str, Any] = {}
    for key in data:
        values = data.getlist(key)
        if key not in LIST_FIELDS:
            result[key] = values[-1]
        elif len(values) == 1 and str(values[0]).lstrip().startswith("["):
            try:
                result[key] = json.loads(values[0])
            except ValueError:
                raise exceptions.ValidationError(
                    {key: [_("This is not valid JSON.")]}
                ) from None
        else:
            result[key] = values
    return result


def body_html(text: str) -> str:
    """The body as rich text: HTML keeps what the editor allows (no scripts, no
    event handlers), plain text becomes one paragraph per line."""
    if not text.strip():
        return ""
    if _HTML_TAG_RE.search(text):
        features = DocumentPage._meta.get_field("body").features
        return EditorHTMLConverter(features=features).to_database_format(text)
    return "".join(
        f"<p>{html.escape(line.strip(), quote=False)}</p>"
        for line in text.splitlines()
        if line.strip()
    )
