"""Staff pages for records (records.views), under /records/."""

from django.urls import path, register_converter

from . import views


class RecordNumberConverter:
    """A record or form number as typed or pasted; the views normalise it
    (full-width characters, look-alike dashes) and redirect to the canonical
    spelling."""

    regex = r"[^/]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class DisposalReferenceConverter:
    regex = r"[A-Za-z]+-[0-9]{4}-[0-9]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(RecordNumberConverter, "recordnumber")
register_converter(DisposalReferenceConverter, "disposalref")

app_name = "records"

# Fixed paths come before /records/<number>/: "fill" or "types" would
# otherwise be read as record numbers.
urlpatterns = [
    path("", views.record_list, name="list"),
    path("fill/", views.fill_index, name="fill_index"),
    path("fill/<recordnumber:number>/", views.fill, name="fill"),
    path("types/", views.record_types, name="types"),
    path("disposal/", views.disposal_queue, name="disposal_queue"),
    path("disposal/<disposalref:reference>/", views.disposal_detail, name="disposal"),
    path(
        "disposal/<disposalref:reference>/approve/",
        views.disposal_approve,
        name="disposal_approve",
    ),
    path(
        "disposal/<disposalref:reference>/reject/",
        views.disposal_reject,
        name="disposal_reject",
    ),
    path(
        "disposal/<disposalref:reference>/execute/",
        views.disposal_execute,
        name="disposal_execute",
    ),
    path("retention-events/", views.retention_events, name="events"),
    path("<recordnumber:number>/", views.record_detail, name="detail"),
    path("<recordnumber:number>/correct/", views.record_correct, name="correct"),
    path("<recordnumber:number>/hold/", views.record_hold, name="hold"),
    path("<recordnumber:number>/access/", views.record_access, name="access"),
    path("<recordnumber:number>/file/", views.record_file, name="file"),
]
