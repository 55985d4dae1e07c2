"""Admin forms for document pages, and the document control forms of the
document page."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.contrib.forms.forms import WagtailAdminFormPageForm


class DocumentPageForm(WagtailAdminPageForm):
    """Assigns the document number when a draft is first created in the admin.

    The number comes from the numbering service at creation, so it is fixed from
    the first saved draft on; a failed save leaves a gap, never a reused number.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "slug" in self.fields:
            # Numbers make better slugs than Chinese titles; filled in on save.
            self.fields["slug"].required = False

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("slug") and self.instance.slug:
            cleaned["slug"] = self.instance.slug
        return cleaned

    def save(self, commit=True):
        from .services import document_prepare_new

        page = super().save(commit=False)
        if page.pk is None:
            document_prepare_new(page=page, parent=self.parent_page)
        elif page.is_numbered and not page.number:
            # A copy made outside the admin's copy view gets its number here,
            # written to the row at once so it never changes afterwards.
            from .services import document_number_assign

            assigned = document_number_assign(user=None, page=page)
            page.number, page.number_sort = assigned.number, assigned.number_sort
        if commit:
            page.save()
        return page


class FormPageForm(DocumentPageForm, WagtailAdminFormPageForm):
    """A form's draft: also refuses two fields with the same name (Wagtail's
    form builder check), since records store their values by field name."""


# --- Front end: who reads a document, and its other names (document control) ---


class DocumentAccessForm(forms.Form):
    """Restrict a document to its department and the reader departments."""

    confidential = forms.BooleanField(
        label=_("Restricted"),
        required=False,
        help_text=_(
            "Only its department, the reader departments below, document control, "
            "the management representative and the general manager may open it "
            "or find it."
        ),
    )
    reader_departments = forms.ModelMultipleChoiceField(
        label=_("Reader departments"),
        queryset=None,  # the active departments, set in __init__
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "invalid_choice": _("Unknown department: %(value)s"),
            "invalid_pk_value": _("Unknown department: %(pk)s"),
        },
    )

    def __init__(self, *args, **kwargs):
        # Imported here: the document models import this module.
        from .models import Department

        super().__init__(*args, **kwargs)
        self.fields["reader_departments"].queryset = Department.objects.filter(
            is_active=True
        )


class DocumentAliasesForm(forms.Form):
    """The other names staff know a document by (search finds it by them)."""

    other_names = forms.CharField(
        label=_("Other names"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        help_text=_("Separated by commas or 、, e.g. 运行服务单、服务工作单."),
    )
