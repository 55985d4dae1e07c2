"""Loading clause catalogues: a JSON file per standard, clauses by stable
``ref_id``, numbers and short titles only.

A catalogue file looks like::

    {"ref_id": "iso20000-1-2018", "code": "ISO/IEC 20000-1:2018",
     "title_zh": "…", "title_en": "…", "sort_order": 1,
     "clauses": [["4", "组织环境", "Context of the organization"], …]}

Each clause is ``[ref_id, Chinese title, English title]`` (or an object with
those keys); a parent comes before its children. Loading is idempotent:
loading the same file twice changes nothing. A clause missing from a newer
file is kept, inactive (documents and findings may point at it), never
deleted. The shipped catalogues are in ``compliance/catalogues/``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from . import clauses as clause_rules
from .lifecycle import StandardOrigin

CATALOGUE_DIR = Path(__file__).resolve().parent / "catalogues"
MAX_CATALOGUE_BYTES = 2 * 1024 * 1024
MAX_CLAUSES = 5000

__all__ = [
    "CATALOGUE_DIR",
    "CatalogueResult",
    "ParsedCatalogue",
    "catalogue_load",
    "catalogue_parse",
    "catalogues_ensure",
    "shipped_catalogues",
]


@dataclass(frozen=True)
class ParsedClause:
    ref_id: str
    title_zh: str
    title_en: str
    order: int


@dataclass(frozen=True)
class ParsedCatalogue:
    ref_id: str
    code: str
    title_zh: str
    title_en: str
    sort_order: int
    clauses: tuple[ParsedClause, ...]


@dataclass
class CatalogueResult:
    standard: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    standard_created: bool = False
    changes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(
            self.created or self.updated or self.deactivated or self.standard_created
        )


def _title(value: Any, what: str, limit: int = 200) -> str:
    if not isinstance(value, str):
        raise ValidationError(_("%(what)s must be text.") % {"what": what})
    value = " ".join(value.split())
    if "\x00" in value:
        raise ValidationError(_("%(what)s contains a NUL character.") % {"what": what})
    if len(value) > limit:
        raise ValidationError(
            _("%(what)s is longer than %(limit)d characters.")
            % {"what": what, "limit": limit}
        )
    return value


def catalogue_parse(raw: bytes | str | dict) -> ParsedCatalogue:
    """Check a catalogue and return it; every problem is a translated
    ``ValidationError`` naming the clause it is about. Pure."""
    if isinstance(raw, bytes):
        if len(raw) > MAX_CATALOGUE_BYTES:
            raise ValidationError(_("The catalogue file is too large."))
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError(_("The catalogue file is not UTF-8 text.")) from None
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ValidationError(
                _("The catalogue file is not valid JSON (line %(line)d).")
                % {"line": exc.lineno}
            ) from None
    if not isinstance(raw, dict):
        raise ValidationError(_("A catalogue is a JSON object."))
    for key in ("ref_id", "code", "title_zh", "clauses"):
        if key not in raw:
            raise ValidationError(_("The catalogue has no “%(key)s”.") % {"key": key})
    ref_id = raw["ref_id"]
    if (
        not isinstance(ref_id, str)
        or not ref_id
        or len(ref_id) > 64
        or not all(c.isascii() and (c.isalnum() or c in "-_") for c in ref_id)
    ):
        raise ValidationError(
            _("The catalogue reference must be letters, digits and dashes.")
        )
    items = raw["clauses"]
    if not isinstance(items, list) or not items:
        raise ValidationError(_("The catalogue lists no clauses."))
    if len(items) > MAX_CLAUSES:
        raise ValidationError(_("The catalogue lists too many clauses."))
    seen: set[str] = set()
    parsed: list[ParsedClause] = []
    for order, item in enumerate(items, start=1):
        if isinstance(item, dict):
            values = [
                item.get("ref_id"),
                item.get("title_zh"),
                item.get("title_en", ""),
            ]
        elif isinstance(item, list) and len(item) in (2, 3):
            values = [*item, ""][:3]
        else:
            raise ValidationError(
                _("Clause %(n)d is not [number, Chinese title, English title].")
                % {"n": order}
            )
        clause_ref, title_zh, title_en = values
        if not isinstance(clause_ref, str) or not clause_rules.is_valid(clause_ref):
            raise ValidationError(
                _("Clause %(n)d has an invalid number: %(ref)r.")
                % {"n": order, "ref": clause_ref}
            )
        if clause_ref in seen:
            raise ValidationError(
                _("Clause %(ref)s is listed twice.") % {"ref": clause_ref}
            )
        parent = clause_rules.parent_ref(clause_ref)
        if parent is not None and parent not in seen:
            raise ValidationError(
                _("Clause %(ref)s comes before its parent %(parent)s.")
                % {"ref": clause_ref, "parent": parent}
            )
        what = _("The title of clause %(ref)s") % {"ref": clause_ref}
        title_zh = _title(title_zh, what)
        if not title_zh:
            raise ValidationError(
                _("Clause %(ref)s has no Chinese title.") % {"ref": clause_ref}
            )
        seen.add(clause_ref)
        parsed.append(
            ParsedClause(clause_ref, title_zh, _title(title_en or "", what), order)
        )
    sort_order = raw.get("sort_order", 100)
    if not isinstance(sort_order, int) or sort_order < 0:
        sort_order = 100
    return ParsedCatalogue(
        ref_id=ref_id,
        code=_title(raw["code"], _("The standard's code"), 64),
        title_zh=_title(raw["title_zh"], _("The standard's title")),
        title_en=_title(raw.get("title_en", ""), _("The standard's title")),
        sort_order=sort_order,
        clauses=tuple(parsed),
    )


def _apply(catalogue: ParsedCatalogue, standard_model, clause_model) -> CatalogueResult:
    """Write ``catalogue`` with the given models (historical ones in a
    migration); only rows that differ are saved."""
    result = CatalogueResult(standard=catalogue.ref_id)
    standard = standard_model.objects.filter(ref_id=catalogue.ref_id).first()
    if standard is not None and standard.origin != StandardOrigin.CATALOGUE:
        raise ValidationError(
            _("%(ref)s is the company's own list of requirements, not a catalogue.")
            % {"ref": catalogue.ref_id}
        )
    wanted = {
        "code": catalogue.code,
        "title_zh": catalogue.title_zh,
        "title_en": catalogue.title_en,
        "sort_order": catalogue.sort_order,
        "origin": StandardOrigin.CATALOGUE,
    }
    if standard is None:
        standard = standard_model.objects.create(ref_id=catalogue.ref_id, **wanted)
        result.standard_created = True
    elif any(getattr(standard, k) != v for k, v in wanted.items()):
        for key, value in wanted.items():
            setattr(standard, key, value)
        standard.save()
        result.updated += 1
        result.changes.append(catalogue.ref_id)
    existing = {c.ref_id: c for c in clause_model.objects.filter(standard=standard)}
    by_ref: dict[str, Any] = {}
    for item in catalogue.clauses:
        parent_ref = clause_rules.parent_ref(item.ref_id)
        parent = by_ref.get(parent_ref) if parent_ref else None
        fields = {
            "title_zh": item.title_zh,
            "title_en": item.title_en,
            "parent_id": parent.pk if parent is not None else None,
            "sort_key": clause_rules.sort_key(item.ref_id),
            "depth": clause_rules.depth(item.ref_id),
            "is_active": True,
        }
        clause = existing.get(item.ref_id)
        if clause is None:
            clause = clause_model(standard=standard, ref_id=item.ref_id, **fields)
            clause.save()
            result.created += 1
        elif any(getattr(clause, k) != v for k, v in fields.items()):
            for key, value in fields.items():
                setattr(clause, key, value)
            clause.save()
            result.updated += 1
            result.changes.append(item.ref_id)
        else:
            result.unchanged += 1
        by_ref[item.ref_id] = clause
    for ref, clause in existing.items():
        if ref not in by_ref and clause.is_active:
            clause.is_active = False
            clause.save()
            result.deactivated += 1
            result.changes.append(ref)
    return result


@transaction.atomic
def catalogue_load(raw: bytes | str | dict, *, user=None) -> CatalogueResult:
    """Load one catalogue; log what changed (nothing, the second time)."""
    from wagtail.log_actions import log

    from .models import Clause, Standard

    if user is not None:
        from . import permissions

        permissions.ensure(permissions.can_manage_catalogue(user))
    catalogue = catalogue_parse(raw)
    result = _apply(catalogue, Standard, Clause)
    if result.changed:
        log(
            instance=Standard.objects.get(ref_id=catalogue.ref_id),
            action="shoukong.compliance.catalogue_load",
            user=user,
            data={
                "standard": catalogue.ref_id,
                "created": result.created,
                "updated": result.updated,
                "deactivated": result.deactivated,
                "changes": result.changes[:50],
            },
        )
    return result


def shipped_catalogues() -> list[Path]:
    return sorted(CATALOGUE_DIR.glob("*.json"))


def catalogues_ensure(
    *, standard_model=None, clause_model=None
) -> list[CatalogueResult]:
    """Load every shipped catalogue. With models given (a data migration), no
    log entries are written."""
    results = []
    for path in shipped_catalogues():
        raw = path.read_bytes()
        if standard_model is not None:
            results.append(_apply(catalogue_parse(raw), standard_model, clause_model))
        else:
            results.append(catalogue_load(raw))
    return results
