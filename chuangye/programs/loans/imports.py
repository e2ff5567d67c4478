"""A bank's disbursement list (Excel): matched to bank-approved applications, all or nothing.

The workbook is read as a stream (``core.xlsx``: openpyxl opens the package, expat reads the
sheet) and handled in batches: each batch's
application numbers and bank loan numbers are looked up with one ``__in`` query each, and the
loans, support records and steps of a batch are written with bulk inserts inside the one
transaction. Rows keep being checked after the first problem, so the bank sees every problem at
once; if there is any, the transaction is rolled back and nothing is saved. Memory stays flat
however long the file is: only a few batches and the list of problems (capped) are held.

Three threads share the work: one reads and checks the workbook a batch or two ahead, the
importing thread matches a batch against the database, and (on PostgreSQL) a writing thread
writes the batch matched before, on the same connection, while the next one is matched.

On PostgreSQL, when the import is a transaction of its own, the reading thread also looks each
batch up, on a connection of its own, so that the import's connection only writes. That
connection sees what is committed, not the import's own earlier batches: a row repeating the
application or bank loan number of an earlier batch is then refused by the database's unique
constraints (and an application changed meanwhile by the guarded update), and the import runs
again with every lookup inside its transaction, which names the rows. Nothing is saved either
way until the file is accepted as a whole.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import queue
import threading
import zipfile
from collections.abc import Callable, Generator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import closing
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO, Any, NamedTuple

from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from chuangye.accounts.models import Department, OrgUnit
from chuangye.core import audit, xlsx
from chuangye.monitoring import facts
from chuangye.programs.entrepreneurs import services as registry
from chuangye.programs.entrepreneurs.models import Person, SupportRecord, SupportType
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
#: Read and check the workbook in a second thread while the database works (False: inline).
READ_AHEAD = True
#: On PostgreSQL, write each batch in a second thread while the next one is matched (False:
#: write inline). The writes check their foreign keys as they go (see ``_check_as_written``).
PIPELINE = True
#: On PostgreSQL, look each batch up in the reading thread, on a second connection (see above).
LOOK_AHEAD = True
MAX_ERRORS = 100


class DisbursementImportError(services.LoanError):
    """The file was refused as a whole; ``errors`` lists the problems (row and reason)."""

    def __init__(self, errors: list[str], more: int = 0) -> None:
        if more:
            errors = [*errors, _("另有 %(n)s 处问题未列出") % {"n": more}]
        super().__init__("；".join(errors))
        self.errors = errors


class _Conflict(Exception):
    """An application changed between its lookup and the write (the guarded update saw it)."""


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


class _Problems(list[tuple[int, str, str]]):
    """Problems found while reading (row, column, message), handed to ``_State.error`` later."""

    def error(self, row: int, column: str, message: str) -> None:
        self.append((row, column, message))


@dataclass
class _Chunk:
    """A batch of checked rows, the problems met reading them, and how many rows were read;
    with ``found``, what the reading thread looked up for them."""

    rows: list[_Row] = field(default_factory=list)
    problems: _Problems = field(default_factory=_Problems)
    seen: int = 0
    found: _Found | None = None


_END = object()


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _rows(stream: IO[bytes]) -> Generator[tuple[int, tuple[Any, ...]], None, None]:
    """(Excel row number, values) of the first sheet's non-empty rows, streamed."""
    try:
        yield from xlsx.first_sheet_values(stream)
    # openpyxl and expat raise many kinds on a malformed package or sheet (KeyError, XML
    # errors, ValueError …); every one of them means the file is not a usable workbook.
    except Exception:
        raise DisbursementImportError([_("文件不是有效的 Excel 工作簿，无法读取")]) from None


def _header(values: tuple[Any, ...]) -> dict[str, int] | None:
    titles = {_text(v): i for i, v in enumerate(values) if v is not None}
    if COL_NUMBER not in titles:
        return None
    missing = [h for h in HEADERS if h not in titles]
    if missing:
        raise DisbursementImportError([_("缺少列：") + "、".join(f"“{h}”" for h in missing)])
    return {h: titles[h] for h in HEADERS}


