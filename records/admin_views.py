"""Records in the Wagtail admin: permission policies, the views of the "Records"
menu and the dashboard panels.

The admin writes nothing a service should write: the records list (记录清单)
is edited through :func:`records.services.record_type_update`, records and
disposal requests are only listed and inspected (ISO/IEC 20000-1:2018 7.5.3:
retained documented information is protected from unintended alteration), and
every listing is cut to what the user may read (:mod:`records.permissions`).
The viewsets themselves are declared in :mod:`records.wagtail_hooks`.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.urls import NoReverseMatch, reverse
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.ui.tables import BooleanColumn, Column, TitleColumn
from wagtail.admin.views.generic import EditView, IndexView
from wagtail.permission_policies import ModelPermissionPolicy

from documents import roles
from documents.admin_views import (
    PANEL_LIMIT,
    DashboardPanel,
    RecordIndexView,
    RecordInspectView,
    _local,
)
from documents.permissions import (
    DocumentIssuePermissionPolicy,
    department_of,
    is_department_head,
)

from . import permissions, retention, services
from .models import DisposalRequest, Record, RecordType, RetentionClass
from .notifications import disposal_requests_awaiting, disposal_scope

# The model permissions each role needs for the "Records" menu (to be granted in
# documents.roles). What a user then sees is still cut by records.permissions:
# a department manager lists only his department's records.
# The records permissions of each role (granted by documents.roles).
ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    role: tuple(p for p in granted if p.startswith("records."))
    for role, granted in roles.MODEL_PERMISSIONS.items()
    if any(p.startswith("records.") for p in granted)
}


def _url(name: str, fallback: str = "", **kwargs) -> str:
    """A staff page's URL, reversed when the page is drawn."""
    try:
        return reverse(name, kwargs=kwargs or None)
    except NoReverseMatch:
        return fallback


def disposal_queue_url() -> str:
    return _url("records:disposal_queue", "/records/disposal/")


# --- Permission policies ------------------------------------------------------------


class FrozenPermissionPolicy(DocumentIssuePermissionPolicy):
    """Model permissions, except for actions nobody takes in the admin."""

    frozen_actions = frozenset({"add", "change", "delete"})


class RecordTypePermissionPolicy(FrozenPermissionPolicy):
    """Entries of the records list are created by ``record_type_ensure`` (when a
    form is first filled) and never deleted; document control changes them."""

    frozen_actions = frozenset({"add", "delete"})

    def user_has_permission(self, user, action):
        if action == "change" and not permissions.can_manage_record_types(user):
            return False
        return super().user_has_permission(user, action)

    def user_has_permission_for_instance(self, user, action, instance):
        if action == "change" and not permissions.can_manage_record_types(user):
            return False
        return super().user_has_permission_for_instance(user, action, instance)


def retention_class_usage(retention_class: RetentionClass) -> tuple[int, int]:
    """How many records and records-list entries are kept under the class."""
    if retention_class.pk is None:
        return 0, 0
    return (
        Record.objects.filter(retention_class=retention_class).count(),
        RecordType.objects.filter(retention_class=retention_class).count(),
    )


class RetentionClassPermissionPolicy(ModelPermissionPolicy):
    """A class in use cannot be deleted (its records cite it)."""

    def user_has_permission_for_instance(self, user, action, instance):
        if action == "delete" and any(retention_class_usage(instance)):
            return False
        return super().user_has_permission_for_instance(user, action, instance)


# --- Retention classes --------------------------------------------------------------

RULE_FIELDS = ("kind", "months", "event")


