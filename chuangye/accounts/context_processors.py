from typing import Any

from django.http import HttpRequest

from chuangye.accounts.access import access_for


def access(request: HttpRequest) -> dict[str, Any]:
    return {"access": access_for(getattr(request, "user", None))}