def _parse(
    number: int, values: tuple[Any, ...], cols: dict[str, int], problems: _Problems
) -> _Row | None:
    def cell(title: str) -> Any:
        i = cols[title]
        return values[i] if i < len(values) else None

    app_no, name, id4 = _text(cell(COL_NUMBER)), _text(cell(COL_NAME)), _text(cell(COL_ID4))
    loan_no = _text(cell(COL_LOAN))
    ok = True
    if not app_no:
        problems.error(number, COL_NUMBER, _("不能为空"))
        ok = False
    if not name:
        problems.error(number, COL_NAME, _("不能为空"))
        ok = False
    id4 = id4.upper().zfill(4) if id4.isdigit() else id4.upper()
    if len(id4) != 4 or not (id4[:3].isdigit() and (id4[3].isdigit() or id4[3] == "X")):
        problems.error(number, COL_ID4, _("应为身份证号的最后 4 位（数字，末位可为 X）"))
        ok = False
    raw = cell(COL_AMOUNT)
    try:
        amount = Decimal(_text(raw).replace(",", "")) if not isinstance(raw, Decimal) else raw
        if not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        problems.error(number, COL_AMOUNT, _("应为大于 0 的金额，最多两位小数"))
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
            problems.error(number, COL_DATE, _("应为日期，如 2026-03-15"))
            ok = False
    if not loan_no or len(loan_no) > 40:
        problems.error(number, COL_LOAN, _("不能为空，且不超过 40 个字符"))
        ok = False
    if not ok or day is None:
        return None
    return _Row(number, app_no, name, id4, amount, day, loan_no)


def _read(stream: IO[bytes]) -> Generator[_Chunk, None, None]:
    """Parse and check the rows into chunks of ``BATCH`` valid rows (touches no database).

    A problem with the file as a whole (unreadable, no header) is raised.
    """
    cols: dict[str, int] | None = None
    chunk = _Chunk()
    with closing(_rows(stream)) as rows:
        for number, values in rows:
            if cols is None:
                if number > HEADER_SEARCH_ROWS:
                    break
                cols = _header(values)
                continue
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                continue
            chunk.seen += 1
            row = _parse(number, values, cols, chunk.problems)
            if row is not None:
                chunk.rows.append(row)
            if len(chunk.rows) >= BATCH:
                yield chunk
                chunk = _Chunk()
    if cols is None:
        raise DisbursementImportError(
            [_("找不到标题行（应包含“%(c)s”等列），请使用本系统的放款导入模板") % {"c": COL_NUMBER}]
        )
    yield chunk


def _read_ahead(
    stream: IO[bytes],
    chunks: queue.Queue[Any],
    stop: threading.Event,
    language: str | None,
    lookup: Callable[[list[_Row]], _Found] | None,
) -> None:
    """The reading thread: ``_read`` into ``chunks``, then ``_END`` or the exception raised.

    Runs while the importing thread waits on the database, so reading the next batch costs
    no time when the machine has a core to spare. With ``lookup``, each chunk is also looked
    up, on this thread's own database connection (closed when the thread ends).
    """

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                chunks.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    with translation.override(language):
        try:
            with closing(_read(stream)) as read:
                for chunk in read:
                    if lookup is not None and chunk.rows:
                        chunk.found = lookup(chunk.rows)
                    if not put(chunk):
                        return
            put(_END)
        except BaseException as exc:  # handed to the importing thread, which raises it
            put(exc)
        finally:
            if lookup is not None:
                connections[DEFAULT_DB_ALIAS].close()


def _chunks(
    stream: IO[bytes], lookup: Callable[[list[_Row]], _Found] | None = None
) -> Generator[_Chunk, None, None]:
    """The workbook's chunks, read one or two ahead by a thread (memory stays a few batches);
    each looked up by ``lookup`` in that thread if given."""
    if not READ_AHEAD:
        yield from _read(stream)
        return
    chunks: queue.Queue[Any] = queue.Queue(maxsize=2)
    stop = threading.Event()
    reader = threading.Thread(
        target=_read_ahead,
        args=(stream, chunks, stop, translation.get_language(), lookup),
        name="disbursement-import-reader",
        daemon=True,
    )
    reader.start()
    try:
        while True:
            item = chunks.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        reader.join()


# --- matching and writing ----------------------------------------------------------------------


@dataclass
class _Context:
    bank: Department
    actor: Any
    actor_id: int | None
    today: dt.date
    batch: DisbursementImport
    support_type: SupportType
    bureaus: dict[int, int]  # district id → HR bureau department id
    now: dt.datetime
    step_reason: str
    pending: _Pending = field(default_factory=lambda: _Pending())


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
    bank_id: int | None


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
    "bank_id",
)


class _Taken(NamedTuple):
    application_id: int
    batch_id: int | None
    row: int | None
    day: dt.date


Chosen = list[tuple[_Row, _App]]


