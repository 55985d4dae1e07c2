"""Evidence files attached to something other than a record (a corrective
action's implementation, a checklist item): checked by their bytes, then
written file first, row second, so a failure leaves no file behind."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils import timezone

from . import files

__all__ = ["check_uploads", "store_evidence"]


def check_uploads(
    uploads: Sequence[tuple[str, bytes]], *, max_bytes: int
) -> list[tuple[files.CheckedUpload, bytes]]:
    """Every file checked before anything is written (type sniffed from the
    bytes, size capped); a refusal is a ValidationError with its reason."""
    checked = []
    for filename, data in uploads:
        try:
            result = files.check_upload(
                data=data, filename=filename, max_bytes=max_bytes
            )
        except files.UploadRefused as exc:
            raise ValidationError(str(exc)) from None
        checked.append((result, data))
    return checked


def store_evidence(model, checked, *, user, **fields) -> list:
    """One ``model`` row per checked file (its ``file``, ``name``,
    ``content_type``, ``size``, ``sha256``, ``uploaded_by``, ``uploaded_at``
    and ``fields``); if a row fails, no file written here stays."""
    stored = []
    written: list[tuple[object, str]] = []
    try:
        for result, data in checked:
            evidence = model(
                name=result.filename,
                content_type=result.content_type,
                size=result.size,
                sha256=result.sha256,
                uploaded_by=user,
                uploaded_at=timezone.now(),
                **fields,
            )
            evidence.file.save(result.filename, ContentFile(data), save=False)
            written.append((evidence.file.storage, evidence.file.name))
            evidence.save()
            stored.append(evidence)
    except Exception:
        for storage, name in written:
            storage.delete(name)
        raise
    return stored
