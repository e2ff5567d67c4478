"""A bank's disbursement list (Excel): matched to bank-approved applications, all or nothing.

The workbook is read as a stream (openpyxl ``read_only``) and handled in batches: each batch's
application numbers and bank loan numbers are looked up with one ``__in`` query each, and the
loans, support records and steps of a batch are written with bulk inserts inside the one
transaction. Rows keep being checked after the first problem, so the bank sees every problem at
once; if there is any, the transaction is rolled back and nothing is saved. Memory stays flat
however long the file is: only one batch and the list of problems (capped) are held.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO, Any, NamedTuple

from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from chuangye.accounts.models import Department, OrgUnit
from chuangye.core import audit
from chuangye.monitoring import facts
from chuangye.programs.entrepreneurs.metrics import SUPPORTED
from chuangye.programs.entrepreneurs.models import Person, SupportRecord
from chuangye.programs.loans import services, subsidy
from chuangye.programs.loans.choices import DISBURSED as DISBURSED_STATUSES
from chuangye.programs.loans.choices import STAGE_ORDER, Status, StepAction
from chuangye.programs.loans.metrics import DISBURSED
from chuangye.programs.loans.models import DisbursementImport, Loan, LoanApplication, LoanStep
from chuangye.programs.loans.selectors import roles_for
from chuangye.reporting.excel import export_table

COL_NUMBER = "申请编号"
COL_NAME = "借款人姓名"
COL_ID4 = "身份证号后四位"
COL_AMOUNT = "放款金额（元）"
COL_DATE = "放款日期"
COL_LOAN = "银行贷款编号"
HEADERS = (COL_NUMBER, COL_NAME, COL_ID4, COL_AMOUNT, COL_DATE, COL_LOAN)
FIELD_COLUMNS = {
    "application": COL_NUMBER,
    "amount": COL_AMOUNT,
    "date": COL_DATE,
    "bank_loan_number": COL_LOAN,
}
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
#: A small zip can expand enormously; a 100,000-row list unpacks to far less than this.
MAX_UNPACKED_BYTES = 500 * 1024 * 1024
HEADER_SEARCH_ROWS = 10
BATCH = 2000
MAX_ERRORS = 100


class DisbursementImportError(services.LoanError):
    """The file was refused as a whole; ``errors`` lists the problems (row and reason)."""

    def __init__(self, errors: list[str], more: int = 0) -> None:
        if more:
            errors = [*errors, _("另有 %(n)s 处问题未列出") % {"n": more}]
        super().__init__("；".join(errors))
        self.errors = errors


@dataclass
class ImportResult:
    loans: int = 0
    amount: Decimal = Decimal(0)
    batch: DisbursementImport | None = None


@dataclass
class _Row:
    number: int
    application_no: str
    name: str
    id4: str
    amount: Decimal
    day: dt.date
    loan_no: str


@dataclass
class _State:
    """What the import has learnt so far (small: no row data beyond the current batch)."""

    errors: list[str] = field(default_factory=list)
    more: int = 0
    loans: int = 0
    amount: Decimal = Decimal(0)
    loan_cells: set[tuple[int, int, int]] = field(default_factory=set)
    support_cells: set[tuple[int, int, int]] = field(default_factory=set)

    def error(self, row: int, column: str, message: str) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(
                _("第 %(r)s 行“%(c)s”：%(m)s") % {"r": row, "c": column, "m": message}
            )
        else:
            self.more += 1


# --- reading -----------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _rows(stream: IO[bytes]) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """(Excel row number, values) of the first sheet, streamed."""
    try:
        wb = load_workbook(stream, read_only=True, data_only=True, keep_links=False)
    except Exception:  # openpyxl raises many kinds on a malformed package; all mean "unreadable"
        raise DisbursementImportError([_("文件不是有效的 Excel 工作簿，无法读取")]) from None
    try:
        ws = wb.worksheets[0]
        ws.reset_dimensions()
        yield from enumerate(ws.iter_rows(values_only=True), start=1)
    except Exception:  # malformed sheet XML surfaces only while streaming the rows
        raise DisbursementImportError([_("文件不是有效的 Excel 工作簿，无法读取")]) from None
    finally:
        wb.close()


def _header(values: tuple[Any, ...]) -> dict[str, int] | None:
    titles = {_text(v): i for i, v in enumerate(values) if v is not None}
    if COL_NUMBER not in titles:
        return None
    missing = [h for h in HEADERS if h not in titles]
    if missing:
        raise DisbursementImportError([_("缺少列：") + "、".join(f"“{h}”" for h in missing)])
    return {h: titles[h] for h in HEADERS}


def _parse(
    number: int, values: tuple[Any, ...], cols: dict[str, int], state: _State
) -> _Row | None:
    def cell(title: str) -> Any:
        i = cols[title]
        return values[i] if i < len(values) else None

    app_no, name, id4 = _text(cell(COL_NUMBER)), _text(cell(COL_NAME)), _text(cell(COL_ID4))
    loan_no = _text(cell(COL_LOAN))
    ok = True
    if not app_no:
        state.error(number, COL_NUMBER, _("不能为空"))
        ok = False
    if not name:
        state.error(number, COL_NAME, _("不能为空"))
        ok = False
    id4 = id4.upper().zfill(4) if id4.isdigit() else id4.upper()
    if len(id4) != 4 or not (id4[:3].isdigit() and (id4[3].isdigit() or id4[3] == "X")):
        state.error(number, COL_ID4, _("应为身份证号的最后 4 位（数字，末位可为 X）"))
        ok = False
    raw = cell(COL_AMOUNT)
    try:
        amount = Decimal(_text(raw).replace(",", "")) if not isinstance(raw, Decimal) else raw
        if not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        state.error(number, COL_AMOUNT, _("应为大于 0 的金额，最多两位小数"))
        ok, amount = False, Decimal(0)
    raw_day = cell(COL_DATE)
    day: dt.date | None = None
    if isinstance(raw_day, dt.datetime):
        day = raw_day.date()
    elif isinstance(raw_day, dt.date):
        day = raw_day
    else:
        try:
            day = dt.date.fromisoformat(_text(raw_day).replace("/", "-"))
        except ValueError:
            state.error(number, COL_DATE, _("应为日期，如 2026-03-15"))
            ok = False
    if not loan_no or len(loan_no) > 40:
        state.error(number, COL_LOAN, _("不能为空，且不超过 40 个字符"))
        ok = False
    if not ok or day is None:
        return None
    return _Row(number, app_no, name, id4, amount, day, loan_no)


# --- matching and writing ----------------------------------------------------------------------


@dataclass
class _Context:
    bank: Department
    actor_id: int | None
    today: dt.date
    batch: DisbursementImport
    support_type_id: int
    bureaus: dict[int, int]  # district id → HR bureau department id
    now: dt.datetime


class _App(NamedTuple):
    """What matching needs of an application, read as plain values (no model instances)."""

    pk: int
    number: str
    status: str
    approved_amount: Decimal | None
    bank_approved_on: dt.date | None
    rate: Decimal | None
    term_months: int
    district_id: int
    applicant_id: int | None
    venture_id: int | None
    name: str | None
    id_masked: str | None
    venture_name: str | None


APP_COLUMNS = (
    "pk",
    "number",
    "status",
    "approved_amount",
    "bank_approved_on",
    "rate",
    "term_months",
    "district_id",
    "applicant_id",
    "venture_id",
    "applicant__name",
    "applicant__id_masked",
    "venture__name",
)


class _Taken(NamedTuple):
    application_id: int
    batch_id: int | None
    row: int | None
    day: dt.date


def _adapter(field: models.Field[Any, Any], db: Any) -> Callable[[Any], Any] | None:
    """How a value of ``field`` is handed to the driver (None: as it is)."""
    if isinstance(field, models.DateTimeField):
        return db.ops.adapt_datetimefield_value
    if isinstance(field, models.DateField):
        return db.ops.adapt_datefield_value
    if isinstance(field, models.DecimalField):
        places = field.decimal_places
        return lambda v: db.ops.adapt_decimalfield_value(v, field.max_digits, places)
    if isinstance(field, models.JSONField):
        return lambda v: field.get_db_prep_save(v, db)
    return None


def _bulk_insert(
    model: type[models.Model], rows: list[dict[str, Any]], same: dict[str, Any] | None = None
) -> None:
    """INSERT rows (keyed by attname) with one prepared statement; absent fields take defaults.

    ``same`` holds values every row shares (adapted once). This is the import's hot path:
    ``bulk_create`` runs every value through the SQL compiler, which costs more than reading
    the workbook; here each value goes straight to the backend's own adapter (dates, times,
    decimals, JSON) and is otherwise passed as it is.
    """
    if not rows:
        return
    db = connections[DEFAULT_DB_ALIAS]  # the wrapper itself: no proxy lookup per value
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    shared = {**{f.attname: f.get_default() for f in fields}, **(same or {})}
    per_row: list[tuple[int, str, Callable[[Any], Any] | None]] = []
    fixed: list[Any] = []
    for i, f in enumerate(fields):
        adapt = _adapter(f, db)
        value = shared[f.attname]
        fixed.append(adapt(value) if adapt is not None and value is not None else value)
        if same is None or f.attname not in same:
            per_row.append((i, f.attname, adapt))
    quote = db.ops.quote_name
    columns = ", ".join(quote(str(f.column)) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    head = f"INSERT INTO {quote(model._meta.db_table)} ({columns})"
    params = []
    for row in rows:
        values = list(fixed)
        for i, name, adapt in per_row:
            if name in row:
                value = row[name]
                values[i] = adapt(value) if adapt is not None and value is not None else value
        params.append(values)
    with db.cursor() as cursor:
        if db.vendor == "postgresql":
            # Over the network a statement per row costs a round trip: PostgreSQL takes the
            # whole batch as one array per column, in one short statement.
            casts = ", ".join(f"%s::{f.cast_db_type(db)}[]" for f in fields)
            columns_of_values = [list(c) for c in zip(*params, strict=True)]
            cursor.execute(f"{head} SELECT * FROM unnest({casts})", columns_of_values)  # noqa: S608 - names from model meta, values bound
        else:
            cursor.executemany(f"{head} VALUES ({marks})", params)  # SQLite: one statement, reused


def _handle(rows: list[_Row], ctx: _Context, state: _State) -> None:
    """Check one batch against the database and write what is valid."""
    numbers = {r.application_no for r in rows}
    apps = {
        a[1]: _App(*a)
        for a in LoanApplication.objects.filter(number__in=numbers, bank=ctx.bank).values_list(
            *APP_COLUMNS
        )
    }
    # Loans already recorded (before this file, or by an earlier row of it) for these rows:
    # two lookups on unique indexes (an OR across the join would scan the loans table).
    by_app: dict[str, _Taken] = {}
    by_loan_no: dict[str, _Taken] = {}
    # Only an application past approval can have a loan (an earlier batch may have paid it).
    numbers_by_pk = {a.pk: a.number for a in apps.values() if a.status in DISBURSED_STATUSES}
    columns = (
        "bank_loan_number",
        "application_id",
        "import_batch_id",
        "source_row",
        "disbursed_on",
    )
    found = (
        list(Loan.objects.filter(application_id__in=list(numbers_by_pk)).values_list(*columns))
        if numbers_by_pk
        else []
    )
    found += Loan.objects.filter(bank_loan_number__in={r.loan_no for r in rows}).values_list(
        *columns
    )
    for loan_no, app_id, batch_id, row, day in found:
        taken = _Taken(app_id, batch_id, row, day)
        by_loan_no[loan_no] = taken
        if app_id in numbers_by_pk:
            by_app[numbers_by_pk[app_id]] = taken
    chosen: list[tuple[_Row, _App]] = []
    for r in rows:
        app = apps.get(r.application_no)
        if app is None:
            state.error(
                r.number, COL_NUMBER, _("%(n)s 不是本行经办的申请") % {"n": r.application_no}
            )
            continue
        earlier = by_app.get(app.number) or by_loan_no.get(r.loan_no)
        if earlier is not None:
            where = (
                _("与本文件第 %(r)s 行重复") % {"r": earlier.row}
                if earlier.batch_id == ctx.batch.pk and earlier.row
                else _("已于 %(d)s 放款登记") % {"d": earlier.day}
            )
            column = COL_NUMBER if earlier.application_id == app.pk else COL_LOAN
            state.error(r.number, column, _("重复放款：") + where)
            continue
        if app.applicant_id is None:
            state.error(r.number, COL_NUMBER, _("该申请已匿名化"))
            continue
        if r.name != app.name and r.name != app.venture_name:
            state.error(r.number, COL_NAME, _("与申请人姓名不一致"))
            continue
        if (app.id_masked or "")[-4:].upper() != r.id4:
            state.error(r.number, COL_ID4, _("与申请人身份证号不一致"))
            continue
        try:
            services.check_disbursement(
                status=app.status,
                approved_amount=app.approved_amount,
                bank_approved_on=app.bank_approved_on,
                amount=r.amount,
                disbursed_on=r.day,
                bank_loan_number=r.loan_no,
                today=ctx.today,
            )
        except services.LoanError as exc:
            state.error(r.number, FIELD_COLUMNS.get(exc.field, COL_NUMBER), str(exc))
            continue
        by_app[app.number] = by_loan_no[r.loan_no] = _Taken(app.pk, ctx.batch.pk, r.number, r.day)
        chosen.append((r, app))
    if not chosen:
        return
    _bulk_insert(
        Loan,
        [
            {
                "application_id": a.pk,
                "bank_loan_number": r.loan_no,
                "district_id": a.district_id,
                "amount": r.amount,
                "rate": a.rate,
                "disbursed_on": r.day,
                "term_months": a.term_months,
                "maturity_on": subsidy.add_months(r.day, a.term_months),
                "source_row": r.number,
            }
            for r, a in chosen
        ],
        same={
            "bank_id": ctx.bank.pk,
            "import_batch_id": ctx.batch.pk,
            "created_at": ctx.now,
            "created_by_id": ctx.actor_id,
        },
    )
    LoanApplication.objects.filter(pk__in=[a.pk for _r, a in chosen]).update(
        status=Status.REPAYING, furthest=STAGE_ORDER[Status.REPAYING], updated_at=ctx.now
    )
    reason = _("放款 %(a)s 元（批量导入）")
    _bulk_insert(
        LoanStep,
        [{"application_id": a.pk, "reason": reason % {"a": f"{r.amount:,.2f}"}} for r, a in chosen],
        same={
            "stage": Status.APPROVED,
            "action": StepAction.DISBURSE,
            "actor_id": ctx.actor_id,
            "department_id": ctx.bank.pk,
            "at": ctx.now,
        },
    )
    _support(chosen, ctx, state)
    for r, a in chosen:
        state.loans += 1
        state.amount += r.amount
        state.loan_cells.add((a.district_id, r.day.year, r.day.month))


def _support(chosen: list[tuple[_Row, _App]], ctx: _Context, state: _State) -> None:
    """The 创业担保贷款 support record of each borrower, and where they are first counted.

    The bulk equivalent of ``entrepreneurs.services.record_support`` for many rows: a person is
    counted in 扶持创业 once, in the month and district of their earliest support, so only a
    support earlier than the one on record moves them (and both affected cells are refreshed).
    """
    _bulk_insert(
        SupportRecord,
        [
            {
                "person_id": a.applicant_id,
                "venture_id": a.venture_id,
                "department_id": ctx.bureaus[a.district_id],
                "org_unit_id": a.district_id,
                "date": r.day,
                "amount": r.amount,
                "note": a.number,
            }
            for r, a in chosen
        ],
        same={
            "support_type_id": ctx.support_type_id,
            "source": "loans",
            "created_at": ctx.now,
            "created_by_id": ctx.actor_id,
        },
    )
    first: dict[int, tuple[dt.date | None, int | None]] = {
        pk: (day, unit)
        for pk, day, unit in Person.objects.filter(
            pk__in={a.applicant_id for _r, a in chosen}
        ).values_list("pk", "first_supported_on", "first_support_district_id")
    }
    moved: set[int] = set()
    for r, a in chosen:
        assert a.applicant_id is not None
        day, unit = first[a.applicant_id]
        if day is not None and day <= r.day:
            continue
        if day is not None and unit is not None:
            state.support_cells.add((unit, day.year, day.month))
        first[a.applicant_id] = (r.day, a.district_id)
        moved.add(a.applicant_id)
        state.support_cells.add((a.district_id, r.day.year, r.day.month))
    if moved:
        db = connections[DEFAULT_DB_ALIAS]
        quote = db.ops.quote_name
        meta = Person._meta
        column = {f.name: quote(str(f.column)) for f in meta.concrete_fields}
        day_col, unit_col = column["first_supported_on"], column["first_support_district"]
        pk_col = column[meta.pk.name] if meta.pk else quote("id")
        table = quote(meta.db_table)
        params = [
            (db.ops.adapt_datefield_value(first[pk][0]), first[pk][1], pk) for pk in sorted(moved)
        ]
        with db.cursor() as cursor:
            if db.vendor == "postgresql":
                cursor.execute(
                    f"UPDATE {table} AS p SET {day_col} = v.day, {unit_col} = v.unit "  # noqa: S608 - names from model meta, values bound
                    "FROM unnest(%s::date[], %s::bigint[], %s::bigint[]) AS v(day, unit, id) "
                    f"WHERE p.{pk_col} = v.id",
                    [list(c) for c in zip(*params, strict=True)],
                )
            else:
                sql = f"UPDATE {table} SET {day_col} = %s, {unit_col} = %s WHERE {pk_col} = %s"  # noqa: S608 - names from model meta, values bound
                cursor.executemany(sql, params)


def _checked(fileobj: IO[bytes]) -> tuple[IO[bytes], str]:
    """Refuse what is too big or not an .xlsx before parsing; return the stream and its digest."""
    declared = getattr(fileobj, "size", None)
    limit_mb = MAX_UPLOAD_BYTES // (1024 * 1024)
    too_big = DisbursementImportError([_("文件超过 %(n)s MB，请分批导入") % {"n": limit_mb}])
    if isinstance(declared, int) and declared > MAX_UPLOAD_BYTES:
        raise too_big
    digest, size = hashlib.sha256(), 0
    fileobj.seek(0)
    for chunk in iter(lambda: fileobj.read(1 << 20), b""):
        digest.update(chunk)
        size += len(chunk)
        if size > MAX_UPLOAD_BYTES:
            raise too_big
    fileobj.seek(0)
    not_xlsx = DisbursementImportError(
        [_("文件不是 Excel 工作簿（.xlsx）；如为 .xls 或 CSV，请另存为 .xlsx 后上传")]
    )
    try:
        with zipfile.ZipFile(fileobj) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise not_xlsx from None
    names = {e.filename for e in entries}
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        raise not_xlsx
    if sum(e.file_size for e in entries) > MAX_UNPACKED_BYTES:
        raise DisbursementImportError([_("文件解压后内容过大，不是正常的放款清单")])
    fileobj.seek(0)
    return fileobj, digest.hexdigest()


def _bureaus() -> dict[int, int]:
    out = {}
    for unit in OrgUnit.objects.filter(parent__isnull=False):
        out[unit.pk] = services.bureau_for(unit).pk
    return out


def import_disbursements(
    fileobj: IO[bytes],
    *,
    bank: Department,
    actor: Any,
    file_name: str = "",
    today: dt.date | None = None,
) -> ImportResult:
    """Record every disbursement of a bank's file, or none of them."""
    if bank.pk not in roles_for(actor).banks:
        raise DisbursementImportError([_("您不是%(b)s的经办人员，不能导入放款") % {"b": bank.name}])
    today = today or timezone.localdate()
    stream, sha256 = _checked(fileobj)
    state = _State()
    with transaction.atomic():
        batch = DisbursementImport.objects.create(
            bank=bank,
            file_name=(file_name or getattr(fileobj, "name", "") or "")[:200],
            sha256=sha256,
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        ctx = _Context(
            bank=bank,
            actor_id=getattr(actor, "pk", None),
            today=today,
            batch=batch,
            support_type_id=services.guarantee_loan_type().pk,
            bureaus=_bureaus(),
            now=timezone.now(),
        )
        cols: dict[str, int] | None = None
        pending: list[_Row] = []
        seen_rows = 0
        for number, values in _rows(stream):
            if cols is None:
                if number > HEADER_SEARCH_ROWS:
                    break
                cols = _header(values)
                continue
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                continue
            seen_rows += 1
            row = _parse(number, values, cols, state)
            if row is not None:
                pending.append(row)
            if len(pending) >= BATCH:
                _handle(pending, ctx, state)
                pending = []
        if cols is None:
            raise DisbursementImportError(
                [
                    _("找不到标题行（应包含“%(c)s”等列），请使用本系统的放款导入模板")
                    % {"c": COL_NUMBER}
                ]
            )
        if pending:
            _handle(pending, ctx, state)
        if seen_rows == 0:
            raise DisbursementImportError([_("文件中没有放款记录")])
        if state.errors:
            raise DisbursementImportError(state.errors, state.more)  # rolls everything back
        units = {u.pk: u for u in OrgUnit.objects.all()}
        for unit_id, year, month in sorted(state.loan_cells):
            facts.refresh_metric(DISBURSED, units[unit_id], year, month)
        for unit_id, year, month in sorted(state.support_cells):
            facts.refresh_metric(SUPPORTED, units[unit_id], year, month)
        batch.rows, batch.amount = state.loans, state.amount
        batch.save(update_fields=["rows", "amount"])
        audit.record(
            "loans.loan.import",
            actor=actor,
            obj=batch,
            after={
                "bank": bank.code,
                "loans": state.loans,
                "amount": state.amount,
                "sha256": batch.sha256,
            },
        )
    return ImportResult(loans=state.loans, amount=state.amount, batch=batch)


def template() -> bytes:
    """The empty import sheet a bank fills in."""
    return export_table(_("放款导入"), list(HEADERS), [])
