"""Compliance reference data in the Wagtail admin: the standards and their
clauses, the process owners (流程负责人) and the nonconformity grades.

What a catalogue file loaded (a standard of origin "catalogue" and its
clauses) is read-only here: it changes only when a new file is loaded
(``manage.py load_clauses``), so the admin and the files never disagree. The
company's own requirements are added and edited here. Standards and clauses
are never deleted, as documents and findings point at them; they are marked
inactive instead. The viewsets are registered in :mod:`compliance.wagtail_hooks`.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.utils import quote
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.admin.ui.tables import BooleanColumn, Column
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.snippets.views import snippets as snippet_views
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from . import clauses as clause_rules
from . import permissions
from .catalogue import catalogue_parse, shipped_catalogues
from .lifecycle import StandardOrigin
from .models import Clause, NonconformityGrade, Process, Standard

# --- Permission policies ------------------------------------------------------------


class RefusingPermissionPolicy(ModelPermissionPolicy):
    """Model permissions, with per-object refusals given in words
    (:meth:`refusal`), so the views can say why instead of failing."""

    #: Actions nobody takes on any object of the model.
    frozen_actions: frozenset[str] = frozenset()

    def refusal(self, action: str, instance) -> str | None:
        """Why ``action`` is refused on ``instance`` for everyone, or None."""
        if action in self.frozen_actions:
            return str(
                _("%(model)s are never deleted; mark them inactive instead.")
                % {"model": instance._meta.verbose_name_plural.capitalize()}
            )
        return None

    def user_has_permission(self, user, action):
        if action in self.frozen_actions:
            return False
        return super().user_has_permission(user, action)

    def user_has_permission_for_instance(self, user, action, instance):
        if self.refusal(action, instance) is not None:
            return False
        return super().user_has_permission_for_instance(user, action, instance)

    def users_with_any_permission(self, actions):
        actions = [a for a in actions if a not in self.frozen_actions]
        if not actions:
            return self.user_model._default_manager.none()
        return super().users_with_any_permission(actions)


class StandardPermissionPolicy(RefusingPermissionPolicy):
    """A catalogue standard changes only by loading its file; none is deleted
    (its clauses are traced to documents and findings)."""

    frozen_actions = frozenset({"delete"})

    def refusal(self, action, instance):
        if action == "change" and instance.origin == StandardOrigin.CATALOGUE:
            return str(
                _(
                    "%(standard)s is loaded from its catalogue file and cannot be "
                    "changed here; load a new file with “manage.py load_clauses”."
                )
                % {"standard": instance.code}
            )
        return super().refusal(action, instance)


class ClausePermissionPolicy(RefusingPermissionPolicy):
    """Clauses of a catalogue standard change only by loading its file; the
    company's own requirements are edited here; none is deleted."""

    frozen_actions = frozenset({"delete"})

    def refusal(self, action, instance):
        if action == "change" and instance.standard.origin == StandardOrigin.CATALOGUE:
            return str(
                _(
                    "Clause %(clause)s belongs to the catalogue of %(standard)s and "
                    "cannot be changed here; load a new catalogue file instead."
                )
                % {"clause": instance.ref_id, "standard": instance.standard.code}
            )
        return super().refusal(action, instance)


class NonconformityGradePermissionPolicy(RefusingPermissionPolicy):
    """A grade that findings carry is kept (it may be made inactive)."""

    def refusal(self, action, instance):
        if action == "delete" and instance.pk is not None:
            count = instance.nonconformities.count()
            if count:
                return ngettext(
                    "“%(grade)s” is the grade of %(count)d finding and cannot be "
                    "deleted; mark it inactive instead.",
                    "“%(grade)s” is the grade of %(count)d findings and cannot be "
                    "deleted; mark it inactive instead.",
                    count,
                ) % {"grade": instance.name, "count": count}
        return super().refusal(action, instance)


