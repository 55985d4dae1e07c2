"""The forms of the objectives pages: an objective or indicator, one measured
value, the .xlsx import.

They only parse what was sent; :func:`reviews.services.objective_save`,
:func:`~reviews.services.measurement_record` and
:func:`~reviews.services.measurements_import` decide (a value out of range, a
period not readable for the objective's frequency, a correction without a
reason are refused there).
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from documents.models import Department

from .lifecycle import Comparison, Frequency, MeasureKind
from .models import Objective


class ObjectiveForm(forms.Form):
    code = forms.SlugField(
        label=gettext_lazy("Code"),
        max_length=32,
        help_text=gettext_lazy(
            "Letters, digits and hyphens, e.g. response-rate; used in the import sheet."
        ),
    )
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=MeasureKind.choices)
    description = forms.CharField(
        label=gettext_lazy("How it is measured"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    comparison = forms.ChoiceField(
        label=gettext_lazy("Target is"), choices=Comparison.choices
    )
    target = forms.DecimalField(
        label=gettext_lazy("Target"),
        max_digits=12,
        decimal_places=3,
        required=False,
        help_text=gettext_lazy("Required for an objective; optional for an indicator."),
    )
    unit = forms.CharField(
        label=gettext_lazy("Unit"), max_length=16, required=False, initial="%"
    )
    min_value = forms.DecimalField(
        label=gettext_lazy("Lowest possible value"),
        max_digits=12,
        decimal_places=3,
        required=False,
        initial=0,
    )
    max_value = forms.DecimalField(
        label=gettext_lazy("Highest possible value"),
        max_digits=12,
        decimal_places=3,
        required=False,
        initial=100,
        help_text=gettext_lazy("Values outside the range are refused."),
    )
    frequency = forms.ChoiceField(
        label=gettext_lazy("Measured"), choices=Frequency.choices
    )
    department = forms.ModelChoiceField(
        label=gettext_lazy("Measured by"),
        queryset=Department.objects.filter(is_active=True),
        required=False,
        empty_label=gettext_lazy("— none: 行政部 and 管理者代表 enter the values"),
        help_text=gettext_lazy("The head of this department may enter its values too."),
    )
    sort_order = forms.IntegerField(
        label=gettext_lazy("Sort order"), min_value=0, initial=0, required=False
    )
    is_active = forms.BooleanField(
        label=gettext_lazy("Active: still measured"), required=False, initial=True
    )

    FIELDS = (
        "code",
        "name",
        "kind",
        "description",
        "unit",
        "comparison",
        "target",
        "min_value",
        "max_value",
        "frequency",
        "department",
        "sort_order",
        "is_active",
    )

    @classmethod
    def initial_of(cls, objective: Objective) -> dict:
        return {name: getattr(objective, name) for name in cls.FIELDS}

    def changes(self) -> dict:
        data = dict(self.cleaned_data)
        data["sort_order"] = data.get("sort_order") or 0
        return {name: data.get(name) for name in self.FIELDS}


class MeasurementForm(forms.Form):
    objective = forms.ModelChoiceField(
        label=gettext_lazy("Objective or indicator"),
        queryset=Objective.objects.none(),
        to_field_name="code",
    )
    period = forms.CharField(
        label=gettext_lazy("Period"),
        max_length=32,
        help_text=gettext_lazy("A month 2026-03, a quarter 2026Q1 or a year 2026."),
    )
    value = forms.CharField(label=gettext_lazy("Value"), max_length=32)
    note = forms.CharField(label=gettext_lazy("Note"), max_length=500, required=False)
    reason = forms.CharField(
        label=gettext_lazy("Reason for the correction"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Only when changing a value already entered."),
    )

    def __init__(
        self, *args, objectives=None, fixed: Objective | None = None, **kwargs
    ):
        super().__init__(*args, **kwargs)
        if fixed is not None:
            del self.fields["objective"]
            self.fixed = fixed
        else:
            self.fixed = None
            if objectives is not None:
                self.fields["objective"].queryset = objectives

    @property
    def chosen_objective(self) -> Objective:
        return self.fixed or self.cleaned_data["objective"]


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy(".xlsx workbook"),
        help_text=gettext_lazy(
            "First sheet, first row 指标, 期间, 实际值, 备注. Every row is checked "
            "first: one bad row and nothing is imported."
        ),
    )
