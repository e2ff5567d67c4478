"""Deterministic synthetic data: the city's units and staff, and the demo personas.

Everything is fictitious. ``scale`` multiplies the volumes (for benchmarks); ``seed`` makes
the output repeatable.
"""

from __future__ import annotations

import datetime as dt
import random
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from chuangye.accounts import services as accounts
from chuangye.accounts.choices import DepartmentLevel, Role
from chuangye.accounts.models import Department, OrgUnit, User
from chuangye.accounts.reference import CITY_CODE
from chuangye.accounts.twofactor import demo_key

#: Resident population by unit, summing to the city's ~2.8 million (demo sizing only).
POPULATION = {
    "371002": 520_000,
    "371003": 560_000,
    "371082": 700_000,
    "371083": 450_000,
    "371071": 250_000,
    "371072": 230_000,
    "371073": 80_000,
    "371074": 10_000,
}
POPULATION[CITY_CODE] = sum(POPULATION.values())

#: Extra cities' codes start with 99 (no such province): never a real region.
EXTRA_CITY_PREFIX = "99"
EXTRA_CITY_ORDER = 100

SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜"


@dataclass(frozen=True)
class Persona:
    username: str
    display_name: str
    role: str
    department: str | None = None  # department code
    org_unit: str | None = None  # org unit code
    superuser: bool = False


PERSONAS: tuple[Persona, ...] = (
    Persona("coordinator", "演示·统筹协调员", Role.COORDINATOR, department="rsj"),
    Persona("leader", "演示·市领导", Role.LEADER, org_unit=CITY_CODE),
    Persona("reporter_huancui", "演示·环翠区填报员", Role.REPORTER, department="371002-rsj"),
    Persona("approver_huancui", "演示·环翠区审核员", Role.APPROVER, department="371002-rsj"),
    Persona("reporter_wendeng", "演示·文登区填报员", Role.REPORTER, department="371003-rsj"),
    Persona("reporter_rsj", "演示·市人社局填报员", Role.REPORTER, department="rsj"),
    Persona("auditor", "演示·审计员", Role.AUDITOR, org_unit=CITY_CODE),
    Persona("entrepreneur", "演示·创业者", Role.ENTREPRENEUR, org_unit="371002"),
    Persona("admin", "演示·系统管理员", Role.ADMIN, org_unit=CITY_CODE, superuser=True),
    Persona("loan_officer", "演示·市人社局经办", Role.PROGRAMME_STAFF, department="rsj"),
    Persona("street_officer", "演示·环翠区街道经办", Role.PROGRAMME_STAFF, department="371002-rsj"),
    Persona("sysadmin", "演示·系统管理员（三员）", Role.SYS_ADMIN, org_unit=CITY_CODE),
    Persona("secadmin", "演示·安全管理员（三员）", Role.SECURITY_ADMIN, org_unit=CITY_CODE),
)


def persona_names() -> list[tuple[str, str]]:
    """(username, display name) of every demo persona: the plan's and the loan programme's
    officers (the guarantor's and the bank's, created with the loans demo)."""
    from chuangye.programs.loans.demo import OFFICERS

    return [(p.username, p.display_name) for p in PERSONAS] + [
        (username, display) for username, display, _code in OFFICERS
    ]


#: Extra Django permissions of some personas (codename with app label).
PERSONA_PERMISSIONS = {"loan_officer": ["entrepreneurs.view_unmasked"]}


@dataclass
class DemoResult:
    personas: list[str] = field(default_factory=list)
    staff_accounts: int = 0
    org_units: int = 0
    departments: int = 0


def _grant(user: User, persona: Persona) -> None:
    department = Department.objects.get(code=persona.department) if persona.department else None
    org_unit = OrgUnit.objects.get(code=persona.org_unit) if persona.org_unit else None
    accounts.grant_role(user, persona.role, actor=None, department=department, org_unit=org_unit)


