"""URLs of the REST API, mounted at ``/api/v1/`` (namespace ``api``)."""

from django.urls import path

from . import api, api_lifecycle

app_name = "api"

urlpatterns = [
    path("auth/token/", api.TokenView.as_view(), name="token"),
    # GET lists documents (api.DocumentListView); POST creates a draft.
    path(
        "documents/",
        api_lifecycle.DocumentListCreateView.as_view(),
        name="document-list",
    ),
    path(
        "documents/<str:number>/",
        api.DocumentDetailView.as_view(),
        name="document-detail",
    ),
    path(
        "documents/<str:number>/draft/",
        api_lifecycle.DocumentReviseView.as_view(),
        name="document-draft",
    ),
    path(
        "documents/<str:number>/submit/",
        api_lifecycle.DocumentSubmitView.as_view(),
        name="document-submit",
    ),
    path(
        "documents/<str:number>/approve/",
        api_lifecycle.DocumentApproveView.as_view(),
        name="document-approve",
    ),
    path(
        "documents/<str:number>/reject/",
        api_lifecycle.DocumentRejectView.as_view(),
        name="document-reject",
    ),
    path(
        "documents/<str:number>/access/",
        api_lifecycle.DocumentAccessView.as_view(),
        name="document-access",
    ),
    path(
        "documents/<str:number>/other-names/",
        api_lifecycle.DocumentOtherNamesView.as_view(),
        name="document-other-names",
    ),
    path(
        "documents/<str:number>/issues/<str:label>/copy.pdf",
        api_lifecycle.CopyPdfView.as_view(),
        name="copy-pdf",
    ),
    path(
        "documents/<str:number>/issues/<str:label>/acknowledge/",
        api_lifecycle.AcknowledgeView.as_view(),
        name="issue-acknowledge",
    ),
    path("schema/", api.SchemaView.as_view(), name="schema"),
]
