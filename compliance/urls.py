"""Compliance pages under /compliance/ (views in compliance.views)."""

from django.urls import path

from .views import clauses, nonconformities

app_name = "compliance"

urlpatterns = [
    path("", clauses.home, name="home"),
    # The catalogue (?standard=), one clause, the function allocation matrix,
    # the process owners and the coverage view (?format=xlsx|docx).
    path("clauses/", clauses.clause_list, name="clauses"),
    path("clauses/<slug:standard>/<str:ref_id>/", clauses.clause_detail, name="clause"),
    path("matrix/", clauses.matrix, name="matrix"),
    path("processes/", clauses.process_list, name="processes"),
    path("coverage/", clauses.coverage, name="coverage"),
    # Nonconformities and their actions.
    path(
        "nonconformities/",
        nonconformities.nonconformity_list,
        name="nonconformities",
    ),
    path(
        "nonconformities/new/",
        nonconformities.nonconformity_new,
        name="nonconformity_new",
    ),
    path(
        "nonconformities/<str:number>/",
        nonconformities.nonconformity_detail,
        name="nonconformity",
    ),
    path(
        "nonconformities/<str:number>/evidence/<int:evidence_id>/",
        nonconformities.evidence_download,
        name="evidence",
    ),
    path(
        "nonconformities/<str:number>/<slug:action>/",
        nonconformities.nonconformity_action,
        name="nonconformity_action",
    ),
    # 改进措施实施情况报告 (?format=docx|xlsx&from=&to=).
    path(
        "improvement-report/",
        nonconformities.improvement_report,
        name="improvement_report",
    ),
]
