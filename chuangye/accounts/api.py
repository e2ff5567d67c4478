from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.decorators import api_view
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from chuangye.accounts.access import access_for
from chuangye.accounts.models import Department, OrgUnit
from chuangye.accounts.selectors import (
    departments_visible_to,
    memberships_of,
    org_units_visible_to,
)


class OrgUnitSerializer(serializers.ModelSerializer[OrgUnit]):
    # DRF's metaclass lifts declared fields off the class; the stubs see Field.parent instead.
    parent: Any = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = OrgUnit
        fields = ["code", "name", "short_name", "kind", "parent", "population"]


class DepartmentSerializer(serializers.ModelSerializer[Department]):
    org_unit: serializers.SlugRelatedField[OrgUnit] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    counterpart: serializers.SlugRelatedField[Department] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )

    class Meta:
        model = Department
        fields = ["code", "name", "aliases", "level", "org_unit", "counterpart"]


class OrgUnitViewSet(viewsets.ReadOnlyModelViewSet[OrgUnit]):
    serializer_class = OrgUnitSerializer
    lookup_field = "code"

    def get_queryset(self) -> Any:
        return org_units_visible_to(self.request.user)


class DepartmentViewSet(viewsets.ReadOnlyModelViewSet[Department]):
    serializer_class = DepartmentSerializer
    lookup_field = "code"

    def get_queryset(self) -> Any:
        return departments_visible_to(self.request.user)


class TokenView(ObtainAuthToken):
    """Exchange username and password for an API token."""

    permission_classes = [AllowAny]

    @extend_schema(
        request=inline_serializer(
            "TokenRequest",
            {"username": serializers.CharField(), "password": serializers.CharField()},
        ),
        responses=inline_serializer("TokenResponse", {"token": serializers.CharField()}),
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().post(request, *args, **kwargs)


@extend_schema(
    responses=inline_serializer(
        "Me",
        {
            "username": serializers.CharField(),
            "display_name": serializers.CharField(),
            "roles": serializers.ListField(child=serializers.CharField()),
            "org_units": serializers.ListField(child=serializers.CharField()),
            "departments": serializers.ListField(child=serializers.CharField()),
        },
    )
)
@api_view(["GET"])
def me(request: Request) -> Response:
    """Who the caller is and what they may see."""
    access = access_for(request.user)
    memberships = memberships_of(request.user)
    return Response(
        {
            "username": request.user.username,
            "display_name": getattr(request.user, "display_name", ""),
            "roles": sorted(access.roles),
            "org_units": sorted({m.org_unit.code for m in memberships if m.org_unit}),
            "departments": sorted({m.department.code for m in memberships if m.department}),
        }
    )
