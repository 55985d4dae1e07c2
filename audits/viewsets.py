"""Internal audits in the Wagtail admin: the question bank (the questions an
auditor asks for a clause, offered again by the next checklist) under the
"Internal audits" menu (内部审核), with links to the audit pages.

The preparers (SHOUKONG_AUDIT_PREPARER_ROLES: 行政部 document control, the
auditors, 管理者代表) keep the bank; everyone else in the admin reads it. A
question a checklist item was built from is never deleted, so that the item
still says where its question came from: it is made inactive instead. The
viewsets are registered in :mod:`audits.wagtail_hooks`.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.admin.ui.tables import BooleanColumn, Column
from wagtail.snippets.views.snippets import SnippetViewSetGroup

from compliance.models import Clause
from compliance.viewsets import (
    CompliancePageMenuItem,
    ComplianceSnippetViewSet,
    RefusingPermissionPolicy,
)
from documents.roles import CUSTOMER_REPRESENTATIVE

from . import permissions
from .models import ChecklistItem, ClauseQuestion

EDIT_ACTIONS = frozenset({"add", "change", "delete"})


# --- Permission policy ---------------------------------------------------------------


class QuestionBankPermissionPolicy(RefusingPermissionPolicy):
    """The preparers add, change and delete questions; whoever reads the audits
    reads the bank. By role (audits.permissions), not by model permission, so
    the bank follows SHOUKONG_AUDIT_PREPARER_ROLES. A question asked by a
    checklist item is kept (it may be made inactive)."""

    def user_has_permission(self, user, action):
        if action in self.frozen_actions:
            return False
        if action in EDIT_ACTIONS:
            return permissions.can_prepare(user)
        if action == "view":
            return permissions.can_view_audits(user)
        return False

    def users_with_any_permission(self, actions):
        actions = set(actions) - self.frozen_actions
        users = get_user_model()._default_manager.filter(is_active=True)
        if actions & EDIT_ACTIONS:
            preparers = users.filter(
                Q(is_superuser=True)
                | Q(groups__name__in=list(settings.SHOUKONG_AUDIT_PREPARER_ROLES))
            )
            if "view" not in actions:
                return preparers.distinct()
        if "view" in actions:
            return users.exclude(groups__name=CUSTOMER_REPRESENTATIVE).distinct()
        return users.none()

    def refusal(self, action, instance):
        if action == "delete" and instance.pk is not None:
            count = ChecklistItem.objects.filter(bank_question=instance).count()
            if count:
                return ngettext(
                    "This question is asked in %(count)d checklist item and cannot "
                    "be deleted; mark it inactive instead.",
                    "This question is asked in %(count)d checklist items and cannot "
                    "be deleted; mark it inactive instead.",
                    count,
                ) % {"count": count}
        return super().refusal(action, instance)


# --- Form -----------------------------------------------------------------------------


class ClauseQuestionForm(WagtailAdminModelForm):
    """A question for a clause in use; its author is the one who adds it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("clause")
        if field is not None:
            queryset = Clause.objects.active().select_related("standard")
            if self.instance.pk is not None:
                queryset = Clause.objects.filter(
                    Q(pk__in=queryset.values("pk")) | Q(pk=self.instance.clause_id)
                ).select_related("standard")
            field.queryset = queryset.order_by(
                "standard__sort_order", "standard_id", "sort_key"
            )

    def save(self, commit=True):
        if self.instance.pk is None and self.for_user is not None:
            self.instance.created_by = self.for_user
        return super().save(commit=commit)


# --- Viewsets -------------------------------------------------------------------------


class QuestionBankViewSet(ComplianceSnippetViewSet):
    """The question bank (题库): questions per clause, reused by checklists."""

    model = ClauseQuestion
    icon = "help"
    menu_order = 110
    list_per_page = 100
    list_display = [
        "__str__",
        Column(
            "standard", label=_("Standard"), accessor=lambda q: q.clause.standard.code
        ),
        "sort_order",
        BooleanColumn("is_active", label=_("Active")),
    ]
    list_filter = ["is_active"]
    search_fields = ["text"]
    ordering = ["clause__sort_key", "sort_order", "id"]
    inspect_view_fields = ["clause", "text", "sort_order", "is_active", "created_at"]
    edit_handler = ObjectList(
        [
            FieldPanel("clause"),
            FieldPanel("text"),
            FieldPanel("sort_order"),
            FieldPanel("is_active"),
        ],
        base_form_class=ClauseQuestionForm,
    )

    def get_queryset(self, request):
        return ClauseQuestion.objects.select_related("clause__standard")


class AuditsViewSetGroup(SnippetViewSetGroup):
    """The "Internal audits" menu (内部审核): links to the audit pages, then the
    question bank."""

    menu_label = _("Internal audits")
    menu_name = "audits"
    menu_icon = "clipboard-list"
    menu_order = 275
    items = (QuestionBankViewSet,)

    def get_submenu_items(self):
        # Built when the menu is first drawn, once the URLconf is loaded.
        return [*page_menu_items(), *super().get_submenu_items()]


# --- Links to the audit pages ---------------------------------------------------------


# (URL name, label, icon, order)
PAGE_LINKS = (
    ("audits:home", _("Overview"), "home", 10),
    ("audits:programmes", _("Programmes"), "date", 20),
    ("audits:audits", _("Audits"), "list-ul", 30),
    ("audits:mine", _("My assignments"), "user", 40),
)


def page_menu_items() -> list[MenuItem]:
    return [
        CompliancePageMenuItem(
            label,
            reverse(url_name),
            name=url_name.replace(":", "-").replace("_", "-"),
            icon_name=icon,
            order=order,
            allowed=permissions.can_view_audits,
        )
        for url_name, label, icon, order in PAGE_LINKS
    ]
