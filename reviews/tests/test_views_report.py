"""The report page: the preview after the meeting, the submission with the
distribution list, the signatures along the report chain, the downloads."""

from __future__ import annotations

import hashlib
from urllib.parse import unquote

import pytest

from documents import roles
from documents.models import Department
from documents.tests import factories as doc_factories

from .. import services
from ..lifecycle import ReviewStatus, SignatureDecision
from ..models import Review
from . import factories as f

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture
def p():
    return f.people()


def url(review: Review, tail: str = "report/") -> str:
    return f"/reviews/{review.number}/{tail}"


def filename(response) -> str:
    return unquote(response["Content-Disposition"])


def submitted(p) -> Review:
    review = f.held(p)
    f.improvement(p, review)
    return services.report_submit(
        user=p.controller,
        review=review,
        distribution=[doc_factories.department("行政部")],
    )


def test_before_the_meeting_the_page_explains_the_report_comes_after(client, p):
    review = f.approved(p)
    client.force_login(p.controller)
    response = client.get(url(review), **EN)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="report-not-yet"' in page
    assert "after the meeting" in page
    assert 'data-testid="report-preview"' not in page
    assert client.get(url(review, "report.docx")).status_code == 404
    assert client.get(url(review, "minutes.docx")).status_code == 404


def test_customer_representative_gets_403_and_unknown_review_404(client, p):
    review = f.held(p)
    customer = doc_factories.user("customer", role=roles.CUSTOMER_REPRESENTATIVE)
    client.force_login(customer)
    assert client.get(url(review)).status_code == 403
    assert client.get(url(review, "report.docx")).status_code == 403
    client.force_login(p.controller)
    assert client.get("/reviews/MR-1999-01/report/").status_code == 404
    assert client.get("/reviews/MR-1999-01/report.docx").status_code == 404


def test_after_the_meeting_the_preview_and_the_distribution_form(client, p):
    review = f.held(p)
    f.improvement(p, review)
    client.force_login(p.controller)
    response = client.get(url(review), **EN)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="report-preview"' in page
    assert 'data-testid="report-submit"' in page
    assert "体系运行正常。" in page  # 管理者代表's report
    assert "目标基本达成" in page  # the discussion of the objectives
    assert "提高客户满意度调查的回收率" in page  # the decided action
    assert 'data-section="nonconformities"' in page
    assert "Download the draft report" in page
    # The draft downloads.
    response = client.get(url(review, "report.docx"))
    assert response.status_code == 200
    assert response["Content-Type"] == DOCX
    assert "draft" in filename(response) and "管理评审报告" in filename(response)
    assert response.content.startswith(b"PK")
    response = client.get(url(review, "minutes.docx"))
    assert response.status_code == 200
    assert "draft" in filename(response) and "会议记录" in filename(response)


def test_a_late_report_is_flagged(client, p, settings):
    settings.SHOUKONG_MGMT_REVIEW_REPORT_DAYS = -2
    review = f.held(p)
    client.force_login(p.controller)
    page = client.get(url(review), **EN).content.decode()
    assert 'data-testid="report-late"' in page


def test_signing_the_report_before_the_meeting_is_refused(client, p):
    review = f.approved(p)
    client.force_login(p.mr)
    response = client.post(url(review), {"action": "sign"}, **EN)
    assert response.status_code == 302
    response = client.get(response["Location"], **EN)
    assert "The meeting has not been held" in response.content.decode()
    review.refresh_from_db()
    assert review.status == ReviewStatus.APPROVED
    assert not review.signatures.filter(paper="report").exists()


def test_submitting_without_a_distribution_is_refused(client, p):
    review = f.held(p)
    client.force_login(p.controller)
    response = client.post(url(review), {"action": "submit"}, follow=True, **EN)
    assert "Give the report&#x27;s distribution list." in response.content.decode()
    review.refresh_from_db()
    assert review.status == ReviewStatus.HELD


def test_the_wrong_role_may_not_sign(client, p):
    review = submitted(p)
    client.force_login(p.gm)  # the first step is 管理者代表's
    page = client.get(url(review), **EN).content.decode()
    assert 'data-testid="report-sign"' not in page
    assert client.post(url(review), {"action": "sign"}).status_code == 403
    review.refresh_from_db()
    assert review.status == ReviewStatus.REPORTING


def test_a_returned_report_goes_back_to_the_minutes(client, p):
    review = submitted(p)
    client.force_login(p.mr)
    response = client.post(
        url(review), {"action": "return", "comment": ""}, follow=True, **EN
    )
    assert "Say why it is returned." in response.content.decode()
    response = client.post(
        url(review),
        {"action": "return", "comment": "资源结论需补充数据"},
        follow=True,
        **EN,
    )
    assert "returned to 行政部" in response.content.decode()
    review.refresh_from_db()
    assert review.status == ReviewStatus.HELD
    client.force_login(p.controller)
    page = client.get(url(review), **EN).content.decode()
    assert 'data-testid="report-returned"' in page and "资源结论需补充数据" in page


def test_the_report_chain_completes_the_review_and_freezes_the_report(client, p):
    review = f.held(p)
    f.improvement(p, review)
    admin = Department.objects.get(name="行政部")
    tech = Department.objects.get(name="技术部")
    client.force_login(p.controller)
    response = client.post(
        url(review),
        {"action": "submit", "distribution": [admin.pk, tech.pk]},
        follow=True,
        **EN,
    )
    assert "sent to 管理者代表 for signature" in response.content.decode()
    review.refresh_from_db()
    assert review.status == ReviewStatus.REPORTING
    assert set(review.distribution.all()) == {admin, tech}

    client.force_login(p.mr)
    page = client.get(url(review), **EN).content.decode()
    assert 'data-testid="report-sign"' in page
    response = client.post(
        url(review), {"action": "sign", "comment": "同意"}, follow=True, **EN
    )
    assert "the report goes to 总经理" in response.content.decode()

    client.force_login(p.gm)
    response = client.post(url(review), {"action": "sign"}, follow=True, **EN)
    assert "The report is approved" in response.content.decode()
    review.refresh_from_db()
    assert review.status == ReviewStatus.COMPLETED
    signatures = list(
        review.signatures.filter(paper="report", decision=SignatureDecision.SIGNED)
        .order_by("signed_at")
        .values_list("user__username", flat=True)
    )
    assert signatures == ["mr", "gm"]

    page = client.get(url(review), **EN).content.decode()
    assert 'data-testid="report-approved"' in page
    assert page.count('data-testid="chain-step"') == 2
    assert 'data-signed="0"' not in page
    assert "Download the approved report" in page

    # The download is the frozen file, not a new draft.
    with review.report_file.open("rb") as handle:
        frozen = handle.read()
    response = client.get(url(review, "report.docx"))
    assert response.status_code == 200
    assert response["Content-Type"] == DOCX
    assert "draft" not in filename(response)
    assert f"{review.number}-管理评审报告.docx" in filename(response)
    digest = hashlib.sha256(response.content).hexdigest()
    assert digest == review.report_sha256 == hashlib.sha256(frozen).hexdigest()
    response = client.get(url(review, "minutes.docx"))
    assert hashlib.sha256(response.content).hexdigest() == review.minutes_sha256
    assert "draft" not in filename(response)

    # Signing again is refused with a message, not an error.
    response = client.post(url(review), {"action": "sign"}, follow=True, **EN)
    assert response.status_code == 200
    assert "not awaiting a signature" in response.content.decode()
