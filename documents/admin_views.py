"""Admin building blocks for document control: the dashboard panels and the
read-only listings of its records.

The records (distribution and recall, copies, change requests, reviews, …) are
written only by the services in :mod:`documents.distribution` and
:mod:`documents.changes`; the admin lists and inspects them and nothing else
(ISO/IEC 20000-1:2018 7.5.3: retained documented information is protected from
unintended alteration). The viewsets themselves are declared in
:mod:`documents.wagtail_hooks`.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

import django_filters
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from wagtail.admin.admin_url_finder import ModelAdminURLFinder
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.components import Component
from wagtail.admin.views.generic import IndexView, InspectView
from wagtail.admin.views.mixins import SpreadsheetExportMixin
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permissions import policy_registry

from . import approvals
from .changes import reviews_due
from .distribution import is_document_controller
from .lifecycle import OPEN_RECALL_STATUSES
from .models import (
    Acknowledgement,
    BorrowRecord,
    ChangeRequest,
    ControlledCopy,
    CopyEvent,
    CoSignTask,
    DestructionRecord,
    DocumentPage,
    DocumentReview,
    ExternalSignOut,
    PreIssueCheckTask,
    RecallTask,
    Signature,
    SignOffTask,
    WithdrawalRequest,
)
from .permissions import DocumentIssuePermissionPolicy

# --- Permissions ----------------------------------------------------------------------


class RecordPermissionPolicy(DocumentIssuePermissionPolicy):
    """Document-control records are written by the services only: nobody adds,
    changes or deletes one through the admin, whatever their model permissions."""

    frozen_actions = frozenset({"add", "change", "delete"})


# --- Read-only listings ---------------------------------------------------------------


def _local(value: datetime.datetime) -> datetime.datetime:
    return timezone.localtime(value) if timezone.is_aware(value) else value


class RecordIndexView(IndexView):
    """A listing of records; exports show local time (Asia/Shanghai), not UTC."""

    custom_value_preprocess = {
        **SpreadsheetExportMixin.custom_value_preprocess,
        datetime.datetime: {
            SpreadsheetExportMixin.FORMAT_XLSX: lambda v: _local(v).replace(
                tzinfo=None
            ),
            SpreadsheetExportMixin.FORMAT_CSV: lambda v: _local(v).strftime(
                "%Y-%m-%d %H:%M"
            ),
        },
    }


class RecordInspectView(InspectView):
    """Wagtail's inspect template applies ``localize`` before the template would
    convert to local time, so datetimes showed in UTC; convert them first."""

    def get_field_display_value(self, field_name, field):
        value = super().get_field_display_value(field_name, field)
        if isinstance(value, datetime.datetime):
            return _local(value)
        return value


class CopyEventIndexView(RecordIndexView):
    queryset = CopyEvent.objects.select_related(
        "copy__issue__document", "copy__holder", "copy__department", "user"
    )


class ControlledCopyIndexView(RecordIndexView):
    queryset = ControlledCopy.objects.select_related(
        "issue__document", "holder", "department"
    )


class RecallTaskIndexView(RecordIndexView):
    queryset = RecallTask.objects.select_related(
        "copy__issue__document", "copy__holder", "copy__department", "closed_by"
    )


class ChangeRequestIndexView(RecordIndexView):
    queryset = ChangeRequest.objects.select_related(
        "document", "requested_by", "decided_by", "resulting_issue"
    )


class DocumentReviewIndexView(RecordIndexView):
    queryset = DocumentReview.objects.select_related(
        "document", "issue", "reviewed_by", "change_request"
    )


class WithdrawalRequestIndexView(RecordIndexView):
    queryset = WithdrawalRequest.objects.select_related(
        "document", "requested_by", "department_approved_by", "approved_by"
    )


class DestructionRecordIndexView(RecordIndexView):
    queryset = DestructionRecord.objects.select_related(
        "executed_by", "approved_by"
    ).prefetch_related("copies__issue__document")


class BorrowRecordIndexView(RecordIndexView):
    queryset = BorrowRecord.objects.select_related(
        "copy__issue__document", "borrower", "approved_by"
    )


class ExternalSignOutIndexView(RecordIndexView):
    queryset = ExternalSignOut.objects.select_related(
        "document", "department", "signed_by"
    )


class SignatureIndexView(RecordIndexView):
    queryset = Signature.objects.select_related(
        "document", "user", "department", "task_state__task"
    )


class RecallTaskFilterSet(WagtailFilterSet):
    """Open, overdue (open and past its due date) or closed recalls."""

    state = django_filters.ChoiceFilter(
        label=_("State"),
        choices=[
            ("open", _("Open")),
            ("overdue", _("Overdue")),
            ("closed", _("Closed")),
        ],
        method="filter_state",
        empty_label=_("All"),
    )

    class Meta:
        model = RecallTask
        fields = ["status", "due_date"]

    def filter_state(self, queryset, name, value):
        if value == "open":
            return queryset.open()
        if value == "overdue":
            return queryset.overdue(timezone.localdate())
        if value == "closed":
            return queryset.exclude(status__in=OPEN_RECALL_STATUSES)
        return queryset


class RecordURLFinder(ModelAdminURLFinder):
    """A record has no edit view: "edit" links elsewhere in the admin (history,
    search) lead to its inspect view, for those who may view it."""

    def get_edit_url(self, instance):
        policy = policy_registry.get(instance)
        if self.user and not policy.user_has_permission(self.user, "view"):
            return None
        return self.construct_edit_url(instance)


class RecordViewSet(ModelViewSet):
    """Lists and inspects append-only records; no add, edit, copy or delete view
    exists, so there is no URL for one either."""

    inspect_view_enabled = True
    copy_view_enabled = False
    add_to_reference_index = False
    index_view_class = RecordIndexView
    inspect_view_class = RecordInspectView
    list_per_page = 50

    def get_common_view_kwargs(self, **kwargs):
        return super().get_common_view_kwargs(
            **{
                "add_url_name": None,
                "edit_url_name": None,
                "delete_url_name": None,
                "history_url_name": None,
                "usage_url_name": None,
                **kwargs,
            }
        )

    def get_urlpatterns(self):
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path("inspect/<int:pk>/", self.inspect_view, name="inspect"),
        ]

    @property
    def url_finder_class(self):
        return type(
            f"{self.model.__name__}URLFinder",
            (RecordURLFinder,),
            {"edit_url_name": self.get_url_name("inspect")},
        )

    def get_permissions_to_register(self):
        """Only "view" is a meaningful permission on a record."""
        return Permission.objects.filter(
            content_type=ContentType.objects.get_for_model(self.model),
            codename=f"view_{self.model._meta.model_name}",
        )


# --- Dashboard panels -----------------------------------------------------------------

PANEL_LIMIT = 10


def _edit_url(page) -> str:
    return reverse("wagtailadmin_pages:edit", args=(page.pk,))


def _awaiting(request) -> list:
    """Steps the user may sign now, computed once per request for both panels.

    Only users holding the role of some signature step are asked at all: the
    dashboard of everyone else costs a few queries, however many documents are
    in approval.
    """
    cached = getattr(request, "_shoukong_awaiting", None)
    if cached is not None:
        return cached
    user = request.user
    group_ids = list(user.groups.values_list("id", flat=True))
    may_sign_somewhere = bool(group_ids) and any(
        model.objects.filter(active=True, groups__in=group_ids).exists()
        for model in (SignOffTask, CoSignTask, PreIssueCheckTask)
    )
    result = approvals.task_states_awaiting(user) if may_sign_somewhere else []
    result.sort(key=lambda state: state.started_at)
    request._shoukong_awaiting = result
    return result


class DashboardPanel(Component):
    """A dashboard table that renders nothing when it has no rows."""

    template_name = "documents/admin/dashboard_panel.html"
    panel_id = ""
    heading = ""
    columns: tuple = ()
    more_label = _("Show all")

    def get_rows(self, request) -> tuple[int, list[list[dict]]]:
        """The total count and the first rows, each a list of cells."""
        raise NotImplementedError

    def get_more_url(self, request) -> str | None:
        return None

    def get_context_data(self, parent_context: Mapping[str, Any]) -> Mapping[str, Any]:
        request = parent_context["request"]
        count, rows = self.get_rows(request)
        return {
            "panel_id": self.panel_id,
            "heading": self.heading,
            "columns": self.columns,
            "rows": rows,
            "count": count,
            "more_url": self.get_more_url(request) if count else None,
            "more_label": self.more_label,
        }

    def render_html(self, parent_context: Mapping[str, Any] = None) -> str:
        context = self.get_context_data(parent_context)
        if not context["rows"]:
            return ""
        return render_to_string(self.template_name, context)


def _step_rows(states) -> list[list[dict]]:
    rows = []
    for state in states[:PANEL_LIMIT]:
        document = state.document
        url = _edit_url(document)
        rows.append(
            [
                {"text": document.number or "—", "url": url},
                {"text": document.title, "url": url},
                {"text": state.task.name},
                {
                    "text": date_format(
                        _local(state.started_at), "SHORT_DATETIME_FORMAT"
                    )
                },
            ]
        )
    return rows


class MyApprovalsPanel(DashboardPanel):
    """Review, approval and pre-issue check steps waiting for this user."""

    name = "shoukong_my_approvals"
    order = 101
    panel_id = "shoukong-my-approvals"
    heading = _("My approvals")
    columns = (_("Number"), _("Title"), _("Step"), _("Since"))

    def get_rows(self, request):
        states = [
            s for s in _awaiting(request) if not isinstance(s.task.specific, CoSignTask)
        ]
        return len(states), _step_rows(states)


class MyCoSignaturesPanel(DashboardPanel):
    """Co-signatures (会签) waiting for this user's department."""

    name = "shoukong_my_cosignatures"
    order = 102
    panel_id = "shoukong-my-cosignatures"
    heading = _("My co-signatures")
    columns = (_("Number"), _("Title"), _("Step"), _("Since"))

    def get_rows(self, request):
        states = [
            s for s in _awaiting(request) if isinstance(s.task.specific, CoSignTask)
        ]
        return len(states), _step_rows(states)


