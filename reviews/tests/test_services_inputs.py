"""The departments' inputs: written by their staff, signed off by their head,
returned for rework with a comment; attachments checked before any is
written; closed once the meeting is held."""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings
from django.utils import translation
from wagtail.models import ModelLogEntry

from documents import roles
from documents.tests import factories as doc_factories
from reviews import services
from reviews.lifecycle import InputSection, InputStatus, InvalidTransition
from reviews.models import DepartmentInput, InputAttachment
from reviews.tests import factories

pytestmark = pytest.mark.django_db

I = InputStatus  # noqa: E741
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<<>>\n%%EOF\n"
PERF = InputSection.PERFORMANCE


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def p(db, monkeypatch):
    groups = roles.roles_ensure()
    monkeypatch.setattr(roles, "roles_ensure", lambda: groups)
    return factories.people()


@pytest.fixture
def tech(db):
    return doc_factories.department("技术部")


def actions(review) -> list[tuple[str, dict]]:
    return [
        (e.action.removeprefix("shoukong.reviews."), e.data)
        for e in ModelLogEntry.objects.for_instance(review).order_by("id")
        if e.action.startswith("shoukong.reviews.input_")
    ]


def stored_files() -> list[str]:
    found = []
    for root, _dirs, files in os.walk(settings.SHOUKONG_RECORDS_ROOT):
        found += [os.path.join(root, f) for f in files]
    return sorted(found)


def test_staff_write_the_head_signs(p, tech):
    review = factories.review(p)
    item = services.input_save(
        user=p.staff,
        review=review,
        department=tech,
        section=PERF,
        content="  服务响应及时率全年96.2%。 ",
    )
    assert (item.status, item.content, item.prepared_by) == (
        I.DRAFT,
        "服务响应及时率全年96.2%。",
        p.staff,
    )
    # Rewritten while a draft: the same row.
    again = services.input_save(
        user=p.tech_manager,
        review=review,
        department=tech,
        section=PERF,
        content="服务响应及时率全年96.5%。",
    )
    assert again.pk == item.pk and again.prepared_by == p.tech_manager
    assert DepartmentInput.objects.count() == 1

    with pytest.raises(PermissionDenied):
        services.input_sign(user=p.staff, input=item)
    with pytest.raises(PermissionDenied):
        services.input_sign(user=p.market_manager, input=item)
    item = services.input_sign(user=p.tech_manager, input=item)
    assert item.status == I.SIGNED and item.signed_by == p.tech_manager
    assert item.signed_at is not None
    with pytest.raises(ValidationError, match="already signed"):
        services.input_sign(user=p.tech_manager, input=item)

    # Signed: no change until returned.
    with pytest.raises(ValidationError, match="returned before it changes"):
        services.input_save(
            user=p.staff, review=review, department=tech, section=PERF, content="改"
        )
    with pytest.raises(ValidationError, match="returned before it changes"):
        services.input_attach(user=p.staff, input=item, uploads=[("a.pdf", PDF)])
    assert (
        DepartmentInput.objects.get(pk=item.pk).content == "服务响应及时率全年96.5%。"
    )

    assert [a for a, _data in actions(review)] == [
        "input_save",
        "input_save",
        "input_sign",
    ]
    assert actions(review)[0][1]["department"] == "技术部"


def test_return_needs_a_comment(p, tech):
    review = factories.review(p)
    item = services.input_save(
        user=p.staff, review=review, department=tech, section=PERF, content="初稿"
    )
    with pytest.raises(InvalidTransition):
        services.input_return(user=p.mr, input=item, comment="先签字")
    item = services.input_sign(user=p.tech_manager, input=item)

    with pytest.raises(ValidationError, match="returned"):
        services.input_return(user=p.mr, input=item, comment="  ")
    with pytest.raises(ValidationError):
        services.input_return(user=p.mr, input=item, comment="缺数据\x00")
    for outsider in (p.staff, p.tech_manager, p.gm):
        with pytest.raises(PermissionDenied):
            services.input_return(user=outsider, input=item, comment="补充")
    item = services.input_return(user=p.mr, input=item, comment="缺少第四季度数据")
    assert item.status == I.RETURNED and item.returned_by == p.mr
    assert item.return_comment == "缺少第四季度数据"
    assert actions(review)[-1] == (
        "input_return",
        {"input": item.pk, "comment": "缺少第四季度数据"},
    )

    item = services.input_save(
        user=p.staff, review=review, department=tech, section=PERF, content="补充后"
    )
    assert item.status == I.DRAFT
    item = services.input_sign(user=p.tech_manager, input=item)
    assert item.status == I.SIGNED
    # 行政部 (文控) may return too.
    assert services.input_return(
        user=p.controller, input=item, comment="格式"
    ).status == (I.RETURNED)