@transaction.atomic
def build_demo(
    *,
    scale: int = 1,
    seed: int = 2025,
    password: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> DemoResult:
    """Create (idempotently) the reference data, the personas and the district staff."""
    rng = random.Random(seed)  # noqa: S311 - reproducible fictitious names, not secrets
    password = password or settings.DEMO_PASSWORD
    result = DemoResult()
    result.org_units, result.departments = accounts.ensure_reference_data(actor=None)
    for unit in OrgUnit.objects.filter(code__in=POPULATION):
        if unit.population != POPULATION[unit.code]:
            unit.population = POPULATION[unit.code]
            unit.save(update_fields=["population"])
    for persona in PERSONAS:
        user = User.objects.filter(username=persona.username).first()
        if user is None:
            user = accounts.create_user(
                persona.username,
                actor=None,
                password=password,
                display_name=persona.display_name,
                is_staff=persona.superuser,
                is_superuser=persona.superuser,
            )
        _grant(user, persona)
        if persona.role != Role.ENTREPRENEUR:
            # Staff sign in with a second factor; the demo's key is derived from the demo
            # password so `chuangye manage demo_totp USERNAME` can show the current code.
            accounts.install_totp_device(user, demo_key(persona.username, password), actor=None)
        for perm in PERSONA_PERMISSIONS.get(persona.username, []):
            accounts.grant_permission(user, perm, actor=None)
        result.personas.append(persona.username)
    if progress:
        progress(len(PERSONAS))
    # Each district bureau gets ``scale`` reporters and one approver: the people who file figures.
    bureaus = Department.objects.filter(level=DepartmentLevel.DISTRICT).select_related("org_unit")
    existing = set(
        User.objects.filter(username__startswith="staff_").values_list("username", flat=True)
    )
    for bureau in bureaus:
        for i in range(scale + 1):
            role = Role.APPROVER if i == 0 else Role.REPORTER
            username = f"staff_{bureau.code}_{role}_{i}"
            if username not in existing:
                name = f"{rng.choice(SURNAMES)}某{i}（演示）"
                user = accounts.create_user(username, actor=None, password=None, display_name=name)
                accounts.grant_role(user, role, actor=None, department=bureau)
            result.staff_accounts += 1
        if progress:
            progress(1)
    return result


# --- the plan at work: who reports what, allocation, rounds and a history of figures -------------

#: subject fragment → (owner department code or None for district bureaus, by district, frequency)
INDICATOR_SETUP: tuple[tuple[str, str | None, bool, str], ...] = (
    ("扶持创业", None, True, "monthly"),
    ("带动就业", None, True, "monthly"),
    ("专精特新企业", "gxj", True, "quarterly"),
    ("名特优新", "scjgj", True, "quarterly"),
    ("高层次科技人才团队", "kjj", False, "quarterly"),
    ("普惠小微", "rmyh", False, "monthly"),
    ("各贷款增速", "rmyh", False, "monthly"),
    ("创业担保贷款", "rsj", True, "monthly"),
    ("经营性贷款", "rmyh", True, "monthly"),
    ("优质项目", "rsj", False, "monthly"),
    ("创业促进活动", None, True, "monthly"),
    ("青年人才", "zzb", True, "quarterly"),
    ("大学生创新创业训练计划", "jyj", False, "quarterly"),
    ("市级创业街区", None, True, "quarterly"),
    ("省级创业街区", "rsj", False, "quarterly"),
    ("青年双创阵地", "tsw", False, "quarterly"),
    ("高素质农民", "nyncj", False, "quarterly"),
    ("中小企业中高级管理人才", "gxj", False, "quarterly"),
    ("重点企业主要负责人", "gxj", False, "quarterly"),
    ("青年培训", "tsw", False, "quarterly"),
    ("导师工作室", "rsj", False, "monthly"),
    ("导师库", "rsj", False, "monthly"),
    ("进基层公益活动", "rsj", False, "monthly"),
)

#: Indicators a programme registry feeds (collect once: never asked of reporters).
REGISTRY_SOURCES = {
    "扶持创业": "entrepreneurs.supported_persons",
    "带动就业": "entrepreneurs.jobs_created",
    "创业担保贷款": "loans.disbursed_amount",
}

#: How each district performs against its share (1.0 = exactly on plan): some lead, some lag.
PACE = {
    "371002": 1.08,
    "371003": 0.97,
    "371082": 1.02,
    "371083": 0.84,
    "371071": 1.12,
    "371072": 0.93,
    "371073": 0.78,
    "371074": 1.0,
}


#: preamble target subject fragment → measures (by number) whose delivery drives it
DELIVERY_CHAIN: tuple[tuple[str, tuple[int, ...]], ...] = (
    ("扶持创业", (1, 2, 7, 13, 17, 18, 20)),
    ("带动就业", (1, 6, 16, 17, 19)),
    ("专精特新", (4, 5, 21)),
    ("名特优新", (7, 22)),
    ("高层次科技人才团队", (3, 11, 12)),
    ("普惠小微", (7,)),
    ("创业担保贷款", (7, 10)),
    ("经营性贷款", (7,)),
    ("优质项目", (24,)),
    ("创业促进活动", (2, 20, 23, 24)),
)


def configure_delivery_chain(plan: Any) -> int:
    from chuangye.plans.services import set_delivery_chain

    measures = {m.number: m for m in plan.measures.all()}
    done = 0
    for target in plan.targets.filter(measure__isnull=True):
        for fragment, numbers in DELIVERY_CHAIN:
            if fragment in target.subject and not target.served_by.exists():
                set_delivery_chain(
                    target, [measures[n] for n in numbers if n in measures], actor=None
                )
                done += 1
                break
    return done


def configure_indicators(plan: Any) -> int:
    from chuangye.plans.services import configure_indicator

    departments = {d.code: d for d in Department.objects.filter(level=DepartmentLevel.CITY)}
    done = 0
    for indicator in plan.indicators.all():
        for fragment, owner, by_district, frequency in INDICATOR_SETUP:
            if fragment in indicator.name:
                configure_indicator(
                    indicator,
                    actor=None,
                    owner=departments.get(owner) if owner else None,
                    by_district=by_district,
                    frequency=frequency,
                    source=REGISTRY_SOURCES.get(fragment, indicator.source),
                )
                done += 1
                break
    return done


def _month_range(start: tuple[int, int], end: tuple[int, int]) -> list[tuple[int, int]]:
    months = []
    y, m = start
    while (y, m) <= end:
        months.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return months


def build_history(plan: Any, today: dt.date, *, seed: int = 2025) -> int:
    """Approved monthly figures from the plan's start to two months ago, written in bulk.

    The month before ``today`` is left for the demo reporters to fill: its round is kept open.
    """
    from chuangye.plans.allocation import allocation_base
    from chuangye.reporting import services as reporting
    from chuangye.reporting.duties import duties
    from chuangye.reporting.models import DataValue

    rng = random.Random(seed)  # noqa: S311 - reproducible synthetic figures
    reporting.ensure_rounds(plan, today)
    last_y, last_m = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    history_end = (last_y, last_m - 1) if last_m > 1 else (last_y - 1, 12)
    months = _month_range((plan.period_start, 1), history_end)
    years = plan.period_end - plan.period_start + 1
    population = {
        u.pk: (u.population or 1)
        for u in OrgUnit.objects.exclude(code__startswith=EXTRA_CITY_PREFIX)
    }
    city_population = sum(p for pk, p in population.items() if pk != _city_pk())
    targets = {t.indicator_id: t for t in plan.targets.all()}
    refs = {
        t.reference_indicator_id: t for t in plan.targets.filter(reference_indicator__isnull=False)
    }
    rows: list[DataValue] = []
    now = timezone.now()
    for year, month in months:
        for duty in duties(plan, month, include_prefilled=False):
            ind = duty.indicator
            target = targets.get(ind.pk)
            share = (
                population[duty.org_unit.pk] / city_population if duty.org_unit.parent_id else 1.0
            )
            pace = PACE.get(duty.org_unit.code, 1.0) if duty.org_unit.parent_id else 0.96
            if ind.unit == "%":
                base = 9.0 if ind.pk in refs else 11.5
                value = Decimal(str(round(base + rng.uniform(-1.2, 1.2), 2)))
            else:
                annual = float(allocation_base(target)) if target else 12.0
                if target and not target.per_year:
                    annual /= years
                per_report = annual / (4 if ind.frequency == "quarterly" else 12)
                raw = per_report * share * pace * rng.uniform(0.75, 1.25)
                value = Decimal(round(raw)) if ind.is_count else Decimal(str(round(raw, 2)))
            rows.append(
                DataValue(
                    indicator=ind,
                    org_unit=duty.org_unit,
                    department=duty.department,
                    year=year,
                    month=month,
                    value=max(value, Decimal(0)),
                    status="locked",
                    submitted_at=now,
                    approved_at=now,
                )
            )
    DataValue.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
    # Keep last month's round open for the demo: the coordinator extended its deadline.
    latest = plan.rounds.filter(year=last_y, month=last_m).first()
    if latest is not None and latest.locks_on <= today:
        from chuangye.reporting.calendar import WorkCalendar

        cal = WorkCalendar()
        latest.deadline = cal.add_workdays(today, 3)
        latest.locks_on = cal.add_workdays(latest.deadline, 5)
        latest.save(update_fields=["deadline", "locks_on"])
    return len(rows)


def _city_pk() -> int:
    return OrgUnit.objects.get(code=CITY_CODE).pk


@transaction.atomic
def build_plan_demo(
    *,
    today: dt.date | None = None,
    seed: int = 2025,
    scale: int = 1,
    cities: int = 1,
    progress: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Configure the active plan's indicators, activate an allocation, fill history (idempotent).

    ``scale`` multiplies the registry; with ``cities`` > 1 that volume is spread over Weihai and
    ``cities - 1`` fictitious cities (by population), so the database holds a province's records
    while the plan, its figures and its cockpit stay Weihai's.
    """
    from chuangye.plans.choices import AllocationStatus
    from chuangye.plans.models import Plan
    from chuangye.plans.services import activate_allocation, propose_allocation
    from chuangye.reporting.models import DataValue

    plan = Plan.objects.filter(is_active=True).first()
    if plan is None:
        return {}
    today = today or timezone.localdate()
    result = {"indicators": configure_indicators(plan), "chain": configure_delivery_chain(plan)}
    if not plan.allocations.filter(status=AllocationStatus.ACTIVE).exists():
        version = plan.allocations.filter(status=AllocationStatus.DRAFT).first()
        version = version or propose_allocation(plan, actor=None)
        activate_allocation(version, actor=None)
    if not DataValue.objects.filter(indicator__plan=plan).exists():
        result["values"] = build_history(plan, today, seed=seed)
    from chuangye.programs.entrepreneurs.models import Person

    share = 1.0 / max(cities, 1)  # the fictitious cities are shaped like Weihai
    if not Person.objects.exists():
        result["registry"] = build_registry(
            plan, today, seed=seed, scale=scale, share=share, progress=progress
        )
    from chuangye.programs.loans.demo import build_loans_demo

    # Loans are Weihai's: they grow with Weihai's share of the registry, not the province's.
    # Their setup looks for the city as the only root, so it runs before any fictitious city
    # exists (on a rerun with fictitious cities it has already run).
    if not OrgUnit.objects.filter(code__startswith=EXTRA_CITY_PREFIX).exists():
        loans_scale = max(1, round(scale * share))
        result.update(
            {
                f"loans_{k}": v
                for k, v in build_loans_demo(plan, today, seed=seed, scale=loans_scale).items()
            }
        )
    if cities > 1:
        # After the loans demo, which looks for Weihai as the only root.
        districts = ensure_extra_cities(cities)
        if not Person.objects.filter(district__code__startswith=EXTRA_CITY_PREFIX).exists():
            result["registry_extra_cities"] = build_registry(
                plan,
                today,
                seed=seed + 1,
                scale=scale,
                share=1.0 - share,
                districts=districts,
                progress=progress,
                link_persona=False,
            )
    from chuangye.monitoring import facts

    facts.rebuild()
    return result


# --- the entrepreneur registry: people, ventures, support and jobs (all fictitious) -------------

GIVEN = "一二三四五六七八九十甲乙丙丁戊己庚辛壬癸"
INDUSTRIES = (
    "餐饮",
    "零售",
    "海产品加工",
    "电子商务",
    "文化旅游",
    "软件和信息技术",
    "现代农业",
    "医疗器械",
)


def fictitious_id(region: str, birth: dt.date, seq: int) -> str:
    """A resident ID with a valid check character, from a sequence: never a real person's."""
    from chuangye.core.validators import id_check_char

    body = f"{region}{birth:%Y%m%d}{seq % 1000:03d}"
    return body + id_check_char(body)


def _unique_id(rng: random.Random, region: str, used: set[int]) -> tuple[str, dt.date]:
    while True:
        birth = dt.date(rng.randint(1968, 2003), rng.randint(1, 12), rng.randint(1, 28))
        number = fictitious_id(region, birth, rng.randint(0, 999))
        key = hash(number)
        if key not in used:
            used.add(key)
            return number, birth


def fictitious_uscc(seq: int) -> str:
    from chuangye.core.validators import uscc_check_char

    body = f"92371000MA{seq:07d}"[:17]
    return body + uscc_check_char(body)


# --- fictitious cities: a province's worth of units holding registry records ---------------------


def ensure_extra_cities(cities: int) -> list[OrgUnit]:
    """Create (idempotently) ``cities - 1`` fictitious cities beside Weihai; return their districts.

    Each is a separate root shaped like Weihai (four districts and four zones, similar
    population) with one 人社局 of its own. They hold registry records only: the plan, its
    allocation, duties and reporting stay Weihai's, and Weihai's figures never include them.
    """
    weihai = [POPULATION[c] for c in sorted(PACE)]
    districts: list[OrgUnit] = []
    for n in range(1, cities):
        city_code = f"{EXTRA_CITY_PREFIX}{n:02d}00"
        city, _ = OrgUnit.objects.update_or_create(
            code=city_code,
            defaults={
                "name": f"演示第{n}市",
                "short_name": f"演示{n}市",
                "kind": "city",
                "parent": None,
                "population": sum(weihai),
                "order": EXTRA_CITY_ORDER + n * 10,
            },
        )
        Department.objects.update_or_create(
            code=f"{city_code}-rsj",
            defaults={
                "name": f"演示第{n}市人力资源社会保障局",
                "level": DepartmentLevel.CITY,
                "org_unit": city,
                "order": EXTRA_CITY_ORDER + n,
            },
        )
        for k, population in enumerate(weihai, start=1):
            unit, _ = OrgUnit.objects.update_or_create(
                code=f"{EXTRA_CITY_PREFIX}{n:02d}{k:02d}",
                defaults={
                    "name": f"演示第{n}市第{k}{'区' if k <= 4 else '功能区'}",
                    "short_name": f"演示{n}市{k}{'区' if k <= 4 else '功能区'}",
                    "kind": "county" if k <= 4 else "zone",
                    "parent": city,
                    "population": population,
                    "order": EXTRA_CITY_ORDER + n * 10 + k,
                },
            )
            districts.append(unit)
    return districts


def extra_city_units() -> list[OrgUnit]:
    """Every unit of the fictitious cities (roots and their districts)."""
    return list(OrgUnit.objects.filter(code__startswith=EXTRA_CITY_PREFIX).order_by("order"))


class _TableWriter:
    """Append plain-tuple rows to one table with explicit ids: COPY on PostgreSQL, else executemany.

    Much cheaper than model instances and ``bulk_create`` for millions of rows; the caller
    resets the id sequences afterwards (``_reset_sequences``).
    """

    def __init__(self, model: Any, fields: list[str]) -> None:
        from django.db import connection

        self.connection = connection
        opts = model._meta
        self.table = opts.db_table
        self.columns = [opts.get_field(f).column for f in fields]
        self.next_id = (model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
        quoted = ", ".join(connection.ops.quote_name(c) for c in ["id", *self.columns])
        name = connection.ops.quote_name(self.table)
        if connection.vendor == "postgresql":
            self.sql = f"COPY {name} ({quoted}) FROM STDIN"
        else:
            marks = ", ".join(["%s"] * (len(self.columns) + 1))
            # Table and column names come from model metadata, never from input.
            self.sql = f"INSERT INTO {name} ({quoted}) VALUES ({marks})"  # noqa: S608

    def take_ids(self, n: int) -> range:
        ids = range(self.next_id, self.next_id + n)
        self.next_id += n
        return ids

    def write(self, rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        with self.connection.cursor() as cursor:
            if self.connection.vendor == "postgresql":
                # Values are digits, dates, base64, hex and CJK names: nothing to escape.
                with cursor.cursor.copy(self.sql) as copy:
                    lines = ["\t".join("\\N" if v is None else str(v) for v in row) for row in rows]
                    copy.write("\n".join(lines) + "\n")
            else:
                cursor.executemany(self.sql, rows)


def _reset_sequences(models: list[Any]) -> None:
    from django.core.management.color import no_style
    from django.db import connection

    statements = connection.ops.sequence_reset_sql(no_style(), models)
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


TARGET_GROUPS = ("graduate", "returnee", "unemployed", "farmer", "online", "veteran", "other")


def build_registry(
    plan: Any,
    today: dt.date,
    *,
    seed: int = 2025,
    scale: int = 1,
    progress: Callable[[int], None] | None = None,
    districts: list[OrgUnit] | None = None,
    share: float = 1.0,
    link_persona: bool = True,
) -> int:
    """Persons, ventures, support and job records sized to the plan's targets, streamed by month.

    ``districts`` (default: Weihai's) receive ``share`` of the volume, weighted by population
    and pace. Rows are written as plain tuples with explicit ids (COPY on PostgreSQL): millions
    of records take minutes. Returns the number of registry records written.
    """
    from django.db import connection

    from chuangye.core import crypto
    from chuangye.core.validators import id_check_char
    from chuangye.programs.entrepreneurs.models import JobRecord, Person, SupportRecord, Venture
    from chuangye.programs.entrepreneurs.services import ensure_support_types

    rng = random.Random(seed + 7)  # noqa: S311 - reproducible synthetic records
    types = {t.code: t for t in ensure_support_types()}
    if districts is None:
        districts = list(
            OrgUnit.objects.filter(kind__in=["county", "zone"])
            .exclude(code__startswith=EXTRA_CITY_PREFIX)
            .order_by("order")
        )
    weights = [(d.population or 1) * PACE.get(d.code, 1.0) for d in districts]
    cum: list[float] = []
    running = 0.0
    for w in weights:
        running += w
        cum.append(running)
    bureau = {d.org_unit_id: d.pk for d in Department.objects.filter(code__endswith="-rsj")}
    dept = {d.pk: bureau.get(d.pk, bureau.get(d.parent_id or 0)) for d in districts}
    end = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    months = _month_range((plan.period_start, 1), end)
    per_month = int(19000 / 24 * 0.97 * scale * share)
    region = {
        d.pk: (
            d.code
            if (d.code.startswith("3710") and d.kind == "county")
            or d.code.startswith(EXTRA_CITY_PREFIX)
            else "371002"
        )
        for d in districts
    }
    used: set[int] = set()  # regions differ between calls: ids never repeat
    supported = [types[c].pk for c in ("subsidy", "incubation", "training", "mentor")]
    training = types["training"].pk
    created = timezone.now().isoformat(sep=" ")
    person_w = _TableWriter(
        Person,
        [
            "name",
            "id_cipher",
            "id_hash",
            "id_masked",
            "phone_cipher",
            "phone_hash",
            "phone_masked",
            "gender",
            "birth_date",
            "target_group",
            "district",
            "user",
            "created_at",
        ],
    )
    venture_w = _TableWriter(
        Venture,
        [
            "name",
            "kind",
            "credit_code",
            "industry",
            "registered_on",
            "address",
            "district",
            "staff",
            "created_at",
        ],
    )
    founder_w = _TableWriter(Venture.founders.through, ["venture", "person"])
    support_w = _TableWriter(
        SupportRecord,
        [
            "person",
            "venture",
            "support_type",
            "department",
            "org_unit",
            "date",
            "amount",
            "note",
            "source",
            "created_at",
            "created_by",
            "first",
        ],
    )
    job_w = _TableWriter(
        JobRecord,
        ["venture", "org_unit", "date", "jobs", "basis", "note", "created_at", "created_by"],
    )
    seq = Venture.objects.count()  # credit codes continue after any existing ventures
    encrypt, digest = crypto.encrypt, crypto.search_hash
    random_, randint, choice = rng.random, rng.randint, rng.choice
    n_given, n_ind = len(GIVEN), len(INDUSTRIES)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size=-262144")  # 256 MB for the random-key indexes
    total = 0
    for year, month in months:
        count = int(per_month * rng.uniform(0.8, 1.2))
        pids = person_w.take_ids(count)
        vids = venture_w.take_ids(count)
        persons: list[tuple[Any, ...]] = []
        ventures: list[tuple[Any, ...]] = []
        founders: list[tuple[Any, ...]] = []
        supports: list[tuple[Any, ...]] = []
        jobs: list[tuple[Any, ...]] = []
        for i in range(count):
            seq += 1
            d = districts[_bisect(cum, random_() * running)]
            reg = region[d.pk]
            while True:
                birth = dt.date(randint(1968, 2003), randint(1, 12), randint(1, 28))
                body = f"{reg}{birth:%Y%m%d}{randint(0, 999):03d}"
                key = int(body)
                if key not in used:
                    used.add(key)
                    break
            number = body + id_check_char(body)
            phone = f"13{seq % 10**9:09d}"
            day = dt.date(year, month, randint(1, 28)).isoformat()
            pid, vid = pids[i], vids[i]
            persons.append(
                (
                    pid,
                    f"{choice(SURNAMES)}某{GIVEN[seq % n_given]}{seq}",
                    encrypt(number),
                    digest(number),
                    crypto.mask_id(number),
                    encrypt(phone),
                    digest(phone),
                    crypto.mask_phone(phone),
                    "M" if int(number[16]) % 2 else "F",
                    birth.isoformat(),
                    choice(TARGET_GROUPS),
                    d.pk,
                    None,
                    created,
                )
            )
            industry = INDUSTRIES[i % n_ind]
            ventures.append(
                (
                    vid,
                    f"演示{industry}{seq}号",
                    "enterprise" if i % 3 == 0 else "individual",
                    fictitious_uscc(seq),
                    industry,
                    day,
                    "",
                    d.pk,
                    randint(1, 12),
                    created,
                )
            )
            founders.append((vid, vid, pid))
            dep = dept[d.pk]
            if dep is None:
                continue
            # The first support the person got is the one 扶持创业 counts.
            given = (None, pid, vid, choice(supported), dep, d.pk, day, None, "", "demo")
            supports.append((*given, created, None, True))
            if random_() < 0.3:
                supports.append((*given[:3], training, *given[4:], created, None, False))
            jobs.append(
                (None, vid, d.pk, day, randint(1, 5), "social_insurance", "", created, None)
            )
        sids = support_w.take_ids(len(supports))
        supports = [(sid, *row[1:]) for sid, row in zip(sids, supports, strict=True)]
        jids = job_w.take_ids(len(jobs))
        jobs = [(jid, *row[1:]) for jid, row in zip(jids, jobs, strict=True)]
        fids = founder_w.take_ids(len(founders))
        founders = [(fid, *row[1:]) for fid, row in zip(fids, founders, strict=True)]
        person_w.write(persons)
        venture_w.write(ventures)
        founder_w.write(founders)
        support_w.write(supports)
        job_w.write(jobs)
        total += len(persons) + len(ventures) + len(supports) + len(jobs)
        if progress:
            progress(1)
    _reset_sequences([Person, Venture, Venture.founders.through, SupportRecord, JobRecord])
    if link_persona:
        _link_entrepreneur_persona(types)
    return total


def _bisect(cum: list[float], x: float) -> int:
    return min(bisect_right(cum, x), len(cum) - 1)


def _link_entrepreneur_persona(types: dict[str, Any]) -> None:
    """The demo entrepreneur gets a registry record of their own (region code never generated)."""
    from chuangye.programs.entrepreneurs.models import Person
    from chuangye.programs.entrepreneurs.services import register_person

    user = User.objects.filter(username="entrepreneur").first()
    if user is None or Person.objects.filter(user=user).exists():
        return
    register_person(
        name="演示创业者",
        id_number=fictitious_id("371000", dt.date(1996, 5, 20), 999),
        district=OrgUnit.objects.get(code="371002"),
        actor=user,
        phone="13800000000",
        target_group="graduate",
        user=user,
    )
