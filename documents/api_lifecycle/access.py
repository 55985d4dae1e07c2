"""Who may read a document and the other names it is found by, set by document
control (文控) through the API; the services are :mod:`documents.access`.

Both endpoints answer 404 to those who may not read the document (as for a
number that does not exist), 403 to those who may read it but not set its
readers, 400 with the reason to a request that is not valid. Sending the same
values twice changes nothing and logs nothing the second time.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import exceptions, serializers
from rest_framework.response import Response

from .. import access, permissions
from ..models import Department, DocumentPage
from .base import LifecycleAPIView, department_for, document_for, request_data
from .views import NUMBER, _refusals

# --- request and answer bodies -----------------------------------------------------


class ReaderDepartmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class DocumentAccessSerializer(serializers.Serializer):
    """Who may read the document, and its other names."""

    number = serializers.CharField()
    confidential = serializers.BooleanField(
        help_text=(
            "Restricted: only its department, the reader departments and the "
            "roles that read restricted documents may open it or find it."
        )
    )
    reader_departments = ReaderDepartmentSerializer(many=True)
    other_names = serializers.ListField(child=serializers.CharField())


class AccessInputSerializer(serializers.Serializer):
    confidential = serializers.BooleanField(
        help_text="true: restricted to its readers; false: open to all staff."
    )
    reader_departments = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        max_length=200,
        help_text=(
            "Departments (ids or names) that may read it besides its own; "
            "left out: the readers stay as they are."
        ),
    )

    def validate_reader_departments(self, values: list[str]) -> list[Department]:
        departments: dict[int, Department] = {}
        for value in values:
            department = department_for(value)
            departments.setdefault(department.pk, department)
        return list(departments.values())


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string"},
            {"type": "array", "items": {"type": "string"}},
        ],
        "example": "运行服务单、服务工作单",
    }
)
class OtherNamesField(serializers.Field):
    """Names separated by commas or 、, or a list of names."""

    default_error_messages = {
        "invalid": gettext_lazy("Give the other names as text or as a list of names."),
    }

    def to_internal_value(self, data) -> str:
        if isinstance(data, str):
            return data
        if isinstance(data, list) and all(isinstance(n, str) for n in data):
            return "、".join(data)
        self.fail("invalid")

    def to_representation(self, value):
        return value


class OtherNamesInputSerializer(serializers.Serializer):
    other_names = OtherNamesField(
        allow_null=False,
        help_text=(
            "All the other names (they replace the current ones), separated by "
            "commas or 、, or a list; empty to remove them."
        ),
    )


def access_answer(page: DocumentPage) -> dict:
    readers = page.reader_departments.all()
    return {
        "number": page.number,
        "confidential": page.confidential,
        "reader_departments": [{"id": d.pk, "name": d.name} for d in readers],
        "other_names": page.alias_list,
    }


# --- views -------------------------------------------------------------------------


class DocumentAccessBaseView(LifecycleAPIView):
    def managed_document(self, request, number: str) -> DocumentPage:
        """The document (404 unless the user may read it or edit its draft),
        once the user is known to be document control (403 otherwise)."""
        page = document_for(request.user, number, drafts=True)
        if not permissions.can_manage_access(request.user, page):
            raise exceptions.PermissionDenied(
                _("Only document control (文控) may do this.")
            )
        return page


class DocumentAccessView(DocumentAccessBaseView):
    """Restrict a document to its department and the reader departments, or
    open it to all staff again (document control)."""

    @extend_schema(
        tags=["access"],
        summary="Who may read a document",
        parameters=[NUMBER],
        responses={200: DocumentAccessSerializer, **_refusals(403, 404)},
    )
    def get(self, request, number: str):
        return Response(access_answer(self.managed_document(request, number)))

    @extend_schema(
        tags=["access"],
        summary="Set who may read a document",
        parameters=[NUMBER],
        request=AccessInputSerializer,
        responses={200: DocumentAccessSerializer, **_refusals(400, 403, 404)},
    )
    def post(self, request, number: str):
        page = self.managed_document(request, number)
        params = AccessInputSerializer(data=request_data(request))
        params.is_valid(raise_exception=True)
        data = params.validated_data
        readers = data.get("reader_departments")
        if readers is None:
            readers = list(page.reader_departments.all())
        page = access.document_set_access(
            user=request.user,
            document=page,
            confidential=data["confidential"],
            reader_departments=readers,
        )
        return Response(access_answer(page))


class DocumentOtherNamesView(DocumentAccessBaseView):
    """Set the other names a document is known and found by (document control)."""

    @extend_schema(
        tags=["access"],
        summary="Set the other names of a document",
        parameters=[NUMBER],
        request=OtherNamesInputSerializer,
        responses={200: DocumentAccessSerializer, **_refusals(400, 403, 404)},
    )
    def post(self, request, number: str):
        page = self.managed_document(request, number)
        params = OtherNamesInputSerializer(data=request_data(request))
        params.is_valid(raise_exception=True)
        page = access.document_set_aliases(
            user=request.user,
            document=page,
            aliases=params.validated_data["other_names"],
        )
        return Response(access_answer(page))
