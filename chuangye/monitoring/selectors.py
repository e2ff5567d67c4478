"""Scoped reads for the cockpit: which org units' progress a user may see, and the query inputs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from chuangye.accounts.access import access_for
from chuangye.accounts.models import OrgUnit
from chuangye.plans.models import Plan, Target


class QueryError(ValueError):
    """A malformed or out-of-range request parameter (HTTP 400)."""


class NotVisible(LookupError):
    """A real org unit outside the caller's scope (HTTP 404, like one that does not exist)."""


def units_visible_to(user: Any) -> list[OrgUnit]:
    """The city for everyone in the plan; districts for city-wide roles or their own staff.

    Only the active plan's city and its districts: other cities sharing the database (a
    province's deployment) are not this plan's units.
    """
    access = access_for(user)
    units = list(
        OrgUnit.objects.filter(Q(plans__is_active=True) | Q(parent__plans__is_active=True))
        .distinct()
        .order_by("order", "code")
    )
    if access.city_wide:
        return units
    if not access.plan_member:
        return []
    return [u for u in units if u.parent_id is None or u.pk in access.org_unit_ids]


def parse_date(raw: str | None, plan: Plan) -> dt.date:
    if not raw:
        return dt.date.today()
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        raise QueryError(_("date 应为 YYYY-MM-DD 格式的日期")) from None
    first = dt.date(plan.period_start, 1, 1)
    last = dt.date(plan.period_end + 1, 12, 31)
    if not first <= day <= last:
        raise QueryError(
            _("date 应在方案期内（%(a)s 至 %(b)s）")
            % {"a": first.isoformat(), "b": last.isoformat()}
        )
    return day


def parse_units(raw: str | None, user: Any) -> list[OrgUnit]:
    """``org_unit=CODE`` (one), ``all`` (every visible unit) or nothing (the city)."""
    visible = units_visible_to(user)
    if not raw:
        return [u for u in visible if u.parent_id is None]
    if raw == "all":
        return visible
    codes = [c.strip() for c in raw.split(",") if c.strip()]
    shown = {u.code: u for u in visible}
    others = [c for c in codes if c not in shown]
    if others:
        known = set(OrgUnit.objects.filter(code__in=others).values_list("code", flat=True))
        unknown = [c for c in others if c not in known]
        if unknown:
            raise QueryError(_("未知的区划代码：%(codes)s") % {"codes": "、".join(unknown)})
        raise NotVisible(raw)
    return [shown[c] for c in codes]


def parse_targets(raw: str | None, plan: Plan) -> list[Target] | None:
    if not raw:
        return None
    parts = [p.strip() for p in raw.split(",") if p.strip()]
    if not all(p.isdigit() and int(p) < 2**63 for p in parts):
        raise QueryError(_("target 应为逗号分隔的整数编号"))
    ids = [int(p) for p in parts]
    found = list(
        plan.targets.filter(pk__in=ids)
        .select_related("indicator", "plan", "measure")
        .order_by("order")
    )
    missing = sorted(set(ids) - {t.pk for t in found})
    if missing:
        raise QueryError(_("未知的目标编号：%(ids)s") % {"ids": ", ".join(map(str, missing))})
    return found
