"""Views of the annual programmes in the audits API (see :mod:`audits.api`)."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db.models import Prefetch
from django.urls import reverse
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from compliance.api.serializers import absolute

from .. import permissions, services
from ..coverage import programme_coverage
from ..lifecycle import ProgrammeStatus, SignatureDecision
from ..models import AuditProgramme, ProgrammeSignature
from . import inputs
from .serializers import ProgrammeDetailSerializer, ProgrammeSerializer
from .views import (
    Action,
    AuditErrorsMixin,
    AuditPagination,
    audits_listed,
    proxy,
    refusals,
    unknown_action,
)


class ProgrammeNotFound(exceptions.NotFound):
    default_detail = gettext_lazy("There is no audit programme for this year.")


YEAR = OpenApiParameter(
    "year", OpenApiTypes.INT, OpenApiParameter.PATH, description="e.g. 2026."
)


def programme_for(year: int) -> AuditProgramme:
    programme = AuditProgramme.objects.filter(year=year).first()
    if programme is None:
        raise ProgrammeNotFound
    return programme


# --- programmes ---------------------------------------------------------------------


def programme_actions(user, programme: AuditProgramme, step) -> list[str]:
    """What the programme's detail offers ``user`` now (the services check
    again)."""
    actions = []
    if permissions.can_edit_programme(user, programme):
        actions += ["update", "submit"]
    if step is not None and permissions.can_sign_step(user, step.role):
        actions += ["sign", "return"]
    if programme.status == ProgrammeStatus.APPROVED and permissions.can_prepare(user):
        actions.append("revise")
    return actions


def programme_detail(request, pk: int) -> dict[str, Any]:
    audits = audits_listed().order_by("planned_start", "id")
    signatures = ProgrammeSignature.objects.select_related("user").order_by(
        "signed_at", "id"
    )
    programme = (
        AuditProgramme.objects.select_related("standard", "prepared_by")
        .prefetch_related(
            Prefetch("audits", queryset=audits),
            Prefetch("signatures", queryset=signatures),
        )
        .get(pk=pk)
    )
    step = services.current_step(programme)
    context = {
        "request": request,
        "coverage": programme_coverage(programme),
        "current_step": step,
        "allowed_actions": programme_actions(request.user, programme, step),
    }
    return ProgrammeDetailSerializer(programme, context=context).data


def programme_url(request, year: int) -> str | None:
    return absolute(request, reverse("audits_api:programme", kwargs={"year": year}))


class ProgrammeListCreateView(AuditErrorsMixin, generics.GenericAPIView):
    """The annual internal audit programmes, the latest year first."""

    serializer_class = ProgrammeSerializer
    pagination_class = AuditPagination

    @extend_schema(
        tags=["audit programmes"],
        operation_id="audit_programmes_list",
        summary="List the annual programmes",
        responses={200: ProgrammeSerializer(many=True), **refusals(403)},
    )
    def get(self, request, *args, **kwargs):
        queryset = AuditProgramme.objects.select_related(
            "standard", "prepared_by"
        ).order_by("-year")
        page = self.paginate_queryset(queryset)
        answer = ProgrammeSerializer(page, many=True, context={"request": request})
        return self.get_paginated_response(answer.data)

    @extend_schema(
        tags=["audit programmes"],
        operation_id="audit_programmes_create",
        summary="Prepare a year's programme",
        description="A draft; its audits are planned with POST /api/v1/audits/.",
        request=inputs.ProgrammeCreateSerializer,
        responses={201: ProgrammeDetailSerializer, **refusals(400, 403)},
    )
    def post(self, request, *args, **kwargs):
        params = inputs.ProgrammeCreateSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        programme = services.programme_create(
            user=request.user, **params.validated_data
        )
        return Response(
            programme_detail(request, programme.pk),
            status=status.HTTP_201_CREATED,
            headers={"Location": programme_url(request, programme.year)},
        )


class ProgrammeDetailView(AuditErrorsMixin, APIView):
    """A year's programme with its audits, signatures and coverage."""

    @extend_schema(
        tags=["audit programmes"],
        operation_id="audit_programmes_retrieve",
        summary="Retrieve a year's programme",
        description=(
            "With its audits, its signatures and the step awaiting one, and "
            "its coverage: the clause × month heat map, the departments, what "
            "is not covered yet and the warnings."
        ),
        parameters=[YEAR],
        responses={200: ProgrammeDetailSerializer, **refusals(403, 404)},
    )
    def get(self, request, year: int, *args, **kwargs):
        return Response(programme_detail(request, programme_for(year).pk))


PROGRAMME_ACTIONS: dict[str, Action] = {
    "update": Action(inputs.ProgrammeUpdateSerializer, services.programme_update),
    "submit": Action(inputs.NoBodySerializer, services.programme_submit),
    "sign": Action(
        inputs.ProgrammeSignSerializer,
        partial(services.programme_sign, decision=SignatureDecision.SIGNED),
    ),
    "return": Action(
        inputs.CommentSerializer,
        partial(services.programme_sign, decision=SignatureDecision.RETURNED),
    ),
    "revise": Action(inputs.ProgrammeReviseSerializer, services.programme_revise),
}


class ProgrammeActionView(AuditErrorsMixin, APIView):
    """Move a programme along its chain."""

    @extend_schema(
        tags=["audit programmes"],
        operation_id="audit_programmes_action",
        summary="Take an action on a programme",
        description=(
            "update (title, basis; a draft); submit (into the chain; the "
            "coverage warnings do not stop it); sign (comment) or return "
            "(comment) the step awaiting a signature, by a holder of its role; "
            "revise (reason; an approved programme back to draft, signed "
            "again). Answers the programme as retrieved."
        ),
        parameters=[
            OpenApiParameter(
                "action",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                enum=list(PROGRAMME_ACTIONS),
                description="The action to take.",
            ),
        ],
        request=proxy("AuditProgrammeActionRequest", PROGRAMME_ACTIONS),
        responses={200: ProgrammeDetailSerializer, **refusals(400, 403, 404, 409)},
    )
    def post(self, request, year: int, action: str, *args, **kwargs):
        step = PROGRAMME_ACTIONS.get(action)
        if step is None:
            raise unknown_action(action, PROGRAMME_ACTIONS)
        programme = programme_for(year)
        params = step.serializer(data=request.data)
        params.is_valid(raise_exception=True)
        step.service(user=request.user, programme=programme, **params.validated_data)
        return Response(programme_detail(request, programme.pk))