class RetentionClassForm(WagtailAdminModelForm):
    """Name and description stay editable; the rule (kind, period, event) is
    fixed once records or records-list entries use the class, because changing
    it would silently change the retention of records already kept."""

    def clean(self):
        cleaned = super().clean()
        if all(name in cleaned for name in RULE_FIELDS):
            try:
                retention.RetentionRule(
                    kind=cleaned["kind"],
                    months=cleaned["months"],
                    event=cleaned["event"] or "",
                )
            except ValueError as exc:
                # Said in words, before the database's check constraint would.
                raise ValidationError(str(exc)) from None
        if self.instance.pk is None:
            return cleaned
        stored = RetentionClass.objects.filter(pk=self.instance.pk).first()
        if stored is None:
            return cleaned
        changed = [
            name
            for name in RULE_FIELDS
            if name in cleaned and cleaned[name] != getattr(stored, name)
        ]
        if not changed:
            return cleaned
        records, types = retention_class_usage(stored)
        if not (records or types):
            return cleaned
        message = _(
            "“%(name)s” is the retention of %(records)s and %(types)s: its kind, "
            "period and event cannot change, or the retention of what is already "
            "kept would change with it. Add a new retention class and choose it "
            "in the records list instead."
        ) % {
            "name": stored.name,
            "records": ngettext("%(n)d record", "%(n)d records", records)
            % {"n": records},
            "types": ngettext(
                "%(n)d records list entry", "%(n)d records list entries", types
            )
            % {"n": types},
        }
        raise ValidationError({name: message for name in changed})


# --- The records list (记录清单) ------------------------------------------------------


class RecordTypeIndexView(IndexView):
    """Form number, title, retention, custodian, confidentiality."""

    @cached_property
    def columns(self):
        def url(record_type):
            return self.get_edit_url(record_type) or self.get_inspect_url(record_type)

        title_column = self._get_title_column_class(TitleColumn)
        return [
            title_column(
                "form_number",
                label=_("Form number"),
                accessor="form.number",
                sort_key="form__number",
                get_url=url,
            ),
            Column(
                "title", label=_("Title"), accessor="form.title", sort_key="form__title"
            ),
            Column(
                "retention", label=_("Retention"), accessor="retention_class.wording"
            ),
            Column(
                "custodian",
                label=_("Custodian department"),
                accessor=lambda rt: rt.custodian or _("The department that fills it"),
            ),
            BooleanColumn("confidential", label=_("Confidential")),
            Column("storage_location", label=_("Storage location")),
        ]

    def get_base_queryset(self):
        return RecordType.objects.select_related("form", "retention_class", "custodian")


class RecordTypeEditView(EditView):
    """Saved by :func:`records.services.record_type_update`, which checks the
    permission and leaves the ``shoukong.records.type_update`` log entry."""

    def save_instance(self):
        data = self.form.cleaned_data
        # The form has already written the new values into its instance: the
        # service is given the entry as stored, so its log shows the change.
        stored = RecordType.objects.select_related("retention_class").get(
            pk=self.object.pk
        )
        return services.record_type_update(
            user=self.request.user,
            record_type=stored,
            retention_class=data["retention_class"],
            custodian=data.get("custodian"),
            confidential=bool(data.get("confidential")),
            storage_location=data.get("storage_location") or "",
        )


# --- Records and disposal requests (read-only) --------------------------------------


class RecordAdminIndexView(RecordIndexView):
    """The records the user may read; each links to its staff page."""

    @cached_property
    def columns(self):
        title_column = self._get_title_column_class(TitleColumn)
        return [
            title_column(
                "number",
                label=_("Record number"),
                sort_key="number",
                get_url=self.get_record_url,
            ),
            Column("form", label=_("Form"), accessor="form.title"),
            Column(
                "record_date",
                label=_("Record date"),
                sort_key="record_date",
                accessor=lambda r: date_format(r.record_date, "SHORT_DATE_FORMAT"),
            ),
            Column("department", label=_("Department"), accessor="department"),
            Column(
                "retention_until",
                label=_("Retained until"),
                sort_key="retention_until",
                accessor=_retention_display,
            ),
            Column("status", label=_("Status"), accessor="get_status_display"),
            BooleanColumn("confidential", label=_("Confidential")),
        ]

    def get_record_url(self, record):
        return _url("records:detail", number=record.number) or self.get_inspect_url(
            record
        )

    def get_base_queryset(self):
        return Record.objects.visible_to(self.request.user).for_listing()


def _retention_display(record: Record) -> str:
    if record.retention_until is not None:
        return date_format(record.retention_until, "SHORT_DATE_FORMAT")
    if record.retention_class.kind == "permanent":
        return str(_("Permanent"))
    return str(_("Pending event"))


class RecordAdminInspectView(RecordInspectView):
    """404 for a record the user may not read, as on the staff pages."""

    def get_object(self, queryset=None):
        return get_object_or_404(
            Record.objects.visible_to(self.request.user), pk=self.pk
        )


