"""The audits API under /api/v1/ (views in audits.api)."""

from django.urls import path

from . import api

app_name = "audits_api"

urlpatterns = [
    path("audits/", api.AuditListCreateView.as_view(), name="audits"),
    path("audits/<str:id>/", api.AuditDetailView.as_view(), name="audit"),
    # Before the generic action route.
    path(
        "audits/<str:id>/report.docx",
        api.AuditReportDocxView.as_view(),
        name="report-docx",
    ),
    path("audits/<str:id>/checklist/", api.ChecklistView.as_view(), name="checklist"),
    path(
        "audits/<str:id>/checklist/<int:item_id>/",
        api.ChecklistItemView.as_view(),
        name="checklist-item",
    ),
    path(
        "audits/<str:id>/checklist/<int:item_id>/evidence/",
        api.ChecklistEvidenceView.as_view(),
        name="checklist-evidence",
    ),
    path(
        "audits/<str:id>/checklist/<int:item_id>/finding/",
        api.ChecklistFindingView.as_view(),
        name="checklist-finding",
    ),
    path(
        "audits/<str:id>/<slug:action>/",
        api.AuditActionView.as_view(),
        name="audit-action",
    ),
    path("audit-programmes/", api.ProgrammeListCreateView.as_view(), name="programmes"),
    path(
        "audit-programmes/<int:year>/",
        api.ProgrammeDetailView.as_view(),
        name="programme",
    ),
    path(
        "audit-programmes/<int:year>/<slug:action>/",
        api.ProgrammeActionView.as_view(),
        name="programme-action",
    ),
]
