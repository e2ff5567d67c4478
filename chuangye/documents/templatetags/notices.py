"""``{% open_notices_of department as notices %}``: a department's open 督办单 for the board."""

from __future__ import annotations

from typing import Any

from django import template

from chuangye.accounts.models import Department
from chuangye.documents.models import SupervisionNotice
from chuangye.documents.selectors import open_notices_seen_by

register = template.Library()


@register.simple_tag(takes_context=True)
def open_notices_of(context: dict[str, Any], department: Department) -> list[SupervisionNotice]:
    """Open notices the department leads or is copied on, as far as the viewer may see them."""
    request = context.get("request")
    if request is None or department is None:
        return []
    return open_notices_seen_by(request.user, department)