@dataclass
class _Pending:
    """A batch matched and handed to the writer, whose rows later batches cannot see yet.

    Its application and bank loan numbers are kept (a batch's worth), so a later row that
    repeats one is refused just as if the batch were already in the database.
    """

    chosen: Chosen = field(default_factory=list)
    by_app: dict[str, _Taken] = field(default_factory=dict)
    by_loan_no: dict[str, _Taken] = field(default_factory=dict)


class _Writer:
    """Writes one batch at a time, in a second thread on PostgreSQL, while the next is matched.

    The thread uses the importing thread's connection (so the same transaction); the importing
    thread touches the database only after ``wait``, so the two never use it at once. The
    server works on a batch's inserts and updates (and their foreign-key checks) while Python
    matches the next batch. On SQLite, or with ``PIPELINE`` off, each batch is written inline.
    """

    def __init__(self, ctx: _Context) -> None:
        self.ctx = ctx
        self.connection = transaction.get_connection()
        self.threaded = PIPELINE and self.connection.vendor == "postgresql"
        self.cells: set[registry.Cell] = set()
        self.job: Future[set[registry.Cell]] | None = None
        self.pool: ThreadPoolExecutor | None = None
        if self.threaded:
            self.connection.inc_thread_sharing()
            self.pool = ThreadPoolExecutor(
                max_workers=1,
                thread_name_prefix="disbursement-import-writer",
                initializer=_share_connection,
                initargs=(self.connection,),
            )

    def submit(self, chosen: Chosen) -> None:
        self.wait()
        if not chosen:
            return
        if self.pool is None:
            self.cells |= _write(chosen, self.ctx)
        else:
            self.job = self.pool.submit(_write, chosen, self.ctx)

    def wait(self) -> None:
        """Until the batch being written is in the database (its error, if any, is raised)."""
        job, self.job = self.job, None
        if job is not None:
            self.cells |= job.result()

    def close(self) -> None:
        """Wait for the thread (on any exit: the transaction must not end under it)."""
        if self.pool is None:
            return
        try:
            if self.job is not None:
                wait([self.job])
        finally:
            self.pool.shutdown(wait=True)
            self.pool = None
            self.connection.dec_thread_sharing()


def _share_connection(connection: Any) -> None:
    connections[DEFAULT_DB_ALIAS] = connection


@dataclass
class _Found:
    """What the database holds for a batch: its applications (of the bank, by number) and the
    loans already recorded for those applications or under its bank loan numbers."""

    apps: dict[str, _App]
    numbers_by_pk: dict[int, str]
    loans: list[tuple[str, int, int | None, int | None, dt.date]]


def _lookup(rows: list[_Row], bank_id: int) -> _Found:
    """Look a batch up: one array-parameter query per unique index."""
    numbers = {r.application_no for r in rows}
    # By number alone (the unique index), the bank checked here: a filter on the bank in SQL
    # can lead the planner to read every application of the bank, batch after batch.
    found_apps = (
        LoanApplication.objects.filter(number__in=registry.any_of(numbers, "text"))
        .order_by()
        .values_list(*APP_COLUMNS)
    )
    apps = {a.number: a for a in map(_App._make, found_apps) if a.bank_id == bank_id}
    # Loans already recorded (before this file, or by an earlier row of it) for these rows:
    # two lookups on unique indexes (an OR across the join would scan the loans table).
    # Only an application past approval can have a loan (an earlier batch may have paid it).
    numbers_by_pk = {a.pk: a.number for a in apps.values() if a.status in DISBURSED_STATUSES}
    columns = (
        "bank_loan_number",
        "application_id",
        "import_batch_id",
        "source_row",
        "disbursed_on",
    )
    loans = (
        list(
            Loan.objects.filter(application_id__in=registry.any_of(numbers_by_pk, "bigint"))
            .order_by()
            .values_list(*columns)
        )
        if numbers_by_pk
        else []
    )
    loans += (
        Loan.objects.filter(bank_loan_number__in=registry.any_of({r.loan_no for r in rows}, "text"))
        .order_by()
        .values_list(*columns)
    )
    return _Found(apps, numbers_by_pk, loans)


