"""The bodies the compliance API reads and answers with (see
:mod:`compliance.api`).

Answers serialize the objects the views load (the rows of
:func:`compliance.coverage.clause_rows`, nonconformities with their plans,
extensions, implementations and verifications prefetched). Statuses, kinds
and sources are answered as their values (``planned``) with a ``*_display``
text in the active language.

Requests name things as people do (a department by name, a user by username,
a document by number, a clause by its number); the request serializers turn
them into objects, so their ``validated_data`` are the keyword arguments of
the service they feed, and an unknown name is refused under its field.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, serializers
from rest_framework.fields import empty
from rest_framework.permissions import BasePermission

from documents.api import document_title
from documents.api_lifecycle import department_for, document_for, user_for
from records.api import read_upload

from .. import permissions
from ..lifecycle import NonconformityKind, NonconformitySource, NonconformityStatus
from ..models import NonconformityGrade
from ..services import clause_for

# --- permission ---------------------------------------------------------------------


class CanViewCompliance(BasePermission):
    """Staff of the company; a customer representative is refused."""

    message = gettext_lazy("You may not read the compliance register.")

    def has_permission(self, request, view) -> bool:
        return permissions.can_view_compliance(request.user)


# --- fields -------------------------------------------------------------------------


class StrictBooleanField(serializers.BooleanField):
    """A boolean that must be given, also in a form body (where the REST
    framework would read a missing checkbox as false)."""

    default_empty_html = empty


def document_named(request, number: str):
    """A released document by its number; refused as a field error."""
    try:
        return document_for(request.user, number)
    except exceptions.NotFound:
        raise serializers.ValidationError(
            _("Unknown document: %(number)s") % {"number": number}
        ) from None


def clause_named(ref_id: str, standard: str | None):
    try:
        return clause_for(ref_id, standard=standard or None)
    except DjangoValidationError as exc:
        raise serializers.ValidationError(exc.messages) from None


# --- answers: shared ----------------------------------------------------------------


def absolute(request, url: str | None) -> str | None:
    if not url:
        return None
    return request.build_absolute_uri(url) if request is not None else url


def user_ref(user) -> dict[str, str] | None:
    if user is None:
        return None
    name = (user.get_full_name() or "").strip()
    return {"username": user.get_username(), "name": name or user.get_username()}


class UserRefSerializer(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.CharField(help_text="Full name, else the username.")


@extend_schema_field(UserRefSerializer(allow_null=True))
class UserRefField(serializers.Field):
    """A user as ``{"username", "name"}``."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value):
        return user_ref(value)


class AnswerSerializer(serializers.Serializer):
    """Read-only answers: ``None`` attributes stay ``null``."""

    def _url(self, url: str | None) -> str | None:
        return absolute(self.context.get("request"), url)


RESTRICTED_HELP = (
    "A restricted document you may not open: its number, title and url are left empty."
)


class DocumentLinkSerializer(AnswerSerializer):
    """A document named by a nonconformity; the context's ``restricted`` holds
    the ids of those the user may not open."""

    number = serializers.SerializerMethodField()
    title = serializers.SerializerMethodField(help_text="The title as issued.")
    url = serializers.SerializerMethodField(help_text="The document's page.")
    restricted = serializers.SerializerMethodField(help_text=RESTRICTED_HELP)

    @extend_schema_field(serializers.BooleanField())
    def get_restricted(self, page) -> bool:
        return page.pk in self.context.get("restricted", ())

    @extend_schema_field(serializers.CharField())
    def get_number(self, page) -> str:
        return "" if self.get_restricted(page) else page.number or ""

    @extend_schema_field(serializers.CharField())
    def get_title(self, page) -> str:
        return "" if self.get_restricted(page) else document_title(page)

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_url(self, page) -> str | None:
        if self.get_restricted(page):
            return None
        return self._url(page.get_permalink())


# --- answers: clauses ---------------------------------------------------------------


