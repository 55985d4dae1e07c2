"""URLs of the REST API, mounted at ``/api/v1/`` (namespace ``api``)."""

from django.urls import path

from . import api

app_name = "api"

urlpatterns = [
    path("auth/token/", api.TokenView.as_view(), name="token"),
    path("documents/", api.DocumentListView.as_view(), name="document-list"),
    path(
        "documents/<str:number>/",
        api.DocumentDetailView.as_view(),
        name="document-detail",
    ),
    path("schema/", api.SchemaView.as_view(), name="schema"),
]
