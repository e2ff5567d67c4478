from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, serializers, viewsets
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.decorators import api_view
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from chuangye.accounts import lockout, passwords, ratelimit, services, twofactor
from chuangye.accounts.access import access_for
from chuangye.accounts.forms import INVALID_LOGIN, locked_message
from chuangye.accounts.models import Department, OrgUnit
from chuangye.accounts.selectors import (
    departments_visible_to,
    memberships_of,
    org_units_visible_to,
)
from chuangye.core.middleware import client_ip


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


def _api_error(code: str, message: str, status: int) -> Response:
    return Response({"code": code, "message": message, "detail": None}, status=status)


class TokenView(ObtainAuthToken):
    """Exchange username and password (and, for staff, an authenticator code) for an API token.

    The same rate limit, lockout and audit as the sign-in page apply; the token expires after
    ``TOKEN_TTL_HOURS``.
    """

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []

    @extend_schema(
        request=inline_serializer(
            "TokenRequest",
            {
                "username": serializers.CharField(),
                "password": serializers.CharField(),
                "otp": serializers.CharField(
                    required=False, help_text="工作人员：身份验证器中的 6 位动态码或一个恢复码"
                ),
            },
        ),
        responses=inline_serializer(
            "TokenResponse",
            {"token": serializers.CharField(), "expires_at": serializers.DateTimeField()},
        ),
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        ip = client_ip(request._request)
        data: Any = request.data
        username = str(data.get("username", ""))[:150]
        retry = ratelimit.check("token", ip=ip, username=username)
        if retry is not None:
            response = _api_error(
                "throttled", _("请求过于频繁，请 %(seconds)d 秒后再试。") % {"seconds": retry}, 429
            )
            response["Retry-After"] = str(retry)
            return response
        if username and lockout.locked_until(username, ip) is not None:
            services.record_login_refused(username, channel="api")
            return _api_error("locked", locked_message(), 403)
        serializer = self.get_serializer(data=request.data)
        if not serializer.is_valid():
            if username:
                locked = lockout.register_failure(username, ip)
                services.record_login_failure(username, locked=locked, channel="api")
                if locked:
                    return _api_error("locked", locked_message(), 403)
            raise exceptions.ValidationError({"detail": str(INVALID_LOGIN)})
        user = serializer.validated_data["user"]
        if twofactor.needs_second_factor(user):
            if not twofactor.has_device(user):
                return _api_error(
                    "otp_enrolment_required", _("请先登录网页绑定身份验证器，再申请令牌。"), 403
                )
            if twofactor.verify(user, str(data.get("otp", ""))) is None:
                locked = lockout.register_failure(username, ip)
                services.record_otp_result(user, ok=False, locked=locked)
                if locked:
                    return _api_error("locked", locked_message(), 403)
                return _api_error("otp_invalid", _("请提供正确的动态验证码（otp）。"), 400)
        if passwords.password_expired(user):
            return _api_error("password_expired", _("密码已过期，请先登录网页修改密码。"), 403)
        lockout.clear_failures(username)
        token = services.issue_token(user)
        expires = services.token_expires_at(token)
        return Response({"token": token.key, "expires_at": expires})


@extend_schema(request=None, responses={204: None})
@api_view(["POST"])
def revoke_token(request: Request) -> Response:
    """Delete the caller's API token; it stops working at once."""
    services.revoke_token(request.user, actor=request.user)  # type: ignore[arg-type]
    return Response(status=204)


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
