"""Roles as Wagtail groups, with their permissions; idempotent.

The role names are the ones the customer's organisation uses; they are data
(group names), so they stay in Chinese whatever the interface language.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from wagtail.models import Collection, GroupCollectionPermission, GroupPagePermission

GENERAL_MANAGER = "总经理"
MANAGEMENT_REPRESENTATIVE = "管理者代表"
DOCUMENT_CONTROLLER = "文控"
DEPARTMENT_MANAGER = "部门经理"
INTERNAL_AUDITOR = "内审员"
STAFF = "员工"
# Reads only the records named to them under a contract (records procedure).
CUSTOMER_REPRESENTATIVE = "客户代表"

ROLES = (
    GENERAL_MANAGER,
    MANAGEMENT_REPRESENTATIVE,
    DOCUMENT_CONTROLLER,
    DEPARTMENT_MANAGER,
    INTERNAL_AUDITOR,
    STAFF,
    CUSTOMER_REPRESENTATIVE,
)

DEFAULT_DEPARTMENTS = (
    ("管理层", "MGT"),
    ("行政部", "ADM"),
    ("技术部", "TEC"),
    ("市场部", "MKT"),
)

# Page permissions on the library root, inherited by every document below it.
PAGE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    GENERAL_MANAGER: ("add_page", "change_page", "publish_page"),
    MANAGEMENT_REPRESENTATIVE: ("add_page", "change_page", "publish_page"),
    DOCUMENT_CONTROLLER: (
        "add_page",
        "change_page",
        "publish_page",
        "lock_page",
        "unlock_page",
    ),
    DEPARTMENT_MANAGER: ("add_page", "change_page"),
    INTERNAL_AUDITOR: (),
    STAFF: (),
    CUSTOMER_REPRESENTATIVE: (),
}

# The document-control records (distribution and recall, copies, change requests,
# reviews, withdrawals, destructions, loans, sign-outs, signatures), read in the
# admin's "Document control" menu; they are written only by the services.
RECORD_VIEW_PERMISSIONS: tuple[str, ...] = (
    "documents.view_copyevent",
    "documents.view_controlledcopy",
    "documents.view_recalltask",
    "documents.view_changerequest",
    "documents.view_documentreview",
    "documents.view_withdrawalrequest",
    "documents.view_destructionrecord",
    "documents.view_borrowrecord",
    "documents.view_externalsignout",
    "documents.view_signature",
)

# Records (records/): read in the admin's "Records" menu; written only by the
# records services. Document control also keeps the retention classes and the
# records list (记录清单).
# records.view_record only for document control: Wagtail's site history lists
# the log entries (titled with record numbers) of every model a user may view,
# whatever the department; everyone else reads records on the staff pages,
# filtered by records.permissions.
RECORDS_READ: tuple[str, ...] = (
    "records.view_disposalrequest",
    "records.view_recordtype",
    "records.view_retentionclass",
)
RECORDS_KEEP: tuple[str, ...] = (
    *RECORDS_READ,
    "records.view_record",
    "records.change_recordtype",
    "records.add_retentionclass",
    "records.change_retentionclass",
)

# Compliance reference data (compliance/), in the admin's "Compliance" menu: the
# standards and their clauses, the process owners and the nonconformity grades.
# Document control and 管理者代表 keep them (catalogue clauses stay read-only
# whatever the permission: compliance.viewsets); the management, the department
# managers and the auditors read them. Nothing is deleted in the admin.
COMPLIANCE_MODELS: tuple[str, ...] = (
    "standard",
    "clause",
    "process",
    "nonconformitygrade",
)
COMPLIANCE_READ: tuple[str, ...] = tuple(
    f"compliance.view_{model}" for model in COMPLIANCE_MODELS
)
COMPLIANCE_KEEP: tuple[str, ...] = (
    *COMPLIANCE_READ,
    *(f"compliance.add_{model}" for model in COMPLIANCE_MODELS),
    *(f"compliance.change_{model}" for model in COMPLIANCE_MODELS),
)

# Model permissions, as "app_label.codename".
MODEL_PERMISSIONS: dict[str, tuple[str, ...]] = {
    GENERAL_MANAGER: (
        "wagtailadmin.access_admin",
        "documents.view_documentissue",
        *RECORD_VIEW_PERMISSIONS,
        *RECORDS_READ,
        *COMPLIANCE_READ,
    ),
    MANAGEMENT_REPRESENTATIVE: (
        "wagtailadmin.access_admin",
        "documents.view_documentissue",
        *RECORD_VIEW_PERMISSIONS,
        *RECORDS_READ,
        *COMPLIANCE_KEEP,
    ),
    DOCUMENT_CONTROLLER: (
        "wagtailadmin.access_admin",
        "documents.view_documentissue",
        "documents.add_department",
        "documents.change_department",
        "documents.view_department",
        *RECORD_VIEW_PERMISSIONS,
        *RECORDS_KEEP,
        *COMPLIANCE_KEEP,
    ),
    DEPARTMENT_MANAGER: (
        "wagtailadmin.access_admin",
        "documents.view_documentissue",
        *RECORDS_READ,
        *COMPLIANCE_READ,
    ),
    INTERNAL_AUDITOR: (
        "wagtailadmin.access_admin",
        "documents.view_documentissue",
        *RECORDS_READ,
        *COMPLIANCE_READ,
    ),
    STAFF: (),
    CUSTOMER_REPRESENTATIVE: (),
}

COLLECTION_PERMISSIONS: dict[str, tuple[str, ...]] = {
    # No change_document: a released source file must never be replaced in place.
    DOCUMENT_CONTROLLER: ("add_document", "choose_document"),
    GENERAL_MANAGER: ("choose_document",),
    MANAGEMENT_REPRESENTATIVE: ("choose_document",),
    DEPARTMENT_MANAGER: ("add_document", "choose_document"),
}


def _permission(dotted: str) -> Permission:
    app_label, codename = dotted.split(".", 1)
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


@transaction.atomic
def roles_ensure() -> dict[str, Group]:
    """Create the role groups and grant their permissions; safe to run again."""
    from .services import library_ensure

    library = library_ensure()
    root_collection = Collection.get_first_root_node()
    groups: dict[str, Group] = {}
    for name in ROLES:
        group, _created = Group.objects.get_or_create(name=name)
        groups[name] = group
        for dotted in MODEL_PERMISSIONS[name]:
            group.permissions.add(_permission(dotted))
        for codename in PAGE_PERMISSIONS[name]:
            GroupPagePermission.objects.get_or_create(
                group=group,
                page=library,
                permission=Permission.objects.get(
                    content_type__app_label="wagtailcore", codename=codename
                ),
            )
        for codename in COLLECTION_PERMISSIONS.get(name, ()):
            GroupCollectionPermission.objects.get_or_create(
                group=group,
                collection=root_collection,
                permission=Permission.objects.get(
                    content_type__app_label="wagtaildocs", codename=codename
                ),
            )
    from .approvals import workflows_ensure

    workflows_ensure()
    return groups


@transaction.atomic
def departments_ensure() -> dict[str, object]:
    from .models import Department

    result = {}
    for order, (name, code) in enumerate(DEFAULT_DEPARTMENTS, start=1):
        department, _created = Department.objects.get_or_create(
            name=name, defaults={"code": code, "sort_order": order}
        )
        result[name] = department
    return result
