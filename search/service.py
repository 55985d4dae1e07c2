"""The one search of Shoukong: the staff search page, the admin, the API and
the document chooser all call :func:`search`.

Whatever engine answers (:mod:`search.engines`), the rules are here:

* only what ``user`` may see is matched, counted or suggested: each source's
  rule (:mod:`search.sources`) is part of the query, and the entries shown are
  checked again with the owning app before anything of them is returned;
* by default only current entries: the effective issue of a document and an
  approved issue not yet effective (已发布，待实施), kept records, active
  clauses, nonconformities and findings. Superseded and obsolete issues (作废)
  only on request (``include_obsolete``) and only for the roles of
  ``SHOUKONG_SEARCH_HISTORY_ROLES``;
* a document or record number typed in full comes first (``d201-2005031401``
  finds ``D0201-2005031401``);
* a procedure comes just before a form under it that the query names only in
  part of its title (发放 → B05 文件控制程序, then D0503 文件发放、回收记录);
* when no entry matches every word, entries matching some of them are shown,
  with a notice; when no entry holds a phrase as typed (发放回收), those holding
  most of its character pairs; when none matches at all, the closest titles
  are suggested.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Q
from django.utils.translation import gettext as _

from documents import permissions as document_permissions

from . import analysis, labels, snippets
from .engines import AtLeast, get_engine
from .models import EntryKind, SearchEntry
from .sources import all_sources, source_for_kind

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100
# Deepest result reachable by paging (a search is not an export).
MAX_OFFSET = 1000
SUGGESTIONS = 5
# When nothing holds every term of a query of at least LOOSE_MIN_TERMS terms,
# entries holding LOOSE_SHARE of them (rounded up) are shown, most first.
LOOSE_MIN_TERMS = 3
LOOSE_SHARE = 0.6


@dataclass(frozen=True)
class SearchFilters:
    kinds: tuple[str, ...] = ()
    tier: int | None = None
    department: int | None = None
    clause: str = ""
    status: str = ""
    date_from: date | None = None
    date_to: date | None = None
    include_obsolete: bool = False

    @classmethod
    def from_params(cls, params) -> tuple[SearchFilters, dict[str, str]]:
        """Filters from GET parameters, and the errors of those that are wrong
        (``{"tier": "…"}``); a wrong filter is left out, never guessed."""
        errors: dict[str, str] = {}
        kinds: list[str] = []
        raw_kinds = []
        if hasattr(params, "getlist"):
            for value in params.getlist("kind"):
                raw_kinds.extend(value.split(","))
        else:
            raw_kinds = str(params.get("kind") or "").split(",")
        valid_kinds = {k for k, _label in EntryKind.choices}
        for value in raw_kinds:
            value = value.strip()
            if not value:
                continue
            if value in valid_kinds:
                kinds.append(value)
            else:
                errors["kind"] = _("Unknown kind: %(value)s") % {"value": value[:40]}
        tier = _int(params.get("tier"))
        if params.get("tier") not in (None, "") and tier not in (1, 2, 3, 4):
            errors["tier"] = _("The tier is a number from 1 to 4.")
            tier = None
        department = _int(params.get("department"))
        if params.get("department") not in (None, "") and department is None:
            errors["department"] = _("The department is given by its id.")
        clause = str(params.get("clause") or "").strip()[:32]
        if clause and not re.fullmatch(r"[0-9A-Za-z.\-]+", clause):
            errors["clause"] = _("A clause is given by its number, e.g. 8.5.1.")
            clause = ""
        status = str(params.get("status") or "").strip()[:24]
        if status and not re.fullmatch(r"[a-z_]+", status):
            errors["status"] = _("Unknown status.")
            status = ""
        dates = {}
        for name in ("date_from", "date_to"):
            value = str(params.get(name) or "").strip()
            if not value:
                dates[name] = None
                continue
            try:
                dates[name] = date.fromisoformat(value)
            except ValueError:
                errors[name] = _("Dates are written YYYY-MM-DD.")
                dates[name] = None
        obsolete = str(params.get("include_obsolete") or "").strip().lower()
        return (
            cls(
                kinds=tuple(dict.fromkeys(kinds)),
                tier=tier,
                department=department,
                clause=clause,
                status=status,
                include_obsolete=obsolete in ("1", "true", "yes", "on"),
                **dates,
            ),
            errors,
        )

    def q(self) -> Q:
        q = Q()
        if self.kinds:
            q &= Q(kind__in=self.kinds)
        if self.tier:
            q &= Q(tier=self.tier)
        if self.department:
            q &= Q(department_id=self.department)
        if self.clause:
            q &= Q(clauses__contains=f" {self.clause} ")
        if self.status:
            if self.status == "obsolete":
                q &= Q(status__in=["obsolete", "superseded"])
            else:
                q &= Q(status=self.status)
        if self.date_from:
            q &= Q(date__gte=self.date_from)
        if self.date_to:
            q &= Q(date__lte=self.date_to)
        return q


def _int(value) -> int | None:
    try:
        return int(str(value).strip()) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


@dataclass
class Result:
    id: int
    kind: str
    kind_label: str
    number: str
    title: str
    title_html: str
    issue: str
    status: str
    status_label: str
    void: bool
    department: str
    department_id: int | None
    tier: int | None
    snippet: str
    url: str
    date: date | None
    effective_date: date | None

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "number": self.number,
            "title": self.title,
            "issue": self.issue,
            "status": self.status,
            "status_label": str(self.status_label),
            "void": self.void,
            "department": self.department,
            "tier": self.tier,
            "snippet": str(self.snippet),
            "url": self.url,
            "date": self.date.isoformat() if self.date else None,
            "effective_date": (
                self.effective_date.isoformat() if self.effective_date else None
            ),
        }


@dataclass
class SearchResults:
    query: str
    parsed: analysis.ParsedQuery
    results: list[Result] = field(default_factory=list)
    total: int = 0
    # False when ``total`` is a lower bound: more entries match than were
    # counted (search.engines.AtLeast).
    total_exact: bool = True
    took_ms: float = 0.0
    offset: int = 0
    per_page: int = DEFAULT_PER_PAGE
    match_all: bool = True
    include_obsolete: bool = False
    facets: dict[str, dict] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)
    suggestions: list[Result] = field(default_factory=list)

    @property
    def is_empty_query(self) -> bool:
        return self.parsed.is_empty


def visible_q(user) -> Q:
    """What ``user`` may find, as a ``Q`` on SearchEntry (every source's rule)."""
    q = Q(pk__in=[])
    for source in all_sources():
        q |= source.visible_q(user)
    return q


def may_include_obsolete(user) -> bool:
    return document_permissions.can_see_history(user)


_ABCD_PAD = re.compile(r"^([A-D])(\d{1,3})(?=-|$)")


def number_candidates(text: str) -> list[str]:
    """The numbers a query typed as one token may mean, canonical first."""
    from documents import numbering
    from records import numbering as record_numbering

    raw = (text or "").strip()
    if not raw or len(raw) > 200 or " " in raw:
        return []
    found: dict[str, None] = {}
    try:
        found.setdefault(numbering.get_scheme().normalise(raw), None)
    except Exception:  # noqa: BLE001 - any odd input: no document number
        pass
    record = record_numbering.normalise(raw)
    found.setdefault(record, None)
    # Unpadded numbers of the A/B/C/D scheme: b5 → B05, d201 → D0201. Two
    # digits after C or D (D05) and a lone 0 (b0) are prefixes being typed, not
    # numbers to pad.
    match = _ABCD_PAD.match(record)
    if match:
        letter, digits = match.groups()
        width = 2 if letter in "AB" else 4
        if len(digits) == width - 1 and digits != "0":
            found.setdefault(letter + digits.zfill(width) + record[match.end() :], None)
    return [n for n in found if n and re.fullmatch(r"[0-9A-Z][0-9A-Z\-./]*", n)]


def _department_names(ids) -> dict[int, str]:
    from documents.models import Department

    return dict(Department.objects.filter(pk__in=ids).values_list("pk", "name"))


def _results(entries, parsed) -> list[Result]:
    names = _department_names({e.department_id for e in entries if e.department_id})
    kind_labels = dict(EntryKind.choices)
    out = []
    for e in entries:
        out.append(
            Result(
                id=e.pk,
                kind=e.kind,
                kind_label=kind_labels.get(e.kind, e.kind),
                number=e.number,
                title=e.title,
                title_html=snippets.highlight(e.title, parsed),
                issue=e.issue_label,
                status=e.status,
                status_label=labels.status_label(e.kind, e.status),
                void=labels.is_void(e.kind, e.status),
                department=names.get(e.department_id, ""),
                department_id=e.department_id,
                tier=e.tier,
                snippet=snippets.snippet(e.text or e.heading, parsed),
                url=e.url,
                date=e.date,
                effective_date=e.effective_date,
            )
        )
    return out


def _verified(user, entries: list[SearchEntry]) -> list[SearchEntry]:
    """``entries`` less any the owning app does not let ``user`` open now."""
    allowed: set[int] = set()
    by_kind: dict[str, list[SearchEntry]] = {}
    for entry in entries:
        by_kind.setdefault(entry.kind, []).append(entry)
    for kind, group in by_kind.items():
        try:
            source = source_for_kind(kind)
        except KeyError:
            continue
        allowed |= source.verify(user, group)
    return [e for e in entries if e.pk in allowed]


def _load(ids: list[int]) -> list[SearchEntry]:
    found = SearchEntry.objects.select_related("words").in_bulk(ids)
    return [found[i] for i in ids if i in found]


def search(
    user,
    q: str | None,
    *,
    filters: SearchFilters | None = None,
    offset: int = 0,
    per_page: int = DEFAULT_PER_PAGE,
    facets: tuple[str, ...] = (),
    suggest: bool = True,
) -> SearchResults:
    """Search what ``user`` may see. Never raises for any ``q``."""
    with document_permissions.roles_cached():
        return _search(
            user,
            q,
            filters=filters,
            offset=offset,
            per_page=per_page,
            facets=facets,
            suggest=suggest,
        )


def _search(user, q, *, filters, offset, per_page, facets, suggest) -> SearchResults:
    started = time.perf_counter()
    filters = filters or SearchFilters()
    per_page = max(1, min(int(per_page or DEFAULT_PER_PAGE), MAX_PER_PAGE))
    offset = max(0, min(int(offset or 0), MAX_OFFSET))
    text = q if isinstance(q, str) else ""
    numbers = number_candidates(text)
    parsed = analysis.parse_query(text)
    if numbers and not parsed.is_empty:
        # Search the canonical spelling: d201-2005031401 → D0201-2005031401.
        canonical = analysis.parse_query(
            numbers[-1] if len(numbers) > 1 else numbers[0]
        )
        if canonical.slots and set(canonical.slots) != set(parsed.slots):
            reparsed = analysis.parse_query(numbers[-1])
            if reparsed.slots:
                parsed = reparsed
    result = SearchResults(query=text, parsed=parsed, offset=offset, per_page=per_page)
    if parsed.truncated:
        result.notices.append(
            _("Only the first %(n)d characters of the query were searched.")
            % {"n": analysis.MAX_QUERY_LENGTH}
        )
    if parsed.too_many_terms:
        result.notices.append(
            _("The query is long: only its first words were searched.")
        )
    include_obsolete = filters.include_obsolete
    if include_obsolete and not may_include_obsolete(user):
        include_obsolete = False
        result.notices.append(
            _(
                "You may not search superseded and obsolete issues; only current "
                "ones are shown."
            )
        )
    result.include_obsolete = include_obsolete
    if parsed.is_empty:
        result.took_ms = (time.perf_counter() - started) * 1000
        return result
    where = visible_q(user) & filters.q()
    if not include_obsolete:
        where &= Q(current=True)
    engine = get_engine()
    # The query as typed; when nothing matches, what holds some of its words;
    # then, for a phrase typed across a word boundary (发放回收 in
    # 文件发放、回收记录: 放回), what holds most of its character pairs.
    attempts = [(parsed, True, None, None)]
    if len(parsed.parts) > 1:
        attempts.append(
            (
                parsed,
                False,
                None,
                _(
                    "Nothing contains all the words; showing what contains "
                    "some of them."
                ),
            )
        )
    if len(parsed.slots) >= LOOSE_MIN_TERMS:
        loose = _loose(parsed)
        attempts.append(
            (
                loose,
                False,
                math.ceil(LOOSE_SHARE * len(loose.parts)),
                _(
                    "Nothing contains the words exactly as typed; showing what "
                    "contains most of them."
                ),
            )
        )
    for searched, match_all, min_parts, notice in attempts:
        hits, total = engine.search(
            query=searched,
            where=where,
            exact_numbers=numbers,
            offset=offset,
            limit=per_page,
            match_all=match_all,
            min_parts=min_parts,
        )
        if total:
            if notice:
                result.match_all = False
                result.notices.append(notice)
            break
    entries = _verified(user, _load([h.entry_id for h in hits]))
    result.total_exact = not isinstance(total, AtLeast)
    result.total = total - (len(hits) - len(entries))
    result.results = _results(entries, parsed)
    if facets:
        result.facets = engine.facets(
            query=searched,
            where=where,
            fields=tuple(facets),
            match_all=result.match_all,
            min_parts=min_parts,
        )
    if total == 0 and suggest:
        result.suggestions = closest_titles(user, parsed, filters)
    result.took_ms = (time.perf_counter() - started) * 1000
    return result


def _loose(parsed: analysis.ParsedQuery) -> analysis.ParsedQuery:
    """The query with each term a part of its own (matched one by one)."""
    return analysis.ParsedQuery(
        raw=parsed.raw,
        text=parsed.text,
        parts=[analysis.QueryPart(s.term, (s,)) for s in parsed.slots],
    )


def closest_titles(
    user, parsed, filters=None, limit: int = SUGGESTIONS
) -> list[Result]:
    """Current documents and forms whose number or title shares the most terms
    with the query ("did you mean"), for an empty answer."""
    slots = parsed.slots
    if not slots:
        return []
    loose = _loose(parsed)
    where = visible_q(user) & Q(
        current=True, kind__in=[EntryKind.DOCUMENT, EntryKind.FORM]
    )
    hits, _total = get_engine().search(
        query=loose, where=where, limit=limit * 2, match_all=False
    )
    entries = _verified(user, _load([h.entry_id for h in hits]))[:limit]
    return _results(entries, parsed)


def suggest(user, q: str | None, *, limit: int = 10) -> list[dict]:
    """Autocomplete: current entries whose number or title starts with ``q``
    (documents, forms and clauses first), as the user may see them."""
    with document_permissions.roles_cached():
        return _suggest(user, q, limit=limit)


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _suggest(user, q, *, limit) -> list[dict]:
    text = " ".join(analysis.normalise(q if isinstance(q, str) else "").split())[:80]
    if not text:
        return []
    limit = max(1, min(limit, 20))
    numbers = number_candidates(text) or [text.upper()]
    base = SearchEntry.objects.filter(visible_q(user) & Q(current=True))
    by_number = Q()
    for number in numbers:
        by_number |= Q(number__startswith=number)
    found = list(
        base.filter(by_number)
        .exclude(kind=EntryKind.RECORD)
        .order_by("number", "-date")[: limit * 2]
    )
    if len(found) < limit:
        found += list(
            base.filter(by_number, kind=EntryKind.RECORD).order_by("number")[:limit]
        )
    # Titles as typed, less control characters (PostgreSQL refuses NUL).
    title = _CONTROL.sub("", q if isinstance(q, str) else "").strip()[:80]
    if len(found) < limit and title:
        found += list(
            base.filter(title__startswith=title)
            .exclude(kind=EntryKind.RECORD)
            .order_by("number")[:limit]
        )
    seen: dict[int, SearchEntry] = {}
    for entry in found:
        seen.setdefault(entry.pk, entry)
    entries = _verified(user, list(seen.values()))[:limit]
    parsed = analysis.parse_query(text)
    return [
        {
            "kind": e.kind,
            "number": e.number,
            "title": e.title,
            "issue": e.issue_label,
            "status": e.status,
            "label": f"{e.number} {e.title}".strip(),
            "url": e.url,
            "title_html": str(snippets.highlight(e.title, parsed)),
        }
        for e in entries
    ]
