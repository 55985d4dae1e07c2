"""Search in the Wagtail admin: the admin search view and its search area.

The area is registered before Wagtail's own (pages: order 100), so the search
box of the admin's sidebar searches documents and records through
:mod:`search.service`; the other searches stay listed beside the results.
"""

from __future__ import annotations

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.search import SearchArea

from . import admin_views


@hooks.register("register_admin_urls")
def register_search_urls():
    # Under /admin/: Wagtail adds its admin-access check to these.
    return [
        path(
            "shoukong-search/",
            admin_views.AdminSearchView.as_view(),
            name="shoukong_search",
        ),
    ]


class DocumentSearchArea(SearchArea):
    def is_shown(self, request):
        # Everyone who reaches the admin searches what they may see.
        return request.user.is_authenticated and request.user.is_active


@hooks.register("register_admin_search_area")
def register_document_search_area():
    return DocumentSearchArea(
        _("Documents and records"),
        reverse("shoukong_search"),
        name="shoukong",
        icon_name="doc-full-inverse",
        order=10,
    )