def test_who_writes_for_which_department(p, tech):
    review = factories.review(p)
    market = doc_factories.department("市场部")
    admin = doc_factories.department("行政部")
    with pytest.raises(PermissionDenied):
        services.input_save(
            user=p.staff, review=review, department=market, section=PERF, content="x"
        )
    with pytest.raises(PermissionDenied):
        services.input_save(
            user=p.market_manager,
            review=review,
            department=tech,
            section=PERF,
            content="x",
        )
    # 行政部 enters it for any department; a department without a 部门经理
    # is signed off by 总经理 (compliance's stand-in heads).
    item = services.input_save(
        user=p.controller,
        review=review,
        department=admin,
        section=InputSection.RESOURCES,
        content="新增两名工程师",
    )
    with pytest.raises(PermissionDenied):
        services.input_sign(user=p.controller, input=item)
    assert services.input_sign(user=p.gm, input=item).signed_by == p.gm
    customer = doc_factories.user(
        "customer", role=roles.CUSTOMER_REPRESENTATIVE, department_name=None
    )
    with pytest.raises(PermissionDenied):
        services.input_save(
            user=customer, review=review, department=tech, section=PERF, content="x"
        )


def test_bad_inputs_are_refused(p, tech):
    review = factories.review(p)
    closed = doc_factories.department("旧部门")
    closed.is_active = False
    closed.save()
    for bad in (
        {"section": "budget"},
        {"section": ["performance"]},
        {"department": closed},
        {"department": "技术部"},
        {"department": None},
        {"content": "   "},
        {"content": "数据\x00"},
        {"content": "数据\x1b[31m"},
        {"content": 96.5},
    ):
        fields = {"department": tech, "section": PERF, "content": "数据"} | bad
        with pytest.raises(ValidationError):
            services.input_save(user=p.staff, review=review, **fields)
    assert not DepartmentInput.objects.exists()


def test_closed_once_the_meeting_is_held(p, tech):
    review = factories.review(p)
    item = services.input_save(
        user=p.staff, review=review, department=tech, section=PERF, content="数据"
    )
    factories.held(p, review)
    with pytest.raises(ValidationError, match="inputs are closed"):
        services.input_save(
            user=p.staff, review=review, department=tech, section=PERF, content="迟到"
        )
    with pytest.raises(PermissionDenied):
        services.input_sign(user=p.tech_manager, input=item)
    with pytest.raises(PermissionDenied):
        services.input_attach(user=p.staff, input=item, uploads=[("a.pdf", PDF)])


def test_attachments_checked_before_any_is_written(p, tech):
    review = factories.review(p)
    item = services.input_save(
        user=p.staff, review=review, department=tech, section=PERF, content="数据"
    )
    before = stored_files()
    hostile = [
        [("报告.pdf", b"MZ\x90\x00" + b"\x00" * 64)],  # an executable named .pdf
        [("报告.pdf", b"<html><script>alert(1)</script></html>")],
        [("run.exe", b"MZ\x90\x00")],
        [("宏.docm", b"PK\x03\x04")],
        [("空.pdf", b"")],
        [("good.pdf", PDF), ("bad.pdf", b"<svg onload=alert(1)>")],
        [],
        "a.pdf",
        [("a.pdf", "not bytes")],
        [b"a.pdf"],
    ]
    for uploads in hostile:
        with pytest.raises(ValidationError):
            services.input_attach(user=p.staff, input=item, uploads=uploads)
    assert not InputAttachment.objects.exists()
    assert stored_files() == before
    with override_settings(SHOUKONG_MGMT_REVIEW_ATTACHMENT_MAX_BYTES=len(PDF) - 1):
        with pytest.raises(ValidationError):
            services.input_attach(user=p.staff, input=item, uploads=[("a.pdf", PDF)])
    with pytest.raises(PermissionDenied):
        services.input_attach(
            user=p.market_manager, input=item, uploads=[("a.pdf", PDF)]
        )

    stored = services.input_attach(
        user=p.staff, input=item, uploads=[("../../统计表.pdf", PDF), ("二.pdf", PDF)]
    )
    assert len(stored) == 2 and item.files.count() == 2
    first = stored[0]
    assert "/" not in first.name and first.name.endswith(".pdf")
    assert first.size == len(PDF) and first.uploaded_by == p.staff
    assert first.content_type == "application/pdf"
    import hashlib

    assert first.sha256 == hashlib.sha256(PDF).hexdigest()
    with first.file.open("rb") as fh:
        assert fh.read() == PDF
    assert first.file.name.startswith(f"reviews/{review.number}/inputs/")
    assert actions(review)[-1][0] == "input_attach"
    assert len(actions(review)[-1][1]["files"]) == 2
