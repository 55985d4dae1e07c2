"""Reading the report and the minutes as frozen on the report's approval:
the pages, the API and the filing all read them here, checked against the
SHA-256 taken when they were frozen."""

from __future__ import annotations

import hashlib

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

__all__ = ["FrozenFileAltered", "FrozenFileMissing", "frozen_bytes"]


class FrozenFileMissing(ValidationError):
    def __init__(self) -> None:
        super().__init__(
            _(
                "The approved file is missing from the records store; ask the "
                "administrator to restore it from the backup."
            )
        )


class FrozenFileAltered(ValidationError):
    def __init__(self) -> None:
        super().__init__(
            _(
                "The approved file in the records store does not match its SHA-256; "
                "ask the administrator to restore it from the backup."
            )
        )


def frozen_bytes(field, sha256: str) -> bytes:
    """The approved file's bytes, checked against the hash taken on approval."""
    if not field:
        raise FrozenFileMissing
    try:
        with field.open("rb") as frozen:
            data = frozen.read()
    except OSError:
        raise FrozenFileMissing from None
    if sha256 and hashlib.sha256(data).hexdigest() != sha256:
        raise FrozenFileAltered
    return data
