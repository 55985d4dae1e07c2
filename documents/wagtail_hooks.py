"""Admin registration: policies, log actions, snippets and menus."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.ui.tables import Column
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.log_actions import LogFormatter
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from . import admin_views
from .admin_views import RecordPermissionPolicy, RecordViewSet
from .lifecycle import SignatureMeaning
from .models import (
    BorrowRecord,
    ChangeRequest,
    ControlledCopy,
    CopyEvent,
    Department,
    DestructionRecord,
    DocumentIssue,
    DocumentReview,
    ExternalSignOut,
    RecallTask,
    Signature,
    WithdrawalRequest,
)
from .permissions import DocumentIssuePermissionPolicy

# Registered before anything asks for a policy (see wagtail.permissions).
register_permission_policy(DocumentIssue, DocumentIssuePermissionPolicy(DocumentIssue))
for _record_model in (
    CopyEvent,
    ControlledCopy,
    RecallTask,
    ChangeRequest,
    DocumentReview,
    WithdrawalRequest,
    DestructionRecord,
    BorrowRecord,
    ExternalSignOut,
    Signature,
):
    register_permission_policy(_record_model, RecordPermissionPolicy(_record_model))


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
    for action, label in (
        ("shoukong.documents.activate", _("Issue took effect")),
        ("shoukong.documents.access", _("Readers set")),
        ("shoukong.documents.aliases", _("Aliases set")),
        (
            "shoukong.documents.signature_refused",
            _("Signature refused: wrong password"),
        ),
        ("shoukong.documents.pre_issue_failed", _("Pre-issue check failed")),
        ("shoukong.documents.acknowledge", _("Read and understood")),
        ("shoukong.documents.recall_close", _("Recall closed")),
        ("shoukong.documents.loss_report", _("Copy reported lost")),
        ("shoukong.documents.uncontrolled_copy", _("Uncontrolled copy given out")),
        ("shoukong.documents.borrow", _("Original lent")),
        ("shoukong.documents.borrow_return", _("Original returned")),
        ("shoukong.documents.destroy", _("Copy destroyed")),
        ("shoukong.documents.change_request", _("Change requested")),
        ("shoukong.documents.change_request_decide", _("Change request decided")),
        ("shoukong.documents.change_request_withdraw", _("Change request withdrawn")),
        ("shoukong.documents.review", _("Periodic review recorded")),
        ("shoukong.documents.withdrawal_request", _("Withdrawal requested")),
        ("shoukong.documents.withdrawal_decide", _("Withdrawal decided")),
        ("shoukong.documents.withdraw", _("Withdrawn: obsolete")),
        ("shoukong.documents.external_check", _("External document checked")),
        ("shoukong.documents.external_sign_out", _("External document signed out")),
    ):
        actions.register_action(action, label, label)

    @actions.register_action("shoukong.documents.sign")
    class SignatureFormatter(LogFormatter):
        label = _("Signed")

        def format_message(self, log_entry):
            data = log_entry.data or {}
            meaning = dict(SignatureMeaning.choices).get(data.get("meaning"), "")
            message = _("%(meaning)s for issue %(issue)s at step “%(step)s”") % {
                "meaning": meaning,
                "issue": data.get("issue", ""),
                "step": data.get("step", ""),
            }
            if data.get("department"):
                message += f" ({data['department']})"
            return message

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


@hooks.register("before_edit_page")
def sign_from_the_editor_without_saving(request, page):
    """Signing from the editor's action menu signs the revision under review and
    saves nothing, like the dashboard and the API do.

    Wagtail's editor would first save the form as a new revision whenever it
    looks changed, and a body stored without Draftail's block keys (imported,
    created by a service) always does: the new revision would then void every
    signature of the chain (WAGTAIL_WORKFLOW_REQUIRE_REAPPROVAL_ON_EDIT) and the
    signature just given would name a revision that is never issued. A signer
    who wants a change saves a draft, or returns the document with a comment.
    """
    if request.method != "POST":
        return None
    if request.POST.get("action-cancel-workflow"):
        return _refuse_cancel_unless_allowed(request, page)
    if not request.POST.get("action-workflow-action"):
        return None
    import json

    from django.contrib import messages
    from django.core.exceptions import PermissionDenied, ValidationError
    from django.shortcuts import redirect
    from wagtail.admin.utils import get_valid_next_url_from_request

    from . import approvals
    from .lifecycle import InvalidTransition
    from .models import SignatureTask

    task_state = page.current_workflow_task_state
    task = task_state.task.specific if task_state is not None else None
    if not isinstance(task, SignatureTask):
        return None
    edit_url = reverse("wagtailadmin_pages:edit", args=(page.pk,))
    action = request.POST.get("workflow-action-name", "")
    if action not in {
        name for name, _label, _modal in task.get_actions(page, request.user)
    }:
        messages.error(request, _("This approval step is not yours to act on now."))
        return redirect(edit_url)
    try:
        extra = json.loads(request.POST.get("workflow-action-extra-data") or "{}")
    except ValueError:
        extra = {}
    if not isinstance(extra, dict):
        extra = {}
    try:
        result = approvals.task_act(
            task_state=task_state.specific,
            user=request.user,
            action=action,
            comment=extra.get("comment") or "",
            password=extra.get("password"),
            attachments_complete=extra.get("attachments_complete"),
        )
    except (PermissionDenied, ValidationError, InvalidTransition) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return redirect(edit_url)
    title = page.get_admin_display_title()
    if result.reasons:
        messages.warning(
            request,
            _("“%(title)s” was returned to its author: %(reasons)s")
            % {"title": title, "reasons": " ".join(result.reasons)},
        )
    elif result.returned:
        messages.success(
            request, _("“%(title)s” was returned to its author.") % {"title": title}
        )
    else:
        messages.success(request, _("You signed “%(title)s”.") % {"title": title})
    next_url = get_valid_next_url_from_request(request)
    return redirect(
        next_url or reverse("wagtailadmin_explore", args=(page.get_parent().id,))
    )


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


# --- Dashboard ------------------------------------------------------------------------


@hooks.register("construct_homepage_panels")
def add_document_control_panels(request, panels):
    """Each role's queue: signatures, acknowledgements, recalls, reviews."""
    from .admin_views import DASHBOARD_PANELS

    panels.extend(panel() for panel in DASHBOARD_PANELS)


