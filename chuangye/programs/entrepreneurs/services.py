"""Every write to the entrepreneur registry; each one audited, personal data never in the log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple, cast

from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.models import FilteredRelation, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone

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
    """Whether ``actor`` was granted the unmask permission (themself or through a group).

    Granted, not implied: a Django superuser passes every ``has_perm``, but reading clear ID and
    phone numbers is for staff whose work needs it (PIPL's minimum necessary), not for the
    platform administrator, whose duties are kept apart from the data (三员分立).
    """
    if not getattr(actor, "is_active", False) or getattr(actor, "pk", None) is None:
        return False
    return Permission.objects.filter(
        models.Q(user=actor) | models.Q(group__user=actor),
        content_type__app_label="entrepreneurs",
        codename="view_unmasked",
    ).exists()


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


# --- bulk writes ---------------------------------------------------------------------------------


def _adapter(f: models.Field[Any, Any], db: Any) -> Callable[[Any], Any] | None:
    """How a value of ``f`` is handed to the driver (None: as it is)."""
    if isinstance(f, models.JSONField):
        return lambda v: f.get_db_prep_save(v, db)
    if db.vendor == "postgresql":
        return None  # psycopg takes dates, times and decimals as they are
    if isinstance(f, models.DateTimeField):
        return db.ops.adapt_datetimefield_value
    if isinstance(f, models.DateField):
        return db.ops.adapt_datefield_value
    if isinstance(f, models.DecimalField):
        places = f.decimal_places
        return lambda v: db.ops.adapt_decimalfield_value(v, f.max_digits, places)
    return None


def insert_rows(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    same: Mapping[str, Any] | None = None,
) -> int:
    """INSERT many rows of ``model`` without model instances; return how many were written.

    ``columns`` names (by attname) the values of each row, ``same`` holds values every row shares;
    every other field takes its default. The hot path of bulk imports: ``bulk_create`` runs every
    value through the SQL compiler, which costs more than reading a workbook. On PostgreSQL the
    rows are streamed with ``COPY … FROM STDIN`` (the server works while the rest is still being
    sent); on SQLite one prepared statement is reused for every row. No ids come back.
    """
    db = connections[DEFAULT_DB_ALIAS]  # the wrapper itself: no proxy lookup per value
    same = dict(same or {})
    by_name = {f.attname: f for f in model._meta.concrete_fields if not f.primary_key}
    unknown = [c for c in [*columns, *same] if c not in by_name]
    if unknown:
        raise ValueError(f"{model.__name__} has no column {unknown}")
    fixed_names = [n for n in by_name if n not in columns]
    fixed: list[Any] = []
    for name in fixed_names:
        f = by_name[name]
        value = same[name] if name in same else f.get_default()
        adapt = _adapter(f, db)
        fixed.append(adapt(value) if adapt is not None and value is not None else value)
    tail = tuple(fixed)
    adapters: list[tuple[int, Callable[[Any], Any]]] = []
    for i, c in enumerate(columns):
        adapt = _adapter(by_name[c], db)
        if adapt is not None:
            adapters.append((i, adapt))

    def full(row: Sequence[Any]) -> tuple[Any, ...]:
        if adapters:
            row = list(row)
            for i, adapt in adapters:
                if row[i] is not None:
                    row[i] = adapt(row[i])
        return (*row, *tail)

    quote = db.ops.quote_name
    names = [*columns, *fixed_names]
    quoted = ", ".join(quote(str(by_name[n].column)) for n in names)
    head = f"{quote(model._meta.db_table)} ({quoted})"
    count = 0
    with db.cursor() as cursor:
        if db.vendor == "postgresql":
            texts = [_copy_text(by_name[c]) for c in columns]
            shared = _copy_texts(tail, fixed_names, by_name)
            with cursor.copy(f"COPY {head} FROM STDIN") as copy:
                if shared is None or None in texts:
                    for row in rows:  # a type without a text form here: psycopg's dumpers
                        copy.write_row(full(row))
                        count += 1
                    return count
                # The text format written directly: psycopg would look up a dumper per value.
                known = cast(list[Callable[[Any], str]], texts)
                end = f"\t{shared}\n" if fixed_names else "\n"
                lines: list[str] = []
                for row in rows:
                    values = ["\\N" if v is None else t(v) for t, v in zip(known, row, strict=True)]
                    lines.append("\t".join(values) + end)
                    if len(lines) == COPY_LINES:
                        copy.write("".join(lines))
                        lines.clear()
                    count += 1
                if lines:
                    copy.write("".join(lines))
            return count
        params = [full(row) for row in rows]
        marks = ", ".join(["%s"] * len(names))
        cursor.executemany(f"INSERT INTO {head} VALUES ({marks})", params)  # noqa: S608 - names from model meta, values bound
    return len(params)


#: Rows of ``COPY`` text handed to the driver at a time.
COPY_LINES = 500
#: ``COPY``'s text format: these characters are written as escapes (``\N`` is NULL).
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_INTEGER_TYPES = {
    "AutoField",
    "BigAutoField",
    "BigIntegerField",
    "IntegerField",
    "PositiveBigIntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SmallAutoField",
    "SmallIntegerField",
}


def _copy_escaped(value: Any) -> str:
    return str(value).translate(_COPY_ESCAPES)


def _copy_bool(value: Any) -> str:
    return "t" if value else "f"


def _copy_iso(value: Any) -> str:
    return str(value.isoformat())


def _copy_text(f: models.Field[Any, Any]) -> Callable[[Any], str] | None:
    """How a value of ``f`` is written in ``COPY``'s text format (None: not known here)."""
    target = f.target_field if isinstance(f, models.ForeignKey) else f
    kind = target.get_internal_type()
    if kind in _INTEGER_TYPES or kind == "DecimalField":
        return str
    if kind == "BooleanField":
        return _copy_bool
    if kind in ("DateField", "DateTimeField"):
        return _copy_iso
    if kind in ("CharField", "TextField"):
        return _copy_escaped
    return None


def _copy_texts(
    values: Sequence[Any], names: Sequence[str], by_name: Mapping[str, models.Field[Any, Any]]
) -> str | None:
    """The columns every row shares, in ``COPY`` text (None if one has no text form here)."""
    out = []
    for name, value in zip(names, values, strict=True):
        text = _copy_text(by_name[name])
        if value is None:
            out.append("\\N")
        elif text is None:
            return None
        else:
            out.append(text(value))
    return "\t".join(out)


def any_of(values: Collection[Any], cast: str) -> Any:
    """The right-hand side of an ``__in`` lookup for many values.

    On PostgreSQL one array parameter (``IN (SELECT unnest(%s::cast[]))``) instead of a
    placeholder per value, which Django and the driver would otherwise prepare one by one.
    """
    if connections[DEFAULT_DB_ALIAS].vendor == "postgresql":
        return RawSQL(f"SELECT unnest(%s::{cast}[])", (list(values),))  # noqa: S611 - cast is a type name from the caller, values bound
    return list(values)


# --- support and where a person is counted --------------------------------------------------------

Cell = tuple[int, int, int]  # org unit id, year, month of a 扶持创业 cell


class NewSupport(NamedTuple):
    """One support to record, by ids (the bulk path reads no model instances)."""

    person_id: int
    org_unit_id: int
    department_id: int
    date: dt.date
    venture_id: int | None = None
    amount: Decimal | None = None
    note: str = ""


@dataclass
class SupportsRecorded:
    count: int = 0
    #: 扶持创业 cells whose count may have changed (refreshed already unless ``refresh=False``)
    cells: set[Cell] = field(default_factory=set)
    #: the records written, only with ``instances=True``
    records: list[SupportRecord] = field(default_factory=list)


def _earlier(candidate: tuple[dt.date, int], current: tuple[dt.date, int] | None) -> bool:
    """The counting rule: a support moves a person's count only if it comes first.

    Supports are ordered by date, then by the order in which they were recorded; a person is
    counted once in 扶持创业, in the month and district of the first one, whichever department
    gave it.
    """
    return current is None or candidate < current


def _cell(day: dt.date | None, unit: int | None) -> Cell | None:
    return (unit, day.year, day.month) if day is not None and unit is not None else None


def refresh_supported(cells: Iterable[Cell]) -> None:
    """Recompute the 扶持创业 Fact cells (district and city) in the caller's transaction."""
    cells = sorted(set(cells))
    if not cells:
        return
    units = {u.pk: u for u in OrgUnit.objects.filter(pk__in={c[0] for c in cells})}
    for unit_id, year, month in cells:
        facts.refresh_metric(SUPPORTED, units[unit_id], year, month)


@transaction.atomic
def record_supports_bulk(
    rows: Sequence[NewSupport],
    *,
    support_type: SupportType,
    actor: Any,
    source: str = "",
    refresh: bool = True,
    instances: bool = False,
) -> SupportsRecorded:
    """Write supports already checked by the caller, and move where each person is counted.

    The one place of the counting rule for new supports (see ``_earlier``): one query locks the
    persons and reads their first supports, one statement unmarks those that are superseded and
    one writes the records, the new first supports marked; the persons' rows are not written.
    Runs in the caller's transaction (all or nothing with the caller's other writes). With
    ``refresh`` the affected 扶持创业 cells are recomputed at once; otherwise the caller gathers
    ``cells`` over many calls and passes them to ``refresh_supported`` at the end.
    ``instances`` writes through the ORM and returns the records (for a single record that needs
    its id); the default streams the rows and returns none. Auditing is the caller's: one entry
    per record for a single support, one for a whole import.
    """
    result = SupportsRecorded()
    if not rows:
        return result
    created_by = actor.pk if getattr(actor, "pk", None) else None
    now = timezone.now()
    # Where each person is counted now (one query), their rows locked so that two writers for
    # the same person take turns; ``order`` ranks what this call adds after what exists.
    first_support = FilteredRelation("supports", condition=Q(supports__first=True))
    current: dict[int, tuple[int, dt.date, int]] = {
        person: (pk, day, unit)
        for person, pk, day, unit in Person.objects.filter(
            pk__in=any_of({r.person_id for r in rows}, "bigint")
        )
        .annotate(current=first_support)
        .order_by("pk")
        .select_for_update(no_key=True, of=("self",))
        .values_list("pk", "current__pk", "current__date", "current__org_unit_id")
        if pk is not None
    }
    rank: dict[int, tuple[dt.date, int]] = {p: (day, -1) for p, (_pk, day, _u) in current.items()}
    winner: dict[int, int] = {}  # person → the row of ``rows`` that becomes their first support
    for order, r in enumerate(rows):
        if _earlier((r.date, order), rank.get(r.person_id)):
            rank[r.person_id] = (r.date, order)
            winner[r.person_id] = order
    firsts = set(winner.values())
    for person, order in winner.items():
        before = current.get(person)
        if before is not None:
            result.cells.add((before[2], before[1].year, before[1].month))
        r = rows[order]
        result.cells.add((r.org_unit_id, r.date.year, r.date.month))
    superseded = [current[p][0] for p in winner if p in current]
    if superseded:
        # Before the new first supports are written: one first support per person (unique).
        SupportRecord.objects.filter(pk__in=any_of(superseded, "bigint")).update(first=False)
    if instances:
        result.records = SupportRecord.objects.bulk_create(
            SupportRecord(
                person_id=r.person_id,
                venture_id=r.venture_id,
                support_type=support_type,
                department_id=r.department_id,
                org_unit_id=r.org_unit_id,
                date=r.date,
                amount=r.amount,
                note=r.note,
                source=source,
                first=order in firsts,
                created_by_id=created_by,
            )
            for order, r in enumerate(rows)
        )
    else:
        insert_rows(
            SupportRecord,
            (
                "person_id",
                "venture_id",
                "department_id",
                "org_unit_id",
                "date",
                "amount",
                "note",
                "first",
            ),
            (
                (
                    r.person_id,
                    r.venture_id,
                    r.department_id,
                    r.org_unit_id,
                    r.date,
                    r.amount,
                    r.note,
                    order in firsts,
                )
                for order, r in enumerate(rows)
            ),
            same={
                "support_type_id": support_type.pk,
                "source": source,
                "created_at": now,
                "created_by_id": created_by,
            },
        )
    result.count = len(rows)
    if refresh:
        refresh_supported(result.cells)
    return result


def _refresh_first_support(person: Person, counted: Cell) -> None:
    """After the person's first support (counted in ``counted``) was deleted: mark the next."""
    supports = SupportRecord.objects.filter(person=person)
    first = supports.order_by("date", "id").first()
    if first is not None:
        supports.filter(pk=first.pk).update(first=True)
    refresh_supported(
        [counted, *([(first.org_unit_id, first.date.year, first.date.month)] if first else [])]
    )


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
    done = record_supports_bulk(
        [
            NewSupport(
                person_id=person.pk,
                org_unit_id=unit.pk,
                department_id=department.pk,
                date=date,
                venture_id=venture.pk if venture else None,
                amount=amount,
                note=note.strip(),
            )
        ],
        support_type=support_type,
        actor=actor,
        source=source,
        instances=True,
    )
    record = done.records[0]
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
    counted = _cell(record.date, record.org_unit_id) if record.first else None
    record.delete()
    if counted is not None:
        _refresh_first_support(person, counted)


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
