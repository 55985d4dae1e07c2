"""The forms of the meeting, outputs and report pages: the minutes with the
attendance (签到), a decided action, the follow-up of an action, the report's
distribution list and signature.

They only parse what was sent; :mod:`reviews.services` decides whether the
step is allowed and refuses bad input with its own messages (an action
without owner or due date, a meeting in the future).
"""

from __future__ import annotations

from datetime import date

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy, pgettext_lazy

from audits.forms import PeopleField, PersonField, PickList
from compliance.models import NonconformityGrade
from compliance.views.nc_forms import DATE_WIDGET
from documents.models import Department, DocumentPage
from documents.permissions import department_of
from documents.roles import CUSTOMER_REPRESENTATIVE

from .lifecycle import (
    InputSection,
    OutputCategory,
    OutputKind,
    Verdict,
)
from .models import Review

VERDICT_FIELDS = ("suitability", "adequacy", "effectiveness")
CONCLUSION_FIELDS = ("conclusion_system", "conclusion_service", "conclusion_resources")
NOTES_PREFIX = "notes_"


def _text(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


def active_staff():
    """Active users who may read the reviews (not customer representatives)."""
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .exclude(groups__name=CUSTOMER_REPRESENTATIVE)
        .select_related("staff_profile__department")
        .order_by("staff_profile__department__sort_order", "username")
    )


def meeting_sections(review: Review) -> list[str]:
    """The inputs discussed: the sections of the latest pack in its order,
    then any other section already noted; every section without a pack."""
    pack = review.latest_pack()
    known = set(InputSection.values)
    if pack is None:
        codes = list(InputSection.values)
    else:
        codes = [
            s.get("code")
            for s in (pack.data or {}).get("sections", [])
            if s.get("code") in known
        ]
    for section in review.discussions.values_list("section", flat=True):
        if section not in codes and section in known:
            codes.append(section)
    return codes


# --- The meeting --------------------------------------------------------------------


