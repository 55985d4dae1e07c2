"""Records in the Wagtail admin: log actions (the History of each record),
permission policies, the "Records" menu (records, the records list 记录清单,
disposal requests, retention classes) and the dashboard panels."""

from __future__ import annotations

from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.admin.ui.tables import Column
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permissions import register_permission_policy
from wagtail.snippets.views.snippets import SnippetViewSet

from documents.admin_views import RecordViewSet as DocumentControlRecordViewSet

from . import admin_views
from .admin_views import (
    FrozenPermissionPolicy,
    RecordTypePermissionPolicy,
    RetentionClassPermissionPolicy,
)
from .models import DisposalRequest, Record, RecordType, RetentionClass

LOG_ACTIONS = (
    ("shoukong.records.type_create", _("Added to the records list")),
    ("shoukong.records.type_update", _("Records list entry changed")),
    ("shoukong.records.create", _("Record filed")),
    ("shoukong.records.correct", _("Record corrected (划改)")),
    ("shoukong.records.retention_event", _("Retention event entered")),
    ("shoukong.records.hold", _("Legal hold placed")),
    ("shoukong.records.hold_release", _("Legal hold lifted")),
    ("shoukong.records.access_grant", _("Access to a record granted")),
    ("shoukong.records.access_revoke", _("Access to a record withdrawn")),
    ("shoukong.records.disposal_request", _("Disposal requested")),
    ("shoukong.records.disposal_approve", _("Disposal approved")),
    ("shoukong.records.disposal_reject", _("Disposal rejected")),
    ("shoukong.records.disposal_execute", _("Records destroyed")),
    ("shoukong.records.destroy", _("Record destroyed")),
    ("shoukong.records.export", _("Records exported")),
)


@hooks.register("register_log_actions")
def register_record_log_actions(actions):
    for action, label in LOG_ACTIONS:
        actions.register_action(action, label, label)


# --- Permission policies ------------------------------------------------------------
# Registered before anything asks for a policy (see wagtail.permissions).

register_permission_policy(Record, FrozenPermissionPolicy(Record))
register_permission_policy(DisposalRequest, FrozenPermissionPolicy(DisposalRequest))
register_permission_policy(RecordType, RecordTypePermissionPolicy(RecordType))
register_permission_policy(
    RetentionClass, RetentionClassPermissionPolicy(RetentionClass)
)


# --- The "Records" menu (记录) --------------------------------------------------------


class RetentionClassViewSet(SnippetViewSet):
    """Retention classes (保存期限): reference data that document control keeps."""

    model = RetentionClass
    icon = "time"
    menu_label = _("Retention classes")
    menu_order = 130
    menu_item_is_registered = True
    list_display = [
        "name",
        Column("wording", label=_("Retention"), accessor="wording"),
        "kind",
        "description",
    ]
    list_filter = ["kind", "event"]
    search_fields = ["name", "description"]
    ordering = ["kind", "event", "months"]
    copy_view_enabled = False
    edit_handler = ObjectList(
        [
            FieldPanel("name"),
            FieldPanel("kind"),
            FieldPanel("months"),
            FieldPanel("event"),
            FieldPanel("description"),
        ],
        base_form_class=admin_views.RetentionClassForm,
    )


class RecordTypeViewSet(ModelViewSet):
    """The records list (记录清单): one entry per form that has been filled."""

    model = RecordType
    name = "record_types"
    url_prefix = "records/types"
    icon = "list-ul"
    menu_label = _("Records list (记录清单)")
    menu_order = 110
    add_to_reference_index = False
    copy_view_enabled = False
    inspect_view_enabled = True
    index_view_class = admin_views.RecordTypeIndexView
    edit_view_class = admin_views.RecordTypeEditView
    list_filter = ["confidential", "retention_class", "custodian"]
    search_fields = ["form__number", "form__title"]
    ordering = ["form__number"]
    panels = [
        FieldPanel("retention_class"),
        FieldPanel("custodian"),
        FieldPanel("confidential"),
        FieldPanel("storage_location"),
    ]

    def get_common_view_kwargs(self, **kwargs):
        return super().get_common_view_kwargs(
            **{"add_url_name": None, "delete_url_name": None, **kwargs}
        )

    def get_urlpatterns(self):
        return [
            pattern
            for pattern in super().get_urlpatterns()
            if pattern.name not in {"add", "delete"}
        ]

    def get_permissions_to_register(self):
        return Permission.objects.filter(
            content_type=ContentType.objects.get_for_model(RecordType),
            codename__in=("view_recordtype", "change_recordtype"),
        )


class RecordViewSet(DocumentControlRecordViewSet):
    """Records, read-only: what the user may read, each linked to its page."""

    model = Record
    name = "records_admin"
    url_prefix = "records/records"
    icon = "doc-full-inverse"
    menu_label = _("Records")
    menu_order = 100
    index_view_class = admin_views.RecordAdminIndexView
    inspect_view_class = admin_views.RecordAdminInspectView
    ordering = ["-record_date", "-id"]
    list_filter = ["status", "department", "confidential", "legal_hold"]
    search_fields = ["number", "form__number", "form__title"]
    inspect_view_fields = [
        "number",
        "form",
        "form_issue",
        "record_date",
        "related_to",
        "department",
        "confidential",
        "retention_class",
        "retention_subject",
        "retention_event_on",
        "retention_until",
        "status",
        "legal_hold",
        "legal_hold_reason",
        "created_by_name",
        "created_at",
        "destroyed_at",
        "disposal",
    ]


class DisposalRequestViewSet(DocumentControlRecordViewSet):
    """Disposal requests (记录销毁), read-only; they are acted on from /records/."""

    model = DisposalRequest
    name = "disposal_requests"
    url_prefix = "records/disposal"
    icon = "bin"
    menu_label = _("Disposal requests")
    menu_order = 120
    index_view_class = admin_views.DisposalRequestIndexView
    inspect_view_class = admin_views.DisposalRequestInspectView
    ordering = ["-requested_at", "-id"]
    list_filter = ["status", "method", "department"]
    search_fields = ["reference"]


class RecordsViewSetGroup(ViewSetGroup):
    menu_label = _("Records")
    menu_icon = "doc-full-inverse"
    menu_order = 260
    items = (
        RecordViewSet,
        RecordTypeViewSet,
        DisposalRequestViewSet,
        RetentionClassViewSet,
    )


@hooks.register("register_admin_viewset")
def register_records_viewsets():
    return RecordsViewSetGroup()


# --- Dashboard ---------------------------------------------------------------------


@hooks.register("construct_homepage_panels")
def add_records_panels(request, panels):
    """For document control and department managers: records due for disposal
    in their scope, disposal requests waiting for them."""
    panels.extend(panel() for panel in admin_views.DASHBOARD_PANELS)
