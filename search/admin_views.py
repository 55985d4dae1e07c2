"""Search in the Wagtail admin, through :mod:`search.service`.

* :class:`AdminSearchView` (``/admin/shoukong-search/?q=``): the admin's search
  box. Its search area comes first (:mod:`search.wagtail_hooks`), so the box in
  the sidebar searches documents, forms, records, clauses, nonconformities and
  findings the way staff search them, with Wagtail's own searches (pages,
  images, files, users) one click away.
* :class:`PageChooserSearchView`: the search of the page chooser (choosing a
  document for a link or a field). Documents are found by this search, which
  understands Chinese (Wagtail's own backend does not split Chinese words);
  other pages still by Wagtail's. It answers at Wagtail's own address
  (``wagtailadmin_choose_page_search``): see :data:`chooser_search_view` and
  ``config/urls.py``.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.core.paginator import Page as PaginatorPage
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, When
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.generic import View
from wagtail import hooks
from wagtail.admin.auth import require_admin_access
from wagtail.admin.forms.search import SearchForm
from wagtail.admin.views import chooser
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from documents.models import DocumentPage

from . import labels, service
from .models import EntryKind, SearchEntry

PER_PAGE = 20
_NOT_WORD = re.compile(r"[\W_]+")
# Documents the chooser takes from one search (its pages show 25 each).
CHOOSER_DOCUMENTS = service.MAX_PER_PAGE
# Other pages the chooser takes from Wagtail's own search.
CHOOSER_OTHER_PAGES = 50


def _page_number(raw) -> int:
    try:
        return max(1, int(raw))
    except (TypeError, ValueError):
        return 1


class AdminSearchView(WagtailAdminTemplateMixin, View):
    """Documents and records (受控文件检索): every result the user may see."""

    template_name = "search/admin/search.html"
    page_title = gettext_lazy("Documents and records")
    header_icon = "search"

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": "", "label": self.get_page_title()},
        ]

    def get(self, request):
        params = request.GET
        filters, errors = service.SearchFilters.from_params(params)
        q = params.get("q") or ""
        number = _page_number(params.get("p"))
        offset = min((number - 1) * PER_PAGE, service.MAX_OFFSET)
        found = service.search(
            request.user,
            q,
            filters=filters,
            offset=offset,
            per_page=PER_PAGE,
            facets=() if filters.kinds else ("kind",),
        )
        # Paging over what search can reach (it is not an export).
        reachable = min(found.total, service.MAX_OFFSET + PER_PAGE)
        paginator = Paginator(range(reachable), PER_PAGE)
        page = PaginatorPage(found.results, min(number, paginator.num_pages), paginator)
        kind_counts = found.facets.get("kind", {})
        kinds = [
            {
                "value": value,
                "label": label,
                "count": kind_counts.get(value),
                "selected": value in filters.kinds,
            }
            for value, label in labels.kind_choices()
        ]
        context = self.get_context_data(
            query=q,
            found=found,
            page=page,
            errors=errors,
            kinds=kinds,
            selected_kind=filters.kinds[0] if len(filters.kinds) == 1 else "",
            include_obsolete=found.include_obsolete,
            may_include_obsolete=service.may_include_obsolete(request.user),
            search_url=reverse("shoukong_search"),
        )
        return self.render_to_response(context)


# --- the page chooser -----------------------------------------------------------------


def _documents_wanted(desired_classes) -> bool:
    return any(
        issubclass(DocumentPage, cls) or issubclass(cls, DocumentPage)
        for cls in desired_classes
    )


def document_page_ids(user, q: str) -> list[int]:
    """The pages of the documents and forms ``user`` finds with ``q``, best
    first (one id per document)."""
    found = service.search(
        user,
        q,
        filters=service.SearchFilters(kinds=(EntryKind.DOCUMENT, EntryKind.FORM)),
        per_page=CHOOSER_DOCUMENTS,
        suggest=False,
    )
    entry_ids = [r.id for r in found.results]
    pages = dict(
        SearchEntry.objects.filter(pk__in=entry_ids).values_list("pk", "document_id")
    )
    ordered: dict[int, None] = {}
    for entry_id in entry_ids:
        page_id = pages.get(entry_id)
        if page_id is not None:
            ordered.setdefault(page_id, None)
    return list(ordered)


def _plain_words(q: str) -> str:
    """``q`` for Wagtail's own search: words only, lower case, so that quotes,
    ``*``, ``:`` or ``OR``/``NEAR`` never reach a full-text engine's syntax."""
    return " ".join(_NOT_WORD.sub(" ", q).lower().split())[:200]


class PageChooserSearchView(chooser.SearchView):
    """Wagtail's page chooser search, with documents found by our search.

    Same template, columns and paging as Wagtail's view; what the
    ``construct_page_chooser_queryset`` hooks leave out stays out. Documents
    come first, in the order of the search; then other pages of the wanted
    types that Wagtail's own search finds.
    """

    def get(self, request):
        search_form = SearchForm(request.GET)
        q = search_form.cleaned_data["q"] if search_form.is_valid() else ""
        if not q:
            return super().get(request)
        self.i18n_enabled = getattr(settings, "WAGTAIL_I18N_ENABLED", False)
        self.is_multiple_choice = request.GET.get("multiple")
        page_type_string = request.GET.get("page_type") or chooser.base_page_type_string
        try:
            desired_classes = chooser.page_models_from_string(page_type_string)
        except (ValueError, LookupError) as e:
            raise Http404 from e

        pages = chooser.Page.objects.all()
        if self.i18n_enabled:
            pages = pages.select_related("locale")
        for hook in hooks.get_hooks("construct_page_chooser_queryset"):
            pages = hook(pages, request)
        pages = pages.exclude(depth=1).type(*desired_classes)

        found = []
        if _documents_wanted(desired_classes):
            ids = document_page_ids(request.user, q)
            if ids:
                rank = Case(
                    *[When(pk=pk, then=i) for i, pk in enumerate(ids)],
                    output_field=IntegerField(),
                )
                found += list(
                    pages.filter(pk__in=ids)
                    .annotate(search_rank=rank)
                    .order_by("search_rank")
                    .specific()
                )
        words = _plain_words(q)
        if words and not all(issubclass(c, DocumentPage) for c in desired_classes):
            others = pages.not_type(DocumentPage).specific().autocomplete(words)
            found += list(others[:CHOOSER_OTHER_PAGES])

        paginator = Paginator(found, per_page=25)
        page = paginator.get_page(request.GET.get("p"))
        for item in page:
            item.can_choose = True
            item.is_parent_page = False

        table = chooser.PageChooserTable(
            self.columns, page, show_locale_labels=self.i18n_enabled
        )
        return TemplateResponse(
            request,
            "wagtailadmin/chooser/_search_results.html",
            chooser.shared_context(
                request,
                {
                    "searchform": search_form,
                    "table": table,
                    "pages": page,
                    "page_type_string": page_type_string,
                },
            ),
        )


# Mounted in config/urls.py at Wagtail's own address, before the admin's URLs,
# with the admin's guards (admin access, never cached).
chooser_search_view = require_admin_access(never_cache(PageChooserSearchView.as_view()))
