"""Writing a draft from a request: the first revision of a new document, or a
new revision of an existing draft (the next issue is prepared this way; it is
released only through its approval chain)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable

from django.db import transaction
from django.utils.translation import gettext as _
from rest_framework import serializers

from .. import extraction, permissions, services
from ..lifecycle import InvalidTransition
from ..models import DistributionListEntry, DocumentPage, FormFieldDefinition
from ..models.formfields import pinyin_name
from .base import PAGE_CLASSES, PAGE_FIELDS


def form_fields_build(
    specs: list[dict], *, current: Iterable[FormFieldDefinition] = ()
) -> list[FormFieldDefinition]:
    """The fields of a form's draft, in the order given, from validated
    :class:`~.serializers.FormFieldInputSerializer` data.

    A field of ``current`` (the draft's fields) given again under the same label
    is kept, with its name: records already filled keep matching it even if its
    label was changed since it was named."""
    existing = {field.label: field for field in current}
    fields: list[FormFieldDefinition] = []
    for order, spec in enumerate(specs):
        field = existing.pop(spec["label"], None) or FormFieldDefinition(
            label=spec["label"]
        )
        field.clean_name = field.clean_name or pinyin_name(field.label)
        field.field_type = spec["field_type"]
        field.required = spec["required"]
        field.choices = spec["choices"]
        field.default_value = spec["default_value"]
        field.help_text = spec["help_text"]
        field.sort_order = order
        fields.append(field)
    seen: dict[str, str] = {}
    for field in fields:
        if field.clean_name in seen:
            raise serializers.ValidationError(
                {
                    "form_fields": [
                        _(
                            "“%(label)s” and “%(other)s” would both be stored as "
                            "“%(name)s”; change one of the labels."
                        )
                        % {
                            "label": field.label,
                            "other": seen[field.clean_name],
                            "name": field.clean_name,
                        }
                    ]
                }
            )
        seen[field.clean_name] = field.label
    return fields


# --- creating a draft --------------------------------------------------------------


def extract_upload(upload) -> tuple[str, bytes, extraction.ExtractionResult]:
    """Read an uploaded source file and extract its text in a resource-limited
    child process, before anything is written (an untrusted file)."""
    limits = extraction.Limits.from_settings()
    if upload.size > limits.max_file_bytes:
        raise extraction.ExtractionError("too_large")
    filename = os.path.basename(upload.name or "") or "source"
    content = b"".join(upload.chunks())
    with tempfile.TemporaryDirectory(prefix="shoukong-upload-") as folder:
        path = os.path.join(folder, "upload")
        with open(path, "wb") as handle:
            handle.write(content)
        result = extraction.extract_file_isolated(
            path, limits=limits, filename=filename
        )
    return filename, content, result


def document_create_from(*, user, data: dict) -> DocumentPage:
    """A draft from validated :class:`DocumentCreateSerializer` data, with its
    departments involved, distribution list and (a form) its fields in its
    first revision."""
    upload = data.get("source_file")
    source = extract_upload(upload) if upload is not None else None
    fields = {name: data[name] for name in PAGE_FIELDS if name in data}
    with transaction.atomic():
        parent = data.get("parent") or services.library_ensure()
        page = services.document_create(
            user=user,
            parent=parent,
            page_class=PAGE_CLASSES[data["kind"]],
            title=data["title"],
            department=data["department"],
            **fields,
        )
        changed = False
        if data.get("involved_departments"):
            page.involved_departments.set(data["involved_departments"])
            changed = True
        for entry in data.get("distribution") or []:
            page.distribution_list.add(DistributionListEntry(**entry))
            changed = True
        if "form_fields" in data:
            page.form_fields.set(form_fields_build(data["form_fields"]))
            changed = True
        if source is not None:
            filename, content, result = source
            # Saves a revision with the changes above.
            services.document_attach_source(
                user=user,
                document=page,
                filename=filename,
                content=content,
                text=result.text,
                sha256=result.sha256,
            )
        elif changed:
            page.save_revision(user=user)
    return page


def document_revise_from(*, user, page: DocumentPage, data: dict) -> DocumentPage:
    """Save a new revision of ``page``'s draft with ``data`` applied (the next
    issue is prepared this way; it is released only through the chain)."""
    permissions.ensure_can_edit_document(user, page)
    if page.workflow_in_progress:
        raise InvalidTransition(_("in approval"), _("changed"), _("Document"))
    upload = data.get("source_file")
    source = extract_upload(upload) if upload is not None else None
    with transaction.atomic():
        draft = page.get_latest_revision_as_object()
        for name in ("title", "department", *PAGE_FIELDS):
            if name in data:
                setattr(draft, name, data[name])
        if "involved_departments" in data:
            draft.involved_departments.set(data["involved_departments"])
        if "distribution" in data:
            draft.distribution_list.set(
                [DistributionListEntry(**entry) for entry in data["distribution"]]
            )
        if "form_fields" in data:
            # The whole list is replaced; fields given again keep their names.
            draft.form_fields.set(
                form_fields_build(data["form_fields"], current=draft.form_fields.all())
            )
        if source is not None:
            filename, content, result = source
            services.document_attach_source(
                user=user,
                document=draft,
                filename=filename,
                content=content,
                text=result.text,
                sha256=result.sha256,
            )
        else:
            draft.save_revision(user=user, log_action=True)
    return DocumentPage.objects.get(pk=page.pk).specific