class ClauseDocumentSerializer(AnswerSerializer):
    """A document that meets the clause."""

    # Serializes a compliance.coverage.DocumentRef.

    number = serializers.CharField()
    title = serializers.SerializerMethodField(help_text="The title as issued.")
    kind = serializers.CharField(
        source="document.kind", help_text="manual, procedure, instruction, …"
    )
    tier = serializers.IntegerField(source="document.tier", allow_null=True)
    status = serializers.CharField(
        source="document.status", help_text="controlled, draft or obsolete."
    )
    issue = serializers.CharField(
        source="issue.label",
        allow_null=True,
        default=None,
        help_text="The label of the issue in force.",
    )
    effective_date = serializers.DateField(
        source="issue.effective_date", allow_null=True, default=None
    )
    next_review_due = serializers.DateField(allow_null=True)
    overdue = serializers.BooleanField(help_text="Past its review date.")
    note = serializers.CharField(help_text="How the document meets the clause.")
    inherited_from = serializers.CharField(
        allow_null=True,
        help_text="The parent clause the document is linked to, if not this one.",
    )
    url = serializers.SerializerMethodField(help_text="The document's page.")
    restricted = serializers.BooleanField(
        help_text=(
            "A restricted document you may not open: it answers the clause, "
            "but its number, title, note and url are left empty."
        )
    )

    @extend_schema_field(serializers.CharField())
    def get_title(self, ref) -> str:
        return "" if ref.restricted else document_title(ref.document)

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_url(self, ref) -> str | None:
        return self._url(ref.url)


class ClauseDepartmentSerializer(serializers.Serializer):
    name = serializers.CharField()
    level = serializers.CharField(help_text="primary (★) or supporting (☆).")


class ClauseGapsSerializer(serializers.Serializer):
    no_procedure = serializers.BooleanField(
        help_text="No effective procedure answers the clause."
    )
    only_overdue = serializers.BooleanField(
        help_text="Every controlled document of the clause is overdue for review."
    )
    not_audited = serializers.BooleanField(
        help_text="Not audited within the audit period (12 months by default)."
    )


class ClauseSerializer(AnswerSerializer):
    """A clause and what answers it."""

    # Serializes a compliance.coverage.ClauseRow; the context gives the parents'
    # numbers ("parents": clause pk -> ref_id).

    ref_id = serializers.CharField(
        source="clause.ref_id", help_text="The clause number, e.g. 8.5.1."
    )
    standard = serializers.CharField(
        source="clause.standard.ref_id", help_text="e.g. iso20000-1-2018."
    )
    title = serializers.CharField(
        source="clause.title_zh", help_text="Chinese short title."
    )
    title_en = serializers.CharField(
        source="clause.title_en", help_text="English short title."
    )
    parent = serializers.SerializerMethodField()
    depth = serializers.IntegerField(source="clause.depth")
    url = serializers.SerializerMethodField(help_text="The clause's page.")
    documents = ClauseDocumentSerializer(many=True)
    departments = serializers.SerializerMethodField()
    open_nonconformities = serializers.IntegerField()
    last_audited = serializers.DateField(allow_null=True)
    applicable = serializers.BooleanField()
    justification = serializers.CharField(
        help_text="Why the clause does not apply, when excluded."
    )
    gaps = serializers.SerializerMethodField()

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_parent(self, row) -> str | None:
        return self.context.get("parents", {}).get(row.clause.pk)

    @extend_schema_field(serializers.URLField())
    def get_url(self, row) -> str | None:
        return self._url(row.clause.get_absolute_url())

    @extend_schema_field(ClauseDepartmentSerializer(many=True))
    def get_departments(self, row) -> list[dict]:
        return [{"name": dept.name, "level": level} for dept, level in row.departments]

    @extend_schema_field(ClauseGapsSerializer)
    def get_gaps(self, row) -> dict[str, bool]:
        return {
            "no_procedure": row.no_procedure,
            "only_overdue": row.applicable and row.only_overdue,
            "not_audited": row.applicable and row.not_audited,
        }


class ClauseChildSerializer(serializers.Serializer):
    ref_id = serializers.CharField(source="clause.ref_id")
    title = serializers.CharField(source="clause.title_zh")


class ClauseProcessSerializer(serializers.Serializer):
    name = serializers.CharField()
    owner = UserRefField()
    department = serializers.CharField(source="department.name")


class ClauseNonconformitySerializer(AnswerSerializer):
    number = serializers.CharField()
    title = serializers.CharField()
    status = serializers.CharField()
    status_display = serializers.CharField(source="get_status_display")
    grade = serializers.CharField(source="grade.code", help_text="e.g. major.")
    department = serializers.CharField(source="department.name")
    due_date = serializers.DateField(allow_null=True)
    url = serializers.SerializerMethodField()

    @extend_schema_field(serializers.URLField())
    def get_url(self, nc) -> str | None:
        return self._url(nc.get_absolute_url())


class ClauseAuditSerializer(serializers.Serializer):
    date = serializers.DateField()
    title = serializers.CharField()
    url = serializers.CharField(allow_null=True, required=False)


