"""Every write to plans: import, activate, set the counting period."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from chuangye.accounts.choices import DepartmentLevel
from chuangye.accounts.models import Department, OrgUnit
from chuangye.accounts.reference import CITY_CODE, canonical_department
from chuangye.core import audit
from chuangye.plans.choices import Aggregation, AllocationStatus, Comparator, DraftStatus
from chuangye.plans.contract import validate_plan_json
from chuangye.plans.models import (
    AllocationLine,
    AllocationVersion,
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
    relative = t["comparator"] == Comparator.RELATIVE
    unit = "%" if relative and not t["unit"] else t["unit"]
    rate = Aggregation.LAST if unit == "%" else Aggregation.SUM
    indicator = Indicator.objects.create(
        plan=plan, code=f"T{order:02d}", name=t["subject"], unit=unit, aggregation=rate
    )
    reference = None
    if relative:
        # The series the target is compared with is reported beside it.
        reference = Indicator.objects.create(
            plan=plan,
            code=f"T{order:02d}R",
            name=t.get("reference") or "参照序列",
            unit=unit,
            aggregation=rate,
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
        reference_indicator=reference,
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
        coordinating_department=Department.objects.filter(
            name=canonical_department("市人社局") or ""
        ).first(),
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
    # A target written inside a measure is served by that measure.
    Target.served_by.through.objects.bulk_create(
        [
            Target.served_by.through(target_id=t.pk, measure_id=t.measure_id)
            for t in Target.objects.filter(plan=plan, measure__isnull=False)
        ]
    )
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


def draft_from_upload(upload: Any, *, actor: Any) -> PlanDraft:
    """Parse an uploaded plan document (or plan JSON) into a draft for review.

    Raises ``PlanParseError`` or ``ValueError`` with a message when the file is not a plan.
    """
    import tempfile
    from pathlib import Path

    from chuangye.plans.documents import read_plan_file

    suffix = Path(upload.name).suffix.lower()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"upload{suffix}"
        with path.open("wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        data, text = read_plan_file(path)
    return create_draft(data, actor=actor, source_text=text, source_name=upload.name)


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


# --- allocation of targets to districts and years ---------------------------------------------


class AllocationError(ValueError):
    """The ledger does not add up (or the version is not editable); ``errors`` lists why."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("；".join(errors))
        self.errors = errors


def _districts() -> list[OrgUnit]:
    return list(OrgUnit.objects.filter(kind__in=["county", "zone"]).order_by("order", "code"))


def _split(amount: Decimal, weights: list[int], whole: bool) -> list[Decimal]:
    """Split ``amount`` by weights, rounding down (to units or fen); the rest stays unallocated."""
    total = sum(weights) or 1
    step = Decimal(1) if whole else Decimal("0.01")
    return [(amount * w / total).quantize(step, rounding="ROUND_FLOOR") for w in weights]


