"""The admin's user views: Wagtail's, with the department in forms and listing."""

from __future__ import annotations

from django.utils.functional import cached_property
from django.utils.text import capfirst
from wagtail.admin.ui.tables import Column
from wagtail.users.views import users

from documents.models import StaffProfile

from .forms import ShoukongUserCreationForm, ShoukongUserEditForm


def _department_name(user) -> str | None:
    profile = getattr(user, "staff_profile", None)
    department = profile.department if profile is not None else None
    return department.name if department is not None else None


class IndexView(users.IndexView):
    @cached_property
    def columns(self):
        columns = list(super().columns)
        # After the username column.
        columns.insert(
            3,
            Column(
                "department",
                accessor=_department_name,
                label=capfirst(StaffProfile._meta.get_field("department").verbose_name),
                sort_key="staff_profile__department__sort_order",
                width="12%",
            ),
        )
        return columns

    def get_base_queryset(self):
        return super().get_base_queryset().select_related("staff_profile__department")


class UserViewSet(users.UserViewSet):
    index_view_class = IndexView
    create_template_name = "documents/users/create.html"
    edit_template_name = "documents/users/edit.html"

    def get_form_class(self, for_update=False):
        if for_update:
            return ShoukongUserEditForm
        return ShoukongUserCreationForm