# --- Views that ask the policy about the object -------------------------------------


class ObjectPermissionMixin:
    """The generic edit and delete views check the model permission only; these
    also ask the policy about the object and, when it refuses, say why and
    return to the object's page."""

    # Set by the viewset (the delete view has none of its own).
    inspect_url_name = None

    def dispatch(self, request, *args, **kwargs):
        if not self.user_has_permission(self.permission_required):
            raise PermissionDenied
        policy = self.permission_policy
        reason = getattr(policy, "refusal", lambda *a: None)(
            self.permission_required, self.object
        )
        if reason is None and not self.user_has_permission_for_instance(
            self.permission_required, self.object
        ):
            raise PermissionDenied
        if reason is not None:
            messages.error(request, reason)
            if self.inspect_url_name:
                return redirect(self.inspect_url_name, quote(self.object.pk))
            return redirect(self.index_url_name)
        return super().dispatch(request, *args, **kwargs)


class EditView(ObjectPermissionMixin, snippet_views.EditView):
    pass


class DeleteView(ObjectPermissionMixin, snippet_views.DeleteView):
    pass


class IndexView(snippet_views.IndexView):
    """Links to edit or delete only the objects the policy allows."""

    def get_base_queryset(self):
        queryset = super().get_base_queryset()
        if self.model is Clause:
            queryset = queryset.select_related("standard")
        return queryset

    def get_edit_url(self, instance):
        if self.user_has_permission_for_instance("change", instance):
            return super().get_edit_url(instance)
        return None

    def get_delete_url(self, instance):
        if self.user_has_permission_for_instance("delete", instance):
            return super().get_delete_url(instance)
        return None


class InspectView(snippet_views.InspectView):
    def get_edit_url(self):
        if self.user_has_permission_for_instance("change", self.object):
            return super().get_edit_url()
        return None

    def get_delete_url(self):
        if self.user_has_permission_for_instance("delete", self.object):
            return super().get_delete_url()
        return None


class ComplianceSnippetViewSet(SnippetViewSet):
    index_view_class = IndexView
    edit_view_class = EditView
    delete_view_class = DeleteView
    inspect_view_class = InspectView
    inspect_view_enabled = True
    copy_view_enabled = False


# --- Forms --------------------------------------------------------------------------


def shipped_references() -> set[str]:
    """The ``ref_id`` of every shipped catalogue (a company standard may not
    take one, or the catalogue could never be loaded)."""
    refs = set()
    for path in shipped_catalogues():
        try:
            refs.add(catalogue_parse(path.read_bytes()).ref_id)
        except ValidationError:
            continue
    return refs


