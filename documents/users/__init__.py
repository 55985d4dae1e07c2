"""Staff accounts in the Wagtail admin, with the department each person belongs to.

This package is named in ``INSTALLED_APPS`` (``documents.users.ShoukongUsersAppConfig``
in place of ``wagtail.users``), so Django imports it while the app registry is
still being populated: it must not import models at module level. The forms and
the viewset live in :mod:`documents.users.forms` and :mod:`documents.users.views`
and are named here by dotted path only.
"""

from __future__ import annotations

from wagtail.users.apps import WagtailUsersAppConfig


class ShoukongUsersAppConfig(WagtailUsersAppConfig):
    """Wagtail's users app, with user forms that edit the staff profile too."""

    user_viewset = "documents.users.views.UserViewSet"
