"""Every write to the entrepreneur registry; each one audited, personal data never in the log."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from chuangye.accounts.access import access_for
from chuangye.accounts.choices import Role
from chuangye.accounts.models import Department, Membership, OrgUnit
from chuangye.core import audit, crypto
from chuangye.core.validators import validate_resident_id, validate_uscc
from chuangye.monitoring import facts
from chuangye.programs.entrepreneurs.choices import VentureKind
from chuangye.programs.entrepreneurs.metrics import JOBS, SUPPORTED
from chuangye.programs.entrepreneurs.models import (
    JobRecord,
    Person,
    SupportRecord,
    SupportType,
    Venture,
)


class RegistryError(ValueError):
    """A refused write; the message is for the user (Chinese)."""


def _first(exc: ValidationError) -> str:
    return exc.messages[0] if exc.messages else str(exc)


def staff_department(actor: Any) -> Department:
    """The department in which ``actor`` is programme staff (the first one)."""
    if getattr(actor, "pk", None) is None:
        raise RegistryError("只有业务经办人员可以登记创业者信息")
    m = (
        Membership.objects.filter(
            user_id=actor.pk,
            role=Role.PROGRAMME_STAFF,
            active=True,
            department__isnull=False,
        )
        .select_related("department")
        .first()
    )
    if m is None or m.department is None:
        raise RegistryError("只有业务经办人员可以登记创业者信息")
    return m.department


def can_edit_district(actor: Any, district: OrgUnit) -> bool:
    department = staff_department(actor)
    return department.level == "city" or department.org_unit_id == district.pk


def _validate_phone(phone: str) -> str:
    digits = phone.strip().replace(" ", "").replace("-", "")
    if digits and (not digits.isdigit() or len(digits) != 11 or not digits.startswith("1")):
        raise RegistryError("手机号应为 11 位数字，以 1 开头")
    return digits


def _derive(id_number: str) -> tuple[str, dt.date]:
    gender = "M" if int(id_number[16]) % 2 else "F"
    return gender, dt.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))


@transaction.atomic
def register_person(
    *,
    name: str,
    id_number: str,
    district: OrgUnit,
    actor: Any,
    phone: str = "",
    target_group: str = "other",
    user: Any = None,
) -> Person:
    """Register an entrepreneur; the ID is validated, encrypted and indexed by keyed hash."""
    if user is None and not can_edit_district(actor, district):
        raise RegistryError(f"您不能登记{district.name}的创业者")
    name = name.strip()
    if not name or len(name) > 50:
        raise RegistryError("请填写姓名（不超过 50 字）")
    try:
        number = validate_resident_id(id_number)
    except ValidationError as exc:
        raise RegistryError(_first(exc)) from None
    digest = crypto.search_hash(number)
    if Person.objects.filter(id_hash=digest).exists():
        raise RegistryError("该身份证号已登记，请直接查询")
    phone = _validate_phone(phone)
    gender, birth = _derive(number)
    person = Person.objects.create(
        name=name,
        id_cipher=crypto.encrypt(number),
        id_hash=digest,
        id_masked=crypto.mask_id(number),
        phone_cipher=crypto.encrypt(phone),
        phone_hash=crypto.search_hash(phone) if phone else "",
        phone_masked=crypto.mask_phone(phone),
        gender=gender,
        birth_date=birth,
        target_group=target_group,
        district=district,
        user=user,
    )
    audit.record(
        "entrepreneurs.person.register",
        actor=actor,
        obj=person,
        after={"name": name, "id": person.id_masked, "district": district.code},
    )
    return person


@transaction.atomic
def update_contact(person: Person, *, phone: str, actor: Any) -> Person:
    """Change a person's phone (the person themself or registry staff)."""
    is_self = person.user_id is not None and person.user_id == getattr(actor, "pk", None)
    if not is_self and not can_edit_district(actor, person.district):
        raise RegistryError("您不能修改该创业者的信息")
    phone = _validate_phone(phone)
    before = person.phone_masked
    person.phone_cipher = crypto.encrypt(phone)
    person.phone_hash = crypto.search_hash(phone) if phone else ""
    person.phone_masked = crypto.mask_phone(phone)
    person.save(update_fields=["phone_cipher", "phone_hash", "phone_masked"])
    audit.record(
        "entrepreneurs.person.contact",
        actor=actor,
        obj=person,
        before={"phone": before},
        after={"phone": person.phone_masked},
    )
    return person


def can_unmask(actor: Any) -> bool:
    return bool(getattr(actor, "has_perm", None)) and actor.has_perm("entrepreneurs.view_unmasked")


@transaction.atomic
def unmask(person: Person, *, field: str, actor: Any, reason: str = "") -> str:
    """The clear ID or phone number, for a user allowed to see it; every unmask is logged."""
    if not can_unmask(actor):
        raise RegistryError("您没有查看完整证件号的权限")
    if field not in ("id_number", "phone"):
        raise RegistryError("未知字段")
    value = crypto.decrypt(person.id_cipher if field == "id_number" else person.phone_cipher)
    audit.record(
        "entrepreneurs.person.unmask",
        actor=actor,
        obj=person,
        after={"field": field, "reason": reason[:200]},
    )
    return value


def find_by_id_number(id_number: str) -> Person | None:
    try:
        number = validate_resident_id(id_number)
    except ValidationError:
        return None
    return Person.objects.filter(id_hash=crypto.search_hash(number)).first()