class MyAcknowledgementsPanel(DashboardPanel):
    """Issues this user has still to confirm as read and understood (签收)."""

    name = "shoukong_my_acknowledgements"
    order = 103
    panel_id = "shoukong-my-acknowledgements"
    heading = _("My acknowledgements")
    columns = (_("Number"), _("Title"), _("Issue"), _("Requested"))
    more_label = _("Confirm in my documents")

    def get_more_url(self, request):
        return reverse("documents:my_tasks")

    def get_rows(self, request):
        pending = Acknowledgement.objects.pending().filter(user=request.user)
        count = pending.count()
        if not count:
            return 0, []
        url = self.get_more_url(request)
        rows = [
            [
                {"text": ack.issue.document.number or "—", "url": url},
                {"text": ack.issue.document.title, "url": url},
                {"text": ack.issue.label},
                {"text": date_format(_local(ack.requested_at), "SHORT_DATE_FORMAT")},
            ]
            for ack in pending.select_related("issue__document").order_by(
                "requested_at", "id"
            )[:PANEL_LIMIT]
        ]
        return count, rows


class RecallsOverduePanel(DashboardPanel):
    """For document control: copies not back by their due date."""

    name = "shoukong_recalls_overdue"
    order = 104
    panel_id = "shoukong-recalls-overdue"
    heading = _("Recalls overdue")
    columns = (_("Number"), _("Issue"), _("Copy"), _("Holder"), _("Due"))
    more_label = _("Open document control")

    def get_more_url(self, request):
        return reverse("documents:control_desk")

    def get_rows(self, request):
        if not is_document_controller(request.user):
            return 0, []
        overdue = RecallTask.objects.overdue(timezone.localdate())
        count = overdue.count()
        if not count:
            return 0, []
        url = self.get_more_url(request)
        rows = []
        for recall in overdue.select_related(
            "copy__issue__document", "copy__holder", "copy__department"
        ).order_by("due_date", "id")[:PANEL_LIMIT]:
            copy = recall.copy
            rows.append(
                [
                    {"text": copy.issue.document.number or "—", "url": url},
                    {"text": copy.issue.label},
                    {"text": copy.copy_label},
                    {"text": copy.holder_label},
                    {
                        "text": date_format(recall.due_date, "SHORT_DATE_FORMAT"),
                        "overdue": True,
                    },
                ]
            )
        return count, rows


