"""The forms of the programme pages (audits.views.programmes): a new
programme, its title and basis, a signature's comment, a revision's reason.

They check the shape of what was typed; the services decide the rest (a
returned step needs a comment, a revision a reason) and say so in their own
words.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import AuditProgramme

TEXTAREA = {"rows": 4}


class ProgrammeForm(forms.Form):
    """A new annual programme (年度内部审核实施计划)."""

    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        required=False,
        help_text=_("Left empty: “<year> annual internal audit programme”."),
    )
    basis = forms.CharField(
        label=_("Basis"),
        required=False,
        widget=forms.Textarea(attrs=TEXTAREA),
        help_text=AuditProgramme._meta.get_field("basis").help_text,
    )


class ProgrammeUpdateForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    basis = forms.CharField(
        label=_("Basis"),
        required=False,
        widget=forms.Textarea(attrs=TEXTAREA),
        help_text=AuditProgramme._meta.get_field("basis").help_text,
    )


class SignForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReturnForm(forms.Form):
    # Required by the service (programme_sign), which says why in its words.
    comment = forms.CharField(
        label=_("Why is it returned?"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ReviseForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the revision"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class EmptyForm(forms.Form):
    pass