class StandardForm(WagtailAdminModelForm):
    """A standard added here is the company's own list of requirements; its
    reference is stable once saved (clause pages are addressed by it)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None and "ref_id" in self.fields:
            self.fields["ref_id"].disabled = True

    def clean_ref_id(self):
        ref_id = self.cleaned_data["ref_id"]
        if self.instance.pk is None and ref_id in shipped_references():
            raise ValidationError(
                _(
                    "“%(ref)s” is the reference of a shipped catalogue; choose "
                    "another reference for the company's own requirements."
                )
                % {"ref": ref_id}
            )
        return ref_id

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is None:
            self.instance.origin = StandardOrigin.COMPANY
        elif self.instance.origin != StandardOrigin.COMPANY:
            # The views refuse already; a form bound to a catalogue standard
            # must not save it either.
            raise ValidationError(
                _("A catalogue standard changes only by loading its file.")
            )
        return cleaned


class ClauseForm(WagtailAdminModelForm):
    """A requirement of one of the company's own standards. A dotted number
    (QY.1) needs its parent (QY) first; a clause's standard is fixed once
    saved, and so is its number while it has sub-clauses."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("standard")
        if field is None:
            return
        if self.instance.pk is not None:
            field.disabled = True
        else:
            field.queryset = Standard.objects.filter(
                origin=StandardOrigin.COMPANY, is_active=True
            )
            field.help_text = _(
                "Only the company's own requirements take clauses added here; a "
                "standard's catalogue is loaded from its file."
            )

    def clean_ref_id(self):
        ref_id = "".join((self.cleaned_data.get("ref_id") or "").split())
        if not clause_rules.is_valid(ref_id):
            raise ValidationError(
                _(
                    "A clause number is letters and digits separated by dots or "
                    "dashes, e.g. 4.2 or QY-01."
                )
            )
        return ref_id

    def clean(self):
        cleaned = super().clean()
        standard = cleaned.get("standard")
        ref_id = cleaned.get("ref_id")
        if standard is None or not ref_id:
            return cleaned
        if standard.origin != StandardOrigin.COMPANY:
            self.add_error(
                "standard",
                _("Clauses of a catalogue standard are loaded from its file."),
            )
            return cleaned
        others = Clause.objects.filter(standard=standard, ref_id=ref_id)
        if self.instance.pk is not None:
            others = others.exclude(pk=self.instance.pk)
            stored = Clause.objects.get(pk=self.instance.pk)
            if stored.ref_id != ref_id and stored.children.exists():
                self.add_error(
                    "ref_id",
                    _(
                        "Clause %(ref)s has sub-clauses; its number cannot "
                        "change while they point at it."
                    )
                    % {"ref": stored.ref_id},
                )
                return cleaned
        if others.exists():
            self.add_error(
                "ref_id",
                _("%(standard)s already has a clause %(ref)s.")
                % {"standard": standard.code, "ref": ref_id},
            )
            return cleaned
        parent_ref = clause_rules.parent_ref(ref_id)
        parent = None
        if parent_ref is not None:
            parent = Clause.objects.filter(standard=standard, ref_id=parent_ref).first()
            if parent is None:
                self.add_error(
                    "ref_id",
                    _("Add clause %(parent)s first: %(ref)s is one of its parts.")
                    % {"parent": parent_ref, "ref": ref_id},
                )
                return cleaned
        self.instance.parent = parent
        return cleaned