@transaction.atomic
def propose_allocation(plan: Plan, *, actor: Any, reason: str = "") -> AllocationVersion:
    """Start a new draft allocation: a copy of the active one, or a split by population share."""
    from chuangye.plans.allocation import allocatable, allocation_base, plan_years

    active = plan.allocations.filter(status=AllocationStatus.ACTIVE).first()
    if active is not None and not reason.strip():
        raise AllocationError(["调整已启用的目标分解需要填写原因"])
    if plan.allocations.filter(status=AllocationStatus.DRAFT).exists():
        raise AllocationError(["已有一个待启用的分解草稿，请先启用或删除它"])
    number = (plan.allocations.aggregate(n=Max("number"))["n"] or 0) + 1
    version = AllocationVersion.objects.create(
        plan=plan,
        number=number,
        reason=reason.strip() or "首次分解（按常住人口比例测算，余数列为市级预留）",
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    lines: list[AllocationLine] = []
    if active is not None:
        lines = [
            AllocationLine(
                version=version,
                target_id=line.target_id,
                org_unit_id=line.org_unit_id,
                year=line.year,
                quota=line.quota,
            )
            for line in active.lines.all()
        ]
    else:
        districts = _districts()
        weights = [d.population or 1 for d in districts]
        years = plan_years(plan)
        for target in plan.targets.select_related("indicator"):
            if not allocatable(target):
                continue
            base = allocation_base(target)
            whole = target.indicator.is_count
            if target.per_year:
                per_year = dict.fromkeys(years, base)
            else:
                shares = _split(base, [1] * len(years), whole)
                per_year = dict(zip(years, shares, strict=True))
            for year, amount in per_year.items():
                quotas = _split(amount, weights, whole)
                lines += [
                    AllocationLine(version=version, target=target, org_unit=d, year=year, quota=q)
                    for d, q in zip(districts, quotas, strict=True)
                ]
                reserve_year = base - sum(quotas) if target.per_year else None
                if reserve_year is not None:
                    lines.append(
                        AllocationLine(
                            version=version,
                            target=target,
                            org_unit=None,
                            year=year,
                            quota=reserve_year,
                        )
                    )
            if not target.per_year:
                allocated = sum((ln.quota for ln in lines if ln.target is target), Decimal(0))
                lines.append(
                    AllocationLine(
                        version=version,
                        target=target,
                        org_unit=None,
                        year=years[-1],
                        quota=base - allocated,
                    )
                )
    AllocationLine.objects.bulk_create(lines)
    audit.record(
        "plans.allocation.propose",
        actor=actor,
        obj=version,
        after={"number": number, "lines": len(lines), "copied_from": active.pk if active else None},
    )
    return version


@transaction.atomic
def set_quota(
    version: AllocationVersion,
    target: Target,
    year: int,
    quota: Decimal,
    *,
    actor: Any,
    org_unit: OrgUnit | None = None,
) -> AllocationLine:
    """Set one district's (or the reserve's) quota in a draft allocation."""
    from chuangye.plans.allocation import allocatable, plan_years

    if version.status != AllocationStatus.DRAFT:
        raise AllocationError(["只能修改草稿状态的分解版本"])
    if target.plan_id != version.plan_id or not allocatable(target):
        raise AllocationError(["该目标不属于本方案或不能分解"])
    if year not in plan_years(version.plan):
        raise AllocationError([f"年度 {year} 不在方案期内"])
    if quota < 0:
        raise AllocationError(["分解任务不能为负数"])
    if target.indicator.is_count and quota != quota.to_integral_value():
        raise AllocationError([f"“{target.subject}”以{target.unit}计，分解任务应为整数"])
    line = AllocationLine.objects.filter(
        version=version, target=target, org_unit=org_unit, year=year
    ).first()
    before = line.quota if line else None
    if line is None:
        line = AllocationLine.objects.create(
            version=version, target=target, org_unit=org_unit, year=year, quota=quota
        )
    else:
        line.quota = quota
        line.save(update_fields=["quota"])
    audit.record(
        "plans.allocation.set_quota",
        actor=actor,
        obj=line,
        before={"quota": before},
        after={"quota": quota, "org_unit": org_unit.code if org_unit else None, "year": year},
    )
    return line


@transaction.atomic
def activate_allocation(version: AllocationVersion, *, actor: Any) -> AllocationVersion:
    """Put a balanced draft into force; the version it replaces stays visible as superseded."""
    from chuangye.plans.allocation import ledger

    if version.status != AllocationStatus.DRAFT:
        raise AllocationError(["只能启用草稿状态的分解版本"])
    errors = []
    for row in ledger(version, _districts()):
        if not row.balanced:
            scope = f"{row.year}年" if row.year else "方案期"
            errors.append(
                f"{row.target.indicator.code} {row.target.subject}（{scope}）：目标 {row.base}，"
                f"分解合计 {row.allocated}，相差 {row.difference}"
            )
    if errors:
        raise AllocationError(errors)
    previous = version.plan.allocations.filter(status=AllocationStatus.ACTIVE).first()
    if previous is not None:
        previous.status = AllocationStatus.SUPERSEDED
        previous.save(update_fields=["status"])
    version.status = AllocationStatus.ACTIVE
    version.activated_at = timezone.now()
    version.save(update_fields=["status", "activated_at"])
    audit.record(
        "plans.allocation.activate",
        actor=actor,
        obj=version,
        before={"active": previous.number if previous else None},
        after={"active": version.number},
    )
    return version


@transaction.atomic
def discard_allocation(version: AllocationVersion, *, actor: Any) -> None:
    if version.status != AllocationStatus.DRAFT:
        raise AllocationError(["只能删除草稿状态的分解版本"])
    audit.record("plans.allocation.discard", actor=actor, obj=version)
    version.delete()


@transaction.atomic
def configure_indicator(
    indicator: Indicator,
    *,
    actor: Any,
    owner: Department | None = None,
    by_district: bool = True,
    frequency: str = "monthly",
    source: str = "manual",
) -> Indicator:
    """Say who reports an indicator, how often, and whether a programme registry feeds it."""
    before = {
        "owner": indicator.owner_id,
        "by_district": indicator.by_district,
        "frequency": indicator.frequency,
        "source": indicator.source,
    }
    indicator.owner = owner
    indicator.by_district = by_district
    indicator.frequency = frequency
    indicator.source = source
    indicator.full_clean()
    indicator.save(update_fields=["owner", "by_district", "frequency", "source"])
    audit.record(
        "plans.indicator.configure",
        actor=actor,
        obj=indicator,
        before=before,
        after={
            "owner": owner.pk if owner else None,
            "by_district": by_district,
            "frequency": frequency,
            "source": source,
        },
    )
    return indicator


@transaction.atomic
def set_delivery_chain(target: Target, measures: list[Measure], *, actor: Any) -> Target:
    """Say which measures serve a target (the delivery chain the cockpit shows)."""
    if any(m.plan_id != target.plan_id for m in measures):
        raise ValueError("措施与目标不属于同一方案")
    before = sorted(target.served_by.values_list("number", flat=True))
    target.served_by.set(measures)
    audit.record(
        "plans.target.delivery_chain",
        actor=actor,
        obj=target,
        before={"measures": before},
        after={"measures": sorted(m.number for m in measures)},
    )
    return target
