"""What an import will do (the plan) and what it did (the report)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Final

from django.utils.translation import gettext as _

from ..extraction import ExtractionResult
from ..lifecycle import DocumentKind
from ..models import (
    Department,
    DocumentPage,
    ExternalDocumentPage,
    FormPage,
    ManualPage,
    OtherDocumentPage,
    ProcedurePage,
    WorkInstructionPage,
)
from .errors import RowError
from .registers import RegisterRow

__all__ = [
    "CREATE",
    "PAGE_CLASS_OF_KIND",
    "UNCHANGED",
    "ImportPlan",
    "ImportReport",
    "PlannedDocument",
    "Progress",
    "RowOutcome",
]

Progress = Callable[[str, int, int], None]
"""``progress(phase, done, total)``; phase is ``"extract"`` or ``"import"``."""


CREATE: Final = "create"
UNCHANGED: Final = "unchanged"


PAGE_CLASS_OF_KIND: Final[dict[str, type[DocumentPage]]] = {
    DocumentKind.MANUAL: ManualPage,
    DocumentKind.PROCEDURE: ProcedurePage,
    DocumentKind.INSTRUCTION: WorkInstructionPage,
    DocumentKind.FORM: FormPage,
    DocumentKind.EXTERNAL: ExternalDocumentPage,
    DocumentKind.OTHER: OtherDocumentPage,
}


@dataclass
class PlannedDocument:
    """What one valid row will do."""

    source: RegisterRow
    kind: DocumentKind
    title: str
    department: Department
    action: str = CREATE
    """``"create"`` or ``"unchanged"``."""
    number: str | None = None
    """Canonical number from the register; None: assigned on creation."""
    parent_number: str | None = None
    label: str | None = None
    """The issue to create (None: imported as a draft, or external)."""
    publish_date: date | None = None
    effective_date: date | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    """Further page fields (description, retention period, issuer …)."""
    file: Path | None = None
    extraction: ExtractionResult | None = None
    existing: DocumentPage | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def row(self) -> int:
        return self.source.row

    @property
    def page_class(self) -> type[DocumentPage]:
        return PAGE_CLASS_OF_KIND[self.kind]


@dataclass
class ImportPlan:
    register: str
    """The register's file name (recorded in the audit log)."""
    documents: list[PlannedDocument] = field(default_factory=list)
    """Valid rows, in the order they will be created."""
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def to_create(self) -> list[PlannedDocument]:
        return [d for d in self.documents if d.action == CREATE]

    @property
    def unchanged(self) -> list[PlannedDocument]:
        return [d for d in self.documents if d.action == UNCHANGED]


@dataclass
class RowOutcome:
    document: PlannedDocument
    status: str
    """``"created"``, ``"would_create"`` or ``"unchanged"``."""
    page: DocumentPage | None = None
    number: str | None = None
    issue_label: str | None = None
    characters: int = 0

    @property
    def row(self) -> int:
        return self.document.row

    def describe(self) -> str:
        """One line for the command's output, e.g. ``B05 文件控制程序: created
        (issue A, 4,067 characters of text)``."""
        number = self.number or self.document.number
        name = f"{number} {self.document.title}" if number else self.document.title
        if self.status == UNCHANGED:
            return _("%(document)s: unchanged") % {"document": name}
        details = []
        if self.issue_label:
            details.append(_("issue %(label)s") % {"label": self.issue_label})
        elif self.document.kind == DocumentKind.EXTERNAL:
            details.append(_("external document"))
        else:
            details.append(_("draft without an issue: no publish date"))
        if self.document.extraction is not None:
            details.append(
                _("%(count)s characters of text")
                % {"count": f"{len(self.document.extraction.text):,}"}
            )
        template = (
            _("%(document)s: would create (%(details)s)")
            if self.status == "would_create"
            else _("%(document)s: created (%(details)s)")
        )
        return template % {"document": name, "details": ", ".join(details)}


@dataclass
class ImportReport:
    register: str
    outcomes: list[RowOutcome]
    dry_run: bool = False

    @property
    def created(self) -> int:
        return sum(o.status in ("created", "would_create") for o in self.outcomes)

    @property
    def unchanged(self) -> int:
        return sum(o.status == UNCHANGED for o in self.outcomes)

    @property
    def with_text(self) -> int:
        return sum(
            o.status != UNCHANGED
            and o.document.extraction is not None
            and bool(o.document.extraction.text.strip())
            for o in self.outcomes
        )

    def summary(self) -> str:
        if not self.created:
            return _(
                "Nothing to import: all %(count)s documents are already in the library."
            ) % {"count": self.unchanged}
        template = (
            _("would create %(created)s, unchanged %(unchanged)s, with text %(text)s")
            if self.dry_run
            else _("created %(created)s, unchanged %(unchanged)s, with text %(text)s")
        )
        return template % {
            "created": self.created,
            "unchanged": self.unchanged,
            "text": self.with_text,
        }