# --- Document control records (read-only) -------------------------------------------


class CopyEventViewSet(RecordViewSet):
    """《文件发放、回收记录》: every copy issued, downloaded, printed, recalled."""

    model = CopyEvent
    name = "distribution_records"
    url_prefix = "document-control/distribution"
    icon = "list-ul"
    menu_label = _("Distribution and recall record")
    menu_order = 100
    index_view_class = admin_views.CopyEventIndexView
    ordering = ["-at", "-id"]
    list_display = [
        "at",
        Column(
            "number", label=_("Document number"), accessor="copy.issue.document.number"
        ),
        Column("issue", label=_("Issue"), accessor="copy.issue.label"),
        Column("copy_label", label=_("Copy"), accessor="copy.copy_label"),
        Column("holder", label=_("Holder"), accessor="copy.holder_label"),
        "action",
        "user",
    ]
    list_filter = ["action", "at"]
    search_fields = ["copy__issue__document__number", "copy__issue__document__title"]
    list_export = [
        "at",
        "copy.issue.document.number",
        "copy.issue.document.title",
        "copy.issue.label",
        "copy.copy_label",
        "copy.holder_label",
        "get_action_display",
        "user",
        "note",
    ]
    export_headings = {
        "at": _("Time"),
        "copy.issue.document.number": _("Document number"),
        "copy.issue.document.title": _("Title"),
        "copy.issue.label": _("Issue"),
        "copy.copy_label": _("Copy"),
        "copy.holder_label": _("Holder"),
        "get_action_display": _("Action"),
        "user": _("By"),
        "note": _("Note"),
    }
    export_filename = "distribution-and-recall-record"


