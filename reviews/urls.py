"""Management review pages under /reviews/ (views in reviews.views)."""

from django.urls import path

from .views import home, inputs, meeting, objectives, plans, reporting

app_name = "reviews"

urlpatterns = [
    # The dashboard: when the next review is due (flagged past 12 months),
    # what waits for the user, the reviews, the open actions.
    path("", home.home, name="home"),
    path("actions/", home.actions, name="actions"),
    # Objectives and indicators with their measured values; .xlsx import.
    path("objectives/", objectives.objective_list, name="objectives"),
    path("objectives/new/", objectives.objective_new, name="objective_new"),
    path(
        "objectives/import/", objectives.measurements_import, name="objectives_import"
    ),
    path(
        "objectives/template.xlsx",
        objectives.import_template,
        name="objectives_template",
    ),
    path("objectives/<slug:code>/", objectives.objective_detail, name="objective"),
    path(
        "objectives/<slug:code>/edit/", objectives.objective_edit, name="objective_edit"
    ),
    # A review: its plan and signatures, then its steps.
    path("new/", plans.review_new, name="review_new"),
    path("<str:number>/", plans.review_detail, name="review"),
    path("<str:number>/edit/", plans.review_edit, name="review_edit"),
    path("<str:number>/plan.docx", plans.plan_download, name="plan_docx"),
    # submit, sign, return, revise, cancel, notify: one service each (POST).
    path("<str:number>/do/<slug:action>/", plans.review_action, name="review_action"),
    # The departments' inputs and the compiled pack.
    path("<str:number>/inputs/", inputs.input_list, name="inputs"),
    path(
        "<str:number>/inputs/<int:input_id>/<slug:action>/",
        inputs.input_action,
        name="input_action",
    ),
    path("<str:number>/files/<int:file_id>/", inputs.input_file, name="input_file"),
    path("<str:number>/pack/", inputs.pack_detail, name="pack"),
    path("<str:number>/pack/<slug:action>/", inputs.pack_action, name="pack_action"),
    # The meeting: attendance, the 管理者代表's report, discussion, conclusions.
    path("<str:number>/meeting/", meeting.meeting_form, name="meeting"),
    # The outputs and their follow-up.
    path("<str:number>/outputs/", meeting.output_list, name="outputs"),
    path(
        "<str:number>/outputs/<int:seq>/<slug:action>/",
        meeting.output_action,
        name="output_action",
    ),
    # The report: submit with the distribution list, sign, downloads.
    path("<str:number>/report/", reporting.report_page, name="report"),
    path("<str:number>/report.docx", reporting.report_download, name="report_docx"),
    path("<str:number>/minutes.docx", reporting.minutes_download, name="minutes_docx"),
]
