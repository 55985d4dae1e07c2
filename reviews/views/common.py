"""What the review pages share: who may read them, finding a review, turning
a service's refusal into a message."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _

from records.views.common import error_text, login_required_for

from .. import permissions
from ..models import Review

__all__ = ["error_text", "reviews_staff", "visible_review"]

# Everyone in the company reads the review pages; a customer representative
# gets a 403, an anonymous visitor the login page.
reviews_staff = login_required_for(permissions.can_view_reviews)


def visible_review(number: str) -> Review:
    # A NUL (which PostgreSQL refuses in a query) or an overlong value names
    # no review.
    if not number or len(number) > 32 or "\x00" in number:
        raise Http404(_("No such management review."))
    review = (
        Review.objects.select_related("chair", "prepared_by")
        .filter(number=number)
        .first()
    )
    if review is None:
        raise Http404(_("No such management review."))
    return review
