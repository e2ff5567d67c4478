"""Bank disbursement import: rows per second and peak memory against openpyxl alone.

    uv run python bench/bench_disbursement_import.py [--rows 100000] [--rounds 3] [--keep]

Builds a throw-away SQLite database (or uses ``DATABASE_URL``) with the city, the plan, the demo
personas and ``--rows`` bank-approved applications, writes a disbursement workbook of that many
rows stored as Excel stores it (shared strings, the used range stated; ``--openpyxl-file``: as
openpyxl writes it), then measures in the same run:

* the floor: reading the workbook with openpyxl ``read_only`` and touching every value;
* the import: ``loans.imports.import_disbursements`` (stream, match in batches, bulk writes,
  Fact refresh, audit); rolled back by its last step each time but the last, which commits.

Floor and import alternate ``--rounds`` times and the best of each is compared, so a busy
shared machine slows both alike. On a PostgreSQL server on this machine, the CPU time of the
import's server process is read from ``/proc`` as well (not that of the reading thread's
connection, which only looks batches up).

Peak Python memory (tracemalloc) is measured in separate passes on a 10% file and the full file,
each import rolled back, to show it stays flat as the file grows. Prints ratios, not
pass/fail.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import resource
import shutil
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _django(data_dir: Path) -> None:
    os.environ.setdefault("CHUANGYE_DATA_DIR", str(data_dir))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chuangye.config.settings")
    import django

    django.setup()


def _seed(rows: int) -> tuple[Any, Any, list[tuple[str, str, str]]]:
    """City, plan, personas, and ``rows`` applications approved by the demo bank."""
    import json

    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from chuangye.accounts.models import OrgUnit, User
    from chuangye.accounts.services import ensure_reference_data
    from chuangye.core import crypto
    from chuangye.core.validators import id_check_char
    from chuangye.demo import build_demo
    from chuangye.plans.services import configure_indicator, import_plan
    from chuangye.programs.entrepreneurs.metrics import SUPPORTED
    from chuangye.programs.entrepreneurs.models import Person, Venture
    from chuangye.programs.entrepreneurs.services import ensure_support_types
    from chuangye.programs.loans import services
    from chuangye.programs.loans.choices import STAGE_ORDER, Status
    from chuangye.programs.loans.demo import ensure_loan_setup
    from chuangye.programs.loans.metrics import DISBURSED
    from chuangye.programs.loans.models import LoanApplication

    ensure_reference_data(actor=None)
    plan = import_plan(
        json.loads((ROOT / "data/plans/weihai-2025-8.json").read_text(encoding="utf-8")),
        actor=None,
    )
    build_demo(scale=1)
    departments = ensure_loan_setup()
    ensure_support_types()
    configure_indicator(
        plan.indicators.get(name__contains="创业担保贷款"), actor=None, source=DISBURSED
    )
    configure_indicator(plan.indicators.get(name="扶持创业"), actor=None, source=SUPPORTED)
    districts = list(OrgUnit.objects.filter(parent__isnull=False))
    policy = services.policy_on(dt.date.today())
    today = dt.date.today()
    approved_on = today - dt.timedelta(days=40)
    now = dt.datetime.now(dt.UTC)
    expected: list[tuple[str, str, str]] = []
    step = 20_000
    for start in range(0, rows, step):
        count = min(step, rows - start)
        persons, ventures = [], []
        for i in range(start, start + count):
            body = f"110101{1960 + i % 40}{i % 12 + 1:02d}{i % 28 + 1:02d}{i % 1000:03d}"
            number = body + id_check_char(body)
            persons.append(
                Person(
                    name=f"测试{i}",
                    id_cipher=crypto.encrypt(number),
                    id_hash=crypto.search_hash(f"{number}:{i}"),
                    id_masked=crypto.mask_id(number),
                    gender="M",
                    birth_date=dt.date(1980, 1, 1),
                    target_group="graduate",
                    district=districts[i % len(districts)],
                )
            )
            ventures.append(
                Venture(
                    name=f"测试店{i}", kind="individual", district=districts[i % len(districts)]
                )
            )
        Person.objects.bulk_create(persons, batch_size=5000)
        Venture.objects.bulk_create(ventures, batch_size=5000)
        through = Venture.founders.through
        through.objects.bulk_create(
            [
                through(person_id=p.pk, venture_id=v.pk)
                for p, v in zip(persons, ventures, strict=True)
            ],
            batch_size=5000,
        )
        apps = [
            LoanApplication(
                number=f"BENCH{start + k:07d}",
                kind="individual",
                applicant=p,
                venture=v,
                district=v.district,
                amount=Decimal(150_000),
                term_months=36,
                purpose="基准测试",
                status=Status.APPROVED,
                furthest=STAGE_ORDER[Status.APPROVED],
                policy=policy,
                guarantor=departments["guarantor"],
                bank=departments["bank-demo"],
                consent_version=policy.consent_version,
                consent_text="基准测试",
                consented_at=now,
                approved_amount=Decimal(150_000),
                rate=Decimal("3.45"),
                bank_approved_on=approved_on,
                submitted_at=now,
            )
            for k, (p, v) in enumerate(zip(persons, ventures, strict=True))
        ]
        LoanApplication.objects.bulk_create(apps, batch_size=5000)
        expected += [
            (a.number, p.name, p.id_masked[-4:]) for a, p in zip(apps, persons, strict=True)
        ]
    return departments["bank-demo"], User.objects.get(username="bank_officer"), expected


def _write(path: Path, rows: list[tuple[str, str, str]], *, as_excel: bool = True) -> None:
    """The bank's file; by default stored as Excel and WPS store a sheet (``excel_stored``)."""
    import io

    from openpyxl import Workbook

    from chuangye.core.testing import excel_stored
    from chuangye.programs.loans.imports import HEADERS

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("放款")
    ws.append(list(HEADERS))
    day = dt.date.today() - dt.timedelta(days=30)
    for i, (number, name, last4) in enumerate(rows):
        ws.append([number, name, last4, 150000, day + dt.timedelta(days=i % 28), f"L{i:08d}"])
    out = io.BytesIO()
    wb.save(out)
    path.write_bytes(excel_stored(out.getvalue()) if as_excel else out.getvalue())


