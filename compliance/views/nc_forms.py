"""The forms of the nonconformity pages: the list's filters, raising a
nonconformity, and one form per step of its action.

They only parse what was sent; the services in
:mod:`compliance.nonconformities` decide whether the step is allowed.
"""

from __future__ import annotations

import re
from datetime import date

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from documents import numbering
from documents.models import Department, DocumentPage

from .. import panels, services
from ..lifecycle import NonconformityKind, NonconformitySource, NonconformityStatus
from ..models import NonconformityGrade, Standard

# Document numbers typed in one box: B05, C0501 / B05，C0501 / one per line.
_NUMBER_SEPARATORS = re.compile(r"[\s,，、;；]+")
MAX_DOCUMENTS = 20

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _text(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


def _standard_choices() -> list[tuple[str, str]]:
    return [
        (s.ref_id, f"{s.code} {s.title_zh}")
        for s in Standard.objects.filter(is_active=True)
    ]


def _default_standard() -> str:
    return settings.SHOUKONG_COMPLIANCE_DEFAULT_STANDARD


def user_label(user) -> str:
    name = user.get_full_name()
    return f"{name} ({user.get_username()})" if name else user.get_username()


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return user_label(obj)


# --- The list's filters -----------------------------------------------------------


class NonconformityFilters(forms.Form):
    q = forms.CharField(label=gettext_lazy("Number or summary"), required=False)
    status = forms.ChoiceField(
        label=pgettext_lazy("nonconformity", "Status"), required=False
    )
    standard = forms.ChoiceField(label=gettext_lazy("Standard"), required=False)
    clause = forms.CharField(
        label=gettext_lazy("Clause"),
        required=False,
        max_length=32,
        help_text=gettext_lazy("e.g. 8.5 (its sub-clauses too)"),
    )
    department = forms.ModelChoiceField(
        label=gettext_lazy("Department"),
        queryset=Department.objects.all(),
        required=False,
        empty_label=gettext_lazy("All departments"),
    )
    source = forms.ChoiceField(label=gettext_lazy("Source"), required=False)
    grade = forms.ModelChoiceField(
        label=gettext_lazy("Grade"),
        queryset=NonconformityGrade.objects.all(),
        to_field_name="code",
        required=False,
        empty_label=gettext_lazy("All grades"),
    )
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), required=False)
    open = forms.BooleanField(label=gettext_lazy("Open only"), required=False)
    overdue = forms.BooleanField(label=gettext_lazy("Overdue only"), required=False)
    mine = forms.BooleanField(label=gettext_lazy("Waiting for me"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [
            ("", _("All statuses")),
            *NonconformityStatus.choices,
        ]
        self.fields["standard"].choices = [
            ("", _("Any standard")),
            *_standard_choices(),
        ]
        self.fields["source"].choices = [
            ("", _("All sources")),
            *NonconformitySource.choices,
        ]
        self.fields["kind"].choices = [
            ("", _("Both kinds")),
            *NonconformityKind.choices,
        ]

    def value(self, name: str):
        """A valid filter value, or None (an invalid one is shown, not used)."""
        if not self.is_bound:
            return None
        self.is_valid()
        return self.cleaned_data.get(name) or None

    def apply(self, queryset, *, user, today: date):
        if q := (self.value("q") or "").strip():
            queryset = queryset.filter(Q(number__icontains=q) | Q(title__icontains=q))
        if status := self.value("status"):
            queryset = queryset.filter(status=status)
        if self.value("open"):
            queryset = queryset.open()
        if self.value("overdue"):
            queryset = queryset.overdue(today)
        if clause := (self.value("clause") or "").strip():
            standard = self.value("standard") or _default_standard()
            queryset = queryset.filter(
                Q(clause__ref_id=clause) | Q(clause__ref_id__startswith=f"{clause}."),
                clause__standard__ref_id=standard,
            )
        elif standard := self.value("standard"):
            queryset = queryset.filter(clause__standard__ref_id=standard)
        if department := self.value("department"):
            queryset = queryset.filter(department=department)
        if source := self.value("source"):
            queryset = queryset.filter(source=source)
        if grade := self.value("grade"):
            queryset = queryset.filter(grade=grade)
        if kind := self.value("kind"):
            queryset = queryset.filter(kind=kind)
        if self.value("mine"):
            queryset = panels.waiting_for(user, queryset)
        return queryset

    def query_items(self) -> list[tuple[str, str]]:
        if not self.is_bound:
            return []
        return [
            (name, self.data[name])
            for name in self.fields
            if self.data.get(name) not in (None, "")
        ]


# --- Raising a nonconformity ------------------------------------------------------


def readable_documents(user):
    """The documents a form may name: those ``user`` may read (a restricted
    document they may not read is as unknown as a missing number; without a
    user, every document is)."""
    return DocumentPage.objects.visible_to(user)


class NonconformityForm(forms.Form):
    """What is needed to raise a nonconformity or a potential one."""

    title = forms.CharField(label=gettext_lazy("Summary"), max_length=200)
    facts = forms.CharField(
        label=gettext_lazy("Facts"),
        widget=_text(5),
        help_text=gettext_lazy("What was found, where and when, with the evidence."),
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"),
        choices=NonconformityKind.choices,
        initial=NonconformityKind.CORRECTIVE,
    )
    source = forms.ChoiceField(
        label=gettext_lazy("Source"), choices=NonconformitySource.choices
    )
    grade = forms.ModelChoiceField(
        label=gettext_lazy("Grade"),
        queryset=NonconformityGrade.objects.filter(is_active=True),
        to_field_name="code",
    )
    standard = forms.ChoiceField(label=gettext_lazy("Standard"), required=False)
    clause = forms.CharField(
        label=gettext_lazy("Clause"),
        max_length=32,
        required=False,
        help_text=gettext_lazy("The clause number, e.g. 8.5.1."),
    )
    department = forms.ModelChoiceField(
        label=gettext_lazy("Responsible department"),
        queryset=Department.objects.filter(is_active=True),
    )
    documents = forms.CharField(
        label=gettext_lazy("Documents concerned"),
        required=False,
        max_length=500,
        help_text=gettext_lazy(
            "Document numbers, separated by commas, e.g. B05, C0501."
        ),
    )
    source_reference = forms.CharField(
        label=gettext_lazy("Source reference"),
        max_length=100,
        required=False,
        help_text=gettext_lazy("e.g. the audit, complaint or incident number."),
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["standard"].choices = _standard_choices()
        self.fields["standard"].initial = _default_standard()

    def clean(self):
        cleaned = super().clean()
        ref = (cleaned.get("clause") or "").strip()
        cleaned["clause_obj"] = None
        if ref:
            try:
                cleaned["clause_obj"] = services.clause_for(
                    ref, standard=cleaned.get("standard") or None
                )
            except ValidationError as exc:
                self.add_error("clause", exc)
        return cleaned

    def clean_documents(self) -> list[DocumentPage]:
        raw = self.cleaned_data.get("documents") or ""
        scheme = numbering.get_scheme()
        numbers = []
        for part in _NUMBER_SEPARATORS.split(raw):
            if part and (number := scheme.normalise(part)) not in numbers:
                numbers.append(number)
        if len(numbers) > MAX_DOCUMENTS:
            raise forms.ValidationError(
                _("Name at most %(count)d documents.") % {"count": MAX_DOCUMENTS}
            )
        found = {
            d.number: d
            for d in readable_documents(self.user).filter(number__in=numbers)
        }
        missing = [n for n in numbers if n not in found]
        if missing:
            raise forms.ValidationError(
                _("No document is numbered %(numbers)s.")
                % {"numbers": ", ".join(missing)}
            )
        return [found[n] for n in numbers]


# --- The steps of the action ------------------------------------------------------


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why is it cancelled?"), widget=_text(2)
    )


class PlanForm(forms.Form):
    """纠正和预防措施计划表: target, measures, owner and deadline are required."""

    correction = forms.CharField(
        label=gettext_lazy("Correction made"),
        required=False,
        widget=_text(2),
        help_text=gettext_lazy("What was done at once about the nonconformity."),
    )
    root_cause = forms.CharField(label=gettext_lazy("Root cause"), widget=_text(3))
    target = forms.CharField(label=gettext_lazy("Target to reach"), widget=_text(2))
    actions = forms.CharField(label=gettext_lazy("Action plan"), widget=_text(4))
    owner = UserChoiceField(
        label=gettext_lazy("Implemented by"),
        queryset=get_user_model().objects.none(),
    )
    due_date = forms.DateField(label=gettext_lazy("Due date"), widget=DATE_WIDGET)

    def __init__(self, *args, nonconformity, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = (
            get_user_model()
            .objects.filter(
                is_active=True, staff_profile__department=nonconformity.department
            )
            .order_by("username")
        )


class CommentForm(forms.Form):
    """Accepting a plan (the comment is optional)."""

    comment = forms.CharField(
        label=gettext_lazy("Comment"), required=False, widget=_text(2)
    )


class ReturnForm(forms.Form):
    comment = forms.CharField(
        label=gettext_lazy("Why is the plan returned?"), widget=_text(2)
    )


class ExtensionRequestForm(forms.Form):
    new_due = forms.DateField(label=gettext_lazy("New due date"), widget=DATE_WIDGET)
    reason = forms.CharField(
        label=gettext_lazy("Why is more time needed?"), widget=_text(2)
    )


class ExtensionDecideForm(forms.Form):
    decision = forms.ChoiceField(
        label=gettext_lazy("Decision"),
        choices=[
            ("approve", gettext_lazy("Approve the new due date")),
            ("reject", gettext_lazy("Refuse")),
        ],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=gettext_lazy("Comment"),
        required=False,
        widget=_text(2),
        help_text=gettext_lazy("Required when the extension is refused."),
    )


class ImplementForm(forms.Form):
    description = forms.CharField(label=gettext_lazy("What was done"), widget=_text(3))
    completed_on = forms.DateField(
        label=gettext_lazy("Completed on"),
        required=False,
        widget=DATE_WIDGET,
        help_text=gettext_lazy("Today when left empty."),
    )


class VerifyForm(forms.Form):
    effective = forms.ChoiceField(
        label=gettext_lazy("Was the action effective?"),
        choices=[
            ("yes", pgettext_lazy("verification", "Effective")),
            ("no", gettext_lazy("Not effective: reopen the action")),
        ],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=gettext_lazy("Verification opinion"), widget=_text(3)
    )


class CloseForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Closing note"),
        required=False,
        widget=_text(2),
        help_text=gettext_lazy("Required when a finding is closed without action."),
    )


class ChangeRequestForm(forms.Form):
    document = forms.CharField(
        label=gettext_lazy("Document number"),
        max_length=64,
        help_text=gettext_lazy("e.g. B05"),
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason for the change"), widget=_text(2)
    )
    proposed_change = forms.CharField(
        label=gettext_lazy("Proposed change"), required=False, widget=_text(3)
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_document(self) -> DocumentPage:
        number = numbering.get_scheme().normalise(self.cleaned_data["document"])
        document = readable_documents(self.user).filter(number=number).first()
        if document is None:
            raise forms.ValidationError(
                _("No document is numbered %(numbers)s.") % {"numbers": number}
            )
        return document
