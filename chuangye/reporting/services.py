"""Every write of the supervision workflow: rounds, figures, review, progress, reopen, lock."""

from __future__ import annotations

import datetime as dt
import functools
import statistics
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any, ParamSpec, TypeVar

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone

from chuangye.accounts.access import access_for
from chuangye.accounts.choices import DepartmentLevel, OrgUnitKind, Role
from chuangye.accounts.models import Department, Membership, OrgUnit
from chuangye.core import audit
from chuangye.monitoring import facts
from chuangye.plans.models import Indicator, Measure, Plan
from chuangye.reporting.calendar import WorkCalendar, round_dates
from chuangye.reporting.choices import BEHIND_STATUSES, EDITABLE, ValueStatus
from chuangye.reporting.duties import duties
from chuangye.reporting.models import (
    Attachment,
    DataValue,
    Notification,
    ProgressUpdate,
    ReportingRound,
)

DISTRICT_KINDS = (OrgUnitKind.COUNTY, OrgUnitKind.ZONE)  # what duties() counts as districts


class ReportingError(ValueError):
    """A refused write; the message is for the user (Chinese)."""


class StaleWrite(ReportingError):
    """Someone else saved the row after the caller read it."""


P = ParamSpec("P")
R = TypeVar("R")
DEADLOCK = "40P01"  # PostgreSQL's deadlock_detected


def retry_on_deadlock(func: Callable[P, R]) -> Callable[P, R]:
    """Run a write transaction again (twice at most) when PostgreSQL broke a deadlock by
    aborting it: the rolled-back attempt left nothing behind, so the retry is the same write.

    Only an outermost transaction is retried; inside a caller's transaction the error goes up.
    """

    @functools.wraps(func)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        outermost = not transaction.get_connection().in_atomic_block
        for attempt in (1, 2, 3):
            try:
                return func(*args, **kwargs)
            except OperationalError as exc:
                code = getattr(exc.__cause__, "sqlstate", None)
                if code != DEADLOCK or not outermost or attempt == 3:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    return run


