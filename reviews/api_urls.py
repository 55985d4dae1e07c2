"""The reviews API under /api/v1/ (views in reviews.api)."""

from django.urls import path

from . import api

app_name = "reviews_api"

urlpatterns = [
    path("reviews/", api.ReviewListCreateView.as_view(), name="reviews"),
    # Before the review route, which would take "schedule" for a number.
    path("reviews/schedule/", api.ScheduleView.as_view(), name="schedule"),
    path("reviews/<str:id>/", api.ReviewDetailView.as_view(), name="review"),
    path(
        "reviews/<str:id>/report.docx",
        api.ReportDocxView.as_view(),
        name="report-docx",
    ),
    path(
        "reviews/<str:id>/minutes.docx",
        api.MinutesDocxView.as_view(),
        name="minutes-docx",
    ),
    # Before the generic action route.
    path("reviews/<str:id>/inputs/", api.PackView.as_view(), name="review-inputs"),
    path("reviews/<str:id>/pack/", api.PackCompileView.as_view(), name="pack"),
    path(
        "reviews/<str:id>/pack/confirm/",
        api.PackConfirmView.as_view(),
        name="pack-confirm",
    ),
    path("reviews/<str:id>/meeting/", api.MeetingView.as_view(), name="meeting"),
    path(
        "reviews/<str:id>/report/submit/",
        api.ReportSubmitView.as_view(),
        name="report-submit",
    ),
    path("reviews/<str:id>/outputs/", api.OutputListView.as_view(), name="outputs"),
    path(
        "reviews/<str:id>/outputs/<int:seq>/",
        api.OutputDetailView.as_view(),
        name="output",
    ),
    path(
        "reviews/<str:id>/outputs/<int:seq>/<slug:action>/",
        api.OutputActionView.as_view(),
        name="output-action",
    ),
    path(
        "reviews/<str:id>/department-inputs/",
        api.DepartmentInputListView.as_view(),
        name="department-inputs",
    ),
    path(
        "reviews/<str:id>/department-inputs/<int:input_id>/files/",
        api.DepartmentInputFilesView.as_view(),
        name="department-input-files",
    ),
    path(
        "reviews/<str:id>/department-inputs/<int:input_id>/<slug:action>/",
        api.DepartmentInputActionView.as_view(),
        name="department-input-action",
    ),
    path(
        "reviews/<str:id>/<slug:action>/",
        api.ReviewActionView.as_view(),
        name="review-action",
    ),
    path("objectives/", api.ObjectiveListCreateView.as_view(), name="objectives"),
    # Before the objective route, which would take "import" for a code.
    path(
        "objectives/import/",
        api.MeasurementImportView.as_view(),
        name="objectives-import",
    ),
    path(
        "objectives/<str:code>/",
        api.ObjectiveDetailView.as_view(),
        name="objective",
    ),
    path(
        "objectives/<str:code>/measurements/",
        api.MeasurementListView.as_view(),
        name="measurements",
    ),
]
