"""Load the demo content through the services; idempotent and all-or-nothing."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils.translation import gettext as _
from wagtail.models import Page

from documents import labels, numbering, roles, services
from documents.indexing import deferred_indexing
from documents.lifecycle import DocumentKind
from documents.models import (
    Department,
    DocumentPage,
    ExternalDocumentPage,
    FormFieldDefinition,
    FormPage,
    LibraryPage,
    ManualPage,
    OtherDocumentPage,
    ProcedurePage,
    WorkInstructionPage,
)
from documents.users.services import staff_profile_update

from .content import (
    CABINET,
    DOCUMENTS,
    EXTERNAL,
    OTHER,
    USERS,
    DemoDocument,
    DemoField,
    DemoIssue,
)

PAGE_CLASS_OF_KIND: dict[str, type[DocumentPage]] = {
    DocumentKind.MANUAL: ManualPage,
    DocumentKind.PROCEDURE: ProcedurePage,
    DocumentKind.INSTRUCTION: WorkInstructionPage,
    DocumentKind.FORM: FormPage,
}


def demo_password() -> str:
    return settings.SHOUKONG_DEMO_PASSWORD


def demo_password_source() -> str:
    """Where the demo password comes from: a sentence for the printed login table."""
    if os.environ.get("SHOUKONG_DEMO_PASSWORD"):
        return _("This password comes from SHOUKONG_DEMO_PASSWORD.")
    return _(
        "This is the default password; set SHOUKONG_DEMO_PASSWORD to choose another."
    )


@dataclass
class DemoReport:
    """What one run of :func:`demo_load` did."""

    departments_created: list[str] = field(default_factory=list)
    groups_created: list[str] = field(default_factory=list)
    library_created: bool = False
    users_created: list[str] = field(default_factory=list)
    users_updated: list[str] = field(default_factory=list)
    passwords_reset: list[str] = field(default_factory=list)
    documents_created: list[str] = field(default_factory=list)
    issues_created: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(
            [
                self.departments_created,
                self.groups_created,
                self.library_created,
                self.users_created,
                self.users_updated,
                self.passwords_reset,
                self.documents_created,
                self.issues_created,
            ]
        )


class DemoError(Exception):
    """The demo cannot be loaded into this database as it stands."""


def organisation_ensure(report: DemoReport) -> None:
    """Departments, role groups (and with them the library root); idempotent."""
    known_departments = set(Department.objects.values_list("name", flat=True))
    known_groups = set(Group.objects.values_list("name", flat=True))
    had_library = LibraryPage.objects.exists()
    departments = roles.departments_ensure()
    groups = roles.roles_ensure()
    report.departments_created += [n for n in departments if n not in known_departments]
    report.groups_created += [n for n in groups if n not in known_groups]
    report.library_created = report.library_created or not had_library


def demo_users_ensure(report: DemoReport, *, reset_passwords: bool = False) -> None:
    """Create the demo users; existing ones keep their password unless reset."""
    User = get_user_model()
    departments = {d.name: d for d in Department.objects.all()}
    groups = {g.name: g for g in Group.objects.filter(name__in=roles.ROLES)}
    existing = {
        u.username: u
        for u in User.objects.filter(username__in=[d.username for d in USERS])
        .select_related("staff_profile")
        .prefetch_related("groups")
    }
    hashed: str | None = None

    def password_hash() -> str:
        # One PBKDF2 run for all demo users: they share the password anyway.
        nonlocal hashed
        if hashed is None:
            hashed = make_password(demo_password())
        return hashed

    for spec in USERS:
        user = existing.get(spec.username)
        if user is None:
            user = User(
                username=spec.username,
                email=spec.email,
                first_name=spec.first_name,
                last_name=spec.last_name,
                is_staff=spec.is_superuser,
                is_superuser=spec.is_superuser,
                password=password_hash(),
            )
            user.save()
            report.users_created.append(spec.username)
        elif reset_passwords:
            user.password = password_hash()
            user.save(update_fields=["password"])
            report.passwords_reset.append(spec.username)

        updated = False
        if spec.role and not any(g.name == spec.role for g in user.groups.all()):
            user.groups.add(groups[spec.role])
            updated = True
        # Only fill in what is missing: someone may have moved a demo user to
        # another department since, and a re-run leaves that alone.
        profile = getattr(user, "staff_profile", None)
        if profile is None or profile.department_id is None:
            staff_profile_update(
                user=user,
                department=departments[spec.department],
                job_title=(profile.job_title if profile else "") or spec.job_title,
            )
            updated = True
        if updated and spec.username not in report.users_created:
            report.users_updated.append(spec.username)


def _child_titled(parent: Page, title: str) -> DocumentPage | None:
    page = parent.get_children().filter(title=title).first()
    return page.specific if page is not None else None


def _expected_number(spec: DemoDocument) -> str | None:
    """The number the spec should get, or None when another scheme is active."""
    scheme = numbering.get_scheme()
    if scheme.name != numbering.AbcdScheme.name:
        return None
    return spec.number


def _form_fields(fields: Iterable[DemoField]) -> list[FormFieldDefinition]:
    return [
        FormFieldDefinition(
            label=f.label,
            field_type=f.field_type,
            required=f.required,
            choices="\n".join(f.choices),
            help_text=f.help_text,
        )
        for f in fields
    ]


def _document_ensure(
    spec: DemoDocument,
    *,
    parent: Page,
    departments: dict[str, Department],
    report: DemoReport,
) -> DocumentPage:
    page = _child_titled(parent, spec.title)
    if page is None:
        # A form's fields belong to its first draft, so its first issue releases
        # them (DocumentIssue.form_schema) and records can be filled to it.
        extra = {"form_fields": _form_fields(spec.fields)} if spec.fields else {}
        page = services.document_create(
            user=None,
            parent=parent,
            page_class=PAGE_CLASS_OF_KIND[spec.kind],
            title=spec.title,
            number=None,
            department=departments[spec.department],
            body=spec.body,
            description=spec.description,
            storage_location=spec.storage_location,
            retention_period=spec.retention_period,
            **extra,
        )
        expected = _expected_number(spec)
        if expected is not None and page.number != expected:
            raise DemoError(
                _(
                    "“%(title)s” was numbered %(number)s, not %(expected)s: the "
                    "library already holds other documents or used numbers, so the "
                    "demo set cannot be numbered as designed. Load it into an empty "
                    "database."
                )
                % {"title": spec.title, "number": page.number, "expected": expected}
            )
        report.documents_created.append(page.number or page.title)
    _issues_ensure(spec.issues, page=page, report=report)
    for child in spec.children:
        _document_ensure(child, parent=page, departments=departments, report=report)
    return page


def _issues_ensure(
    issues: Iterable[DemoIssue], *, page: DocumentPage, report: DemoReport
) -> None:
    """Release the planned issues the document does not have yet, in order."""
    latest = page.issues.newest_first().first()
    latest_index = labels.index_of_label(latest.label) if latest else -1
    for planned in issues:
        if labels.index_of_label(planned.label) <= latest_index:
            continue
        if planned.body is not None:
            # The re-issue releases a revised text: save it as the latest draft
            # revision, which the issuing service then publishes.
            page = DocumentPage.objects.get(pk=page.pk).specific
            page.body = planned.body
            page.save_revision(user=None, log_action=True)
        services.issue_create(
            user=None,
            document=page,
            publish_date=planned.publish_date,
            label=planned.label,
            change_summary=planned.change_summary,
        )
        latest_index = labels.index_of_label(planned.label)
        report.issues_created.append(f"{page.number or page.title}/{planned.label}")


def _external_ensure(departments: dict[str, Department], report: DemoReport) -> None:
    register = services.external_register()
    if _child_titled(register, EXTERNAL.title) is not None:
        return
    page = services.document_create(
        user=None,
        parent=register,
        page_class=ExternalDocumentPage,
        title=EXTERNAL.title,
        slug=EXTERNAL.slug,
        department=departments[EXTERNAL.department],
        issuer=EXTERNAL.issuer,
        external_type=ExternalDocumentPage.Source.STANDARD,
        reference=EXTERNAL.reference,
        edition=EXTERNAL.edition,
        dated_reference=True,
        description=EXTERNAL.description,
        body=EXTERNAL.body,
        storage_location=CABINET,
    )
    services.external_document_register(user=None, document=page)
    report.documents_created.append(EXTERNAL.reference)


def _other_ensure(
    library: LibraryPage, departments: dict[str, Department], report: DemoReport
) -> None:
    page = _child_titled(library, OTHER.title)
    if page is None:
        page = services.document_create(
            user=None,
            parent=library,
            page_class=OtherDocumentPage,
            title=OTHER.title,
            slug=OTHER.slug,
            department=departments[OTHER.department],
            reference=OTHER.reference,
            counterparty=OTHER.counterparty,
            description=OTHER.description,
            body=OTHER.body,
            storage_location="市场部合同柜",
            retention_period="协议期满后3年",
        )
        report.documents_created.append(OTHER.reference)
    _issues_ensure((DemoIssue("A", OTHER.publish_date),), page=page, report=report)


def demo_documents_ensure(report: DemoReport) -> None:
    """The demo ITSMS document set, numbered by the services and issued."""
    library = services.library_ensure()
    departments = {d.name: d for d in Department.objects.all()}
    # Each document is saved several times while it is created and issued;
    # its references and search entry are updated once, at the end.
    with deferred_indexing():
        for spec in DOCUMENTS:
            _document_ensure(
                spec, parent=library, departments=departments, report=report
            )
        _external_ensure(departments, report)
        _other_ensure(library, departments, report)


@transaction.atomic
def demo_load(*, users_only: bool = False, reset_passwords: bool = False) -> DemoReport:
    """Load the demo (all or nothing); running it again adds only what is missing."""
    report = DemoReport()
    organisation_ensure(report)
    demo_users_ensure(report, reset_passwords=reset_passwords)
    if not users_only:
        demo_documents_ensure(report)
        from .lifecycle import demo_lifecycle_ensure

        demo_lifecycle_ensure(report, password=demo_password())
    return report