def _actor_pk(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def has_role_in(actor: Any, role: str, department: Department) -> bool:
    if getattr(actor, "pk", None) is None:
        return False
    access = getattr(actor, "_chuangye_access", None)
    if access is not None:
        # The memberships this request already read (``access_for``): no second query.
        return (role, department.pk) in access.department_roles
    return Membership.objects.filter(
        user=actor, role=role, department=department, active=True
    ).exists()


def _require(actor: Any, role: str, department: Department) -> None:
    if not has_role_in(actor, role, department):
        label = Role(role).label
        raise ReportingError(f"您不是{department.name}的{label}，不能进行此操作")


# --- rounds -----------------------------------------------------------------------------------


@transaction.atomic
def ensure_rounds(plan: Plan, today: dt.date, *, actor: Any = None) -> list[ReportingRound]:
    """Create the rounds of every plan month that has ended by ``today`` (idempotent)."""
    cal = WorkCalendar()
    created = []
    existing = set(plan.rounds.values_list("year", "month"))
    for year in range(plan.period_start, plan.period_end + 1):
        for month in range(1, 13):
            if (year, month) in existing:
                continue
            opens, deadline, locks = round_dates(year, month, cal)
            if opens > today:
                continue
            rnd = ReportingRound.objects.create(
                plan=plan,
                year=year,
                month=month,
                opens_on=opens,
                deadline=deadline,
                locks_on=locks,
            )
            created.append(rnd)
    if created:
        audit.record(
            "reporting.round.open",
            actor=actor,
            object_type="reporting.reportinground",
            object_repr=f"{plan} 报送轮次",
            after={"rounds": [r.label for r in created]},
        )
    return created


@transaction.atomic
def set_round_dates(
    rnd: ReportingRound, *, opens_on: dt.date, deadline: dt.date, locks_on: dt.date, actor: Any
) -> ReportingRound:
    if not access_for(actor).is_coordinator:
        raise ReportingError("只有统筹协调员可以调整报送时间")
    if not opens_on <= deadline <= locks_on:
        raise ReportingError("应满足：开始日期 ≤ 截止日期 ≤ 锁定日期")
    before = {"opens_on": rnd.opens_on, "deadline": rnd.deadline, "locks_on": rnd.locks_on}
    rnd.opens_on, rnd.deadline, rnd.locks_on = opens_on, deadline, locks_on
    rnd.save(update_fields=["opens_on", "deadline", "locks_on"])
    audit.record(
        "reporting.round.dates",
        actor=actor,
        obj=rnd,
        before=before,
        after={"opens_on": opens_on, "deadline": deadline, "locks_on": locks_on},
    )
    return rnd


@transaction.atomic
def lock_due_rounds(today: dt.date, *, actor: Any = None) -> list[ReportingRound]:
    """Lock rounds whose lock date has come; approved figures become locked (still counted).

    Figures never approved stay as they are but can no longer be edited or submitted.
    """
    locked = []
    for rnd in ReportingRound.objects.filter(locked_at__isnull=True, locks_on__lte=today):
        count = DataValue.objects.filter(
            indicator__plan=rnd.plan,
            year=rnd.year,
            month=rnd.month,
            status=ValueStatus.APPROVED,
            reopened=False,
        ).update(status=ValueStatus.LOCKED)
        rnd.locked_at = timezone.now()
        rnd.save(update_fields=["locked_at"])
        audit.record("reporting.round.lock", actor=actor, obj=rnd, after={"values": count})
        locked.append(rnd)
    return locked


def round_for(plan: Plan, year: int, month: int) -> ReportingRound:
    rnd = plan.rounds.filter(year=year, month=month).first()
    if rnd is None:
        raise ReportingError(f"{year}年{month}月的报送轮次尚未开启")
    return rnd


# --- validation -------------------------------------------------------------------------------


def parse_number(raw: Any, indicator: Indicator) -> Decimal | None:
    """Turn user input into a figure of the indicator's kind, or raise ReportingError."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool):
        raise ReportingError("应填写数字")
    try:
        value = Decimal(str(raw).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise ReportingError(f"“{raw}”不是数字") from None
    if not value.is_finite():
        raise ReportingError(f"“{raw}”不是数字")
    if value < 0:
        raise ReportingError("不能为负数")
    if indicator.is_count and value != value.to_integral_value():
        raise ReportingError(f"以“{indicator.unit}”计，应为整数")
    if value.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ReportingError("最多保留两位小数" + ("（单位：元）" if indicator.is_money else ""))
    if value >= Decimal("1e16"):
        raise ReportingError("数值过大")
    return value


def plausibility(value: DataValue) -> str | None:
    """Why this figure needs a comment: far above the unit's recent median, or a drop to zero."""
    if value.value is None:
        return None
    history: list[Decimal] = list(
        DataValue.objects.filter(
            indicator_id=value.indicator_id,
            org_unit_id=value.org_unit_id,
            value__isnull=False,
        )
        .exclude(pk=value.pk)
        .filter(year__lte=value.year)
        .exclude(year=value.year, month__gte=value.month)
        .order_by("-year", "-month")
        .values_list("value", flat=True)[:6]  # type: ignore[arg-type]  # value__isnull=False
    )
    if not history:
        return None
    median = Decimal(statistics.median(history))
    if median > 0 and value.value > 3 * median:
        return f"本月数值 {value.value} 超过近 6 个月中位数 {median} 的 3 倍，请说明原因"
    if value.value == 0 and history[0] > 0:
        return "本月数值降为 0，请说明原因"
    return None


# --- figures ----------------------------------------------------------------------------------


def _duty_department(indicator: Indicator, org_unit: OrgUnit) -> Department:
    """Who reports this one cell: the answer ``duties()`` gives for it, found with one query.

    The caller has checked that the indicator is manual and asked this month. The plan's city
    and its districts and zones are the units; an indicator with an owner is reported by the
    owner, for the districts (``by_district``) or for the city, and one without by each
    district's counterpart of the plan's coordinating department.
    """
    plan = indicator.plan
    city_id = plan.org_unit_id
    department = None
    is_district = org_unit.parent_id == city_id and org_unit.kind in DISTRICT_KINDS
    if indicator.owner_id is not None:
        owned = is_district if indicator.by_district else org_unit.pk == city_id
        if owned:
            department = Department.objects.filter(pk=indicator.owner_id).first()
    elif is_district and plan.coordinating_department_id is not None:
        department = Department.objects.filter(
            level=DepartmentLevel.DISTRICT,
            counterpart_id=plan.coordinating_department_id,
            org_unit=org_unit,
        ).last()  # duties() keeps the last of its Meta ordering too
    if department is None:
        raise ReportingError(f"{org_unit.name}本月无需填报“{indicator.name}”")
    return department


def _changed_by_message(row: DataValue | ProgressUpdate) -> str:
    who = row.updated_by or "其他用户"
    when = timezone.localtime(row.updated_at).strftime("%Y-%m-%d %H:%M:%S")
    return f"该数据已被 {who} 于 {when} 修改，请刷新后再编辑（您的修改未保存）"


@retry_on_deadlock
@transaction.atomic
def save_value(
    *,
    indicator: Indicator,
    org_unit: OrgUnit,
    year: int,
    month: int,
    value: Any,
    note: str = "",
    actor: Any,
    expected_version: int | None = None,
    today: dt.date | None = None,
    seen: DataValue | None = None,
) -> DataValue:
    """Save a draft figure for a cell the actor's unit must report (optimistic locking).

    ``seen`` is the row as the caller has just read it (unlocked): when the caller's
    ``expected_version`` is already older than that, the write is refused as stale without
    reading the round or locking the row (versions only ever go up).
    """
    today = today or timezone.localdate()
    if not indicator.is_manual:
        raise ReportingError(f"“{indicator.name}”由业务系统自动汇总，无需填报")
    if not indicator.asked_in_month(month):
        raise ReportingError(f"“{indicator.name}”按季度报送，{month}月无需填报")
    department = _duty_department(indicator, org_unit)
    _require(actor, Role.REPORTER, department)
    number = parse_number(value, indicator)
    if (
        seen is not None
        and expected_version is not None
        and expected_version < seen.version
        and seen.status in EDITABLE
    ):
        raise StaleWrite(_changed_by_message(seen))
    rnd = round_for(indicator.plan, year, month)
    row = (
        # With who saved it last (the message of a stale write) and the reporting unit (the
        # answer names it): joined, not locked (of=self).
        DataValue.objects.select_related("updated_by", "department")
        .select_for_update(of=("self",))
        .filter(indicator=indicator, org_unit=org_unit, year=year, month=month)
        .first()
    )
    if row is not None:
        # The cell's own indicator and unit, so naming the row (audit, messages) reads nothing.
        row.indicator, row.org_unit = indicator, org_unit
    if row is None or not row.reopened:
        if today < rnd.opens_on:
            raise ReportingError(f"{rnd.label}数据 {rnd.opens_on} 起才能填报")
        if rnd.locked_at is not None or today >= rnd.locks_on:
            raise ReportingError(f"{rnd.label}数据已于 {rnd.locks_on} 锁定，需统筹协调员重新开放")
    if row is None:
        if expected_version not in (None, 0):
            raise StaleWrite("该数据已被删除或尚未创建，请刷新后再编辑")
        try:
            with transaction.atomic():
                row = DataValue.objects.create(
                    indicator=indicator,
                    org_unit=org_unit,
                    department=department,
                    year=year,
                    month=month,
                    value=number,
                    note=note.strip(),
                    updated_by=_actor_pk(actor),
                )
        except IntegrityError:
            # A colleague created the cell after our look-up (a lock cannot cover a row that
            # does not exist yet): their figure stands, as with any other concurrent save.
            cell = {"indicator": indicator, "org_unit": org_unit, "year": year, "month": month}
            if DataValue.objects.filter(**cell).exists():
                raise StaleWrite(
                    "该数据已被其他用户填写，请刷新后再编辑（您的修改未保存）"
                ) from None
            raise
        audit.record(
            "reporting.value.create",
            actor=actor,
            obj=row,
            after={"value": number, "note": row.note},
        )
        return row
    if row.status not in EDITABLE:
        raise ReportingError(f"该数据状态为“{row.get_status_display()}”，不能修改")
    if expected_version is not None and expected_version != row.version:
        raise StaleWrite(_changed_by_message(row))
    before = {"value": row.value, "note": row.note, "version": row.version}
    changed = {
        "value": number,
        "note": note.strip(),
        "version": row.version + 1,
        "updated_by": _actor_pk(actor),
        "updated_at": timezone.now(),
    }
    updated = DataValue.objects.filter(pk=row.pk, version=row.version).update(**changed)
    if not updated:  # pragma: no cover - the row lock above makes this unreachable
        raise StaleWrite(_changed_by_message(row))
    # The row now holds what was written; its indicator, unit and department stay loaded.
    for name, new_value in changed.items():
        setattr(row, name, new_value)
    audit.record(
        "reporting.value.update",
        actor=actor,
        obj=row,
        before=before,
        after={"value": number, "note": row.note, "version": row.version},
    )
    return row


def _transition(row: DataValue, status: str, *, actor: Any, action: str, **fields: Any) -> None:
    before = {"status": row.status}
    row.status = status
    row.version += 1
    row.updated_by = _actor_pk(actor)
    for key, val in fields.items():
        setattr(row, key, val)
    row.save()
    audit.record(
        action,
        actor=actor,
        obj=row,
        before=before,
        after={"status": status, **{k: v for k, v in fields.items() if k != "approved_by"}},
    )


@transaction.atomic
def submit_values(
    rows: list[DataValue], *, actor: Any, today: dt.date | None = None
) -> list[DataValue]:
    """Submit figures for approval: all or nothing, each complete and explained where unusual."""
    today = today or timezone.localdate()
    errors = []
    locked = []
    for row in rows:
        row = (
            DataValue.objects.select_for_update()
            .select_related("indicator", "org_unit")
            .get(pk=row.pk)
        )
        locked.append(row)
        _require(actor, Role.REPORTER, row.department)
        label = f"{row.indicator.name}（{row.org_unit.short_name}）"
        if row.status not in EDITABLE:
            errors.append(f"{label}：状态为“{row.get_status_display()}”，不能提交")
            continue
        rnd = round_for(row.indicator.plan, row.year, row.month)
        if not row.reopened and (rnd.locked_at or today >= rnd.locks_on):
            errors.append(f"{label}：{rnd.label}已锁定")
        if row.value is None:
            errors.append(f"{label}：未填写数值")
            continue
        reason = plausibility(row)
        if reason and not row.note.strip():
            errors.append(f"{label}：{reason}")
    if errors:
        raise ReportingError("；".join(errors))
    for row in locked:
        _transition(
            row,
            ValueStatus.SUBMITTED,
            actor=actor,
            action="reporting.value.submit",
            submitted_at=timezone.now(),
            return_reason="",
        )
    return locked


@transaction.atomic
def submit_round(
    plan: Plan,
    year: int,
    month: int,
    department: Department,
    *,
    actor: Any,
    today: dt.date | None = None,
) -> list[DataValue]:
    """Submit everything a department reports for a month; every required cell must be filled."""
    _require(actor, Role.REPORTER, department)
    required = duties(plan, month, departments={department.pk}, include_prefilled=False)
    rows = {
        (v.indicator_id, v.org_unit_id): v
        for v in DataValue.objects.filter(
            department=department, year=year, month=month, indicator__plan=plan
        )
    }
    missing = [
        f"{d.indicator.name}（{d.org_unit.short_name}）"
        for d in required
        if (d.indicator.pk, d.org_unit.pk) not in rows
        or rows[(d.indicator.pk, d.org_unit.pk)].value is None
    ]
    if missing:
        raise ReportingError("以下数据尚未填写：" + "、".join(missing))
    pending = [r for r in rows.values() if r.status in EDITABLE]
    if not pending:
        raise ReportingError("没有需要提交的数据")
    return submit_values(pending, actor=actor, today=today)


@transaction.atomic
def approve_value(row: DataValue, *, actor: Any) -> DataValue:
    row = (
        DataValue.objects.select_for_update().select_related("indicator", "org_unit").get(pk=row.pk)
    )
    _require(actor, Role.APPROVER, row.department)
    if row.status != ValueStatus.SUBMITTED:
        raise ReportingError(f"只能审核“待审核”的数据（当前：{row.get_status_display()}）")
    _transition(
        row,
        ValueStatus.APPROVED,
        actor=actor,
        action="reporting.value.approve",
        approved_at=timezone.now(),
        approved_by=_actor_pk(actor),
    )
    facts.refresh(row.indicator, row.org_unit, row.year, row.month)
    return row


@transaction.atomic
def return_value(row: DataValue, reason: str, *, actor: Any) -> DataValue:
    row = DataValue.objects.select_for_update().get(pk=row.pk)
    _require(actor, Role.APPROVER, row.department)
    if not reason.strip():
        raise ReportingError("退回时必须填写原因")
    if row.status != ValueStatus.SUBMITTED:
        raise ReportingError(f"只能退回“待审核”的数据（当前：{row.get_status_display()}）")
    _transition(
        row,
        ValueStatus.RETURNED,
        actor=actor,
        action="reporting.value.return",
        return_reason=reason.strip(),
    )
    return row


@transaction.atomic
def reopen_value(row: DataValue, reason: str, *, actor: Any) -> DataValue:
    """The coordinator reopens an approved or locked figure for correction."""
    row = (
        DataValue.objects.select_for_update().select_related("indicator", "org_unit").get(pk=row.pk)
    )
    if not access_for(actor).is_coordinator:
        raise ReportingError("只有统筹协调员可以重新开放数据")
    if not reason.strip():
        raise ReportingError("重新开放时必须填写原因")
    if row.status not in (ValueStatus.LOCKED, ValueStatus.APPROVED):
        raise ReportingError("只能重新开放已审核或已锁定的数据")
    _transition(
        row,
        ValueStatus.RETURNED,
        actor=actor,
        action="reporting.value.reopen",
        reopened=True,
        return_reason=reason.strip(),
    )
    facts.refresh(row.indicator, row.org_unit, row.year, row.month)
    return row


@transaction.atomic
def add_attachment(row: DataValue, upload: UploadedFile, *, actor: Any) -> Attachment:
    _require(actor, Role.REPORTER, row.department)
    if row.status not in EDITABLE:
        raise ReportingError("该数据已提交，不能再添加附件")
    name = (upload.name or "").rsplit("/", 1)[-1]
    if not name.lower().endswith(settings.ATTACHMENT_TYPES):
        raise ReportingError("附件类型不支持，允许：" + "、".join(settings.ATTACHMENT_TYPES))
    if (upload.size or 0) > settings.ATTACHMENT_MAX_BYTES:
        raise ReportingError(f"附件超过 {settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)} MB")
    attachment = Attachment.objects.create(
        value=row,
        file=upload,
        name=name[:200],
        size=upload.size or 0,
        uploaded_by=_actor_pk(actor),
    )
    audit.record(
        "reporting.attachment.add",
        actor=actor,
        obj=attachment,
        after={"value": row.pk, "name": attachment.name, "size": attachment.size},
    )
    return attachment


# --- measure progress (工作进展) ----------------------------------------------------------------


@transaction.atomic
def save_progress(
    *,
    measure: Measure,
    department: Department,
    year: int,
    quarter: int,
    narrative: str,
    measure_status: str,
    cause: str = "",
    remedy: str = "",
    remedy_due: dt.date | None = None,
    actor: Any,
    expected_version: int | None = None,
) -> ProgressUpdate:
    """A lead or cooperating department's quarterly account of a measure (draft)."""
    _require(actor, Role.REPORTER, department)
    counterpart = department.counterpart or department
    if not measure.responsibilities.filter(department=counterpart).exists():
        raise ReportingError(f"{department.name}不是“{measure.title}”的责任单位")
    if quarter not in (1, 2, 3, 4):
        raise ReportingError("季度应为 1 至 4")
    if not narrative.strip():
        raise ReportingError("请填写工作进展")
    if measure_status in BEHIND_STATUSES and not (cause.strip() and remedy.strip() and remedy_due):
        raise ReportingError("进展滞后时必须填写滞后原因、整改措施和完成时限")
    row = (
        ProgressUpdate.objects.select_for_update()
        .filter(measure=measure, department=department, year=year, quarter=quarter)
        .first()
    )
    fields = {
        "narrative": narrative.strip(),
        "measure_status": measure_status,
        "cause": cause.strip(),
        "remedy": remedy.strip(),
        "remedy_due": remedy_due,
    }
    if row is None:
        row = ProgressUpdate.objects.create(
            measure=measure,
            department=department,
            year=year,
            quarter=quarter,
            updated_by=_actor_pk(actor),
            **fields,
        )
        audit.record("reporting.progress.create", actor=actor, obj=row, after=fields)
        return row
    if row.status not in EDITABLE:
        raise ReportingError(f"该进展状态为“{row.get_status_display()}”，不能修改")
    if expected_version is not None and expected_version != row.version:
        raise StaleWrite(_changed_by_message(row))
    before = {k: getattr(row, k) for k in fields}
    for key, val in fields.items():
        setattr(row, key, val)
    row.version += 1
    row.updated_by = _actor_pk(actor)
    row.save()
    audit.record("reporting.progress.update", actor=actor, obj=row, before=before, after=fields)
    return row


@transaction.atomic
def submit_progress(row: ProgressUpdate, *, actor: Any) -> ProgressUpdate:
    row = ProgressUpdate.objects.select_for_update().get(pk=row.pk)
    _require(actor, Role.REPORTER, row.department)
    if row.status not in EDITABLE:
        raise ReportingError("该进展已提交")
    row.status = ValueStatus.SUBMITTED
    row.submitted_at = timezone.now()
    row.version += 1
    row.save()
    audit.record("reporting.progress.submit", actor=actor, obj=row, after={"status": row.status})
    return row


@transaction.atomic
def review_progress(
    row: ProgressUpdate, *, approve: bool, reason: str = "", actor: Any
) -> ProgressUpdate:
    row = ProgressUpdate.objects.select_for_update().get(pk=row.pk)
    _require(actor, Role.APPROVER, row.department)
    if row.status != ValueStatus.SUBMITTED:
        raise ReportingError("只能审核“待审核”的进展")
    if not approve and not reason.strip():
        raise ReportingError("退回时必须填写原因")
    row.status = ValueStatus.APPROVED if approve else ValueStatus.RETURNED
    row.return_reason = "" if approve else reason.strip()
    row.approved_at = timezone.now() if approve else None
    row.version += 1
    row.save()
    audit.record(
        "reporting.progress." + ("approve" if approve else "return"),
        actor=actor,
        obj=row,
        after={"status": row.status, "reason": row.return_reason},
    )
    return row


def mark_notifications_read(user: Any, ids: list[int] | None = None) -> int:
    """Mark the user's own notifications read (all, or the given ids)."""
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())
