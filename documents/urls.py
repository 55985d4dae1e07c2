from django.urls import path, register_converter

from . import views


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
    path("documents/<docnumber:number>/", views.document_detail, name="detail"),
    path(
        "documents/<docnumber:number>/<issuelabel:label>/",
        views.issue_detail,
        name="issue",
    ),
]