class ClauseDetailSerializer(ClauseSerializer):
    """A clause with its sub-clauses, processes, findings and audits."""

    # The context also gives "processes", "findings" and "audits".

    children = ClauseChildSerializer(many=True)
    processes = serializers.SerializerMethodField()
    open_nonconformities_list = serializers.SerializerMethodField()
    audit_history = serializers.SerializerMethodField(help_text="Newest first.")

    @extend_schema_field(ClauseProcessSerializer(many=True))
    def get_processes(self, row) -> list[dict]:
        return ClauseProcessSerializer(self.context["processes"], many=True).data

    @extend_schema_field(ClauseNonconformitySerializer(many=True))
    def get_open_nonconformities_list(self, row) -> list[dict]:
        return ClauseNonconformitySerializer(
            self.context["findings"], many=True, context=self.context
        ).data

    @extend_schema_field(ClauseAuditSerializer(many=True))
    def get_audit_history(self, row) -> list[dict]:
        return ClauseAuditSerializer(self.context["audits"], many=True).data


class ClauseFilterSerializer(serializers.Serializer):
    standard = serializers.CharField(
        required=False,
        help_text="The standard's reference; by default iso20000-1-2018.",
    )
    all_documents = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Also list draft and obsolete documents (1).",
    )
    ref_id = serializers.CharField(
        required=False,
        help_text="Only this clause and its sub-clauses (8.5 gives 8.5, 8.5.1 …).",
    )


class ClauseQuerySerializer(serializers.Serializer):
    standard = serializers.CharField(
        required=False,
        help_text=(
            "The standard's reference; by default iso20000-1-2018. The clause "
            "may also name it: iso27001-2022:5.1."
        ),
    )
    all_documents = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Also list draft and obsolete documents (1).",
    )


# --- answers: nonconformities -------------------------------------------------------


class NonconformitySerializer(AnswerSerializer):
    """A nonconformity as listed."""

    # The context gives "today" (for "overdue").

    number = serializers.CharField(help_text="e.g. NC-2026-001, PA-2026-001.")
    kind = serializers.CharField(help_text="corrective or preventive.")
    kind_display = serializers.CharField(source="get_kind_display")
    source = serializers.CharField(help_text="internal_audit, staff_report, …")
    source_display = serializers.CharField(source="get_source_display")
    source_reference = serializers.CharField()
    grade = serializers.CharField(source="grade.code", help_text="major, minor, …")
    grade_name = serializers.CharField(source="grade.name")
    standard = serializers.CharField(
        source="clause.standard.ref_id", allow_null=True, default=None
    )
    clause = serializers.CharField(
        source="clause.ref_id", allow_null=True, default=None, help_text="8.5.1"
    )
    department = serializers.CharField(
        source="department.name", help_text="The responsible department."
    )
    title = serializers.CharField()
    status = serializers.CharField(
        help_text=(
            "draft, raised, planned, accepted, implemented, reopened, effective, "
            "closed or cancelled."
        )
    )
    status_display = serializers.CharField(source="get_status_display")
    raised_by = UserRefField()
    raised_at = serializers.DateTimeField()
    owner = UserRefField(help_text="The action's owner.")
    due_date = serializers.DateField(allow_null=True)
    overdue = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField(help_text="The nonconformity's page.")
    api_url = serializers.SerializerMethodField()

    def get_overdue(self, nc) -> bool:
        return nc.is_overdue(self.context["today"])

    @extend_schema_field(serializers.URLField())
    def get_url(self, nc) -> str | None:
        return self._url(nc.get_absolute_url())

    @extend_schema_field(serializers.URLField())
    def get_api_url(self, nc) -> str | None:
        return self._url(
            reverse("compliance_api:nonconformity", kwargs={"number": nc.number})
        )


class DecisionSerializer(serializers.Serializer):
    decision = serializers.CharField()
    decided_by = UserRefField()
    decided_at = serializers.DateTimeField(allow_null=True)
    decision_comment = serializers.CharField()


class PlanSerializer(DecisionSerializer):
    version = serializers.IntegerField()
    correction = serializers.CharField()
    root_cause = serializers.CharField()
    target = serializers.CharField()
    actions = serializers.CharField()
    owner = UserRefField()
    due_date = serializers.DateField()
    submitted_by = UserRefField()
    submitted_at = serializers.DateTimeField()


