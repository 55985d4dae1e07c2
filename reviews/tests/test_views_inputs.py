"""The inputs page of a review: who sees it, the department's own input and
no other, the head's sign-off, the return with its comment, attachments
(hostile files refused, downloads only from their own review), and the page
closed after the meeting."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from documents import roles
from documents.tests import factories as doc_factories
from documents.tests.filefactories import make_docx

from .. import services
from ..lifecycle import InputSection, InputStatus
from ..models import DepartmentInput, InputAttachment
from . import factories

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64


def as_user(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def inputs_url(review) -> str:
    return reverse("reviews:inputs", kwargs={"number": review.number})


def action_url(review, input_id: int, action: str) -> str:
    return reverse(
        "reviews:input_action",
        kwargs={"number": review.number, "input_id": input_id, "action": action},
    )


def macro_docx() -> bytes:
    """A .docx carrying a VBA project: refused however it is named."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(make_docx(["宏"]))) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info))
        dst.writestr("word/vbaProject.bin", b"\xd0\xcf\x11\xe0" + b"\x00" * 64)
    return out.getvalue()


@pytest.fixture
def world():
    p = factories.people()
    review = factories.review(p)
    return p, review


def tech():
    return doc_factories.department("技术部")


def market():
    return doc_factories.department("市场部")


def draft_input(p, review, content="本期事件响应及时率 96%，满意度调查回收 42 份。"):
    return services.input_save(
        user=p.staff,
        review=review,
        department=tech(),
        section=InputSection.PERFORMANCE,
        content=content,
    )


# --- Reading ------------------------------------------------------------------------


def test_staff_see_the_assigned_sections_customers_do_not(world):
    p, review = world
    response = as_user(p.staff).get(inputs_url(review))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-section="performance"' in html
    assert 'data-section="resources"' in html
    assert "Not provided yet" in html
    assert 'data-testid="review-header"' in html
    # 技术部's staff may write 技术部's input, not 行政部's.
    performance = response.context["sections"][0]["rows"][0]
    assert performance["department"].name == "技术部" and performance["can_write"]
    resources = next(
        s for s in response.context["sections"] if s["code"] == "resources"
    )
    assert not resources["rows"][0]["can_write"]
    assert list(response.context["new_form"].fields["department"].queryset) == [tech()]

    customer = doc_factories.user(
        "customer", role=roles.CUSTOMER_REPRESENTATIVE, department_name=None
    )
    assert as_user(customer).get(inputs_url(review)).status_code == 403
    unknown = reverse("reviews:inputs", kwargs={"number": "MR-1999-01"})
    assert as_user(p.staff).get(unknown).status_code == 404
    anonymous = Client().get(inputs_url(review))
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]


# --- Writing, signing, returning ----------------------------------------------------


def test_a_department_writes_its_own_input_and_no_other(world):
    p, review = world
    client = as_user(p.staff)
    response = client.post(
        action_url(review, 0, "save"),
        {
            "department": tech().pk,
            "section": InputSection.PERFORMANCE,
            "content": "本期服务响应及时率 96%。",
        },
        follow=True,
    )
    assert response.status_code == 200
    item = DepartmentInput.objects.get(review=review, department=tech())
    assert item.status == InputStatus.DRAFT and item.prepared_by == p.staff
    assert "saved as a draft" in " ".join(messages_of(response))
    assert "本期服务响应及时率 96%。" in response.content.decode()

    refused = client.post(
        action_url(review, 0, "save"),
        {
            "department": market().pk,
            "section": InputSection.SUPPLIERS,
            "content": "代写市场部的输入",
        },
    )
    assert refused.status_code == 403
    assert not DepartmentInput.objects.filter(department=market()).exists()

    # Another department's existing input: 403 too.
    theirs = services.input_save(
        user=p.market_manager,
        review=review,
        department=market(),
        section=InputSection.SUPPLIERS,
        content="供方评价已完成。",
    )
    again = client.post(action_url(review, theirs.pk, "save"), {"content": "改掉"})
    assert again.status_code == 403
    assert DepartmentInput.objects.get(pk=theirs.pk).content == "供方评价已完成。"


def test_the_head_signs_off_and_a_signed_input_cannot_change(world):
    p, review = world
    item = draft_input(p, review)
    # Staff see no sign-off button and may not sign.
    page = as_user(p.staff).get(inputs_url(review))
    assert 'data-testid="input-sign"' not in page.content.decode()
    assert as_user(p.staff).post(action_url(review, item.pk, "sign")).status_code == 403

    head = as_user(p.tech_manager)
    page = head.get(inputs_url(review))
    assert 'data-testid="input-sign"' in page.content.decode()
    signed = head.post(action_url(review, item.pk, "sign"), follow=True)
    assert "signed off" in " ".join(messages_of(signed))
    item.refresh_from_db()
    assert item.status == InputStatus.SIGNED and item.signed_by == p.tech_manager
    assert 'data-testid="input-signed-by"' in signed.content.decode()

    # Signed: no edit form, and a posted change is refused with a message.
    page = as_user(p.staff).get(inputs_url(review))
    assert 'data-testid="input-edit"' not in page.content.decode()
    refused = as_user(p.staff).post(
        action_url(review, item.pk, "save"), {"content": "签字后再改"}, follow=True
    )
    assert "returned before it changes" in " ".join(messages_of(refused))
    item.refresh_from_db()
    assert item.content != "签字后再改"


