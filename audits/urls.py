"""Audit pages under /audits/ (views in audits.views)."""

from django.urls import path

from .views import audits, checklists, programmes

app_name = "audits"

urlpatterns = [
    # The dashboard: this year's programme and coverage, open findings by
    # audit, and the user's own assignments.
    path("", programmes.home, name="home"),
    path("mine/", audits.my_assignments, name="mine"),
    # Programmes: the heat map, signatures, ?format=docx.
    path("programmes/", programmes.programme_list, name="programmes"),
    path("programmes/new/", programmes.programme_new, name="programme_new"),
    path("programmes/<int:year>/", programmes.programme_detail, name="programme"),
    path(
        "programmes/<int:year>/<slug:action>/",
        programmes.programme_action,
        name="programme_action",
    ),
    # Audits.
    path("audits/", audits.audit_list, name="audits"),
    path("audits/new/", audits.audit_new, name="audit_new"),
    path("audits/<str:number>/", audits.audit_detail, name="audit"),
    path("audits/<str:number>/report.docx", audits.report_download, name="report_docx"),
    # The tablet checklist page (saves as the auditor types).
    path("audits/<str:number>/checklist/", checklists.checklist, name="checklist"),
    path(
        "audits/<str:number>/checklist/<int:item_id>/",
        checklists.item_save,
        name="checklist_item",
    ),
    path(
        "audits/<str:number>/checklist/<int:item_id>/evidence/",
        checklists.evidence_upload,
        name="evidence_upload",
    ),
    path(
        "audits/<str:number>/evidence/<int:evidence_id>/",
        checklists.evidence_download,
        name="evidence",
    ),
    path(
        "audits/<str:number>/checklist/<int:item_id>/finding/",
        checklists.finding_new,
        name="finding_new",
    ),
    # edit, team, schedule, notify, opening, closing, report, submit,
    # approve, return, accept, reject, cancel, generate.
    path(
        "audits/<str:number>/<slug:action>/", audits.audit_action, name="audit_action"
    ),
]
