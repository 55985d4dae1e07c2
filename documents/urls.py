from django.urls import path, register_converter

from . import views, views_lifecycle


class NumberConverter:
    regex = r"[A-Za-z0-9][A-Za-z0-9\-]*"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class LabelConverter:
    regex = r"[A-Za-z]{1,4}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(NumberConverter, "docnumber")
register_converter(LabelConverter, "issuelabel")

app_name = "documents"

urlpatterns = [
    path("", views.home, name="home"),
    path("documents/", views.library, name="library"),
    path("register/", views.register, name="register"),
    # Lifecycle pages and actions (views_lifecycle) come before the document
    # permalinks: "my" and "control" would otherwise read as document numbers.
    path("documents/my/", views_lifecycle.my_tasks, name="my_tasks"),
    path(
        "documents/my/acknowledge/<int:issue_id>/",
        views_lifecycle.acknowledge,
        name="acknowledge",
    ),
    path(
        "documents/my/copies/<int:copy_id>/password/",
        views_lifecycle.copy_password,
        name="copy_password",
    ),
    path(
        "documents/my/recalls/<int:recall_id>/lost/",
        views_lifecycle.recall_report_loss,
        name="recall_report_loss",
    ),
    path(
        "documents/my/recalls/<int:recall_id>/loss-decision/",
        views_lifecycle.recall_loss_decide,
        name="recall_loss_decide",
    ),
    path(
        "documents/my/withdrawals/<int:request_id>/decision/",
        views_lifecycle.withdrawal_decide,
        name="withdrawal_decide",
    ),
    path("documents/control/", views_lifecycle.control_desk, name="control_desk"),
    path(
        "documents/control/recalls/<int:recall_id>/returned/",
        views_lifecycle.recall_return,
        name="recall_return",
    ),
    path(
        "documents/control/recalls/<int:recall_id>/keep/",
        views_lifecycle.recall_keep,
        name="recall_keep",
    ),
    path(
        "documents/control/reviews/<docnumber:number>/",
        views_lifecycle.review_record,
        name="review_record",
    ),
    path(
        "documents/<docnumber:number>/change-request/",
        views_lifecycle.change_request,
        name="change_request",
    ),
    path(
        "documents/<docnumber:number>/access/",
        views.document_access,
        name="document_access",
    ),
    path(
        "documents/<docnumber:number>/other-names/",
        views.document_aliases,
        name="document_aliases",
    ),
    path(
        "documents/<docnumber:number>/<issuelabel:label>/copy.pdf",
        views_lifecycle.copy_pdf,
        name="copy_pdf",
    ),
    path("documents/<docnumber:number>/", views.document_detail, name="detail"),
    path(
        "documents/<docnumber:number>/<issuelabel:label>/",
        views.issue_detail,
        name="issue",
    ),
]
