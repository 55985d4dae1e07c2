"""The forms of the audit pages: the list's filters, planning and editing an
audit, its team, its schedule, the meetings, the report, and the reasons and
comments of the other steps.

They only parse what was sent; :mod:`audits.services` decides whether the
step is allowed and refuses bad input with its own messages.
"""

from __future__ import annotations

import re
from datetime import date

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Case, IntegerField, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from compliance.models import Clause, Process, Standard
from compliance.views.nc_forms import DATE_WIDGET, UserChoiceField, user_label
from documents.models import Department
from documents.permissions import department_of

from . import independence, permissions
from .lifecycle import AuditKind, AuditStatus, AuditTrigger, MeetingKind, TeamRole
from .models import Audit, AuditReport
from .services.audits import default_criteria

# Names typed in one box: one per line, or separated by commas.
_NAME_SEPARATORS = re.compile(r"[\r\n,，、;；]+")
MANAGEMENT_DEPARTMENT = "管理层"
MAX_SCHEDULE_LINES = 60
MAX_GUESTS = 50

TIME_WIDGET = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
DATETIME_WIDGET = forms.DateTimeInput(
    attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
)


def _text(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


def names(raw: str | None) -> list[str]:
    """Names typed one per line (or comma-separated), without repeats."""
    found: list[str] = []
    for part in _NAME_SEPARATORS.split(raw or ""):
        part = part.strip()
        if part and part not in found:
            found.append(part)
    return found


def person_label(user) -> str:
    """ "Name (username) · department" for the pick lists."""
    department = department_of(user)
    label = user_label(user)
    return f"{label} · {department.name}" if department else label


# --- Pick lists -----------------------------------------------------------------


class PickList(forms.CheckboxSelectMultiple):
    """Checkboxes in a scrolling box with a filter box: long lists of clauses
    and people stay usable on a tablet. ``depths`` indents options (the
    clause tree)."""

    template_name = "audits/includes/audit_picklist.html"

    def __init__(self, *args, searchable: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.searchable = searchable
        self.depths: dict[str, int] = {}

    def create_option(self, name, value, label, selected, index, **kwargs):
        option = super().create_option(name, value, label, selected, index, **kwargs)
        option["depth"] = self.depths.get(str(value), 1)
        return option

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["searchable"] = self.searchable
        return context


class PeopleField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return person_label(obj)


class ProcessesField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        owner = f" · {user_label(obj.owner)}" if obj.owner_id else ""
        return f"{obj.name} ({obj.department.name}{owner})"


class PersonField(UserChoiceField):
    def label_from_instance(self, obj) -> str:
        return person_label(obj)


def active_users():
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .select_related("staff_profile__department")
    )


def auditor_candidates():
    """Users who may be on an audit team (permissions.can_be_auditor)."""
    return (
        active_users()
        .filter(
            Q(is_superuser=True)
            | Q(groups__name__in=list(settings.SHOUKONG_AUDIT_AUDITOR_ROLES))
        )
        .distinct()
        .order_by("username")
    )


def _grouped_by_department(users) -> list:
    """Choices grouped under each user's department (the pick list's headings)."""
    groups: dict[str, list] = {}
    for user in users:
        department = department_of(user)
        key = department.name if department else _("No department")
        groups.setdefault(key, []).append((user.pk, person_label(user)))
    return list(groups.items())


def default_standard() -> Standard | None:
    return Standard.objects.filter(
        ref_id=settings.SHOUKONG_COMPLIANCE_DEFAULT_STANDARD, is_active=True
    ).first()


def clause_choices(field: forms.ModelMultipleChoiceField, standard) -> None:
    """The clauses of ``standard`` in the catalogue's order, grouped by their
    top-level clause and indented by depth."""
    clauses = list(
        Clause.objects.active().filter(standard=standard).order_by("sort_key")
        if standard is not None
        else Clause.objects.none()
    )
    field.queryset = Clause.objects.filter(pk__in=[c.pk for c in clauses])
    groups: list[tuple[str, list]] = []
    heads = {c.ref_id: c for c in clauses if c.depth == 1}
    for clause in clauses:
        top = clause.ref_id.split(".", 1)[0]
        head = heads.get(top)
        label = f"{head.ref_id} {head.title_zh}" if head else top
        if not groups or groups[-1][0] != label:
            groups.append((label, []))
        groups[-1][1].append((clause.pk, f"{clause.ref_id} {clause.title_zh}"))
    field.choices = groups
    field.widget.depths = {str(c.pk): c.depth for c in clauses}


def scope_of(clauses, processes) -> list[Clause]:
    """The clauses an audit of ``clauses`` and ``processes`` covers."""
    found = {c.pk: c for c in clauses}
    for process in processes:
        for clause in process.clauses.all():
            found.setdefault(clause.pk, clause)
    return sorted(found.values(), key=lambda c: c.sort_key)


def team_error_field(leader, *, departments, clauses) -> str:
    """Which field a refusal of the team belongs to: the leader's when the
    leader is the one refused, else the auditors'."""
    if (
        leader is None
        or not permissions.can_be_auditor(leader)
        or independence.team_conflicts(leader, departments=departments, clauses=clauses)
    ):
        return "leader"
    return "auditors"


# --- The list's filters ---------------------------------------------------------


class AuditFilters(forms.Form):
    year = forms.TypedChoiceField(
        label=gettext_lazy("Year"), required=False, coerce=int, empty_value=None
    )
    status = forms.ChoiceField(label=pgettext_lazy("audit", "Status"), required=False)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), required=False)
    department = forms.ModelChoiceField(
        label=gettext_lazy("Department"),
        queryset=Department.objects.all(),
        required=False,
        empty_label=gettext_lazy("All departments"),
    )
    clause = forms.CharField(
        label=gettext_lazy("Clause"),
        required=False,
        max_length=32,
        help_text=gettext_lazy("e.g. 8.5 (its sub-clauses too)"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        years = sorted(
            {d.year for d in Audit.objects.dates("planned_start", "year")},
            reverse=True,
        )
        self.fields["year"].choices = [
            ("", _("All years")),
            *((str(y), str(y)) for y in years),
        ]
        self.fields["status"].choices = [("", _("All statuses")), *AuditStatus.choices]
        self.fields["kind"].choices = [("", _("Both kinds")), *AuditKind.choices]

    def value(self, name: str):
        if not self.is_bound:
            return None
        self.is_valid()
        return self.cleaned_data.get(name) or None

    def apply(self, queryset):
        if year := self.value("year"):
            queryset = queryset.filter(planned_start__year=year)
        if status := self.value("status"):
            queryset = queryset.filter(status=status)
        if kind := self.value("kind"):
            queryset = queryset.filter(kind=kind)
        if department := self.value("department"):
            queryset = queryset.filter(
                pk__in=Audit.departments.through.objects.filter(
                    department=department
                ).values("audit")
            )
        if ref := (self.value("clause") or "").strip():
            match = Q(ref_id=ref) | Q(ref_id__startswith=f"{ref}.")
            clauses = Clause.objects.filter(match).values("pk")
            queryset = queryset.filter(
                Q(
                    pk__in=Audit.clauses.through.objects.filter(
                        clause__in=clauses
                    ).values("audit")
                )
                | Q(
                    pk__in=Audit.processes.through.objects.filter(
                        process__clauses__in=clauses
                    ).values("audit")
                )
            )
        return queryset

    def query_items(self) -> list[tuple[str, str]]:
        if not self.is_bound:
            return []
        return [
            (name, self.data[name])
            for name in self.fields
            if self.data.get(name) not in (None, "")
        ]


# --- Planning and editing an audit ----------------------------------------------


class AuditForm(forms.Form):
    """What audit_create needs, and optionally the team (audit_team_set in the
    same transaction). With ``audit``, the fields audit_update may change."""

    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=AuditKind.choices)
    trigger = forms.ChoiceField(
        label=gettext_lazy("Trigger"),
        required=False,
        help_text=gettext_lazy("Why this ad hoc audit is held."),
    )
    trigger_note = forms.CharField(
        label=gettext_lazy("Reason"),
        required=False,
        widget=_text(2),
        help_text=gettext_lazy(
            "For an ad hoc audit: what happened, or what the written request asks."
        ),
    )
    purpose = forms.CharField(label=gettext_lazy("Purpose"), widget=_text(3))
    criteria = forms.CharField(
        label=gettext_lazy("Criteria"),
        widget=_text(3),
        required=False,
        help_text=gettext_lazy(
            "The standard, the manual and procedures audited against."
        ),
    )
    planned_start = forms.DateField(
        label=gettext_lazy("Start date"), widget=DATE_WIDGET
    )
    planned_end = forms.DateField(label=gettext_lazy("End date"), widget=DATE_WIDGET)
    clauses = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Clauses"),
        queryset=Clause.objects.none(),
        required=False,
        widget=PickList,
        help_text=gettext_lazy(
            "A clause covers its sub-clauses only when they are ticked too."
        ),
    )
    departments = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Audited departments"),
        queryset=Department.objects.filter(is_active=True),
        widget=PickList(searchable=False),
    )
    processes = ProcessesField(
        label=gettext_lazy("Processes"),
        queryset=Process.objects.filter(is_active=True).select_related(
            "owner", "department"
        ),
        required=False,
        widget=PickList(searchable=False),
        help_text=gettext_lazy("The clauses of a process named here are audited too."),
    )
    auditees = PeopleField(
        label=gettext_lazy("Auditees"),
        queryset=get_user_model().objects.none(),
        required=False,
        widget=PickList,
        help_text=gettext_lazy(
            "Who is interviewed; they receive the notice with their department heads."
        ),
    )
    leader = PersonField(
        label=gettext_lazy("Audit team leader"),
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label=gettext_lazy("Later"),
    )
    auditors = PeopleField(
        label=gettext_lazy("Internal auditors"),
        queryset=get_user_model().objects.none(),
        required=False,
        widget=PickList,
        help_text=gettext_lazy(
            "No auditor audits their own department or a process they own."
        ),
    )

    EDIT_FIELDS = (
        "title",
        "purpose",
        "criteria",
        "trigger_note",
        "planned_start",
        "planned_end",
        "clauses",
        "departments",
        "processes",
        "auditees",
    )

    def __init__(
        self, *args, user, audit: Audit | None = None, team: bool = True, **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.audit = audit
        self.standard = audit.standard if audit else default_standard()
        clause_choices(self.fields["clauses"], self.standard)
        users = list(
            active_users().order_by("staff_profile__department__sort_order", "username")
        )
        auditees = self.fields["auditees"]
        auditees.queryset = active_users()
        auditees.choices = _grouped_by_department(users)
        self.fields["trigger"].choices = [("", "—"), *AuditTrigger.choices]
        if audit is not None:
            for name in ("kind", "trigger", "leader", "auditors"):
                del self.fields[name]
            if audit.kind != AuditKind.AD_HOC:
                del self.fields["trigger_note"]
            return
        if not permissions.can_prepare(user):
            # A department head asks for an ad hoc audit only.
            self.fields["kind"].choices = [
                (AuditKind.AD_HOC.value, AuditKind.AD_HOC.label)
            ]
            self.fields["kind"].initial = AuditKind.AD_HOC
        self.fields["criteria"].initial = default_criteria()
        if team:
            self.fields["leader"].queryset = auditor_candidates()
            self.fields["auditors"].queryset = auditor_candidates()
        else:
            del self.fields["leader"]
            del self.fields["auditors"]

    @classmethod
    def initial_for(cls, audit: Audit) -> dict:
        return {
            "title": audit.title,
            "purpose": audit.purpose,
            "criteria": audit.criteria,
            "trigger_note": audit.trigger_note,
            "planned_start": audit.planned_start,
            "planned_end": audit.planned_end,
            "clauses": list(audit.clauses.all()),
            "departments": list(audit.departments.all()),
            "processes": list(audit.processes.all()),
            "auditees": list(audit.auditees.all()),
        }

    def clean(self):
        cleaned = super().clean()
        if self.audit is None and cleaned.get("kind") == AuditKind.AD_HOC:
            if not cleaned.get("trigger"):
                self.add_error("trigger", _("Say what triggers this ad hoc audit."))
            if not (cleaned.get("trigger_note") or "").strip():
                self.add_error(
                    "trigger_note", _("Describe why this ad hoc audit is needed.")
                )
        start, end = cleaned.get("planned_start"), cleaned.get("planned_end")
        if isinstance(start, date) and isinstance(end, date) and end < start:
            self.add_error("planned_end", _("The audit cannot end before it starts."))
        if (
            "departments" in cleaned
            and not cleaned.get("clauses")
            and not cleaned.get("processes")
        ):
            self.add_error(
                "clauses", _("Name at least one clause or process to audit.")
            )
        if cleaned.get("auditors") and not cleaned.get("leader"):
            self.add_error("leader", _("Name the audit team leader."))
        return cleaned

    def changes(self) -> dict:
        """The edit form's fields whose values differ from the audit's."""
        audit = self.audit
        current = self.initial_for(audit)
        changed = {}
        for name in self.EDIT_FIELDS:
            if name not in self.fields:
                continue
            value = self.cleaned_data.get(name)
            before = current[name]
            if name in ("clauses", "departments", "processes", "auditees"):
                if {o.pk for o in value} != {o.pk for o in before}:
                    changed[name] = list(value)
            elif (value or None) != (before or None):
                changed[name] = value
        return changed


class TeamForm(forms.Form):
    leader = PersonField(
        label=gettext_lazy("Audit team leader"),
        queryset=get_user_model().objects.none(),
    )
    auditors = PeopleField(
        label=gettext_lazy("Internal auditors"),
        queryset=get_user_model().objects.none(),
        required=False,
        widget=PickList,
        help_text=gettext_lazy(
            "No auditor audits their own department or a process they own."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["leader"].queryset = auditor_candidates()
        self.fields["auditors"].queryset = auditor_candidates()

    @classmethod
    def initial_for(cls, audit: Audit) -> dict:
        team = list(audit.team.all())
        return {
            "leader": next((m.user for m in team if m.role == TeamRole.LEADER), None),
            "auditors": [m.user for m in team if m.role == TeamRole.AUDITOR],
        }


# --- The schedule ---------------------------------------------------------------


class ScheduleLineForm(forms.Form):
    date = forms.DateField(
        label=gettext_lazy("Date"), required=False, widget=DATE_WIDGET
    )
    start_time = forms.TimeField(
        label=pgettext_lazy("time", "From"), required=False, widget=TIME_WIDGET
    )
    end_time = forms.TimeField(
        label=pgettext_lazy("time", "To"), required=False, widget=TIME_WIDGET
    )
    department = forms.ModelChoiceField(
        label=gettext_lazy("Department"),
        queryset=Department.objects.none(),
        required=False,
        empty_label="—",
    )
    activity = forms.CharField(
        label=gettext_lazy("Activity"), max_length=300, required=False
    )
    auditor = PersonField(
        label=gettext_lazy("Auditor"),
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label="—",
    )

    def __init__(self, *args, audit: Audit, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = audit.departments.all()
        self.fields["auditor"].queryset = (
            get_user_model()
            .objects.filter(audit_assignments__audit=audit)
            .select_related("staff_profile__department")
            .order_by("username")
        )
        start, end = audit.planned_start.isoformat(), audit.planned_end.isoformat()
        self.fields["date"].widget.attrs.update({"min": start, "max": end})

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {}) or {}
        return not any(data.get(k) for k in self.base_fields) or bool(
            data.get("DELETE")
        )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("DELETE") or not any(cleaned.get(k) for k in self.base_fields):
            return cleaned
        if not cleaned.get("date") and "date" not in self.errors:
            self.add_error("date", _("Give a date."))
        if not (cleaned.get("activity") or "").strip():
            self.add_error("activity", _("Say what happens."))
        return cleaned


class BaseScheduleFormSet(forms.BaseFormSet):
    def __init__(self, *args, audit: Audit, **kwargs):
        self.audit = audit
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "audit": self.audit}

    def slots(self) -> list[dict]:
        """The lines for audit_schedule_set, blank and deleted ones left out."""
        return [
            {
                k: form.cleaned_data.get(k)
                for k in (
                    "date",
                    "start_time",
                    "end_time",
                    "department",
                    "activity",
                    "auditor",
                )
            }
            for form in self.forms
            if form.is_valid() and not form.is_blank()
        ]


ScheduleFormSet = forms.formset_factory(
    ScheduleLineForm,
    formset=BaseScheduleFormSet,
    extra=3,
    can_delete=True,
    max_num=MAX_SCHEDULE_LINES,
    validate_max=True,
)


def schedule_initial(audit: Audit) -> list[dict]:
    return [
        {
            "date": slot.date,
            "start_time": slot.start_time,
            "end_time": slot.end_time,
            "department": slot.department_id,
            "activity": slot.activity,
            "auditor": slot.auditor_id,
        }
        for slot in audit.schedule.all()
    ]


# --- Meetings -------------------------------------------------------------------


def local_now_minute():
    return timezone.localtime().replace(second=0, microsecond=0)


class MeetingForm(forms.Form):
    """首次会议 / 末次会议 with who attended (users and guests by name)."""

    held_at = forms.DateTimeField(label=gettext_lazy("Held at"), widget=DATETIME_WIDGET)
    location = forms.CharField(
        label=gettext_lazy("Location"), max_length=200, required=False
    )
    chaired_by = PersonField(
        label=gettext_lazy("Chaired by"),
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label=gettext_lazy("The audit team leader"),
    )
    attendees = PeopleField(
        label=gettext_lazy("Attendees"),
        queryset=get_user_model().objects.none(),
        required=False,
        widget=PickList,
    )
    guests = forms.CharField(
        label=gettext_lazy("Other attendees"),
        required=False,
        widget=_text(2),
        help_text=gettext_lazy("People without an account: one name per line."),
    )
    notes = forms.CharField(
        label=gettext_lazy("Minutes"), required=False, widget=_text(6)
    )

    def __init__(self, *args, audit: Audit, **kwargs):
        super().__init__(*args, **kwargs)
        team_ids = [m.user_id for m in audit.team.all()]
        auditee_ids = list(audit.auditees.values_list("pk", flat=True))
        department_ids = list(audit.departments.values_list("pk", flat=True))
        users = list(
            active_users()
            .annotate(
                rank=Case(
                    When(pk__in=team_ids, then=Value(0)),
                    When(pk__in=auditee_ids, then=Value(1)),
                    When(staff_profile__department__in=department_ids, then=Value(2)),
                    default=Value(3),
                    output_field=IntegerField(),
                )
            )
            .order_by("rank", "staff_profile__department__sort_order", "username")
        )
        headings = {
            0: _("Audit team"),
            1: _("Auditees"),
            2: _("Audited departments"),
            3: _("Others"),
        }
        groups: dict[int, list] = {}
        for user in users:
            groups.setdefault(user.rank, []).append((user.pk, person_label(user)))
        field = self.fields["attendees"]
        field.queryset = active_users()
        field.choices = [(headings[rank], choices) for rank, choices in groups.items()]
        self.fields["chaired_by"].queryset = (
            get_user_model()
            .objects.filter(pk__in=team_ids)
            .select_related("staff_profile__department")
        )
        if not self.is_bound:
            self.initial.setdefault("held_at", local_now_minute())
            # The closing meeting starts from who came to the opening one.
            opening = audit.meetings.filter(kind=MeetingKind.OPENING).first()
            came = (
                [a.user_id for a in opening.attendees.all() if a.user_id]
                if opening is not None
                else []
            )
            self.initial.setdefault("attendees", came or team_ids + auditee_ids)

    def clean_guests(self) -> list[str]:
        found = [n for n in names(self.cleaned_data.get("guests")) if n]
        if len(found) > MAX_GUESTS:
            raise forms.ValidationError(
                _("Name at most %(count)d guests.") % {"count": MAX_GUESTS}
            )
        return found


# --- The report -----------------------------------------------------------------


def default_distribution(audit: Audit) -> list[str]:
    """The audited departments, 管理层 and the department that files the
    audit records."""
    found = [d.name for d in audit.departments.all()]
    for name in (MANAGEMENT_DEPARTMENT, settings.SHOUKONG_AUDIT_RECORDS_DEPARTMENT):
        if name not in found:
            found.append(name)
    return found


class ReportForm(forms.Form):
    overview = forms.CharField(
        label=gettext_lazy("Audit overview"),
        required=False,
        max_length=20000,
        widget=_text(8),
        help_text=gettext_lazy(
            "How the audit went: what was audited, where, and the main findings."
        ),
    )
    evaluation = forms.CharField(
        label=gettext_lazy("System evaluation"),
        required=False,
        max_length=20000,
        widget=_text(6),
        help_text=gettext_lazy(
            "Whether the management system conforms, is implemented and is effective."
        ),
    )
    distribution = forms.CharField(
        label=gettext_lazy("Distribution"),
        required=False,
        widget=_text(4),
        help_text=gettext_lazy("Who receives the report: one name per line."),
    )

    @classmethod
    def initial_for(cls, audit: Audit, report: AuditReport | None) -> dict:
        if report is None:
            return {"distribution": "\n".join(default_distribution(audit))}
        return {
            "overview": report.overview,
            "evaluation": report.evaluation,
            "distribution": "\n".join(
                report.distribution or default_distribution(audit)
            ),
        }

    def clean_distribution(self) -> list[str]:
        return names(self.cleaned_data.get("distribution"))


# --- Reasons and comments -------------------------------------------------------


class CommentForm(forms.Form):
    comment = forms.CharField(
        label=gettext_lazy("Comment"), required=False, widget=_text(2)
    )


class RejectForm(forms.Form):
    comment = forms.CharField(
        label=gettext_lazy("Why is the audit not held?"), widget=_text(2)
    )


class ReturnForm(forms.Form):
    comment = forms.CharField(
        label=gettext_lazy("What does the report lack?"), widget=_text(3)
    )


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why is the audit cancelled?"), widget=_text(2)
    )
