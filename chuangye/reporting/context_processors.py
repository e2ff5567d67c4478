from typing import Any

from django.http import HttpRequest

from chuangye.reporting.selectors import notifications_of


def inbox(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_count": notifications_of(user).filter(read_at__isnull=True).count()}
