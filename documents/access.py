"""Who may read a document, and the other names staff find it by.

Both are set by document control, take effect at once (not with the next
issue) and leave one log entry on the document, like every state change in
:mod:`documents.services`. Search re-indexes the document on the change.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from . import permissions
from .models import Department, DocumentPage
from .models.pages import split_aliases

ALIASES_MAX_LENGTH = DocumentPage._meta.get_field("other_names").max_length


def document_set_access(
    *,
    user,
    document: DocumentPage,
    confidential: bool,
    reader_departments: Iterable[Department] = (),
) -> DocumentPage:
    """Restrict ``document`` to its department and ``reader_departments``
    (``confidential=True``), or open it to all staff again."""
    if not permissions.can_manage_access(user, document):
        raise PermissionDenied
    readers = sorted({d.pk: d for d in reader_departments}.values(), key=str)
    with transaction.atomic():
        page = DocumentPage.objects.select_for_update().get(pk=document.pk)
        before = (
            page.confidential,
            sorted(page.reader_departments.values_list("pk", flat=True)),
        )
        after = (bool(confidential), sorted(d.pk for d in readers))
        if before == after:
            return page
        page.confidential = bool(confidential)
        page.save(update_fields=["confidential"])
        page.reader_departments.set(readers)
        log(
            instance=page,
            action="shoukong.documents.access",
            user=user,
            data={
                "confidential": page.confidential,
                "reader_departments": [d.name for d in readers],
            },
        )
    document.confidential = page.confidential
    return page


def document_set_aliases(*, user, document: DocumentPage, aliases: str) -> DocumentPage:
    """Set the other names of ``document`` (``"运行服务单、服务工作单"``)."""
    if not permissions.can_manage_access(user, document):
        raise PermissionDenied
    names = split_aliases(aliases)
    text = "、".join(names)
    if len(text) > ALIASES_MAX_LENGTH:
        raise ValidationError(
            _("The aliases are too long: at most %(limit)d characters.")
            % {"limit": ALIASES_MAX_LENGTH},
            code="aliases_too_long",
        )
    with transaction.atomic():
        page = DocumentPage.objects.select_for_update().get(pk=document.pk)
        if page.other_names == text:
            return page
        old = page.alias_list
        page.other_names = text
        page.save(update_fields=["other_names"])
        log(
            instance=page,
            action="shoukong.documents.aliases",
            user=user,
            data={"before": old, "after": names},
        )
    document.other_names = text
    return page
