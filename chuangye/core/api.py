"""API plumbing shared by the apps: JSON errors with a message and a code, audit endpoint."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from rest_framework import exceptions, serializers, viewsets
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from chuangye.core.models import AuditEntry
from chuangye.core.selectors import audit_entries_visible_to


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Every API error is ``{"code": …, "message": …, "detail": …}`` in the user's language."""
    if isinstance(exc, ValidationError):
        exc = exceptions.ValidationError(detail=exc.messages)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    detail = response.data
    code = getattr(exc, "default_code", "error")
    if isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        if isinstance(codes, str):
            code = codes
    message = detail.get("detail") if isinstance(detail, dict) and "detail" in detail else None
    if message is None:
        message = str(getattr(exc, "default_detail", "请求有误"))
    response.data = {"code": code, "message": str(message), "detail": detail}
    return response


class AuditEntrySerializer(serializers.ModelSerializer[AuditEntry]):
    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "at",
            "actor_name",
            "action",
            "object_type",
            "object_id",
            "object_repr",
            "before",
            "after",
            "ip",
            "hash",
        ]


class AuditEntryViewSet(viewsets.ReadOnlyModelViewSet[AuditEntry]):
    """The audit log, for auditors only (others get an empty list and 404 on items)."""

    serializer_class = AuditEntrySerializer

    def get_queryset(self) -> Any:
        qs = audit_entries_visible_to(self.request.user)
        action = self.request.query_params.get("action")
        if action:
            qs = qs.filter(action__startswith=action)
        return qs
