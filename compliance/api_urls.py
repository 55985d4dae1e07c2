"""The compliance API under /api/v1/ (views in compliance.api)."""

from django.urls import path

from . import api

app_name = "compliance_api"

urlpatterns = [
    path("clauses/", api.ClauseListView.as_view(), name="clauses"),
    path("clauses/<str:ref_id>/", api.ClauseDetailView.as_view(), name="clause"),
    path(
        "nonconformities/",
        api.NonconformityListCreateView.as_view(),
        name="nonconformities",
    ),
    path(
        "nonconformities/<str:number>/",
        api.NonconformityDetailView.as_view(),
        name="nonconformity",
    ),
    path(
        "nonconformities/<str:number>/extensions/<int:extension_id>/decide/",
        api.ExtensionDecideView.as_view(),
        name="extension-decide",
    ),
    path(
        "nonconformities/<str:number>/<slug:action>/",
        api.NonconformityActionView.as_view(),
        name="nonconformity-action",
    ),
]
