"""The fields of a fillable form (tier 4), defined with Wagtail's form builder.

The field list is part of the form's draft, so it is approved with the form and
released with each issue: :func:`form_schema` turns it into the plain list each
issue keeps (``DocumentIssue.form_schema``), and records are filled against the
schema of the issue in force, never against an unapproved draft.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from anyascii import anyascii
from django.db import models
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from wagtail.contrib.forms.models import AbstractFormField

from .pages import FormPage


class FormFieldDefinition(AbstractFormField):
    """One field of a form: its label, type, rules and choices."""

    page = ParentalKey(FormPage, on_delete=models.CASCADE, related_name="form_fields")

    def get_field_clean_name(self) -> str:
        """Pinyin snake case for Chinese labels (报告人 → ``bao_gao_ren``), the key
        the values are stored and sent under; fixed once the field is saved."""
        return pinyin_name(self.label)

    class Meta(AbstractFormField.Meta):
        verbose_name = _("form field")
        verbose_name_plural = _("form fields")


def pinyin_name(label: str) -> str:
    words = re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+", anyascii(label or ""))
    name = "_".join(word.lower() for word in words)[:200]
    return name or "field"


SCHEMA_KEYS = ("name", "label", "type", "required", "choices", "default", "help_text")


def form_schema(fields: Iterable[Any]) -> list[dict[str, Any]]:
    """The released shape of a form's fields: a JSON-ready list, in order."""
    schema = []
    for field in fields:
        schema.append(
            {
                "name": field.clean_name or field.get_field_clean_name(),
                "label": field.label,
                "type": field.field_type,
                "required": bool(field.required),
                "choices": field.choices or "",
                "default": field.default_value or "",
                "help_text": field.help_text or "",
            }
        )
    return schema