def _settle() -> None:
    """On PostgreSQL, vacuum as autovacuum would between two uploads (outside any timing).

    A rolled-back import leaves a dead version of every application and person it updated and
    every row it inserted. Here they are half the tables, over autovacuum's 20 % threshold, so
    autovacuum would clear them within its one-minute cycle, before a bank uploads its
    corrected file. Without this, each timed import would start seconds after the last one, on
    tables and unique indexes still carrying those 100,000 dead entries, and pay for reading
    past them (figures without it are in docs/performance.md).
    """
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def _floor(path: Path) -> int:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    n = 0
    for values in wb.worksheets[0].iter_rows(values_only=True):
        for v in values:
            if v is not None:
                n += 1
    wb.close()
    return n


CPU: list[float] = []  # this process's CPU seconds of each ``_timed`` call, in order
SERVER_CPU: list[float | None] = []  # the PostgreSQL backend's, where the server is local


def _server_cpu() -> float | None:
    """CPU seconds used so far by this connection's PostgreSQL backend (None: not readable).

    Read from ``/proc`` when the server runs on this machine; a remote server gives None.
    """
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # utime and stime, the 14th and 15th fields (11th and 12th after the command name)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    server = _server_cpu()
    start, cpu = time.perf_counter(), time.process_time()
    result = fn()
    CPU.append(time.process_time() - cpu)
    elapsed = time.perf_counter() - start
    after = _server_cpu()
    SERVER_CPU.append(after - server if after is not None and server is not None else None)
    return elapsed, result


