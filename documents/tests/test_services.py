"""Services: numbers, documents and issues — happy paths, refusals, audit entries."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from wagtail.models import PageLogEntry

from documents import numbering, roles, services
from documents.lifecycle import DocumentStatus, InvalidTransition, IssueStatus
from documents.models import (
    DocumentIssue,
    DocumentNumber,
    DocumentPage,
    FormPage,
    ManualPage,
    ProcedurePage,
    WorkInstructionPage,
)
from documents.tests import factories

pytestmark = pytest.mark.django_db


def actions_for(page) -> list[str]:
    return list(
        PageLogEntry.objects.filter(page=page)
        .order_by("timestamp", "id")
        .values_list("action", flat=True)
    )


class TestNumbers:
    def test_default_scheme_numbers_follow_the_tree(self, library, departments):
        manual = factories.document("manual", "手册")
        first = factories.document("procedure", "程序一")
        second = factories.document("procedure", "程序二")
        wi = factories.document("instruction", "指导书", parent=second)
        form_a = factories.document("form", "表单一", parent=second)
        form_b = factories.document("form", "表单二", parent=second)
        assert [manual.number, first.number, second.number] == ["A01", "B01", "B02"]
        assert [wi.number, form_a.number, form_b.number] == ["C0201", "D0201", "D0202"]

    def test_numbers_are_never_reused_after_a_draft_is_deleted(
        self, library, departments
    ):
        draft = factories.document("procedure", "会被删除的草稿")
        assert draft.number == "B01"
        draft.delete()
        assert factories.document("procedure", "下一个").number == "B02"
        with pytest.raises(services.NumberUnavailable):
            factories.document("procedure", "想要旧编号", number="B01")
        assert DocumentNumber.objects.filter(number="B01").exists()

    def test_reserved_numbers_move_the_sequence_on(self, library, departments):
        procedure = factories.document("procedure", "文件控制程序", number="B05")
        factories.document("form", "表单八", parent=procedure, number="D0508")
        assert factories.document("procedure", "新程序").number == "B06"
        assert factories.document("form", "新表单", parent=procedure).number == "D0509"
        wi = factories.document("instruction", "新指导书", parent=procedure)
        assert wi.number == "C0501"

    def test_reserved_number_must_match_kind_and_parent(self, library, departments):
        b05 = factories.document("procedure", "文件控制程序", number="B05")
        with pytest.raises(numbering.NumberingError):
            factories.document("procedure", "错的类型", number="D0501")
        with pytest.raises(numbering.NumberingError):
            factories.document("form", "错的上级", parent=b05, number="D0601")
        assert not DocumentPage.objects.filter(title__in=["错的类型", "错的上级"])

    def test_past_99_the_sequence_grows_a_digit(self, library, departments):
        factories.document("procedure", "第九十九", number="B99")
        assert factories.document("procedure", "第一百").number == "B100"

    def test_number_is_unique_in_the_database(self, library, departments):
        factories.document("procedure", "程序", number="B01")
        with pytest.raises(IntegrityError), transaction.atomic():
            DocumentPage.objects.filter(number="B01").update(number="B01")
            page = DocumentPage.objects.get(number="B01")
            other = factories.document("procedure", "另一个")
            DocumentPage.objects.filter(pk=other.pk).update(number=page.number)

    def test_itsms_scheme_is_selectable(self, library, departments, settings):
        settings.SHOUKONG_NUMBERING_SCHEME = "itsms"
        manual = factories.document("manual", "手册")
        procedure = factories.document("procedure", "文件控制程序")
        wi = factories.document("instruction", "作业指导", parent=procedure)
        form = factories.document("form", "记录表", parent=procedure)
        form_of_wi = factories.document("form", "指导书记录", parent=wi)
        assert manual.number == "ITSMS-M01"
        assert procedure.number == "ITSMS-P01"
        assert wi.number == "ITSMS-WI01"
        assert form.number == "ITSMS-P01-R01"
        assert form_of_wi.number == "ITSMS-WI01-R01"


class TestHierarchy:
    def test_forms_hang_under_procedures_only_in_the_default_scheme(
        self, library, departments
    ):
        procedure = factories.document("procedure", "程序")
        wi = factories.document("instruction", "指导书", parent=procedure)
        assert FormPage.can_create_at(procedure)
        assert not FormPage.can_create_at(wi)
        assert not FormPage.can_create_at(library)
        assert not WorkInstructionPage.can_create_at(library)
        assert ManualPage.can_create_at(library)
        assert ProcedurePage.can_create_at(library)
        with pytest.raises(ValidationError):
            factories.document("form", "放错位置的表单", parent=wi)

    def test_forms_may_hang_under_work_instructions_in_the_itsms_scheme(
        self, library, departments, settings
    ):
        settings.SHOUKONG_NUMBERING_SCHEME = "itsms"
        procedure = factories.document("procedure", "程序")
        wi = factories.document("instruction", "指导书", parent=procedure)
        assert FormPage.can_create_at(wi)

    def test_numbered_documents_cannot_be_moved(self, library, departments):
        first = factories.document("procedure", "程序一")
        second = factories.document("procedure", "程序二")
        form = factories.document("form", "表单", parent=first)
        assert not form.can_move_to(second)


class TestCreatePermissions:
    def test_staff_cannot_create_documents(self, library, departments, staff_user):
        with pytest.raises(PermissionDenied):
            factories.document("procedure", "员工草稿", user=staff_user)
        assert not DocumentPage.objects.filter(title="员工草稿").exists()

    def test_controller_creates_a_draft_and_it_is_logged(
        self, library, departments, controller
    ):
        page = factories.document("procedure", "文控草稿", user=controller)
        assert page.status == DocumentStatus.DRAFT
        assert not page.live
        assert page.owner == controller
        entry = PageLogEntry.objects.get(page=page, action="wagtail.create")
        assert entry.user == controller


class TestIssues:
    def test_first_issue_puts_the_document_under_control(
        self, library, departments, controller
    ):
        page = factories.document("procedure", "文件控制程序", user=controller)
        issue = services.issue_create(
            user=controller, document=page, publish_date=date(2026, 3, 2)
        )
        page = DocumentPage.objects.get(pk=page.pk)
        assert issue.label == "A"
        assert issue.status == IssueStatus.EFFECTIVE
        assert issue.effective_date == date(2026, 3, 2)
        assert issue.title == "文件控制程序"
        assert issue.issued_by == controller
        assert page.status == DocumentStatus.CONTROLLED
        assert page.live
        assert page.current_issue == issue
        assert page.publish_date == date(2026, 3, 2)
        assert page.next_review_due == date(2029, 3, 2)
        entry = PageLogEntry.objects.get(page=page, action="shoukong.documents.issue")
        assert entry.user == controller
        assert entry.data["label"] == "A"

    def test_next_issue_supersedes_the_effective_one(self, procedure):
        second = services.issue_create(
            user=None, document=procedure, publish_date=date(2026, 6, 1)
        )
        procedure = DocumentPage.objects.get(pk=procedure.pk)
        first = procedure.issues.get(label="A")
        assert second.label == "B"
        assert first.status == IssueStatus.SUPERSEDED
        assert first.is_void and not second.is_void
        assert first.withdrawn_at is not None
        assert procedure.current_issue == second
        assert [i.label for i in procedure.issue_list] == ["B", "A"]

    def test_review_due_follows_the_setting(self, procedure, settings):
        settings.SHOUKONG_REVIEW_PERIOD_YEARS = 2
        page = DocumentPage.objects.get(pk=procedure.pk)
        assert page.next_review_due == date(2028, 1, 5)

    def test_staff_cannot_issue(self, library, departments, staff_user):
        page = factories.document("procedure", "程序")
        with pytest.raises(PermissionDenied):
            services.issue_create(
                user=staff_user, document=page, publish_date=date(2026, 1, 1)
            )
        assert not DocumentIssue.objects.exists()

    def test_department_manager_cannot_issue(self, library, departments, role_groups):
        manager = factories.user("manager", role=roles.DEPARTMENT_MANAGER)
        page = factories.document("procedure", "程序", user=manager)
        with pytest.raises(PermissionDenied):
            services.issue_create(
                user=manager, document=page, publish_date=date(2026, 1, 1)
            )

    def test_obsolete_documents_cannot_be_issued(self, procedure):
        DocumentPage.objects.filter(pk=procedure.pk).update(
            status=DocumentStatus.OBSOLETE
        )
        with pytest.raises(InvalidTransition):
            services.issue_create(
                user=None, document=procedure, publish_date=date(2026, 6, 1)
            )
        assert procedure.issues.count() == 1

    def test_explicit_labels_must_move_forward(self, procedure):
        with pytest.raises(ValidationError):
            services.issue_create(
                user=None, document=procedure, publish_date=date(2026, 6, 1), label="A"
            )
        issue = services.issue_create(
            user=None, document=procedure, publish_date=date(2026, 6, 1), label="c"
        )
        assert issue.label == "C"

    def test_effective_date_cannot_precede_publish_date(self, library, departments):
        page = factories.document("procedure", "程序")
        with pytest.raises(ValidationError):
            services.issue_create(
                user=None,
                document=page,
                publish_date=date(2026, 6, 1),
                effective_date=date(2026, 5, 1),
            )

    def test_one_effective_issue_is_a_database_constraint(self, procedure):
        issue = procedure.issues.get()
        with pytest.raises(IntegrityError), transaction.atomic():
            DocumentIssue.objects.create(
                document=procedure,
                label="B",
                status=IssueStatus.EFFECTIVE,
                publish_date=issue.publish_date,
                effective_date=issue.effective_date,
                title=issue.title,
            )

    def test_status_survives_publishing_an_old_revision(self, procedure):
        """Revisions carry a copy of the fields; publishing one must not put an
        issued document back into draft."""
        revision = procedure.revisions.order_by("created_at").first()
        revision.publish()
        page = DocumentPage.objects.get(pk=procedure.pk)
        assert page.status == DocumentStatus.CONTROLLED
        assert page.number == "B05"

    def test_issue_edits_are_refused_by_the_policy(self, procedure, controller):
        from wagtail.permissions import policy_registry

        policy = policy_registry.get_by_type(DocumentIssue)
        issue = procedure.issues.get()
        assert not policy.user_has_permission(controller, "change")
        assert not policy.user_has_permission_for_instance(controller, "delete", issue)

    def test_issues_protect_their_document_from_deletion(self, procedure):
        from django.db.models import ProtectedError

        with pytest.raises(ProtectedError):
            DocumentPage.objects.get(pk=procedure.pk).delete()


class TestLibrary:
    def test_library_ensure_is_idempotent(self, db):
        first = services.library_ensure()
        second = services.library_ensure()
        assert first.pk == second.pk
        assert services.external_register().get_parent().pk == first.pk

    def test_roles_are_idempotent(self, db):
        roles.roles_ensure()
        groups = roles.roles_ensure()
        assert set(groups) == set(roles.ROLES)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_allocation_never_hands_out_a_number_twice(library, departments):
    """Real concurrent writers (meaningful on PostgreSQL, serialised on SQLite)."""
    results: list[str] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(5):
                results.append(services.document_number_allocate(kind="procedure"))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(results) == 20
    assert len(set(results)) == 20
    assert sorted(results, key=lambda n: int(n[1:])) == [
        f"B{n:02d}" for n in range(1, 21)
    ]


class TestExternalDocuments:
    def make(self, departments):
        from documents.models import ExternalDocumentPage

        return services.document_create(
            user=None,
            parent=services.external_register(),
            page_class=ExternalDocumentPage,
            title="ISO/IEC 20000-1:2018",
            issuer="ISO/IEC",
            department=departments["行政部"],
        )

    def test_registering_publishes_without_an_issue(self, library, departments):
        page = services.external_document_register(
            user=None, document=self.make(departments)
        )
        assert page.live and page.status == DocumentStatus.EXTERNAL
        assert not page.issues.exists()
        assert "shoukong.documents.register_external" in actions_for(page)
        assert DocumentPage.objects.visible_to_staff().filter(pk=page.pk).exists()

    def test_staff_cannot_register(self, library, departments, staff_user):
        page = self.make(departments)
        with pytest.raises(PermissionDenied):
            services.external_document_register(user=staff_user, document=page)
        assert not DocumentPage.objects.get(pk=page.pk).live

    def test_only_external_documents_are_registered(self, library, departments):
        page = factories.document("procedure", "程序")
        with pytest.raises(ValidationError):
            services.external_document_register(user=None, document=page)
