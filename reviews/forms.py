"""The forms of the plan pages (reviews.views.plans): the review plan
(管理评审计划) with its participants and its input assignments, the
comments and reasons of the plan's steps, and the follow-up tracker's filters.

They only parse what was sent; :mod:`reviews.services` decides whether the
step is allowed and refuses bad input with its own messages.
"""

from __future__ import annotations

from datetime import date

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from audits.forms import PickList, person_label
from compliance.views.nc_forms import DATE_WIDGET, UserChoiceField
from documents.models import Department
from documents.permissions import department_of
from documents.roles import CUSTOMER_REPRESENTATIVE

from .lifecycle import InputSection, ReviewKind, ReviewTrigger
from .models import Review


def _text(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


def staff_users():
    """Active members of staff: who may take part in a review."""
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .exclude(groups__name=CUSTOMER_REPRESENTATIVE)
        .select_related("staff_profile__department")
        .order_by("staff_profile__department__sort_order", "username")
    )


def _grouped_by_department(users) -> list:
    groups: dict[str, list] = {}
    for user in users:
        department = department_of(user)
        key = department.name if department else _("No department")
        groups.setdefault(key, []).append((user.pk, person_label(user)))
    return list(groups.items())


class PeopleField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return person_label(obj)


class PersonField(UserChoiceField):
    def label_from_instance(self, obj) -> str:
        return person_label(obj)


def _cell_name(section: str, department_pk: int) -> str:
    return f"assign__{section}__{department_pk}"


def _due_name(section: str) -> str:
    return f"due__{section}"