class ControlledCopyViewSet(RecordViewSet):
    model = ControlledCopy
    name = "controlled_copies"
    url_prefix = "document-control/copies"
    icon = "doc-full"
    menu_label = _("Controlled copies")
    menu_order = 110
    index_view_class = admin_views.ControlledCopyIndexView
    ordering = ["-issued_at", "-id"]
    list_display = [
        "__str__",
        Column("holder", label=_("Holder"), accessor="holder_label"),
        "location",
        "status",
        "issued_at",
    ]
    list_filter = ["kind", "status"]
    search_fields = ["issue__document__number", "issue__document__title", "recipient"]
    # The opening password is shown only to the holder, and every showing is
    # recorded; it never appears here.
    inspect_view_fields_exclude = ["open_password"]


class RecallTaskViewSet(RecordViewSet):
    model = RecallTask
    name = "recall_tasks"
    url_prefix = "document-control/recalls"
    icon = "rotate"
    menu_label = _("Recall tasks")
    menu_order = 120
    index_view_class = admin_views.RecallTaskIndexView
    filterset_class = admin_views.RecallTaskFilterSet
    ordering = ["due_date", "id"]
    list_display = [
        "copy",
        Column("holder", label=_("Holder"), accessor="copy.holder_label"),
        "due_date",
        "status",
        "closed_at",
    ]
    inspect_view_fields_exclude = ["overdue_notified_on"]


class ChangeRequestViewSet(RecordViewSet):
    model = ChangeRequest
    name = "change_requests"
    url_prefix = "document-control/change-requests"
    icon = "edit"
    menu_label = _("Change requests")
    menu_order = 130
    index_view_class = admin_views.ChangeRequestIndexView
    ordering = ["-requested_at", "-id"]
    list_display = [
        "__str__",
        "requested_by",
        "requested_at",
        "source",
        "status",
    ]
    list_filter = ["status", "source"]
    search_fields = ["document__number", "document__title", "reason"]
    inspect_view_fields_exclude = ["source_type", "source_id"]


class DocumentReviewViewSet(RecordViewSet):
    model = DocumentReview
    name = "periodic_reviews"
    url_prefix = "document-control/reviews"
    icon = "calendar-check"
    menu_label = _("Periodic reviews")
    menu_order = 140
    index_view_class = admin_views.DocumentReviewIndexView
    ordering = ["-reviewed_on", "-id"]
    list_display = [
        "document",
        Column("issue", label=_("Issue"), accessor="issue.label"),
        "reviewed_on",
        "reviewed_by",
        "outcome",
    ]
    list_filter = ["outcome"]
    search_fields = ["document__number", "document__title"]


class WithdrawalRequestViewSet(RecordViewSet):
    model = WithdrawalRequest
    name = "withdrawal_requests"
    url_prefix = "document-control/withdrawals"
    icon = "bin"
    menu_label = _("Withdrawal requests")
    menu_order = 150
    index_view_class = admin_views.WithdrawalRequestIndexView
    ordering = ["-requested_at", "-id"]
    list_display = [
        "document",
        "requested_by",
        "requested_at",
        "status",
    ]
    list_filter = ["status"]
    search_fields = ["document__number", "document__title"]


class DestructionRecordViewSet(RecordViewSet):
    model = DestructionRecord
    name = "destruction_records"
    url_prefix = "document-control/destructions"
    icon = "cross"
    menu_label = _("Destruction records")
    menu_order = 160
    index_view_class = admin_views.DestructionRecordIndexView
    ordering = ["-destroyed_on", "-id"]
    list_display = [
        "__str__",
        Column(
            "copies",
            label=_("Copies"),
            accessor=lambda record: ", ".join(
                str(copy) for copy in record.copies.all()
            ),
        ),
        "executed_by",
        "witness",
        "approved_by",
    ]
    list_filter = ["method"]


class BorrowRecordViewSet(RecordViewSet):
    model = BorrowRecord
    name = "borrowing_records"
    url_prefix = "document-control/loans"
    icon = "openquote"
    menu_label = _("Borrowing records")
    menu_order = 170
    index_view_class = admin_views.BorrowRecordIndexView
    ordering = ["-borrowed_on", "-id"]
    list_display = [
        "__str__",
        "purpose",
        "borrowed_on",
        "due_on",
        "returned_on",
        "status",
    ]
    list_filter = ["status"]