class MeetingForm(forms.Form):
    held_on = forms.DateField(label=gettext_lazy("Held on"), widget=DATE_WIDGET)
    attendees = PeopleField(
        label=gettext_lazy("Invited participants present"),
        queryset=get_user_model().objects.none(),
        required=False,
        widget=PickList(searchable=False),
        help_text=gettext_lazy("Tick everyone invited by the plan who signed in."),
    )
    guests = PeopleField(
        label=gettext_lazy("Other staff present"),
        queryset=get_user_model().objects.none(),
        required=False,
        widget=PickList,
        help_text=gettext_lazy("People who attended without being invited."),
    )
    mr_report = forms.CharField(
        label=gettext_lazy("管理者代表's report"),
        required=False,
        max_length=20000,
        widget=_text(6),
        help_text=gettext_lazy(
            "How the service management system performed over the period."
        ),
    )
    suitability = forms.ChoiceField(
        label=gettext_lazy("Is the system suitable?"),
        choices=Verdict.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    adequacy = forms.ChoiceField(
        label=gettext_lazy("Is the system adequate?"),
        choices=Verdict.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    effectiveness = forms.ChoiceField(
        label=gettext_lazy("Is the system effective?"),
        choices=Verdict.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    conclusion_system = forms.CharField(
        label=gettext_lazy("Conclusion on the system, the policy and the objectives"),
        required=False,
        max_length=20000,
        widget=_text(3),
    )
    conclusion_service = forms.CharField(
        label=gettext_lazy(
            "Conclusion on suppliers, information security and service quality"
        ),
        required=False,
        max_length=20000,
        widget=_text(3),
    )
    conclusion_resources = forms.CharField(
        label=gettext_lazy("Conclusion on resources"),
        required=False,
        max_length=20000,
        widget=_text(3),
    )
    evaluation = forms.CharField(
        label=gettext_lazy("总经理's overall evaluation"),
        required=False,
        max_length=20000,
        widget=_text(4),
    )

    def __init__(self, *args, review: Review, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.review = review
        participants = list(review.participants.select_related("user"))
        invited_ids = [p.user_id for p in participants if p.invited]
        staff = active_staff()
        self.fields["attendees"].queryset = staff.filter(pk__in=invited_ids)
        self.fields["guests"].queryset = staff.exclude(pk__in=invited_ids)
        self.sections = meeting_sections(review)
        notes = dict(review.discussions.values_list("section", "notes"))
        for code in self.sections:
            self.fields[NOTES_PREFIX + code] = forms.CharField(
                label=InputSection(code).label,
                required=False,
                max_length=20000,
                widget=_text(3),
            )
        if not self.is_bound:
            self.initial.setdefault("held_on", self._default_date(today))
            self.initial.setdefault(
                "attendees",
                [p.user_id for p in participants if p.invited and p.attended],
            )
            self.initial.setdefault(
                "guests",
                [p.user_id for p in participants if not p.invited and p.attended],
            )
            for name in (
                *VERDICT_FIELDS,
                *CONCLUSION_FIELDS,
                "mr_report",
                "evaluation",
            ):
                self.initial.setdefault(name, getattr(review, name))
            for code in self.sections:
                self.initial.setdefault(NOTES_PREFIX + code, notes.get(code, ""))

    def _default_date(self, today: date) -> date:
        if self.review.held_on:
            return self.review.held_on
        planned = self.review.planned_date
        return planned if planned and planned <= today else today

    def notes_fields(self) -> list:
        return [self[NOTES_PREFIX + code] for code in self.sections]

    def verdict_fields(self) -> list:
        return [self[name] for name in VERDICT_FIELDS]

    def service_arguments(self) -> dict:
        """The keyword arguments of ``services.meeting_record``."""
        data = self.cleaned_data
        arguments = {
            "held_on": data["held_on"],
            "attendees": [*data["attendees"], *data["guests"]],
            "discussions": {
                code: data.get(NOTES_PREFIX + code, "") for code in self.sections
            },
        }
        for name in (*VERDICT_FIELDS, *CONCLUSION_FIELDS, "mr_report", "evaluation"):
            arguments[name] = data.get(name) or ""
        return arguments


# --- Decided actions ----------------------------------------------------------------


class DocumentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.number} {obj.title}"


def _blank(choices, label) -> list:
    return [("", label), *choices]


class OutputForm(forms.Form):
    """One decision of the meeting as an action. Owner and due date are
    checked by the service, which says what is missing."""

    kind = forms.ChoiceField(
        label=gettext_lazy("Kind of decision"),
        choices=OutputKind.choices,
        initial=OutputKind.IMPROVEMENT,
    )
    category = forms.ChoiceField(
        label=gettext_lazy("Area"),
        choices=_blank(OutputCategory.choices, "—"),
        required=False,
    )
    section = forms.ChoiceField(
        label=gettext_lazy("In answer to"),
        choices=_blank(InputSection.choices, "—"),
        required=False,
        help_text=gettext_lazy("The input of the review this decision answers."),
    )
    description = forms.CharField(
        label=pgettext_lazy("review output", "Decision"),
        required=False,
        max_length=5000,
        widget=_text(3),
        help_text=gettext_lazy("The first line becomes the action's summary."),
    )
    owner = PersonField(
        label=gettext_lazy("Owner"),
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label=gettext_lazy("Choose the owner"),
    )
    department = forms.ModelChoiceField(
        label=gettext_lazy("Responsible department"),
        queryset=Department.objects.none(),
        required=False,
        empty_label=gettext_lazy("The owner's department"),
    )
    coordinator = PersonField(
        label=gettext_lazy("Coordinator"),
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label="—",
        help_text=gettext_lazy(
            "管理者代表 coordinates an action spanning several departments."
        ),
    )
    due_date = forms.DateField(
        label=gettext_lazy("Due date"), required=False, widget=DATE_WIDGET
    )
    document = DocumentChoiceField(
        label=gettext_lazy("Document"),
        queryset=DocumentPage.objects.none(),
        required=False,
        empty_label="—",
        help_text=gettext_lazy(
            "For a document re-issue: a change request is raised for it."
        ),
    )
    grade = forms.ModelChoiceField(
        label=gettext_lazy("Grade"),
        queryset=NonconformityGrade.objects.none(),
        required=False,
        empty_label=gettext_lazy("The default grade"),
        help_text=gettext_lazy(
            "For a corrective action: the grade of the nonconformity raised."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        staff = active_staff()
        self.fields["owner"].queryset = staff
        self.fields["coordinator"].queryset = staff
        self.fields["department"].queryset = Department.objects.filter(is_active=True)
        self.fields["document"].queryset = (
            DocumentPage.objects.controlled().numbered().order_by("number")
        )
        self.fields["grade"].queryset = NonconformityGrade.objects.filter(
            is_active=True
        ).order_by("sort_order", "code")

    def service_arguments(self) -> dict:
        """The keyword arguments of ``services.output_add``."""
        data = self.cleaned_data
        kind = data["kind"]
        owner = data.get("owner")
        return {
            "kind": kind,
            "category": data.get("category") or "",
            "section": data.get("section") or "",
            "description": data.get("description") or "",
            "owner": owner,
            "department": data.get("department")
            or (department_of(owner) if owner is not None else None),
            "coordinator": data.get("coordinator"),
            "due_date": data.get("due_date"),
            "document": data.get("document"),
            "grade": data.get("grade") if kind == OutputKind.CORRECTIVE else None,
        }


class CompleteForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("What was done"), required=False, widget=_text(3)
    )
    completed_on = forms.DateField(
        label=gettext_lazy("Done on"),
        required=False,
        widget=DATE_WIDGET,
        help_text=gettext_lazy("Today if left empty."),
    )


class VerifyForm(forms.Form):
    effective = forms.TypedChoiceField(
        label=gettext_lazy("Result"),
        choices=[
            ("yes", gettext_lazy("Effective: the action is verified")),
            ("no", gettext_lazy("Not effective: back to the owner")),
        ],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=gettext_lazy("Verification opinion"), required=False, widget=_text(3)
    )


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why is the action cancelled?"),
        required=False,
        widget=_text(2),
    )


OUTPUT_ACTION_FORMS: dict[str, type[forms.Form]] = {
    "complete": CompleteForm,
    "verify": VerifyForm,
    "cancel": CancelForm,
}


# --- The report ---------------------------------------------------------------------


class DistributionForm(forms.Form):
    distribution = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Distribution"),
        queryset=Department.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("The departments that receive the approved report."),
    )

    def __init__(self, *args, review: Review, default_names=(), **kwargs):
        super().__init__(*args, **kwargs)
        departments = Department.objects.filter(is_active=True).order_by(
            "sort_order", "name"
        )
        self.fields["distribution"].queryset = departments
        if not self.is_bound:
            chosen = list(review.distribution.values_list("pk", flat=True))
            if not chosen:
                names = set(default_names)
                names.update(
                    d.name
                    for d in Department.objects.filter(
                        pk__in=review.participants.filter(
                            department__isnull=False
                        ).values("department")
                    )
                )
                chosen = [d.pk for d in departments if d.name in names]
            self.initial["distribution"] = chosen


class SignForm(forms.Form):
    comment = forms.CharField(
        label=pgettext_lazy("signature", "Comment"), required=False, widget=_text(2)
    )
