"""The meeting page: attendance (签到), the minutes and the conclusions,
recorded through services.meeting_record."""

from __future__ import annotations

from datetime import timedelta

import pytest
from wagtail.models import ModelLogEntry

from documents import roles
from documents.tests import factories as doc_factories

from .. import services
from ..lifecycle import InputSection, ReviewStatus, Verdict
from ..models import Discussion, Review, ReviewParticipant
from . import factories as f

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def p():
    return f.people()


def url(review: Review) -> str:
    return f"/reviews/{review.number}/meeting/"


def minutes(p, **changes) -> dict:
    data = {
        "held_on": f.today().isoformat(),
        "attendees": [p.gm.pk, p.mr.pk, p.controller.pk],
        "guests": [p.staff.pk],
        "mr_report": "体系整体运行稳定。",
        f"notes_{InputSection.OBJECTIVES}": "满意度未达标，需改进。",
        f"notes_{InputSection.AUDITS}": "内审发现均已关闭。",
        "suitability": Verdict.YES,
        "adequacy": Verdict.PARTLY,
        "effectiveness": Verdict.YES,
        "conclusion_system": "方针目标适宜。",
        "conclusion_service": "供方表现良好。",
        "conclusion_resources": "需增加一名运维工程师。",
        "evaluation": "体系有效运行。",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def compiled(p) -> Review:
    review = f.approved(p)
    services.pack_compile(user=p.controller, review=review)
    return review


def test_the_page_lists_the_invited_participants_and_the_pack_sections(client, p):
    review = compiled(p)
    client.force_login(p.controller)
    response = client.get(url(review), **EN)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="meeting-form"' in page
    assert "Record the meeting" in page
    # The invited participants are the check list; others are guests.
    attendees = response.context["form"].fields["attendees"].queryset
    assert set(attendees) == {
        p.gm,
        p.mr,
        p.controller,
        p.tech_manager,
        p.market_manager,
    }
    guests = response.context["form"].fields["guests"].queryset
    assert p.staff in guests and p.gm not in guests
    # One notes box per section of the pack.
    for code in InputSection.values:
        assert f'name="notes_{code}"' in page


def test_customer_representative_gets_403_and_unknown_review_404(client, p):
    review = compiled(p)
    customer = doc_factories.user("customer", role=roles.CUSTOMER_REPRESENTATIVE)
    client.force_login(customer)
    assert client.get(url(review)).status_code == 403
    client.force_login(p.controller)
    assert client.get("/reviews/MR-1999-01/meeting/").status_code == 404


def test_the_meeting_is_refused_before_the_plan_is_approved(client, p):
    review = f.review(p)
    client.force_login(p.controller)
    response = client.post(url(review), minutes(p), follow=True, **EN)
    assert "The plan is not approved yet" in response.content.decode()
    review.refresh_from_db()
    assert review.status == ReviewStatus.DRAFT and review.held_on is None
    assert not ReviewParticipant.objects.filter(review=review, attended=True).exists()
    assert not Discussion.objects.filter(review=review).exists()


def test_the_page_explains_when_the_plan_is_not_approved(client, p):
    review = f.review(p)
    client.force_login(p.controller)
    page = client.get(url(review), **EN).content.decode()
    assert 'data-testid="meeting-not-yet"' in page
    assert 'data-testid="meeting-form"' not in page


def test_the_meeting_is_refused_without_a_compiled_pack(client, p):
    review = f.approved(p)
    client.force_login(p.controller)
    response = client.post(url(review), minutes(p), **EN)
    assert response.status_code == 400
    assert "Compile the input pack before recording the meeting." in (
        response.content.decode()
    )
    review.refresh_from_db()
    assert review.status == ReviewStatus.APPROVED


def test_a_meeting_in_the_future_is_refused(client, p):
    review = compiled(p)
    client.force_login(p.controller)
    tomorrow = (f.today() + timedelta(days=1)).isoformat()
    response = client.post(url(review), minutes(p, held_on=tomorrow), **EN)
    assert response.status_code == 400
    assert "A meeting cannot be recorded before it is held." in (
        response.content.decode()
    )
    review.refresh_from_db()
    assert review.status == ReviewStatus.APPROVED and review.held_on is None


def test_the_first_save_moves_the_review_to_held(client, p):
    review = compiled(p)
    client.force_login(p.controller)
    response = client.post(url(review), minutes(p))
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.status == ReviewStatus.HELD
    assert review.held_on == f.today()
    assert (review.suitability, review.adequacy, review.effectiveness) == (
        Verdict.YES,
        Verdict.PARTLY,
        Verdict.YES,
    )
    assert review.conclusion_resources == "需增加一名运维工程师。"
    present = set(
        review.participants.filter(attended=True).values_list(
            "user__username", flat=True
        )
    )
    assert present == {"gm", "mr", "controller", "staff"}
    guest = review.participants.get(user=p.staff)
    assert not guest.invited and guest.signed_in_at is not None
    assert dict(review.discussions.values_list("section", "notes")) == {
        InputSection.OBJECTIVES: "满意度未达标，需改进。",
        InputSection.AUDITS: "内审发现均已关闭。",
    }
    assert ModelLogEntry.objects.filter(
        action="shoukong.reviews.meeting_record", object_id=str(review.pk)
    ).exists()

    # A later save corrects the minutes; the review stays held.
    page = client.get(url(review), **EN).content.decode()
    assert "Save the minutes" in page
    response = client.post(
        url(review),
        minutes(
            p,
            attendees=[p.gm.pk, p.mr.pk, p.controller.pk, p.tech_manager.pk],
            guests=None,
            **{f"notes_{InputSection.AUDITS}": ""},
        ),
        follow=True,
        **EN,
    )
    assert "The minutes have been corrected." in response.content.decode()
    review.refresh_from_db()
    assert review.status == ReviewStatus.HELD
    present = set(
        review.participants.filter(attended=True).values_list(
            "user__username", flat=True
        )
    )
    assert present == {"gm", "mr", "controller", "tech_manager"}
    assert not review.participants.filter(user=p.staff).exists()
    assert set(review.discussions.values_list("section", flat=True)) == {
        InputSection.OBJECTIVES
    }


def test_no_attendee_is_refused(client, p):
    review = compiled(p)
    client.force_login(p.controller)
    response = client.post(url(review), minutes(p, attendees=None, guests=None), **EN)
    assert response.status_code == 400
    assert "Record who attended the meeting." in response.content.decode()
    review.refresh_from_db()
    assert review.status == ReviewStatus.APPROVED


def test_staff_outside_the_preparers_read_the_minutes_without_a_form(client, p):
    review = f.held(p)
    client.force_login(p.staff)
    response = client.get(url(review), **EN)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="meeting-form"' not in page
    assert 'data-testid="minutes"' in page
    assert "目标基本达成" in page
    assert client.post(url(review), minutes(p)).status_code == 403


def test_the_minutes_are_read_only_once_the_report_is_in_signature(client, p):
    review = f.held(p)
    services.report_submit(
        user=p.controller,
        review=review,
        distribution=[doc_factories.department("行政部")],
    )
    client.force_login(p.controller)
    page = client.get(url(review), **EN).content.decode()
    assert 'data-testid="meeting-read-only"' in page
    assert 'data-testid="meeting-form"' not in page
    response = client.post(url(review), minutes(p), **EN)
    assert response.status_code == 302
    page = client.get(response["Location"], **EN).content.decode()
    assert "the minutes can no longer change" in page
    assert 'data-testid="meeting-form"' not in page
    review.refresh_from_db()
    assert review.status == ReviewStatus.REPORTING
    assert review.adequacy == Verdict.YES
