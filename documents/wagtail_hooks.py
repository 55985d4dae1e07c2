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
        "shoukong.documents.number", _("Number assigned"), _("Number assigned")
    )
    actions.register_action(
        "shoukong.documents.register_external",
        _("External document registered"),
        _("External document registered"),
    )
    actions.register_action(
        "shoukong.users.profile",
        _("Department or job title changed"),
        _("Department or job title changed"),
    )


@hooks.register("before_copy_page")
def refuse_document_aliases(request, page):
    """An alias would mirror a numbered document under a second place."""
    from django.contrib import messages
    from django.shortcuts import redirect

    from .models import DocumentPage

    if (
        request.method == "POST"
        and request.POST.get("alias")
        and isinstance(page.specific, DocumentPage)
    ):
        messages.error(request, _("Controlled documents cannot have aliases."))
        return redirect("wagtailadmin_explore", page.get_parent().id)
    return None


@hooks.register("after_copy_page")
def number_the_copy(request, page, new_page):
    """A copied document is a new document with a number of its own; so is every
    document copied with it, parents first so C/D numbers name the new parent."""
    from .models import DocumentPage
    from .services import document_number_assign

    for copied in (
        new_page.get_descendants(inclusive=True).type(DocumentPage).order_by("depth")
    ):
        document_number_assign(user=request.user, page=copied.specific)


@hooks.register("before_serve_document")
def serve_sources_to_readers_only(document, request):
    """Source files are served to signed-in staff, and those of documents that
    were never issued only to people who may edit them."""
    from django.contrib.auth.views import redirect_to_login
    from django.core.exceptions import PermissionDenied

    from .models import DocumentIssue, DocumentPage
    from .permissions import can_edit_document, can_view_library

    if not can_view_library(request.user):
        return redirect_to_login(request.get_full_path())
    if DocumentIssue.objects.filter(source_file=document).exists():
        return None
    drafts = DocumentPage.objects.filter(source_file=document)
    if drafts.exists() and not any(
        can_edit_document(request.user, page) for page in drafts
    ):
        raise PermissionDenied
    return None


@hooks.register("before_delete_page")
def refuse_deleting_issued_documents(request, page):
    """Issued documents are made obsolete, never deleted; say so instead of a 500."""
    from django.contrib import messages
    from django.shortcuts import redirect

    from .models import DocumentIssue

    if DocumentIssue.objects.under(page).exists():
        messages.error(
            request,
            _(
                "“%(title)s” or a document below it has been issued; issued "
                "documents are made obsolete, never deleted."
            )
            % {"title": page.get_admin_display_title()},
        )
        return redirect("wagtailadmin_explore", page.get_parent().id)
    return None


@hooks.register("before_bulk_action")
def refuse_bulk_deleting_issued_documents(request, action_type, objects, action):
    from django.contrib import messages
    from django.shortcuts import redirect

    from .models import DocumentIssue

    if action_type == "delete" and any(
        DocumentIssue.objects.under(obj).exists()
        for obj in objects
        if hasattr(obj, "path")
    ):
        messages.error(
            request,
            _("Issued documents are made obsolete, never deleted."),
        )
        return redirect(request.META.get("HTTP_REFERER") or "wagtailadmin_home")
    return None


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