class ExtensionSerializer(DecisionSerializer, AnswerSerializer):
    id = serializers.IntegerField()
    requested_by = UserRefField()
    requested_at = serializers.DateTimeField()
    current_due = serializers.DateField()
    new_due = serializers.DateField()
    reason = serializers.CharField()
    decide_url = serializers.SerializerMethodField()

    @extend_schema_field(serializers.URLField())
    def get_decide_url(self, extension) -> str | None:
        kwargs = {"number": self.context["number"], "extension_id": extension.pk}
        return self._url(reverse("compliance_api:extension-decide", kwargs=kwargs))


class EvidenceSerializer(AnswerSerializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    url = serializers.SerializerMethodField(help_text="The checked download.")

    @extend_schema_field(serializers.URLField())
    def get_url(self, evidence) -> str | None:
        kwargs = {"number": self.context["number"], "evidence_id": evidence.pk}
        return self._url(reverse("compliance:evidence", kwargs=kwargs))


class ImplementationSerializer(serializers.Serializer):
    round = serializers.IntegerField()
    description = serializers.CharField()
    completed_on = serializers.DateField()
    recorded_by = UserRefField()
    recorded_at = serializers.DateTimeField()
    files = EvidenceSerializer(many=True)


class VerificationSerializer(serializers.Serializer):
    round = serializers.IntegerField(
        source="implementation.round", help_text="The implementation verified."
    )
    effective = serializers.BooleanField()
    comment = serializers.CharField()
    verified_by = UserRefField()
    verified_at = serializers.DateTimeField()


class NonconformityChangeRequestSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    document = serializers.SerializerMethodField(help_text="The document's number.")
    restricted = serializers.SerializerMethodField(help_text=RESTRICTED_HELP)
    status = serializers.CharField()
    reason = serializers.CharField()
    requested_at = serializers.DateTimeField()

    @extend_schema_field(serializers.BooleanField())
    def get_restricted(self, request) -> bool:
        return request.document_id in self.context.get("restricted", ())

    @extend_schema_field(serializers.CharField())
    def get_document(self, request) -> str:
        return "" if self.get_restricted(request) else request.document.number or ""


class HistoryEntrySerializer(serializers.Serializer):
    """A Wagtail log entry of the nonconformity."""

    action = serializers.CharField(
        help_text="e.g. shoukong.compliance.nonconformity_plan"
    )
    label = serializers.CharField(
        source="message", help_text="What was done, in the active language."
    )
    user = UserRefField()
    timestamp = serializers.DateTimeField()
    data = serializers.JSONField(
        help_text="What the step recorded; a restricted document you may not "
        "open has an empty number."
    )

    def to_representation(self, instance):
        data = super().to_representation(instance)
        logged = data.get("data") or {}
        if logged.get("document") in self.context.get("restricted_numbers", ()):
            data["data"] = {**logged, "document": ""}
        return data


class NonconformityDetailSerializer(NonconformitySerializer):
    """A nonconformity with its whole action, its history and what you may do."""

    # The context also gives its "number", "change_requests", "history" and
    # "allowed_actions".

    facts = serializers.CharField()
    documents = DocumentLinkSerializer(many=True)
    approved_by = UserRefField()
    approved_at = serializers.DateTimeField(allow_null=True)
    implemented_on = serializers.DateField(allow_null=True)
    closed_by = UserRefField()
    closed_at = serializers.DateTimeField(allow_null=True)
    closing_note = serializers.CharField(
        help_text="The closing note, or why it was cancelled."
    )
    plans = PlanSerializer(many=True)
    extensions = ExtensionSerializer(many=True)
    implementations = ImplementationSerializer(many=True)
    verifications = VerificationSerializer(many=True)
    change_requests = serializers.SerializerMethodField()
    history = serializers.SerializerMethodField(help_text="Oldest first.")
    allowed_actions = serializers.SerializerMethodField(
        help_text=(
            "What you may do now: approve, cancel, plan, accept, return, implement, "
            "verify, close, extension, extension-decide, change-request."
        ),
    )

    @extend_schema_field(NonconformityChangeRequestSerializer(many=True))
    def get_change_requests(self, nc) -> list[dict]:
        requests = self.context["change_requests"]
        return NonconformityChangeRequestSerializer(
            requests, many=True, context=self.context
        ).data

    @extend_schema_field(HistoryEntrySerializer(many=True))
    def get_history(self, nc) -> list[dict]:
        return HistoryEntrySerializer(
            self.context["history"], many=True, context=self.context
        ).data

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_allowed_actions(self, nc) -> list[str]:
        return list(self.context["allowed_actions"])


class NonconformityFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=NonconformityStatus.choices, required=False
    )
    clause = serializers.CharField(
        required=False, help_text="Clause number, e.g. 8.5.1 (or iso27001-2022:5.1)."
    )
    standard = serializers.CharField(
        required=False, help_text="The clause's standard; by default iso20000-1-2018."
    )
    department = serializers.CharField(
        required=False, help_text="The responsible department's name or id."
    )
    source = serializers.ChoiceField(
        choices=NonconformitySource.choices, required=False
    )
    grade = serializers.CharField(required=False, help_text="Grade code, e.g. major.")
    kind = serializers.ChoiceField(choices=NonconformityKind.choices, required=False)
    open = serializers.BooleanField(
        required=False, default=False, help_text="Only open ones (1)."
    )
    overdue = serializers.BooleanField(
        required=False, default=False, help_text="Only actions past due (1)."
    )


