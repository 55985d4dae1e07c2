"""The forms of the checklist page: adding a question of the auditor's own,
writing up a finding from a nonconforming or observation item, and reading
what a save of one item sends (JSON from the page's script or a plain form).

They only parse what was sent; :mod:`audits.services` decides whether the
step is allowed.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from compliance.models import NonconformityGrade
from documents.models import DocumentPage
from documents.permissions import RESTRICTED_DOCUMENT, restricted_ids

from .lifecycle import ItemResult
from .models import Audit, ChecklistItem


class ClauseChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.ref_id} {obj.title_zh}"


class DepartmentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.name


class AddItemForm(forms.Form):
    """A question of the auditor's own, for a clause in scope and an audited
    department."""

    clause = ClauseChoiceField(label=_("Clause"), queryset=None)
    department = DepartmentChoiceField(label=_("Department"), queryset=None)
    question = forms.CharField(
        label=_("Question"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, audit: Audit, **kwargs):
        super().__init__(*args, prefix="add", **kwargs)
        self.fields["clause"].queryset = audit.scope_clauses()
        self.fields["department"].queryset = audit.departments.order_by(
            "sort_order", "name"
        )


def document_label(document: dict) -> str:
    label = f"{document.get('number', '')} {document.get('title', '')}".strip()
    issue = document.get("issue")
    return f"{label} ({issue})" if issue else label


class FindingForm(forms.Form):
    """不符合报告 / 建议改进项 written up from a checklist item: a nonconforming
    item takes a nonconformity grade, an observation one that is not."""

    title = forms.CharField(label=_("Summary"), max_length=200)
    facts = forms.CharField(
        label=_("Facts found"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("What was seen, where, and the records looked at."),
    )
    grade = forms.ModelChoiceField(
        label=_("Grade"), queryset=NonconformityGrade.objects.none(), empty_label=None
    )
    documents = forms.MultipleChoiceField(
        label=_("Documents concerned"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, item: ChecklistItem, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.item = item
        self.fields["grade"].queryset = NonconformityGrade.objects.filter(
            is_active=True,
            is_nonconformity=item.result == ItemResult.NONCONFORMING,
        ).order_by("sort_order", "code")
        snapshot = [d for d in item.documents if d.get("id")]
        # A restricted document the writer may not open can be named, not shown.
        hidden = restricted_ids(user, [d["id"] for d in snapshot])
        self.fields["documents"].choices = [
            (
                str(d["id"]),
                RESTRICTED_DOCUMENT if d["id"] in hidden else document_label(d),
            )
            for d in snapshot
        ]

    def cleaned_documents(self):
        """The documents ticked that still exist."""
        ids = [int(i) for i in self.cleaned_data.get("documents") or []]
        return list(DocumentPage.objects.filter(pk__in=ids))


# --- Saving one item: JSON from the page's script, or a plain form ------------------


class BadRequest(Exception):
    """What was sent cannot be read (a 400)."""


def item_payload(request) -> dict[str, Any]:
    """The fields sent, from a JSON body or a form."""
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            raise BadRequest(gettext("The request could not be read.")) from None
        if not isinstance(data, dict):
            raise BadRequest(gettext("The request could not be read."))
        return data
    return {key: request.POST.get(key) for key in request.POST}


def _as_text(value, field: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadRequest(gettext("%(field)s must be text.") % {"field": field})
    return value


def item_changes(item: ChecklistItem, data: dict) -> dict[str, Any]:
    """The service's keyword arguments for what ``data`` changes on ``item``
    (a field sent unchanged is left out, so a plain form that carries every
    field saves only what the auditor touched)."""
    changes: dict[str, Any] = {}
    version = data.get("version")
    if version not in (None, ""):
        try:
            changes["version"] = int(version)
        except (TypeError, ValueError, OverflowError):
            raise BadRequest(gettext("The version must be a number.")) from None
    question = _as_text(data.get("question"), "question")
    if question is not None and question.strip() != item.question:
        changes["question"] = question
    result = _as_text(data.get("result"), "result")
    if result is not None and result != item.result:
        changes["result"] = result
    evidence = _as_text(data.get("evidence"), "evidence")
    if evidence is not None:
        evidence = evidence.replace("\r\n", "\n")
        if evidence.strip() != item.evidence:
            changes["evidence"] = evidence
    if "auditor" in data:
        raw = data.get("auditor")
        if raw in (None, ""):
            auditor = None
        else:
            try:
                pk = int(raw)
            except (TypeError, ValueError, OverflowError):
                raise BadRequest(gettext("Unknown auditor.")) from None
            auditor = get_user_model().objects.filter(pk=pk, is_active=True).first()
            if auditor is None:
                raise BadRequest(gettext("Unknown auditor."))
        if (auditor.pk if auditor else None) != item.auditor_id:
            changes["auditor"] = auditor
    return changes