def _handle(
    rows: list[_Row], found: _Found | None, ctx: _Context, state: _State, writer: _Writer
) -> None:
    """Check one batch against the database and hand what is valid to ``writer``.

    The batch handed over before is written while this one is matched. Looked up here
    (``found`` None), the lookups run first (the database does not have that batch yet);
    looked up ahead by the reading thread, the writing starts at once. Either way the numbers
    of the batch handed over before are checked here, from memory.
    """
    pending = ctx.pending
    if found is None:
        writer.wait()
        found = _lookup(rows, ctx.bank.pk)
    # The database work of the batch matched before starts now, while this one is matched.
    writer.submit(pending.chosen)
    apps, numbers_by_pk = found.apps, found.numbers_by_pk
    by_app: dict[str, _Taken] = {}
    by_loan_no: dict[str, _Taken] = {}
    for loan_no, app_id, batch_id, row, day in found.loans:
        taken = _Taken(app_id, batch_id, row, day)
        by_loan_no[loan_no] = taken
        if app_id in numbers_by_pk:
            by_app[numbers_by_pk[app_id]] = taken
    by_app.update(pending.by_app)
    by_loan_no.update(pending.by_loan_no)
    ctx.pending = pending = _Pending()
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
        taken = _Taken(app.pk, ctx.batch.pk, r.number, r.day)
        by_app[app.number] = by_loan_no[r.loan_no] = taken
        pending.by_app[app.number] = pending.by_loan_no[r.loan_no] = taken
        pending.chosen.append((r, app))
        state.loans += 1
        state.amount += r.amount
        state.loan_cells.add((app.district_id, r.day.year, r.day.month))
    if not writer.threaded:  # nothing to overlap: write the batch now and hold nothing
        writer.submit(pending.chosen)
        ctx.pending = _Pending()


def _write(chosen: Chosen, ctx: _Context) -> set[registry.Cell]:
    """Write one matched batch; return the 扶持创业 cells it may have changed.

    Rows are updated before the rows that refer to them are inserted: the foreign-key check of
    an inserted row locks the row it refers to, and locking it after the update would lock the
    new version of the row once more.
    """
    # Guarded: an application another user moved on since it was looked up is not updated.
    updated = LoanApplication.objects.filter(
        pk__in=registry.any_of([a.pk for _r, a in chosen], "bigint"), status=Status.APPROVED
    ).update(status=Status.REPAYING, furthest=STAGE_ORDER[Status.REPAYING], updated_at=ctx.now)
    if updated != len(chosen):
        raise _Conflict
    registry.insert_rows(
        Loan,
        (
            "application_id",
            "bank_loan_number",
            "district_id",
            "amount",
            "rate",
            "disbursed_on",
            "term_months",
            "maturity_on",
            "source_row",
        ),
        (
            (
                a.pk,
                r.loan_no,
                a.district_id,
                r.amount,
                a.rate,
                r.day,
                a.term_months,
                subsidy.add_months(r.day, a.term_months),
                r.number,
            )
            for r, a in chosen
        ),
        same={
            "bank_id": ctx.bank.pk,
            "import_batch_id": ctx.batch.pk,
            "created_at": ctx.now,
            "created_by_id": ctx.actor_id,
        },
    )
    registry.insert_rows(
        LoanStep,
        ("application_id", "reason"),
        ((a.pk, ctx.step_reason % {"a": f"{r.amount:,.2f}"}) for r, a in chosen),
        same={
            "stage": Status.APPROVED,
            "action": StepAction.DISBURSE,
            "actor_id": ctx.actor_id,
            "department_id": ctx.bank.pk,
            "at": ctx.now,
        },
    )
    # The borrower's 创业担保贷款 support record, counted by the registry's one rule.
    supports = registry.record_supports_bulk(
        [
            registry.NewSupport(
                person_id=a.applicant_id,
                org_unit_id=a.district_id,
                department_id=ctx.bureaus[a.district_id],
                date=r.day,
                venture_id=a.venture_id,
                amount=r.amount,
                note=a.number,
            )
            for r, a in chosen
            if a.applicant_id is not None
        ],
        support_type=ctx.support_type,
        actor=ctx.actor,
        source="loans",
        refresh=False,
    )
    return supports.cells


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


def _check_as_written() -> list[str]:
    """Check the foreign keys of the rows the import writes at each statement, not at commit.

    Django declares them ``DEFERRABLE INITIALLY DEFERRED``: PostgreSQL would check every row's
    references at commit, one after another, after the last batch. Checked at the end of each
    statement instead, they are checked just the same (a failure still rolls everything back),
    but in the writing thread while the next batch is matched. Returns the constraints set to
    ``IMMEDIATE`` (none on SQLite), for ``_check_at_commit``.
    """
    connection = transaction.get_connection()
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname FROM pg_constraint WHERE contype = 'f' AND condeferrable "
            "AND condeferred AND conrelid = ANY(%s::regclass[]) ORDER BY conname",
            [[m._meta.db_table for m in (Loan, LoanStep, SupportRecord, Person)]],
        )
        names = [name for (name,) in cursor.fetchall()]
        if names:
            quote = connection.ops.quote_name
            cursor.execute(f"SET CONSTRAINTS {', '.join(map(quote, names))} IMMEDIATE")
    return names


