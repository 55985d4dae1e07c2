"""The records API under /api/v1/records/ (views in records.api)."""

from django.urls import path

from . import api

app_name = "records_api"

urlpatterns = [
    # GET lists the records you may see; POST fills a form.
    path("", api.RecordListCreateView.as_view(), name="list"),
    # Before "<number>/": a fixed path, not a record number.
    path(
        "retention-events/",
        api.RetentionEventCreateView.as_view(),
        name="retention-events",
    ),
    path("<str:number>/", api.RecordDetailView.as_view(), name="detail"),
    path(
        "<str:number>/corrections/",
        api.CorrectionListCreateView.as_view(),
        name="corrections",
    ),
]