class NonconformityGradeForm(WagtailAdminModelForm):
    """A grade's code is stable once saved (services and other apps name
    grades by it); its name and its meaning stay editable."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None and "code" in self.fields:
            self.fields["code"].disabled = True


# --- Viewsets -----------------------------------------------------------------------


class StandardViewSet(ComplianceSnippetViewSet):
    """Standards: the shipped catalogues (read-only) and the company's own
    requirements."""

    model = Standard
    icon = "doc-full"
    menu_order = 110
    list_display = [
        "code",
        "title_zh",
        "title_en",
        Column("origin", label=_("Origin"), accessor=lambda s: s.get_origin_display()),
        BooleanColumn("is_active", label=_("Active")),
    ]
    list_filter = ["origin", "is_active"]
    search_fields = ["ref_id", "code", "title_zh", "title_en"]
    ordering = ["sort_order", "ref_id"]
    inspect_view_fields = [
        "ref_id",
        "code",
        "title_zh",
        "title_en",
        "origin",
        "sort_order",
        "is_active",
    ]
    edit_handler = ObjectList(
        [
            FieldPanel("ref_id"),
            FieldPanel("code"),
            FieldPanel("title_zh"),
            FieldPanel("title_en"),
            FieldPanel("sort_order"),
            FieldPanel("is_active"),
        ],
        base_form_class=StandardForm,
    )


class ClauseViewSet(ComplianceSnippetViewSet):
    """Clauses: catalogue clauses read-only, the company's requirements
    editable."""

    model = Clause
    icon = "list-ol"
    menu_order = 120
    list_per_page = 100
    list_display = [
        "__str__",
        "title_en",
        "standard",
        BooleanColumn("is_active", label=_("Active")),
    ]
    list_filter = ["standard", "is_active"]
    search_fields = ["ref_id", "title_zh", "title_en"]
    ordering = ["standard__sort_order", "standard_id", "sort_key"]
    inspect_view_fields = [
        "standard",
        "ref_id",
        "parent",
        "title_zh",
        "title_en",
        "is_active",
    ]
    edit_handler = ObjectList(
        [
            FieldPanel("standard"),
            FieldPanel("ref_id"),
            FieldPanel("title_zh"),
            FieldPanel("title_en"),
            FieldPanel("is_active"),
        ],
        base_form_class=ClauseForm,
    )


class ProcessViewSet(ComplianceSnippetViewSet):
    """Service management processes and their owners (流程负责人)."""

    model = Process
    icon = "user"
    menu_order = 130
    list_display = [
        "name",
        "owner",
        "department",
        BooleanColumn("is_active", label=_("Active")),
    ]
    list_filter = ["department", "is_active"]
    search_fields = ["name"]
    ordering = ["sort_order", "name"]


class NonconformityGradeViewSet(ComplianceSnippetViewSet):
    """How serious a finding is; the company's list to change."""

    model = NonconformityGrade
    icon = "warning"
    menu_order = 140
    list_display = [
        "name",
        "code",
        BooleanColumn("is_nonconformity", label=_("Is a nonconformity")),
        BooleanColumn("requires_action", label=_("Requires an action")),
        BooleanColumn("is_active", label=_("Active")),
    ]
    ordering = ["sort_order", "code"]
    edit_handler = ObjectList(
        [
            FieldPanel("code"),
            FieldPanel("name"),
            FieldPanel("is_nonconformity"),
            FieldPanel("requires_action"),
            FieldPanel("sort_order"),
            FieldPanel("is_active"),
        ],
        base_form_class=NonconformityGradeForm,
    )


class ComplianceViewSetGroup(SnippetViewSetGroup):
    """The "Compliance" menu (合规): links to the compliance pages, then the
    reference data."""

    menu_label = _("Compliance")
    menu_name = "compliance"
    menu_icon = "tasks"
    menu_order = 270
    items = (
        StandardViewSet,
        ClauseViewSet,
        ProcessViewSet,
        NonconformityGradeViewSet,
    )

    def get_submenu_items(self):
        # Built when the menu is first drawn, once the URLconf is loaded.
        return [*page_menu_items(), *super().get_submenu_items()]


# --- Links to the compliance pages --------------------------------------------------


class CompliancePageMenuItem(MenuItem):
    """A link to a page under /compliance/, for those who may read it."""

    def __init__(self, *args, allowed=permissions.can_view_compliance, **kwargs):
        super().__init__(*args, **kwargs)
        self.allowed = allowed

    def is_shown(self, request):
        return self.allowed(request.user)


# (URL name, label, icon, order, who sees it)
PAGE_LINKS = (
    (
        "compliance:clauses",
        _("Clauses"),
        "list-ul",
        10,
        permissions.can_view_compliance,
    ),
    (
        "compliance:matrix",
        _("Function allocation matrix"),
        "table",
        20,
        permissions.can_view_compliance,
    ),
    (
        "compliance:coverage",
        _("Coverage"),
        "tasks",
        30,
        permissions.can_view_compliance,
    ),
    (
        "compliance:nonconformities",
        _("Nonconformities"),
        "warning",
        40,
        permissions.can_view_compliance,
    ),
    (
        "compliance:improvement_report",
        _("Improvement status report"),
        "doc-full-inverse",
        50,
        permissions.can_view_reports,
    ),
)


def page_menu_items() -> list[MenuItem]:
    return [
        CompliancePageMenuItem(
            label,
            reverse(url_name),
            name=url_name.replace(":", "-").replace("_", "-"),
            icon_name=icon,
            order=order,
            allowed=allowed,
        )
        for url_name, label, icon, order, allowed in PAGE_LINKS
    ]
