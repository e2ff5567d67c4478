"""API paging (kept apart from the viewsets so DRF can import it while loading its settings)."""

from __future__ import annotations

from typing import Any

from rest_framework.pagination import LimitOffsetPagination

MAX_ID = 2**63 - 1


class Pagination(LimitOffsetPagination):
    """Limit/offset paging with a ceiling, so no request asks the database for absurd pages."""

    max_limit = 1000

    def get_offset(self, request: Any) -> int:
        return min(super().get_offset(request), MAX_ID // 2)