def test_a_return_needs_a_comment_and_shows_it(world):
    p, review = world
    item = draft_input(p, review)
    services.input_sign(user=p.tech_manager, input=item)
    mr = as_user(p.mr)
    assert 'data-testid="input-return"' in mr.get(inputs_url(review)).content.decode()

    empty = mr.post(
        action_url(review, item.pk, "return"), {"comment": "  "}, follow=True
    )
    assert "Say why the input is returned." in " ".join(messages_of(empty))
    item.refresh_from_db()
    assert item.status == InputStatus.SIGNED

    # Staff may not return.
    staff_return = as_user(p.staff).post(
        action_url(review, item.pk, "return"), {"comment": "自己退回"}
    )
    assert staff_return.status_code == 403

    returned = mr.post(
        action_url(review, item.pk, "return"),
        {"comment": "请补充第三季度满意度数据。"},
        follow=True,
    )
    item.refresh_from_db()
    assert item.status == InputStatus.RETURNED
    html = returned.content.decode()
    assert 'data-testid="input-return-comment"' in html
    assert "请补充第三季度满意度数据。" in html

    # Back in the department's hands: it may be rewritten and signed again.
    rewritten = as_user(p.staff).post(
        action_url(review, item.pk, "save"), {"content": "已补充第三季度数据。"}
    )
    assert rewritten.status_code == 302
    item.refresh_from_db()
    assert item.status == InputStatus.DRAFT and item.content == "已补充第三季度数据。"


def test_unknown_step_or_input_is_404(world):
    p, review = world
    item = draft_input(p, review)
    client = as_user(p.staff)
    assert client.post(action_url(review, item.pk, "delete")).status_code == 404
    assert client.post(action_url(review, 0, "sign")).status_code == 404
    other = factories.review(p, days=20)
    assert (
        client.post(action_url(other, item.pk, "save"), {"content": "x"}).status_code
        == 404
    )
    assert client.get(action_url(review, item.pk, "save")).status_code == 405


# --- Attachments --------------------------------------------------------------------


def test_hostile_files_are_refused_and_nothing_is_stored(world):
    p, review = world
    item = draft_input(p, review)
    client = as_user(p.staff)
    for name, data in (("满意度调查.pdf", EXE), ("统计.docx", macro_docx())):
        response = client.post(
            action_url(review, item.pk, "attach"),
            {"files": SimpleUploadedFile(name, data, "application/pdf")},
            follow=True,
        )
        assert response.status_code == 200
        text = " ".join(messages_of(response))
        assert name in text or "macros" in text, text
    # A good file and a hostile one together: neither is kept.
    both = client.post(
        action_url(review, item.pk, "attach"),
        {
            "files": [
                SimpleUploadedFile("ok.pdf", PDF),
                SimpleUploadedFile("bad.pdf", EXE),
            ]
        },
        follow=True,
    )
    assert messages_of(both)
    assert not InputAttachment.objects.exists()
    nothing = client.post(action_url(review, item.pk, "attach"), {}, follow=True)
    assert "Choose a file" in " ".join(messages_of(nothing))


def test_files_are_attached_and_downloaded_from_their_own_review_only(world):
    p, review = world
    item = draft_input(p, review)
    client = as_user(p.staff)
    response = client.post(
        action_url(review, item.pk, "attach"),
        {"files": SimpleUploadedFile("满意度调查.pdf", PDF, "application/pdf")},
        follow=True,
    )
    assert "满意度调查.pdf" in " ".join(messages_of(response))
    attachment = InputAttachment.objects.get(input=item)
    url = reverse(
        "reviews:input_file", kwargs={"number": review.number, "file_id": attachment.pk}
    )
    assert url in response.content.decode()
    download = client.get(url)
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content) == PDF

    other = factories.review(p, days=20)
    elsewhere = reverse(
        "reviews:input_file", kwargs={"number": other.number, "file_id": attachment.pk}
    )
    assert client.get(elsewhere).status_code == 404
    missing = reverse(
        "reviews:input_file", kwargs={"number": review.number, "file_id": 999999}
    )
    assert client.get(missing).status_code == 404
    customer = doc_factories.user(
        "customer", role=roles.CUSTOMER_REPRESENTATIVE, department_name=None
    )
    assert as_user(customer).get(url).status_code == 403

    # Signed off: no more files.
    services.input_sign(user=p.tech_manager, input=item)
    refused = client.post(
        action_url(review, item.pk, "attach"),
        {"files": SimpleUploadedFile("补充.pdf", PDF)},
        follow=True,
    )
    assert "returned before it changes" in " ".join(messages_of(refused))
    assert InputAttachment.objects.filter(input=item).count() == 1


# --- Closed -------------------------------------------------------------------------


def test_after_the_meeting_the_page_says_the_inputs_are_closed(world):
    p, review = world
    item = draft_input(p, review)
    factories.held(p, review)
    client = as_user(p.controller)
    page = client.get(inputs_url(review))
    html = page.content.decode()
    assert 'data-testid="inputs-closed"' in html
    assert "The meeting has been held" in html
    assert page.context["new_form"] is None
    assert 'data-testid="input-actions"' not in html
    refused = client.post(
        action_url(review, item.pk, "save"), {"content": "会后补写"}, follow=True
    )
    assert "inputs are closed" in " ".join(messages_of(refused))
    item.refresh_from_db()
    assert item.content != "会后补写"