class PlanForm(forms.Form):
    """What review_create needs; with ``review``, what review_update changes.
    The input assignments are a grid: a checkbox per input section and
    department, and a due date per section."""

    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=ReviewKind.choices)
    trigger = forms.ChoiceField(
        label=gettext_lazy("Trigger"),
        required=False,
        help_text=gettext_lazy("For an extra review: the event that calls for it."),
    )
    trigger_note = forms.CharField(
        label=gettext_lazy("What happened"),
        required=False,
        widget=_text(2),
    )
    title = forms.CharField(
        label=gettext_lazy("Title"),
        max_length=200,
        required=False,
        help_text=gettext_lazy(
            "Left empty: “<year> annual management review” or “Extra management "
            "review of <date>”."
        ),
    )
    planned_date = forms.DateField(
        label=gettext_lazy("Meeting date"), widget=DATE_WIDGET
    )
    location = forms.CharField(
        label=gettext_lazy("Place"), max_length=200, required=False
    )
    chair = PersonField(
        label=gettext_lazy("Chair"),
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label=gettext_lazy("The general manager"),
    )
    period_start = forms.DateField(
        label=gettext_lazy("Period from"),
        widget=DATE_WIDGET,
        required=False,
        help_text=gettext_lazy(
            "The period the input pack covers. Left empty: from the day after the "
            "previous review's period (or twelve months back) to the meeting date."
        ),
    )
    period_end = forms.DateField(
        label=gettext_lazy("Period to"), widget=DATE_WIDGET, required=False
    )
    purpose = forms.CharField(
        label=gettext_lazy("Purpose"),
        required=False,
        widget=_text(3),
    )
    criteria = forms.CharField(
        label=gettext_lazy("Criteria"),
        required=False,
        widget=_text(2),
    )
    agenda = forms.CharField(
        label=gettext_lazy("Agenda"),
        required=False,
        widget=_text(8),
    )
    materials = forms.CharField(
        label=gettext_lazy("Material to provide"),
        required=False,
        widget=_text(3),
    )
    participants = PeopleField(
        label=gettext_lazy("Participants"),
        queryset=get_user_model().objects.none(),
        required=False,
        widget=PickList,
        help_text=gettext_lazy("The chair takes part in any case."),
    )

    TEXTS = ("title", "location", "purpose", "criteria", "agenda", "materials")

    def __init__(self, *args, review: Review | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.review = review
        users = list(staff_users())
        self.fields["participants"].queryset = staff_users()
        self.fields["participants"].choices = _grouped_by_department(users)
        self.fields["chair"].queryset = staff_users()
        self.fields["trigger"].choices = [("", "—"), *ReviewTrigger.choices]
        if review is None:
            blank = gettext_lazy("Left empty: the standard text.")
            for name in ("purpose", "criteria", "agenda"):
                self.fields[name].help_text = blank
        self.departments = list(Department.objects.filter(is_active=True))
        for section in InputSection.values:
            for department in self.departments:
                self.fields[_cell_name(section, department.pk)] = forms.BooleanField(
                    required=False, label=department.name
                )
            self.fields[_due_name(section)] = forms.DateField(
                required=False,
                label=gettext_lazy("Due date"),
                widget=DATE_WIDGET,
            )

    # --- Initial values ---------------------------------------------------------------

    @staticmethod
    def initial_for(review: Review) -> dict:
        initial = {
            "kind": review.kind,
            "trigger": review.trigger,
            "trigger_note": review.trigger_note,
            "title": review.title,
            "planned_date": review.planned_date,
            "location": review.location,
            "chair": review.chair_id,
            "period_start": review.period_start,
            "period_end": review.period_end,
            "purpose": review.purpose,
            "criteria": review.criteria,
            "agenda": review.agenda,
            "materials": review.materials,
            "participants": [
                p.user_id for p in review.participants.filter(invited=True)
            ],
        }
        for assignment in review.assignments.all():
            initial[_cell_name(assignment.section, assignment.department_id)] = True
            if assignment.due_date:
                initial.setdefault(_due_name(assignment.section), assignment.due_date)
        return initial

    # --- The grid ---------------------------------------------------------------------

    def grid_rows(self) -> list[dict]:
        """A row per input section: its label, a checkbox per department, its
        due date."""
        return [
            {
                "section": section,
                "label": label,
                "cells": [self[_cell_name(section, d.pk)] for d in self.departments],
                "due": self[_due_name(section)],
            }
            for section, label in InputSection.choices
        ]

    def assignments(self) -> list[tuple[str, Department, date | None]]:
        data = self.cleaned_data
        rows = []
        for section in InputSection.values:
            due = data.get(_due_name(section))
            for department in self.departments:
                if data.get(_cell_name(section, department.pk)):
                    rows.append((section, department, due))
        return rows

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == ReviewKind.EXTRA:
            if not cleaned.get("trigger"):
                self.add_error(
                    "trigger", _("An extra review needs the event that calls for it.")
                )
        else:
            cleaned["trigger"] = ""
        start, end = cleaned.get("period_start"), cleaned.get("period_end")
        if isinstance(start, date) and isinstance(end, date) and end < start:
            self.add_error("period_end", _("The period must start before it ends."))
        return cleaned

    # --- What goes to the services ----------------------------------------------------

    def create_arguments(self) -> dict:
        data = self.cleaned_data
        blank_is_default = {
            name: (data.get(name) or "").strip() or None
            for name in ("purpose", "criteria", "agenda")
        }
        return {
            "planned_date": data["planned_date"],
            "kind": data["kind"],
            "trigger": data.get("trigger") or "",
            "trigger_note": data.get("trigger_note") or "",
            "title": data.get("title") or "",
            "location": data.get("location") or "",
            "chair": data.get("chair"),
            "period_start": data.get("period_start"),
            "period_end": data.get("period_end"),
            "materials": data.get("materials") or "",
            "participants": list(data.get("participants") or []),
            "assignments": self.assignments(),
            **blank_is_default,
        }

    def update_arguments(self) -> dict:
        """Everything the form holds, for review_update; the title falls back
        to the current one when emptied."""
        arguments = self.create_arguments()
        data = self.cleaned_data
        for name in ("purpose", "criteria", "agenda"):
            arguments[name] = data.get(name) or ""
        if not arguments["title"].strip():
            arguments["title"] = self.review.title
        return arguments


# --- The plan's steps -----------------------------------------------------------------


class EmptyForm(forms.Form):
    pass


class SignForm(forms.Form):
    comment = forms.CharField(
        label=gettext_lazy("Comment"),
        required=False,
        widget=_text(2),
    )


class ReturnForm(forms.Form):
    # Required by the service (plan_sign), which says why in its words.
    comment = forms.CharField(
        label=gettext_lazy("Why is it returned?"),
        required=False,
        widget=_text(3),
    )


class ReviseForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason for the revision"),
        required=False,
        widget=_text(3),
    )


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason for cancelling"),
        required=False,
        widget=_text(3),
    )


# --- The follow-up tracker's filters --------------------------------------------------


class ActionFilters(forms.Form):
    STATES = (
        ("open", pgettext_lazy("review output", "Open")),
        ("overdue", gettext_lazy("Overdue")),
        ("all", gettext_lazy("All")),
    )

    state = forms.ChoiceField(
        label=gettext_lazy("Show"), choices=STATES, required=False
    )
    department = forms.ModelChoiceField(
        label=gettext_lazy("Responsible department"),
        queryset=Department.objects.all(),
        required=False,
        empty_label=gettext_lazy("All departments"),
    )
    review = forms.ChoiceField(
        label=pgettext_lazy("management review", "Review"), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        numbers = (
            Review.objects.filter(outputs__isnull=False)
            .distinct()
            .order_by("-planned_date", "-id")
            .values_list("number", flat=True)
        )
        self.fields["review"].choices = [
            ("", _("All reviews")),
            *((n, n) for n in numbers),
        ]

    def value(self, name: str):
        if not self.is_bound or not self.is_valid():
            return self.fields[name].initial if name != "state" else "open"
        value = self.cleaned_data.get(name)
        if name == "state":
            return value or "open"
        return value
