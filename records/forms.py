"""Django forms built from a form issue's released fields, and their values as
JSON.

The same form class validates the browser's submission, the API's ``data`` and a
correction's new value, so a value is accepted by one path only if it is
accepted by all of them.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.contrib.forms.forms import BaseForm, FormBuilder


def _field_namespace(spec: dict[str, Any]) -> SimpleNamespace:
    return SimpleNamespace(
        clean_name=spec["name"],
        label=spec["label"],
        field_type=spec["type"],
        required=spec.get("required", False),
        choices=spec.get("choices", ""),
        default_value=spec.get("default", ""),
        help_text=spec.get("help_text", ""),
        get_field_clean_name=lambda: spec["name"],
    )


# Dates are read the same whatever the reader's language (never 01/02/2026).
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%Y/%m/%d"]
DATETIME_INPUT_FORMATS = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%Y/%m/%d %H:%M",
]
# A number as people write it: at most 30 digits, no exponent.
NUMBER_RE = re.compile(r"^[+-]?(?:\d{1,30}(?:\.\d{0,30})?|\.\d{1,30})$")
LIST_TYPES = frozenset({"checkboxes", "multiselect"})


def schema_form_class(schema: list[dict[str, Any]]) -> type[forms.Form]:
    """A Django form with one field per released form field, in order."""
    builder = FormBuilder([_field_namespace(spec) for spec in schema])
    fields = builder.formfields
    for field in fields.values():
        if isinstance(field, forms.DateTimeField):
            field.input_formats = DATETIME_INPUT_FORMATS
        elif isinstance(field, forms.DateField):
            field.input_formats = DATE_INPUT_FORMATS
    return type("RecordValuesForm", (BaseForm,), fields)


MAX_FREE_FIELDS = 100
MAX_FREE_NAME = 100


def free_schema(data: Any) -> list[dict[str, Any]]:
    """The fields of a form released without a field list (a self-prepared
    record, 自行编制): one optional text field per name given, so the values are
    still kept, shown and corrected field by field."""
    if not isinstance(data, dict):
        raise ValuesInvalid({"__all__": [str(_("The values must be an object."))]})
    if len(data) > MAX_FREE_FIELDS:
        raise ValuesInvalid(
            {
                "__all__": [
                    str(_("A record has at most %(n)s fields."))
                    % {"n": MAX_FREE_FIELDS}
                ]
            }
        )
    schema = []
    for name in data:
        name = str(name)
        if not name.strip() or len(name) > MAX_FREE_NAME:
            raise ValuesInvalid(
                {"__all__": [str(_("Field names have 1 to 100 characters."))]}
            )
        schema.append(
            {
                "name": name,
                "label": name,
                "type": "multiline",
                "required": False,
                "choices": "",
                "default": "",
                "help_text": "",
            }
        )
    return schema


def field_spec(schema: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    for spec in schema:
        if spec["name"] == name:
            return spec
    return None


def to_json(value: Any) -> Any:
    """A cleaned form value as stored: dates as ISO text, decimals as text."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        # One spelling per number: 1.50 and 1.5 are the same value.
        return format(value.normalize(), "f")
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    return value


def _as_form_data(schema: list[dict[str, Any]], data: dict[str, Any]) -> dict:
    """Turn JSON input into what Django's widgets read (lists stay lists, booleans
    become checkbox values)."""
    prepared: dict[str, Any] = {}
    for spec in schema:
        name = spec["name"]
        if name not in data:
            continue
        value = data[name]
        if spec["type"] == "checkbox":
            value = "on" if value in (True, "true", "True", "on", "1", 1) else ""
        elif isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
            value = str(value)
        prepared[name] = value
    return prepared


def _shape_errors(
    schema: list[dict[str, Any]], data: dict[str, Any]
) -> dict[str, list[str]]:
    """Values of the wrong shape, refused before Django reads them: a list or
    object for a single value, an absurd number."""
    errors: dict[str, list[str]] = {}
    for spec in schema:
        name = spec["name"]
        if name not in data or data[name] is None:
            continue
        value = data[name]
        if spec["type"] in LIST_TYPES:
            if isinstance(value, dict) or (
                isinstance(value, list)
                and any(isinstance(v, (dict, list)) for v in value)
            ):
                errors[name] = [str(_("Give a list of the chosen values."))]
        elif isinstance(value, (dict, list)):
            errors[name] = [str(_("Give a single value."))]
        elif spec["type"] == "number" and not isinstance(value, bool):
            text = str(value).strip()
            if text and not NUMBER_RE.match(text):
                errors[name] = [
                    str(_("Enter a number of at most 30 digits, without an exponent."))
                ]
    return errors


class ValuesInvalid(Exception):
    """Values that break the form's field rules: ``errors`` maps field names to
    messages (``"__all__"`` for unknown fields)."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        super().__init__(errors)


def clean_values(
    schema: list[dict[str, Any]], data: dict[str, Any], *, partial: bool = False
) -> dict[str, Any]:
    """Validate ``data`` against ``schema``; return the JSON-ready values.

    Unknown field names are refused, never silently dropped. With ``partial``
    only the fields present in ``data`` are validated (a correction).
    """
    if not isinstance(data, dict):
        raise ValuesInvalid({"__all__": [str(_("The values must be an object."))]})
    # A field may also be named by its label (报告人 for ``bao_gao_ren``).
    known = {spec["name"] for spec in schema}
    by_label = {spec["label"]: spec["name"] for spec in schema}
    renamed: dict[str, Any] = {}
    for key, value in data.items():
        name = key if key in known else by_label.get(key, key)
        if name in renamed:
            raise ValuesInvalid(
                {name: [str(_("This field is given twice (by name and by label)."))]}
            )
        renamed[name] = value
    data = renamed
    shape_errors = _shape_errors(schema, data)
    if shape_errors:
        raise ValuesInvalid(shape_errors)
    unknown = sorted(str(k) for k in data if k not in known)
    if unknown:
        raise ValuesInvalid(
            {
                "__all__": [
                    str(_("This form has no field named %(names)s."))
                    % {"names": ", ".join(unknown)}
                ]
            }
        )
    used = [spec for spec in schema if not partial or spec["name"] in data]
    form = schema_form_class(used)(data=_as_form_data(used, data))
    if not form.is_valid():
        raise ValuesInvalid(
            {name: [str(m) for m in messages] for name, messages in form.errors.items()}
        )
    return {name: to_json(value) for name, value in form.cleaned_data.items()}


def display_value(value: Any) -> str:
    """How a stored value reads on the record page and in exports."""
    if value is None or value == "":
        return ""
    if value is True:
        return str(_("Yes"))
    if value is False:
        return str(_("No"))
    if isinstance(value, list):
        return "、".join(display_value(v) for v in value)
    return str(value)