class DisposalRequestIndexView(RecordIndexView):
    @cached_property
    def columns(self):
        title_column = self._get_title_column_class(TitleColumn)
        return [
            title_column(
                "reference",
                label=_("Reference"),
                sort_key="reference",
                get_url=lambda request: (
                    _url("records:disposal", reference=request.reference)
                    or self.get_inspect_url(request)
                ),
            ),
            Column("department", label=_("Department"), accessor="department"),
            Column("status", label=_("Status"), accessor="get_status_display"),
            Column("method", label=_("Method"), accessor="get_method_display"),
            Column("requested_by", label=_("Requested by"), accessor="requested_by"),
            Column(
                "requested_at",
                label=_("Requested at"),
                sort_key="requested_at",
                accessor=lambda r: date_format(
                    _local(r.requested_at), "SHORT_DATETIME_FORMAT"
                ),
            ),
            Column("executed_on", label=_("Destroyed on"), accessor="executed_on"),
        ]

    def get_base_queryset(self):
        return (
            DisposalRequest.objects.filter(disposal_scope(self.request.user))
            .select_related("department", "requested_by")
            .order_by("-requested_at", "-id")
        )


class DisposalRequestInspectView(RecordInspectView):
    def get_object(self, queryset=None):
        return get_object_or_404(
            DisposalRequest.objects.filter(disposal_scope(self.request.user)),
            pk=self.pk,
        )


# --- Dashboard panels ----------------------------------------------------------------


def _due_scope(user) -> Q | None:
    """Whose records past retention the user answers for: document control all
    departments, a department manager his own; None for everyone else."""
    if permissions.is_records_controller(user):
        return Q()
    department = department_of(user)
    if department is not None and is_department_head(user, department):
        return Q(department=department)
    return None


class RecordsDueForDisposalPanel(DashboardPanel):
    """Records past retention, not held and not yet in a disposal request."""

    name = "shoukong_records_due_for_disposal"
    order = 110
    panel_id = "shoukong-records-due-for-disposal"
    heading = _("Records due for disposal")
    columns = (_("Record number"), _("Form"), _("Department"), _("Retained until"))
    more_label = _("Open the disposal queue")

    def get_more_url(self, request):
        return disposal_queue_url()

    def get_rows(self, request):
        scope = _due_scope(request.user)
        if scope is None:
            return 0, []
        due = (
            Record.objects.visible_to(request.user)
            .disposable(services.company_today())
            .filter(scope)
        )
        count = due.count()
        if not count:
            return 0, []
        url = self.get_more_url(request)
        rows = [
            [
                {"text": record.number, "url": url},
                {"text": record.form.title},
                {"text": str(record.department)},
                {
                    "text": date_format(record.retention_until, "SHORT_DATE_FORMAT"),
                    "overdue": True,
                },
            ]
            for record in due.select_related("form", "department").order_by(
                "retention_until", "number"
            )[:PANEL_LIMIT]
        ]
        return count, rows


class DisposalAwaitingPanel(DashboardPanel):
    """Disposal requests waiting for this user: the department head's approval,
    document control's, or the destruction itself."""

    name = "shoukong_disposal_awaiting"
    order = 111
    panel_id = "shoukong-disposal-awaiting"
    heading = _("Disposal requests awaiting me")
    columns = (_("Reference"), _("Department"), _("Status"), _("Requested at"))
    more_label = _("Open the disposal queue")

    def get_more_url(self, request):
        return disposal_queue_url()

    def get_rows(self, request):
        awaiting = disposal_requests_awaiting(request.user)
        count = awaiting.count()
        if not count:
            return 0, []
        rows = []
        for item in awaiting.select_related("department").order_by(
            "requested_at", "id"
        )[:PANEL_LIMIT]:
            url = _url(
                "records:disposal", disposal_queue_url(), reference=item.reference
            )
            rows.append(
                [
                    {"text": item.reference, "url": url},
                    {"text": str(item.department)},
                    {"text": item.get_status_display()},
                    {
                        "text": date_format(
                            _local(item.requested_at), "SHORT_DATE_FORMAT"
                        )
                    },
                ]
            )
        return count, rows


DASHBOARD_PANELS = (RecordsDueForDisposalPanel, DisposalAwaitingPanel)
