"""What can go wrong with an import: the register, a row, or the whole import."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

__all__ = ["ImportFailed", "RegisterError", "RowError"]


class RegisterError(Exception):
    """The register as a whole cannot be read (format, encoding, headings)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class RowError:
    """One problem with one row (``row`` None: the register or the user)."""

    row: int | None
    label: str
    """The row's document number, or its title when it has no number."""
    reason: str

    def __str__(self) -> str:
        if self.row is None:
            return self.reason
        return _("Row %(row)s (%(number)s): %(reason)s") % {
            "row": self.row,
            "number": self.label or "-",
            "reason": self.reason,
        }


class ImportFailed(Exception):
    """The import was refused or rolled back; ``errors`` says why."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors
