"""Admin registration: policies, log actions, snippets and menus."""

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from .models import Department, DocumentIssue
from .permissions import DocumentIssuePermissionPolicy

# Registered before anything asks for a policy (see wagtail.permissions).
register_permission_policy(DocumentIssue, DocumentIssuePermissionPolicy(DocumentIssue))


@hooks.register("register_log_actions")
def register_document_log_actions(actions):
    actions.register_action(
        "shoukong.documents.issue", _("Issue released"), _("Issue released")
    )
    actions.register_action(
        "shoukong.documents.attach_source",
        _("Source file attached"),
        _("Source file attached"),
    )
    actions.register_action(
        "shoukong.documents.import", _("Imported from register"), _("Imported")
    )
    actions.register_action(
        "shoukong.users.profile",
        _("Department or job title changed"),
        _("Department or job title changed"),
    )


class DepartmentViewSet(SnippetViewSet):
    model = Department
    icon = "group"
    menu_label = _("Departments")
    menu_order = 300
    add_to_settings_menu = True
    list_display = ["name", "code", "sort_order", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "code"]
    ordering = ["sort_order", "name"]


register_snippet(DepartmentViewSet)


# --- The register report (受控文件清单) -----------------------------------------------


@hooks.register("register_admin_urls")
def register_document_register_report_urls():
    from django.urls import path

    from .reports import RegisterReportView

    return [
        path(
            "reports/register/",
            RegisterReportView.as_view(),
            name="documents_register_report",
        ),
        path(
            "reports/register/results/",
            RegisterReportView.as_view(results_only=True),
            name="documents_register_report_results",
        ),
    ]


@hooks.register("register_reports_menu_item")
def register_document_register_report_menu_item():
    from django.urls import reverse
    from wagtail.admin.menu import MenuItem

    return MenuItem(
        _("Document register"),
        reverse("documents_register_report"),
        name="document-register",
        icon_name="list-ul",
        order=650,
    )
