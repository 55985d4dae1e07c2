"""The controlled-document library: pages (:mod:`.pages`), issues and their
distribution lists (:mod:`.issues`), what happens to an issue afterwards
(:mod:`.control`) and the approval steps (:mod:`.workflows`)."""

from .control import (
    Acknowledgement,
    BorrowRecord,
    ChangeRequest,
    ControlledCopy,
    CopyEvent,
    DestructionRecord,
    DocumentReview,
    ExternalSignOut,
    NotificationLog,
    RecallTask,
    Signature,
    WithdrawalRequest,
)
from .formfields import FormFieldDefinition, form_schema
from .issues import DistributionListEntry, DocumentIssue
from .pages import (
    Department,
    DocumentNumber,
    DocumentPage,
    DocumentPermissionTester,
    ExternalDocumentIndexPage,
    ExternalDocumentPage,
    FormPage,
    LibraryPage,
    ManualPage,
    NumberSequence,
    OtherDocumentPage,
    ProcedurePage,
    StaffProfile,
    WorkInstructionPage,
)
from .workflows import CoSignTask, PreIssueCheckTask, SignatureTask, SignOffTask

__all__ = [
    "Acknowledgement",
    "BorrowRecord",
    "ChangeRequest",
    "CoSignTask",
    "ControlledCopy",
    "CopyEvent",
    "Department",
    "DestructionRecord",
    "DistributionListEntry",
    "DocumentIssue",
    "DocumentNumber",
    "DocumentPage",
    "DocumentPermissionTester",
    "DocumentReview",
    "ExternalDocumentIndexPage",
    "ExternalDocumentPage",
    "ExternalSignOut",
    "FormFieldDefinition",
    "FormPage",
    "LibraryPage",
    "ManualPage",
    "NotificationLog",
    "NumberSequence",
    "OtherDocumentPage",
    "PreIssueCheckTask",
    "ProcedurePage",
    "RecallTask",
    "SignOffTask",
    "Signature",
    "SignatureTask",
    "StaffProfile",
    "WithdrawalRequest",
    "WorkInstructionPage",
    "form_schema",
]