def _check_at_commit(names: list[str]) -> None:
    """Give those constraints back their declared timing (checked at commit)."""
    if not names:
        return
    connection = transaction.get_connection()
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SET CONSTRAINTS {', '.join(map(quote, names))} DEFERRED")


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
    progress: Callable[[int], object] | None = None,
) -> ImportResult:
    """Record every disbursement of a bank's file, or none of them.

    ``progress`` is called with the number of rows of each batch once it is matched (for a
    progress bar; ``xlsx.stated_rows`` gives the total a file states); if the import has to
    match the file again (see the module's docstring), it is first called with minus the rows
    counted so far.
    """
    if bank.pk not in roles_for(actor).banks:
        raise DisbursementImportError([_("您不是%(b)s的经办人员，不能导入放款") % {"b": bank.name}])
    today = today or timezone.localdate()
    stream, sha256 = _checked(fileobj)
    name = (file_name or getattr(fileobj, "name", "") or "")[:200]
    connection = transaction.get_connection()
    # Looked up on a second connection only when this is a transaction of its own: inside a
    # caller's transaction, rows the caller wrote are visible to this connection alone.
    if (
        LOOK_AHEAD
        and READ_AHEAD
        and PIPELINE
        and connection.vendor == "postgresql"
        and not connection.in_atomic_block
    ):
        counted = 0

        def count(n: int) -> None:
            nonlocal counted
            counted += n
            if progress is not None:
                progress(n)

        try:
            return _import(stream, bank, actor, name, sha256, today, count, ahead=True)
        except (_Conflict, IntegrityError, connection.Database.IntegrityError):
            # A row repeats an earlier batch's application or bank loan number, or an
            # application changed meanwhile: everything was rolled back; match inside.
            pass
        if progress is not None and counted:
            progress(-counted)
        stream.seek(0)
    try:
        return _import(stream, bank, actor, name, sha256, today, progress, ahead=False)
    except _Conflict:
        raise DisbursementImportError(
            [_("导入期间有申请被他人办理，未保存任何数据，请重新导入")]
        ) from None


def _import(
    stream: IO[bytes],
    bank: Department,
    actor: Any,
    file_name: str,
    sha256: str,
    today: dt.date,
    progress: Callable[[int], object] | None,
    *,
    ahead: bool,
) -> ImportResult:
    """One attempt at the file, in one transaction; ``ahead``: looked up by the reading thread."""
    state = _State()
    with transaction.atomic():
        batch = DisbursementImport.objects.create(
            bank=bank,
            file_name=file_name,
            sha256=sha256,
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        ctx = _Context(
            bank=bank,
            actor=actor,
            actor_id=getattr(actor, "pk", None),
            today=today,
            batch=batch,
            support_type=services.guarantee_loan_type(),
            bureaus=_bureaus(),
            now=timezone.now(),
            step_reason=_("放款 %(a)s 元（批量导入）"),
        )
        seen_rows = 0
        checked = _check_as_written()
        writer = _Writer(ctx)
        bank_id = bank.pk

        def lookup(rows: list[_Row]) -> _Found:
            return _lookup(rows, bank_id)

        try:
            # Closing stops the reading thread on any exit.
            with closing(_chunks(stream, lookup if ahead else None)) as chunks:
                for chunk in chunks:
                    seen_rows += chunk.seen
                    for problem in chunk.problems:
                        state.error(*problem)
                    if chunk.rows:
                        _handle(chunk.rows, chunk.found, ctx, state, writer)
                    if progress is not None:
                        progress(chunk.seen)
            writer.submit(ctx.pending.chosen)
            writer.wait()
        finally:
            writer.close()
        _check_at_commit(checked)
        state.support_cells |= writer.cells
        if seen_rows == 0:
            raise DisbursementImportError([_("文件中没有放款记录")])
        if state.errors:
            raise DisbursementImportError(state.errors, state.more)  # rolls everything back
        units = {u.pk: u for u in OrgUnit.objects.all()}
        for unit_id, year, month in sorted(state.loan_cells):
            facts.refresh_metric(DISBURSED, units[unit_id], year, month)
        registry.refresh_supported(state.support_cells)
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