class ExternalSignOutViewSet(RecordViewSet):
    model = ExternalSignOut
    name = "external_sign_outs"
    url_prefix = "document-control/external-sign-outs"
    icon = "tick-inverse"
    menu_label = _("External sign-outs")
    menu_order = 180
    index_view_class = admin_views.ExternalSignOutIndexView
    ordering = ["-signed_at", "-id"]
    list_display = ["document", "department", "signed_by", "signed_at", "copies"]
    list_filter = ["department"]
    search_fields = ["document__number", "document__title"]


class SignatureViewSet(RecordViewSet):
    model = Signature
    name = "signatures"
    url_prefix = "document-control/signatures"
    icon = "key"
    menu_label = _("Signatures")
    menu_order = 190
    index_view_class = admin_views.SignatureIndexView
    ordering = ["-signed_at", "-id"]
    list_display = [
        "document",
        "meaning",
        "user",
        "department",
        "issue_label",
        Column("step", label=_("Step"), accessor="task_state.task.name"),
        "signed_at",
    ]
    list_filter = ["meaning"]
    search_fields = ["document__number", "document__title"]


class DocumentControlViewSetGroup(ViewSetGroup):
    menu_label = _("Document control")
    menu_icon = "folder-open-inverse"
    menu_order = 250
    items = (
        CopyEventViewSet,
        ControlledCopyViewSet,
        RecallTaskViewSet,
        ChangeRequestViewSet,
        DocumentReviewViewSet,
        WithdrawalRequestViewSet,
        DestructionRecordViewSet,
        BorrowRecordViewSet,
        ExternalSignOutViewSet,
        SignatureViewSet,
    )


@hooks.register("register_admin_viewset")
def register_document_control_viewsets():
    return DocumentControlViewSetGroup()


@hooks.register("after_edit_page")
def realign_a_resubmitted_chain(request, page):
    """The editor's Resubmit restarts the step that returned the document; when
    the content changed, the chain restarts at its first step not signed for the
    new content instead (see approvals.chain_realign)."""
    from . import approvals
    from .models import DocumentPage

    specific = page.specific
    if isinstance(specific, DocumentPage):
        approvals.chain_realign(user=request.user, document=specific)


def _refuse_cancel_unless_allowed(request, page):
    from django.contrib import messages
    from django.shortcuts import redirect

    from . import approvals
    from .models import DocumentPage

    specific = page.specific
    if not isinstance(specific, DocumentPage) or approvals.may_cancel(
        user=request.user, document=specific
    ):
        return None
    messages.error(
        request,
        _("Only the author or document control may cancel the approval."),
    )
    return redirect(reverse("wagtailadmin_pages:edit", args=(page.pk,)))


@hooks.register("construct_page_action_menu")
def hide_cancel_from_signers(menu_items, request, context):
    """Signers return a document with a reason; they don't cancel its chain."""
    from . import approvals
    from .models import DocumentPage

    page = context.get("page")
    specific = getattr(page, "specific", None)
    if not isinstance(specific, DocumentPage):
        return
    if approvals.may_cancel(user=request.user, document=specific):
        return
    menu_items[:] = [
        item
        for item in menu_items
        if getattr(item, "name", "") not in ("action-cancel-workflow",)
        and type(item).__name__ != "RestartWorkflowMenuItem"
    ]


def _documents_type(page_class) -> bool:
    from .lifecycle import DocumentKind
    from .models import DocumentPage

    return (
        isinstance(page_class, type)
        and issubclass(page_class, DocumentPage)
        and page_class.document_kind != DocumentKind.EXTERNAL
    )


@hooks.register("before_create_page")
def create_documents_as_drafts(request, parent_page, page_class):
    """A new controlled document is a draft: "Publish" on the create form saves
    it as one (it is released only through its approval chain)."""
    if request.method == "POST" and _documents_type(page_class):
        if "action-publish" in request.POST:
            request.POST = request.POST.copy()
            del request.POST["action-publish"]


@hooks.register("before_copy_page")
def copy_documents_as_drafts(request, page):
    """Copies of controlled documents are new drafts, never published."""
    if request.method == "POST" and _documents_type(type(page.specific)):
        if "publish_copies" in request.POST:
            request.POST = request.POST.copy()
            del request.POST["publish_copies"]
