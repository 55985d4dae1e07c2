"""The department of users, edited in the Wagtail admin's user forms."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from documents.models import StaffProfile
from documents.tests import factories
from documents.users.forms import ShoukongUserCreationForm, ShoukongUserEditForm
from documents.users.views import UserViewSet

pytestmark = pytest.mark.django_db

PASSWORD = "Demo-Passw0rd-for-tests"


@pytest.fixture
def admin_client(client, departments):
    admin = get_user_model().objects.create_superuser(
        "root", "root@example.com", PASSWORD
    )
    client.force_login(admin)
    return client


def test_the_admin_uses_the_shoukong_user_forms():
    viewset = UserViewSet("wagtailusers_users")
    assert viewset.get_form_class() is ShoukongUserCreationForm
    assert viewset.get_form_class(for_update=True) is ShoukongUserEditForm


def test_admin_creates_a_user_with_a_department(admin_client, departments):
    add_url = reverse("wagtailusers_users:add")
    page = admin_client.get(add_url)
    assert page.status_code == 200
    assert 'name="department"' in page.content.decode()

    response = admin_client.post(
        add_url,
        {
            "username": "lihua",
            "email": "lihua@example.com",
            "first_name": "华",
            "last_name": "李",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "department": departments["技术部"].pk,
            "job_title": "运维工程师",
        },
    )

    assert response.status_code == 302, response.context["form"].errors
    user = get_user_model().objects.get(username="lihua")
    assert user.staff_profile.department == departments["技术部"]
    assert user.staff_profile.job_title == "运维工程师"


def test_admin_changes_the_department_of_a_user(admin_client, departments):
    user = factories.user("wangfang", department_name="行政部")
    edit_url = reverse("wagtailusers_users:edit", args=[user.pk])
    page = admin_client.get(edit_url)
    assert page.status_code == 200
    form = page.context["form"]
    assert form["department"].value() == departments["行政部"].pk

    response = admin_client.post(
        edit_url,
        {
            "username": "wangfang",
            "email": "wangfang@example.com",
            "first_name": "芳",
            "last_name": "王",
            "is_active": "on",
            "department": departments["市场部"].pk,
            "job_title": "客户经理",
        },
    )

    assert response.status_code == 302, response.context["form"].errors
    profile = StaffProfile.objects.get(user=user)
    assert profile.department == departments["市场部"]
    assert profile.job_title == "客户经理"


def test_clearing_the_department_keeps_the_profile(admin_client, departments):
    user = factories.user("zhaolei", department_name="技术部")
    response = admin_client.post(
        reverse("wagtailusers_users:edit", args=[user.pk]),
        {
            "username": "zhaolei",
            "email": "zhaolei@example.com",
            "first_name": "磊",
            "last_name": "赵",
            "is_active": "on",
            "department": "",
        },
    )

    assert response.status_code == 302, response.context["form"].errors
    assert StaffProfile.objects.get(user=user).department is None


def test_user_listing_shows_the_department(admin_client, departments):
    factories.user("sunli", department_name="市场部")
    response = admin_client.get(reverse("wagtailusers_users:index"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "sunli" in content
    assert "市场部" in content
