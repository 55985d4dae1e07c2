"""The forms of the clause pages: trace a document to a clause, state whether a
clause applies, and read a changed function allocation matrix.

They only parse what was sent; the services in :mod:`compliance.services`
decide whether the change is allowed.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from documents import numbering
from documents.models import DocumentPage
from documents.permissions import can_read_document

from ..lifecycle import ResponsibilityLevel


class DocumentLinkForm(forms.Form):
    """Trace a document, named by its number, to the clause."""

    number = forms.CharField(
        label=gettext_lazy("Document number"),
        max_length=64,
        help_text=gettext_lazy("e.g. B05"),
    )
    note = forms.CharField(
        label=gettext_lazy("How it meets the clause"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_number(self) -> DocumentPage:
        raw = self.cleaned_data["number"]
        number = numbering.get_scheme().normalise(raw)
        document = DocumentPage.objects.filter(number=number).first()
        if document is None or (
            self.user is not None and not can_read_document(self.user, document)
        ):
            # (A restricted document one may not open answers as none: the
            # error must not tell that the number exists.)
            raise forms.ValidationError(
                _("No document is numbered %(number)s.") % {"number": number}
            )
        return document


class ApplicabilityForm(forms.Form):
    """The statement of applicability for one clause."""

    applicable = forms.BooleanField(
        label=gettext_lazy("The clause applies to the company"), required=False
    )
    justification = forms.CharField(
        label=gettext_lazy("Justification"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Required when the clause is excluded."),
    )


# --- The function allocation matrix --------------------------------------------------

CELL_RE = re.compile(r"^cell-(\d+)-(\d+)$")
CELL_VALUES = {"", *ResponsibilityLevel.values}


def cell_name(clause_id: int, department_id: int) -> str:
    return f"cell-{clause_id}-{department_id}"


def matrix_version(cells: dict[tuple[int, int], str]) -> str:
    """A fingerprint of the matrix as shown: an edit made from an older page
    is refused rather than merged."""
    text = ";".join(f"{c}:{d}:{level}" for (c, d), level in sorted(cells.items()))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class CellChange:
    clause_id: int
    department_id: int
    before: str
    after: str


def matrix_changes(
    data,
    *,
    cells: dict[tuple[int, int], str],
    clause_ids: set[int],
    department_ids: set[int],
) -> tuple[list[CellChange], list[str]]:
    """The cells of a submitted matrix that differ from ``cells`` (the current
    state), and the reasons to refuse the whole submission, if any."""
    errors: list[str] = []
    if data.get("version") != matrix_version(cells):
        errors.append(
            _(
                "The matrix changed since you opened it. Nothing was saved: "
                "reload the page and make your changes again."
            )
        )
        return [], errors
    changes: list[CellChange] = []
    for key in data:
        match = CELL_RE.match(key)
        if match is None:
            continue
        clause_id, department_id = int(match[1]), int(match[2])
        value = data.get(key, "")
        if (
            clause_id not in clause_ids
            or department_id not in department_ids
            or value not in CELL_VALUES
        ):
            errors.append(
                _(
                    "The form holds a cell that does not exist or a value that "
                    "is not ★, ☆ or empty. Nothing was saved: reload the page."
                )
            )
            return [], errors
        before = cells.get((clause_id, department_id), "")
        if value != before:
            changes.append(CellChange(clause_id, department_id, before, value))
    return changes, errors