def _peak(fn: Callable[[], Any]) -> float:
    """Peak Python allocation in MiB while ``fn`` runs."""
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def _profile(path: Path, fn: Callable[[], Any], rows: int) -> None:
    """Time of one import split by SQL statement kind (verb and table); the rest is Python."""
    import re
    import threading
    from collections import defaultdict

    from django.db import connection

    spent: dict[str, list[float]] = defaultdict(lambda: [0.0, 0])
    table = re.compile(r'(?:COPY|INTO|UPDATE|FROM|TABLE)\s+"?(\w+)"?', re.IGNORECASE)

    def where() -> str:
        # Statements of the writing thread overlap the importing thread's work.
        return "" if threading.current_thread() is threading.main_thread() else "［写入线程］"

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            found = table.search(sql)
            key = f"{where()}{sql.split(None, 1)[0].upper()} {found.group(1) if found else ''}"
            spent[key][0] += time.perf_counter() - start
            spent[key][1] += 1

    copy_of = None
    if connection.vendor == "postgresql":
        import contextlib

        import psycopg

        copy_of = psycopg.Cursor.copy

        @contextlib.contextmanager
        def timed_copy(self: Any, statement: Any, *args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                with copy_of(self, statement, *args, **kwargs) as copy:
                    yield copy
            finally:
                found = table.search(str(statement))
                key = f"{where()}COPY {found.group(1) if found else ''}（含组装行）"
                spent[key][0] += time.perf_counter() - start
                spent[key][1] += 1

        psycopg.Cursor.copy = timed_copy  # type: ignore[method-assign,assignment]
    # Three rounds; each figure is its best round (a shared machine slows single rounds).
    best: dict[str, list[float]] = {}
    floors, totals = [], []
    try:
        for _round in range(3):
            spent.clear()
            floors.append(_timed(lambda: _floor(path))[0])
            _settle()
            with connection.execute_wrapper(wrapper):
                totals.append(_timed(fn)[0])
            spent["导入线程 SQL 之外（Python；等待读取、写入线程）"] = [
                totals[-1] - sum(t for k, (t, _n) in spent.items() if not k.startswith("［")),
                0,
            ]
            for key, (t, n) in spent.items():
                best[key] = [min(t, best.get(key, [t])[0]), n]
    finally:
        if copy_of is not None:
            psycopg.Cursor.copy = copy_of  # type: ignore[method-assign]
    floor_s, total = min(floors), min(totals)
    print(f"\n{rows:,} 行；下限 {floor_s:.2f} s；导入 {total:.2f} s（{total / floor_s:.2f} ×）")
    server = [s for s in SERVER_CPU[1::2] if s is not None]
    if server:
        print(
            f"  导入的 CPU 时间：本进程 {min(CPU[1::2]):.2f} s，"
            f"PostgreSQL 服务器进程 {min(server):.2f} s"
        )
    print("  各项取三轮中最好的一轮：")
    for key, (t, n) in sorted(best.items(), key=lambda kv: -kv[1][0]):
        print(f"  {key:<40} {t:>8.2f} s  {n:>6} 条")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    parser.add_argument(
        "--inline-read",
        action="store_true",
        help="read the workbook in the importing thread (no read-ahead thread), to compare",
    )
    parser.add_argument(
        "--inline-write",
        action="store_true",
        help="write each batch in the importing thread (no writing thread), to compare",
    )
    parser.add_argument(
        "--no-look-ahead",
        action="store_true",
        help="look every batch up in the importing thread (no second connection), to compare",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="floor and import alternate this many times; the best of each is compared",
    )
    parser.add_argument(
        "--openpyxl-file",
        action="store_true",
        help="the workbook as openpyxl writes it (inline strings, no used range), not as Excel",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="only break one rolled-back import down by SQL statement (no ratio, no memory)",
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-loans-"))
    _django(work)
    from django.db import connection

    from chuangye.programs.loans import imports
    from chuangye.programs.loans.models import Loan

    print(f"数据库：{connection.vendor}；准备 {args.rows:,} 笔已审批申请……", flush=True)
    t0 = time.perf_counter()
    bank, officer, expected = _seed(args.rows)
    print(f"  准备用时 {time.perf_counter() - t0:.1f} s", flush=True)
    full = work / "full.xlsx"
    small = work / "small.xlsx"
    _write(full, expected, as_excel=not args.openpyxl_file)
    _write(small, expected[: max(args.rows // 10, 1)], as_excel=not args.openpyxl_file)
    print(f"  工作簿 {full.stat().st_size / 2**20:.1f} MiB", flush=True)

    def run(path: Path) -> Any:
        with path.open("rb") as fh:
            return imports.import_disbursements(fh, bank=bank, actor=officer, file_name=path.name)

    class RolledBack(Exception):
        """Raised by the import's last step, so that its own transaction is rolled back."""

    def rolled_back(path: Path) -> Callable[[], Any]:
        """Import and roll back, as a committed import runs: the import's own transaction
        (the outermost, so that it looks batches up ahead as it does in production) is rolled
        back by its very last step, the audit entry."""
        from chuangye.core import audit

        def go() -> None:
            record = audit.record

            def last_step(*args: Any, **kwargs: Any) -> Any:
                record(*args, **kwargs)
                if connection.vendor == "postgresql":
                    # Foreign keys still deferred are checked at commit: run those checks
                    # here, so a rolled-back import costs what a committed one does.
                    with connection.cursor() as cursor:
                        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                raise RolledBack

            audit.record = last_step  # type: ignore[assignment]
            try:
                run(path)
            except RolledBack:
                pass
            else:
                raise AssertionError("the import did not reach its last step")
            finally:
                audit.record = record  # type: ignore[assignment]

        return go

    if args.inline_read:
        imports.READ_AHEAD = False
    if args.inline_write:
        imports.PIPELINE = False
    if args.no_look_ahead:
        imports.LOOK_AHEAD = False
    if args.profile:
        _profile(full, rolled_back(full), args.rows)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        return

    mem_floor_small = _peak(lambda: _floor(small))
    mem_floor_full = _peak(lambda: _floor(full))
    mem_import_small = _peak(rolled_back(small))
    mem_import_full = _peak(rolled_back(full))
    assert not Loan.objects.exists()

    # Floor and import alternate, so both see the same load on a shared machine; the best of
    # ``--rounds`` of each is compared. Every import but the last is rolled back; it commits.
    floors: list[float] = []
    runs: list[float] = []
    floor_cpu: list[float] = []
    run_cpu: list[float] = []
    server_cpu: list[float] = []
    result = None
    for attempt in range(args.rounds):
        floors.append(_timed(lambda: _floor(full))[0])
        floor_cpu.append(CPU[-1])
        _settle()
        if attempt < args.rounds - 1:
            runs.append(_timed(rolled_back(full))[0])
        else:
            seconds, result = _timed(lambda: run(full))
            runs.append(seconds)
        run_cpu.append(CPU[-1])
        if SERVER_CPU[-1] is not None:
            server_cpu.append(SERVER_CPU[-1])
    assert result is not None and result.loans == args.rows == Loan.objects.count()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    floor_s, import_s = min(floors), min(runs)

    n = args.rows
    print()
    print(f"行数                         {n:>12,}")
    print(f"openpyxl 只读（下限）        {floor_s:>9.2f} s   {n / floor_s:>10,.0f} 行/秒")
    print(f"放款导入（含写库、指标）      {import_s:>9.2f} s   {n / import_s:>10,.0f} 行/秒")
    print(f"导入 / 下限                  {import_s / floor_s:>9.2f} ×")
    print("  各次用时（秒）：下限 " + " ".join(f"{t:.2f}" for t in floors))
    print("                  导入 " + " ".join(f"{t:.2f}" for t in runs) + "（末次提交）")
    # CPU time of this process (both threads of the import; not the PostgreSQL server's):
    # unlike wall time it hardly depends on what else the machine runs.
    print(
        f"本进程 CPU 时间：下限 {min(floor_cpu):.2f} s，导入 {min(run_cpu):.2f} s"
        f"（{min(run_cpu) / min(floor_cpu):.2f} ×；PostgreSQL 服务器的时间不在其中）"
    )
    if server_cpu:
        print(
            f"PostgreSQL 服务器进程 CPU 时间：导入 {min(server_cpu):.2f} s"
            "（本机服务器，读自 /proc）"
        )
    print(
        f"Python 内存峰值（下限）       {mem_floor_small:>7.1f} MiB（{n // 10:,} 行） "
        f"{mem_floor_full:>7.1f} MiB（{n:,} 行）"
    )
    print(
        f"Python 内存峰值（导入）       {mem_import_small:>7.1f} MiB（{n // 10:,} 行） "
        f"{mem_import_full:>7.1f} MiB（{n:,} 行）"
    )
    print(f"进程 RSS 峰值                {rss:>9.0f} MiB")
    if args.keep:
        print(f"数据目录：{work}")
    else:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
