"""The register of controlled documents as a Wagtail admin report.

Same rows as the staff register (:mod:`documents.register`), filterable by tier,
department and status, with Wagtail's own .xlsx/.csv export buttons.
"""

from __future__ import annotations

import itertools

import django_filters
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.views.reports import ReportView

from . import library as listing
from . import register as registry
from .models import Department, DocumentPage


class RegisterReportFilterSet(WagtailFilterSet):
    tier = django_filters.ChoiceFilter(
        label=_("Tier"),
        choices=listing.tier_choices,
        method="filter_tier",
        empty_label=_("All tiers"),
    )
    department = django_filters.ModelChoiceFilter(
        label=_("Owning department"),
        queryset=Department.objects.all(),
        empty_label=_("All departments"),
    )
    status = django_filters.ChoiceFilter(
        label=_("Document status"),
        choices=listing.status_choices,
        empty_label=_("All statuses"),
    )

    class Meta:
        model = DocumentPage
        fields = ["tier", "department", "status"]

    def filter_tier(self, queryset, name, value):
        return listing.LibraryFilters(tier=value).apply(queryset)


class RegisterReportView(ReportView):
    """受控文件清单 in the admin: every document staff can see, in number order."""

    page_title = _("Document register")
    header_icon = "list-ul"
    index_url_name = "documents_register_report"
    index_results_url_name = "documents_register_report_results"
    filterset_class = RegisterReportFilterSet
    paginate_by = 100
    model = DocumentPage
    # Shown to everyone who may use the admin, internal auditors included.
    permission_required = "wagtailadmin.access_admin"

    list_export = [column.attr for column in registry.COLUMNS]
    export_headings = {column.attr: column.heading for column in registry.COLUMNS}

    columns = [
        Column("number", label=registry.COLUMNS[2].heading),
        TitleColumn(
            "title", label=registry.COLUMNS[1].heading, get_url=lambda row: row.url
        ),
        Column("type_label", label=registry.COLUMNS[0].heading),
        Column("version", label=registry.COLUMNS[3].heading),
        Column("publish_date", label=registry.COLUMNS[4].heading),
        Column("department", label=registry.COLUMNS[8].heading),
        Column("status_label", label=registry.COLUMNS[9].heading),
        Column("retention_period", label=registry.COLUMNS[7].heading),
        Column("storage_location", label=registry.COLUMNS[6].heading),
    ]

    def user_has_permission(self, permission):
        return self.request.user.has_perm(permission)

    def get_queryset(self):
        return listing.listing_queryset(self.request.user)

    def get_filtered_queryset(self):
        rows = registry.build_rows(
            self.filter_queryset(self.get_queryset()), self.request
        )
        return rows

    def get_filename(self):
        return registry.export_basename(today=timezone.localdate())

    def write_csv_response(self, queryset):
        # A byte-order mark so that Excel reads the Chinese text as UTF-8, and
        # the file name in RFC 5987 form.
        response = StreamingHttpResponse(
            itertools.chain(["\ufeff"], self.stream_csv(queryset)),
            content_type=registry.CSV_CONTENT_TYPE,
        )
        today = timezone.localdate()
        response["Content-Disposition"] = registry.attachment_header(
            f"{self.get_filename()}.csv",
            fallback=f"document-register-{today:%Y%m%d}.csv",
        )
        return response