# --- requests -----------------------------------------------------------------------


class NonconformityCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, help_text="A short summary.")
    facts = serializers.CharField()
    department = serializers.CharField(
        help_text="The responsible department's name or id."
    )
    grade = serializers.CharField(help_text="Grade code: major, minor, …")
    source = serializers.ChoiceField(choices=NonconformitySource.choices)
    kind = serializers.ChoiceField(
        choices=NonconformityKind.choices,
        required=False,
        default=NonconformityKind.CORRECTIVE,
    )
    clause = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="Clause number, e.g. 8.5.1 (or iso27001-2022:5.1).",
    )
    standard = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="The clause's standard; by default iso20000-1-2018.",
    )
    documents = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        default=list,
        help_text="Numbers of the documents concerned.",
    )
    source_reference = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=100,
        help_text="e.g. the audit, complaint or incident number.",
    )

    def validate_department(self, value):
        return department_for(value)

    def validate_grade(self, value):
        grade = NonconformityGrade.objects.filter(code=value.strip()).first()
        if grade is None:
            raise serializers.ValidationError(
                _("Unknown grade: %(code)s") % {"code": value}
            )
        return grade

    def validate_documents(self, value):
        request = self.context["request"]
        return [document_named(request, number) for number in value]

    def validate(self, attrs):
        ref_id = attrs.pop("clause", "").strip()
        standard = attrs.pop("standard", "").strip()
        attrs["clause"] = None
        if ref_id:
            try:
                attrs["clause"] = clause_named(ref_id, standard)
            except serializers.ValidationError as exc:
                raise serializers.ValidationError({"clause": exc.detail}) from None
        return attrs


class NonconformityApproveSerializer(serializers.Serializer):
    """No fields: 管理者代表 approves a finding before it goes to the department."""


class NonconformityCancelSerializer(serializers.Serializer):
    reason = serializers.CharField()


class NonconformityPlanSerializer(serializers.Serializer):
    root_cause = serializers.CharField()
    target = serializers.CharField()
    actions = serializers.CharField()
    owner = serializers.CharField(help_text="The username of who implements it.")
    due_date = serializers.DateField()
    correction = serializers.CharField(required=False, allow_blank=True, default="")

    def validate_owner(self, value):
        return user_for(value)


class NonconformityCommentSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class NonconformityReturnSerializer(serializers.Serializer):
    comment = serializers.CharField(help_text="Why the plan is returned.")


class NonconformityImplementSerializer(serializers.Serializer):
    description = serializers.CharField()
    completed_on = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="By default today."
    )
    evidence = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        default=list,
        help_text="Evidence files (multipart, the field repeated).",
    )

    def validate_evidence(self, value) -> list[tuple[str, bytes]]:
        """The files' names and bytes; the service checks type and size."""
        limit = settings.SHOUKONG_RECORD_MAX_UPLOAD_BYTES
        files = []
        for upload in value:
            content, name = read_upload(upload, limit)
            files.append((name, content))
        return files


class NonconformityVerifySerializer(serializers.Serializer):
    effective = StrictBooleanField()
    comment = serializers.CharField(help_text="The verification opinion.")


class NonconformityCloseSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class NonconformityExtensionSerializer(serializers.Serializer):
    new_due = serializers.DateField()
    reason = serializers.CharField()


class NonconformityChangeRequestCreateSerializer(serializers.Serializer):
    document = serializers.CharField(help_text="The document's number, e.g. B05.")
    reason = serializers.CharField()
    proposed_change = serializers.CharField(
        required=False, allow_blank=True, default=""
    )

    def validate_document(self, value):
        return document_named(self.context["request"], value)


class ExtensionDecideSerializer(serializers.Serializer):
    approve = StrictBooleanField()
    comment = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Required when the extension is refused.",
    )