@transaction.atomic
def register_venture(
    *,
    name: str,
    kind: str,
    district: OrgUnit,
    actor: Any,
    founders: list[Person],
    credit_code: str = "",
    industry: str = "",
    registered_on: dt.date | None = None,
    address: str = "",
    staff: int = 0,
) -> Venture:
    if not can_edit_district(actor, district):
        raise RegistryError(f"您不能登记{district.name}的创业实体")
    if not name.strip():
        raise RegistryError("请填写名称")
    code = credit_code.strip().upper()
    if code and (kind == VentureKind.ENTERPRISE or len(code) == 18):
        try:
            code = validate_uscc(code)
        except ValidationError as exc:
            raise RegistryError(_first(exc)) from None
    if kind == VentureKind.ENTERPRISE and not code:
        raise RegistryError("企业须填写统一社会信用代码")
    if registered_on and registered_on > dt.date.today():
        raise RegistryError("登记日期不能晚于今天")
    venture = Venture.objects.create(
        name=name.strip(),
        kind=kind,
        credit_code=code,
        industry=industry.strip(),
        registered_on=registered_on,
        address=address.strip(),
        district=district,
        staff=staff,
    )
    venture.founders.set(founders)
    audit.record(
        "entrepreneurs.venture.register",
        actor=actor,
        obj=venture,
        after={
            "name": venture.name,
            "kind": kind,
            "credit_code": code,
            "district": district.code,
            "founders": [p.pk for p in founders],
        },
    )
    return venture


def _refresh_first_support(person: Person) -> None:
    """Recompute where and when the person was first supported; refresh both affected cells."""
    before = (person.first_supported_on, person.first_support_district_id)
    first = SupportRecord.objects.filter(person=person).order_by("date", "id").first()
    after_date = first.date if first else None
    after_unit = first.org_unit_id if first else None
    if before == (after_date, after_unit):
        return
    Person.objects.filter(pk=person.pk).update(
        first_supported_on=after_date, first_support_district_id=after_unit
    )
    person.first_supported_on, person.first_support_district_id = after_date, after_unit
    cells = {before, (after_date, after_unit)}
    units = {u.pk: u for u in OrgUnit.objects.filter(pk__in=[c[1] for c in cells if c[1]])}
    for day, unit_id in cells:
        if day is not None and unit_id is not None:
            facts.refresh_metric(SUPPORTED, units[unit_id], day.year, day.month)


@transaction.atomic
def record_support(
    *,
    person: Person,
    support_type: SupportType,
    date: dt.date,
    actor: Any,
    venture: Venture | None = None,
    amount: Decimal | None = None,
    note: str = "",
    department: Department | None = None,
    source: str = "",
) -> SupportRecord:
    """Record support; 扶持创业 counts the person once, where the first support happened."""
    department = department or staff_department(actor)
    unit = venture.district if venture else person.district
    if not source and not can_edit_district(actor, unit):
        raise RegistryError(f"您不能登记{unit.name}的扶持记录")
    if venture is not None and not venture.founders.filter(pk=person.pk).exists():
        raise RegistryError("该创业者不是这个创业实体的创办人")
    if date > dt.date.today():
        raise RegistryError("扶持日期不能晚于今天")
    if support_type.has_amount and (amount is None or amount <= 0):
        raise RegistryError(f"“{support_type.name}”需要填写金额")
    if amount is not None and amount < 0:
        raise RegistryError("金额不能为负数")
    record = SupportRecord.objects.create(
        person=person,
        venture=venture,
        support_type=support_type,
        department=department,
        org_unit=unit,
        date=date,
        amount=amount,
        note=note.strip(),
        source=source,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    _refresh_first_support(person)
    audit.record(
        "entrepreneurs.support.record",
        actor=actor,
        obj=record,
        after={
            "person": person.pk,
            "type": support_type.code,
            "date": date,
            "amount": amount,
            "department": department.code,
            "org_unit": unit.code,
        },
    )
    return record


@transaction.atomic
def delete_support(record: SupportRecord, *, actor: Any, reason: str) -> None:
    if not reason.strip():
        raise RegistryError("删除扶持记录须说明原因")
    if not access_for(actor).is_coordinator and not can_edit_district(actor, record.org_unit):
        raise RegistryError("您不能删除该扶持记录")
    person = record.person
    audit.record(
        "entrepreneurs.support.delete",
        actor=actor,
        obj=record,
        before={"person": person.pk, "date": record.date},
        after={"reason": reason},
    )
    record.delete()
    _refresh_first_support(person)


@transaction.atomic
def record_jobs(
    *, venture: Venture, date: dt.date, jobs: int, basis: str, actor: Any, note: str = ""
) -> JobRecord:
    if not can_edit_district(actor, venture.district):
        raise RegistryError(f"您不能登记{venture.district.name}的带动就业记录")
    if jobs <= 0:
        raise RegistryError("带动就业人数应为正整数")
    if date > dt.date.today():
        raise RegistryError("日期不能晚于今天")
    record = JobRecord.objects.create(
        venture=venture,
        org_unit=venture.district,
        date=date,
        jobs=jobs,
        basis=basis,
        note=note.strip(),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    facts.refresh_metric(JOBS, venture.district, date.year, date.month)
    audit.record(
        "entrepreneurs.jobs.record",
        actor=actor,
        obj=record,
        after={"venture": venture.pk, "date": date, "jobs": jobs, "basis": basis},
    )
    return record


DEFAULT_SUPPORT_TYPES = (
    ("subsidy", "一次性创业补贴", True),
    ("guarantee_loan", "创业担保贷款", True),
    ("incubation", "场地/孵化", False),
    ("training", "创业培训", False),
    ("mentor", "创业导师服务", False),
    ("other", "其他", False),
)


def ensure_support_types() -> list[SupportType]:
    return [
        SupportType.objects.get_or_create(
            code=code, defaults={"name": name, "has_amount": has_amount, "order": i}
        )[0]
        for i, (code, name, has_amount) in enumerate(DEFAULT_SUPPORT_TYPES)
    ]
