"""What staff see of the library: filtering, natural ordering, grouping, paging.

The views only parse the request and render; everything that decides which
documents appear, in which order and under which heading lives here. Every
function reads a fixed number of queries whatever the number of documents.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Case, F, IntegerField, Q, Value, When
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from . import numbering
from .lifecycle import DocumentKind, DocumentStatus, Tier
from .models import Department, DocumentPage

# --- Groups ------------------------------------------------------------------------

# Tiers 1–4, then the unnumbered kinds, in the order the library shows them.
GROUP_KEYS: tuple[str, ...] = ("1", "2", "3", "4", "other", "external")
GROUP_ORDER: dict[str, int] = {key: i for i, key in enumerate(GROUP_KEYS)}
GROUP_LABELS: dict[str, Any] = {
    "1": Tier.MANUAL.label,
    "2": Tier.PROCEDURE.label,
    "3": Tier.INSTRUCTION.label,
    "4": Tier.FORM.label,
    "other": DocumentKind.OTHER.label,
    "external": DocumentKind.EXTERNAL.label,
}
STATUS_FILTERS: tuple[str, ...] = (
    DocumentStatus.CONTROLLED,
    DocumentStatus.OBSOLETE,
    DocumentStatus.EXTERNAL,
)
GROUPINGS: tuple[str, ...] = ("tier", "department")
PAGE_SIZES: tuple[int, ...] = (50, 100, 200)
# Columns of the library's tables.
LIBRARY_COLUMNS: tuple[Any, ...] = (
    pgettext_lazy("document", "Number"),
    pgettext_lazy("document", "Title"),
    pgettext_lazy("document", "Issue"),
    pgettext_lazy("document", "Status"),
    pgettext_lazy("document", "Department"),
    pgettext_lazy("document", "Published"),
    _("Next review due"),
)


def group_key(*, tier: int | None, kind: str) -> str:
    """The library group of a document: its tier, or its kind when unnumbered."""
    if tier:
        return str(tier)
    return kind if kind in GROUP_ORDER else "other"


def tier_choices() -> list[tuple[str, Any]]:
    return [(key, GROUP_LABELS[key]) for key in GROUP_KEYS]


def status_choices() -> list[tuple[str, Any]]:
    return [(value, DocumentStatus(value).label) for value in STATUS_FILTERS]


# --- Querysets ---------------------------------------------------------------------


def listing_queryset(user):
    """The documents listings and the register show ``user``:
    ``DocumentPage.objects.visible_to(user)`` (never a restricted document they
    may not read, not even in a count).

    Listings read plain values through :func:`documents.register.build_rows`
    (two queries) rather than ``for_listing()`` page objects: a Wagtail page
    object costs more to build than the rest of its listing row.
    """
    return DocumentPage.objects.visible_to(user)


# --- Filters -----------------------------------------------------------------------


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class LibraryFilters:
    """The library's and the register's filters, read leniently from GET.

    Unknown values are dropped rather than refused: a stale bookmark shows the
    whole library instead of an error.
    """

    tier: str = ""
    department: int | None = None
    status: str = ""
    q: str = ""
    group: str = "tier"
    per_page: int | None = None  # rows per HTML page; None: the view's default

    @classmethod
    def from_query(cls, params: Mapping[str, str]) -> LibraryFilters:
        tier = (params.get("tier") or "").strip()
        status = (params.get("status") or "").strip()
        group = (params.get("group") or "").strip()
        per_page = _int_or_none(params.get("per_page"))
        return cls(
            tier=tier if tier in GROUP_ORDER else "",
            department=_int_or_none(params.get("department")),
            status=status if status in STATUS_FILTERS else "",
            q=(params.get("q") or "").strip()[:100],
            group=group if group in GROUPINGS else "tier",
            per_page=per_page if per_page in PAGE_SIZES else None,
        )

    @property
    def is_active(self) -> bool:
        return bool(self.tier or self.department or self.status or self.q)

    def apply(self, queryset):
        if self.tier in ("1", "2", "3", "4"):
            queryset = queryset.filter(tier=int(self.tier))
        elif self.tier:
            queryset = queryset.filter(tier__isnull=True, kind=self.tier)
        if self.department:
            queryset = queryset.filter(department_id=self.department)
        if self.status:
            queryset = queryset.filter(status=self.status)
        if self.q:
            normalised = numbering.get_scheme().normalise(self.q)
            queryset = queryset.filter(
                Q(number__icontains=self.q)
                | Q(number__icontains=normalised)
                | Q(title__icontains=self.q)
            )
        return queryset

    def query_items(self, **overrides: Any) -> list[tuple[str, str]]:
        """GET parameters that reproduce these filters (for links and exports)."""
        values = {
            "tier": self.tier,
            "department": self.department or "",
            "status": self.status,
            "q": self.q,
            "group": "" if self.group == "tier" else self.group,
            "per_page": self.per_page or "",
        }
        values.update(overrides)
        return [(k, str(v)) for k, v in values.items() if v not in ("", None)]


# --- Ordering ----------------------------------------------------------------------


def group_rank():
    """SQL for the library group of a document (tier 1–4, other, external)."""
    return Case(
        When(tier=1, then=Value(GROUP_ORDER["1"])),
        When(tier=2, then=Value(GROUP_ORDER["2"])),
        When(tier=3, then=Value(GROUP_ORDER["3"])),
        When(tier=4, then=Value(GROUP_ORDER["4"])),
        When(kind=DocumentKind.EXTERNAL, then=Value(GROUP_ORDER["external"])),
        default=Value(GROUP_ORDER["other"]),
        output_field=IntegerField(),
    )


def in_library_order(queryset, *, group: str = "tier"):
    """``queryset`` in library order: (department,) tier group, then the natural
    number order (B99 before B100) from the indexed ``number_sort`` column, then
    the title for unnumbered documents — all in SQL, so it pages in SQL too."""
    ordering = [F("_group_rank").asc(), "number_sort", "title", "pk"]
    if group == "department":
        ordering = [
            F("department__sort_order").asc(nulls_last=True),
            F("department__name").asc(nulls_last=True),
            *ordering,
        ]
    return queryset.annotate(_group_rank=group_rank()).order_by(*ordering)


def ordered_ids(queryset, *, group: str = "tier") -> list[int]:
    """Primary keys of ``queryset`` in library order, in one narrow query."""
    return list(
        in_library_order(queryset.order_by(), group=group).values_list("pk", flat=True)
    )


def in_order(objects: Iterable[Any], ids: Sequence[int]) -> list[Any]:
    """``objects`` (anything with a ``pk``) in the order of ``ids``."""
    by_pk = {obj.pk: obj for obj in objects}
    return [by_pk[pk] for pk in ids if pk in by_pk]


# --- Grouping ----------------------------------------------------------------------


@dataclass
class Group:
    key: str
    label: Any
    rows: list[Any] = field(default_factory=list)


def group_rows(rows: Iterable[Any], *, by: str = "tier") -> list[Group]:
    """Split rows (already in library order) into headed groups, keeping order.

    ``by="tier"``: tier 1–4, other documents, external documents.
    ``by="department"``: owning department; documents without one come last.
    """
    groups: dict[str, Group] = {}
    for row in rows:
        if by == "department":
            key = str(row.department_id or "")
            label = row.department or _("No department")
        else:
            key = row.group
            label = GROUP_LABELS[row.group]
        if key not in groups:
            groups[key] = Group(key=key, label=label)
        groups[key].rows.append(row)
    result = list(groups.values())
    if by == "tier":
        result.sort(key=lambda g: GROUP_ORDER[g.key])
    return result


def active_departments() -> list[Department]:
    return list(Department.objects.filter(is_active=True))


def css_labels(labels: Sequence[Any]) -> str:
    """``--label-1: "…"; --label-2: "…"`` for a table's style attribute.

    On narrow screens each cell shows its column's name before its value
    (``td:nth-child(n)::before``); naming the columns once per table instead of
    once per cell keeps a page of a few hundred rows quick to render.
    """

    def css_string(text: Any) -> str:
        text = str(text).replace("\\", "\\\\").replace('"', '\\"')
        return '"' + " ".join(text.split()) + '"'

    return "; ".join(
        f"--label-{i}: {css_string(label)}" for i, label in enumerate(labels, 1)
    )
