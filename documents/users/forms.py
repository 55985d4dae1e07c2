"""Wagtail's user forms with the staff profile's fields (department, job title)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ObjectDoesNotExist
from django.utils.text import capfirst
from wagtail.users.forms import UserCreationForm, UserEditForm

from documents.models import Department, StaffProfile

from .services import staff_profile_update


class StaffProfileFormMixin(forms.Form):
    """Adds ``department`` and ``job_title`` and saves them to the StaffProfile."""

    department = forms.ModelChoiceField(
        queryset=Department.objects.filter(is_active=True),
        required=False,
        label=capfirst(StaffProfile._meta.get_field("department").verbose_name),
    )
    job_title = forms.CharField(
        max_length=64,
        required=False,
        label=capfirst(StaffProfile._meta.get_field("job_title").verbose_name),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        profile = None
        if self.instance.pk:
            try:
                profile = self.instance.staff_profile
            except ObjectDoesNotExist:
                profile = None
        if profile is not None:
            self.fields["department"].initial = profile.department_id
            self.fields["job_title"].initial = profile.job_title
            if profile.department_id and not profile.department.is_active:
                # Keep a deactivated department selectable for people still in it.
                self.fields["department"].queryset = Department.objects.filter(
                    pk=profile.department_id
                ) | Department.objects.filter(is_active=True)

    def save(self, commit=True):
        user = super().save(commit=commit)
        if commit:
            self.save_profile(user)
        else:
            # Like save_m2m: the caller saves the user, then the profile.
            save_m2m = self.save_m2m

            def save_m2m_and_profile():
                save_m2m()
                self.save_profile(user)

            self.save_m2m = save_m2m_and_profile
        return user

    def save_profile(self, user) -> None:
        staff_profile_update(
            user=user,
            department=self.cleaned_data.get("department"),
            job_title=self.cleaned_data.get("job_title") or "",
        )


class ShoukongUserCreationForm(StaffProfileFormMixin, UserCreationForm):
    pass


class ShoukongUserEditForm(StaffProfileFormMixin, UserEditForm):
    pass
