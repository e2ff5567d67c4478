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
from chuangye.plans.choices import Comparator, DraftStatus
from chuangye.plans.contract import validate_plan_json
from chuangye.plans.models import (
    Indicator,
    Measure,
    Plan,
    PlanDraft,
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
    supersedes: Plan | None = None,
) -> Plan:
    """Validate plan JSON and store it as a new plan, or as the next version of ``supersedes``.

    Without ``supersedes`` a plan whose document number exists still gets the next version
    number. All or nothing: a contract error raises PlanContractError before anything is written.
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
    previous = Plan.objects.filter(doc_number=doc_number).aggregate(v=Max("version"))["v"] or 0
    if supersedes is not None:
        previous = max(previous, supersedes.version)
        period_start = period_start or supersedes.period_start
    plan = Plan.objects.create(
        title=data["title"],
        issuer=data.get("issuer") or "",
        doc_number=doc_number,
        issued_on=issued_on,
        version=previous + 1,
        supersedes=supersedes,
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
            "supersedes": supersedes.pk if supersedes else None,
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


# --- drafts: upload → review → import ---------------------------------------------------------


@transaction.atomic
def create_draft(
    data: dict[str, Any], *, actor: Any, source_text: str, source_name: str
) -> PlanDraft:
    """Keep a parsed document for review; nothing enters the plan tables yet."""
    warnings = [str(w) for w in data.pop("warnings", [])]
    draft = PlanDraft.objects.create(
        source_name=source_name[:200],
        source_text=source_text,
        data=data,
        warnings=warnings,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    audit.record(
        "plans.draft.create",
        actor=actor,
        obj=draft,
        after={"source_name": draft.source_name, "measures": len(data.get("measures", []))},
    )
    return draft


def _require_open(draft: PlanDraft) -> None:
    if draft.status != DraftStatus.DRAFT:
        raise ValueError(f"草稿状态为“{draft.get_status_display()}”，不能再修改或导入")


@transaction.atomic
def update_draft(draft: PlanDraft, data: dict[str, Any], *, actor: Any) -> PlanDraft:
    """Replace the draft JSON with the reviewer's corrections (validated against the contract)."""
    _require_open(draft)
    validate_plan_json(data)
    before = draft.data
    draft.data = data
    draft.save(update_fields=["data", "updated_at"])
    audit.record("plans.draft.update", actor=actor, obj=draft, before=before, after=data)
    return draft


@transaction.atomic
def import_draft(
    draft: PlanDraft, *, actor: Any, supersedes: Plan | None = None, activate: bool = True
) -> Plan:
    """Import a reviewed draft as a new plan or as a new version of ``supersedes``."""
    _require_open(draft)
    plan = import_plan(
        dict(draft.data),
        actor=actor,
        source_text=draft.source_text,
        source_name=draft.source_name,
        activate=activate,
        supersedes=supersedes,
    )
    draft.status = DraftStatus.IMPORTED
    draft.plan = plan
    draft.save(update_fields=["status", "plan", "updated_at"])
    audit.record(
        "plans.draft.import",
        actor=actor,
        obj=draft,
        after={"plan": plan.pk, "version": plan.version},
    )
    return plan


@transaction.atomic
def discard_draft(draft: PlanDraft, *, actor: Any) -> PlanDraft:
    _require_open(draft)
    draft.status = DraftStatus.DISCARDED
    draft.save(update_fields=["status", "updated_at"])
    audit.record("plans.draft.discard", actor=actor, obj=draft)
    return draft
