"""A restricted document (confidential) on the review pages: every member of
staff reads the reviews, but only the document's readers see its number and
title in the compiled pack (its documents tables and the forms of the records
past retention), on the outputs page and among the review actions. The pack
is a snapshot: it keeps the number and title, only the page leaves them out.

staff (员工, 技术部) may not open the 行政部 document; controller (文控) may."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from documents import access
from documents.tests import factories as doc_factories

from ..lifecycle import OutputKind
from ..models import ReviewPack
from . import factories as f

pytestmark = pytest.mark.django_db

NUMBER = "B17"
TITLE = "薪酬核定程序"
OPEN_NUMBER = "B05"
OPEN_TITLE = "文件控制程序"
PLACEHOLDER = "Restricted document"


@pytest.fixture
def p():
    return f.people()


@pytest.fixture
def secret(p):
    """An issued 行政部 procedure, restricted to its department, with an open
    one beside it."""
    doc_factories.document("procedure", OPEN_TITLE, number=OPEN_NUMBER, issue=True)
    page = doc_factories.document("procedure", TITLE, number=NUMBER, issue=True)
    return page


def restrict(p, page) -> None:
    access.document_set_access(
        user=p.controller, document=page, confidential=True, reader_departments=[]
    )


def as_user(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def page(user, url: str) -> str:
    response = as_user(user).get(url)
    assert response.status_code == 200
    return response.content.decode()


def doc_row(number: str, title: str) -> dict:
    return {
        "number": number,
        "title": title,
        "revision": "A",
        "date": "2026-01-05",
        "url": f"/documents/{number}/",
    }


def pack_data() -> dict:
    """A pack as compiled: the restricted procedure issued and overdue for
    review, a restricted form with records past retention."""
    return {
        "schema": 1,
        "sections": [
            {
                "code": "documents",
                "source": "documents",
                "compiled": True,
                "summary": {"issued_in_period": 2, "reviews_overdue": 1},
                "rows": [],
                "rows_issued": [
                    doc_row(OPEN_NUMBER, OPEN_TITLE),
                    doc_row(NUMBER, TITLE),
                ],
                "rows_reviews_overdue": [doc_row(NUMBER, TITLE)],
                "rows_recalls_overdue": [],
            },
            {
                "code": "records",
                "source": "records",
                "compiled": True,
                "summary": {
                    "past_retention": 5,
                    "disposable": 5,
                    "by_form": {
                        f"{OPEN_NUMBER} {OPEN_TITLE}": 3,
                        f"{NUMBER} {TITLE}": 2,
                    },
                },
                "rows": [],
            },
        ],
    }


@pytest.mark.parametrize("who, named", [("staff", False), ("controller", True)])
def test_the_pack_names_a_restricted_document_to_its_readers_only(
    p, secret, who, named
):
    review = f.approved(p)
    restrict(p, secret)
    pack = ReviewPack.objects.create(
        review=review,
        version=1,
        period_start=review.period_start,
        period_end=review.period_end,
        data=pack_data(),
        compiled_by=p.controller,
        compiled_at=timezone.now(),
    )
    html = page(getattr(p, who), reverse("reviews:pack", args=[review.number]))
    assert OPEN_TITLE in html and f"/documents/{OPEN_NUMBER}/" in html
    assert (TITLE in html) is named
    assert (f"/documents/{NUMBER}/" in html) is named
    assert (f">{NUMBER}<" in html) is named
    assert (PLACEHOLDER in html) is not named
    # The snapshot is a record: it is never changed for a reader.
    pack.refresh_from_db()
    assert pack.data == pack_data()


@pytest.mark.parametrize("who, named", [("staff", False), ("controller", True)])
def test_outputs_and_actions_name_a_restricted_document_to_its_readers_only(
    p, secret, who, named
):
    review = f.held(p)
    f.improvement(
        p,
        review,
        kind=OutputKind.DOCUMENT,
        description="按新组织架构换版",
        owner=p.controller,
        document=secret,
        due_date=f.today() + timedelta(days=30),
    )
    restrict(p, secret)
    user = getattr(p, who)
    for url in (
        reverse("reviews:outputs", args=[review.number]),
        reverse("reviews:actions"),
    ):
        html = page(user, url)
        assert "按新组织架构换版" in html
        assert (TITLE in html) is named
        assert (secret.url in html) is named
        assert (PLACEHOLDER in html) is not named