class ReviewsDuePanel(DashboardPanel):
    """Periodic reviews due soon or overdue: all of them for document control,
    their own documents for page owners."""

    name = "shoukong_reviews_due"
    order = 105
    panel_id = "shoukong-reviews-due"
    heading = _("Reviews due")
    columns = (_("Number"), _("Title"), _("Review due"))

    def get_rows(self, request):
        user = request.user
        controller = is_document_controller(user)
        if not controller and not (
            DocumentPage.objects.controlled().filter(owner=user).exists()
        ):
            return 0, []
        today = timezone.localdate()
        documents = reviews_due(today=today)
        if not controller:
            documents = [d for d in documents if d.owner_id == user.pk]
        rows = []
        for document in documents[:PANEL_LIMIT]:
            url = _edit_url(document)
            due = document.next_review_due
            rows.append(
                [
                    {"text": document.number or "—", "url": url},
                    {"text": document.title, "url": url},
                    {
                        "text": date_format(due, "SHORT_DATE_FORMAT"),
                        "overdue": due < today,
                    },
                ]
            )
        return len(documents), rows


DASHBOARD_PANELS = (
    MyApprovalsPanel,
    MyCoSignaturesPanel,
    MyAcknowledgementsPanel,
    RecallsOverduePanel,
    ReviewsDuePanel,
)
