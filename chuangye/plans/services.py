"""Every write to plans: import, activate, set the counting period."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Max

from chuangye.accounts.choices import DepartmentLevel
from chuangye.accounts.models import Department, OrgUnit
from chuangye.accounts.reference import CITY_CODE, canonical_department
from chuangye.core import audit
from chuangye.plans.choices import Comparator
from chuangye.plans.contract import validate_plan_json
from chuangye.plans.models import (
    Indicator,
    Measure,
    Plan,
    Responsibility,
    Section,
    Target,
)


def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _department_index() -> dict[str, Department]:
    return {
        d.name: d for d in Department.objects.filter(level=DepartmentLevel.CITY).only("id", "name")
    }


def _match_department(name: str, index: dict[str, Department]) -> Department | None:
    official = canonical_department(name) or name
    return index.get(official)


def _target_row(
    plan: Plan, t: dict[str, Any], order: int, measure: Measure | None, city: OrgUnit
) -> Target:
    indicator = Indicator.objects.create(
        plan=plan,
        code=f"T{order:02d}",
        name=t["subject"],
        unit="%" if t["comparator"] == Comparator.RELATIVE and not t["unit"] else t["unit"],
    )
    src = t.get("source") or {}
    return Target(
        plan=plan,
        indicator=indicator,
        measure=measure,
        org_unit=city,
        order=order,
        text=t["text"],
        subject=t["subject"],
        comparator=t["comparator"],
        value=_dec(t.get("value")),
        min_value=_dec(t.get("min")),
        max_value=_dec(t.get("max")),
        unit=t["unit"],
        per_year=t["per_year"],
        deadline_year=t.get("deadline_year"),
        reference=t.get("reference") or "",
        source_start=src.get("start"),
        source_end=src.get("end"),
    )


@transaction.atomic
def import_plan(
    data: dict[str, Any],
    *,
    actor: Any,
    source_text: str = "",
    source_name: str = "",
    activate: bool = True,
    period_start: int | None = None,
) -> Plan:
    """Validate plan JSON and store it as a new plan (a new version if the doc number exists).

    All or nothing: a contract error raises PlanContractError before anything is written.
    """
    validate_plan_json(data)
    city = OrgUnit.objects.get(code=CITY_CODE)
    issued_on = dt.date.fromisoformat(data["issued_on"]) if data.get("issued_on") else None
    all_targets = list(data.get("targets", [])) + [
        t for m in data["measures"] for t in m.get("targets", [])
    ]
    deadlines = [t["deadline_year"] for t in all_targets if t.get("deadline_year")]
    start_year = period_start or (issued_on.year if issued_on else dt.date.today().year)
    end_year = max(deadlines) if deadlines else start_year + 1
    doc_number = data.get("doc_number") or ""
    previous = Plan.objects.filter(doc_number=doc_number).aggregate(v=Max("version"))["v"]
    plan = Plan.objects.create(
        title=data["title"],
        issuer=data.get("issuer") or "",
        doc_number=doc_number,
        issued_on=issued_on,
        version=(previous or 0) + 1,
        period_start=start_year,
        period_end=max(end_year, start_year),
        org_unit=city,
        source_text=source_text,
        source_name=source_name,
        imported_by=actor if getattr(actor, "pk", None) else None,
    )
    sections = {
        s["number"]: Section.objects.create(plan=plan, number=s["number"], title=s["title"])
        for s in data["sections"]
    }
    departments = _department_index()
    targets: list[Target] = []
    order = 0
    for t in data.get("targets", []):
        order += 1
        targets.append(_target_row(plan, t, order, None, city))
    responsibilities: list[Responsibility] = []
    for m in data["measures"]:
        src = m.get("source") or {}
        measure = Measure.objects.create(
            plan=plan,
            section=sections.get(m.get("section")) if m.get("section") is not None else None,
            number=m["number"],
            printed=m.get("printed") or "",
            title=m["title"],
            text=m["text"],
            source_start=src.get("start"),
            source_end=src.get("end"),
        )
        for i, r in enumerate(m.get("responsibilities", [])):
            responsibilities.append(
                Responsibility(
                    measure=measure,
                    department_name=r["department"],
                    department=_match_department(r["department"], departments),
                    role=r["role"],
                    order=i,
                )
            )
        for t in m.get("targets", []):
            order += 1
            targets.append(_target_row(plan, t, order, measure, city))
    Responsibility.objects.bulk_create(responsibilities)
    Target.objects.bulk_create(targets)
    if activate:
        Plan.objects.filter(is_active=True).update(is_active=False)
        plan.is_active = True
        plan.save(update_fields=["is_active"])
    audit.record(
        "plans.plan.import",
        actor=actor,
        obj=plan,
        after={
            "doc_number": plan.doc_number,
            "version": plan.version,
            "sections": len(sections),
            "measures": len(data["measures"]),
            "targets": len(targets),
            "active": plan.is_active,
        },
    )
    return plan


@transaction.atomic
def activate_plan(plan: Plan, *, actor: Any) -> Plan:
    """Make ``plan`` the one the platform runs."""
    before = Plan.objects.filter(is_active=True).values_list("id", flat=True).first()
    Plan.objects.filter(is_active=True).exclude(pk=plan.pk).update(is_active=False)
    plan.is_active = True
    plan.save(update_fields=["is_active"])
    audit.record(
        "plans.plan.activate",
        actor=actor,
        obj=plan,
        before={"active_plan": before},
        after={"active_plan": plan.pk},
    )
    return plan


@transaction.atomic
def set_period_start(plan: Plan, year: int, *, actor: Any) -> Plan:
    """Set the year from which whole-period targets are counted (a coordinator's decision)."""
    if not plan.period_start - 5 <= year <= plan.period_end:
        raise ValueError(f"起始年度应在 {plan.period_start - 5} 至 {plan.period_end} 之间")
    before = plan.period_start
    plan.period_start = year
    plan.save(update_fields=["period_start"])
    audit.record(
        "plans.plan.set_period",
        actor=actor,
        obj=plan,
        before={"period_start": before},
        after={"period_start": year},
    )
    return plan
