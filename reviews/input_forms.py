"""The forms of the inputs page: a department's input for one section, the
comment of a return, the files attached.

They only parse what was sent; the services in :mod:`reviews.services` decide
whether the step is allowed (a department the user does not belong to is
refused there, as a 403).
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from documents.models import Department

from .lifecycle import InputSection

MAX_ATTACHMENTS = 10
# What the file inputs offer (the service checks the bytes).
ATTACHMENT_ACCEPT = "image/*,.pdf,.docx,.xlsx"


class InputForm(forms.Form):
    """A new input (department and section chosen) or the content of an
    existing one (``fixed=True``: its department and section stay)."""

    department = forms.ModelChoiceField(
        label=gettext_lazy("Department"),
        queryset=Department.objects.filter(is_active=True),
        empty_label=None,
    )
    section = forms.ChoiceField(
        label=gettext_lazy("Input"), choices=InputSection.choices
    )
    content = forms.CharField(
        label=gettext_lazy("Content"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=20_000,
    )

    def __init__(self, *args, fixed: bool = False, departments=None, **kwargs):
        super().__init__(*args, **kwargs)
        if fixed:
            del self.fields["department"]
            del self.fields["section"]
        elif departments is not None:
            # What the page offers; a posted department outside it is still
            # read, and the service answers for it.
            self.fields["department"].queryset = departments


class ReturnForm(forms.Form):
    comment = forms.CharField(
        label=gettext_lazy("Why it is returned"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2_000,
        error_messages={"required": gettext_lazy("Say why the input is returned.")},
    )


def attachment_uploads(request) -> list[tuple[str, bytes]]:
    """The uploaded files as (name, bytes); an oversized one is refused before
    it is read whole (the service checks again, by its bytes)."""
    uploads = request.FILES.getlist("files")
    if not uploads:
        raise ValidationError(_("Choose a file to attach."))
    if len(uploads) > MAX_ATTACHMENTS:
        raise ValidationError(
            _("Attach at most %(count)d files.") % {"count": MAX_ATTACHMENTS}
        )
    limit = settings.SHOUKONG_MGMT_REVIEW_ATTACHMENT_MAX_BYTES
    result = []
    for upload in uploads:
        if upload.size is not None and upload.size > limit:
            raise ValidationError(
                _("%(name)s is larger than %(limit)s.")
                % {"name": upload.name, "limit": filesizeformat(limit)}
            )
        upload.seek(0)
        result.append((upload.name, upload.read(limit + 1)))
    return result


def form_errors(form) -> str:
    """A form's errors as one sentence for a message."""
    parts = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        for error in errors:
            parts.append(f"{label}: {error}" if label else str(error))
    return " ".join(parts)
