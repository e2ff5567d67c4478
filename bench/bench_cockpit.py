"""Cockpit cost against registry size, on SQLite and PostgreSQL, in one run.

For each scale: build demo data (``chuangye demo --scale N --cities C``, timed) for every backend
side by side, then for each backend in a fresh process time ``GET /api/v1/progress`` for every
target × every unit of Weihai (the city and its districts; with C = 1 that is ``org_unit=all``),
the single SQL query that reads the Fact rows it shows, and the public board page. Prints medians
and the ratios the design promises: cost flat in registry size (and in the other cities'
records), and close to the one query. Each database is dropped after its row.

    uv run python bench/bench_cockpit.py --scales 1 10 100 --cities 16 \
        [--backends sqlite postgres] [--runs 30]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PG_BASE = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")


def worker(runs: int) -> dict[str, float]:
    """Runs inside a configured environment: time the API, the board and the raw query."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chuangye.config.settings")
    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from rest_framework.test import APIClient

    from chuangye.accounts.models import OrgUnit, User
    from chuangye.accounts.reference import CITY_CODE
    from chuangye.monitoring.models import Fact
    from chuangye.plans.models import Plan
    from chuangye.programs.entrepreneurs.models import JobRecord, Person, SupportRecord

    call_command("collectstatic", interactive=False, verbosity=0)
    settings.ALLOWED_HOSTS.append("testserver")
    plan = Plan.objects.get(is_active=True)
    api = APIClient()
    api.force_authenticate(User.objects.get(username="leader"))
    board = Client()
    day = "2026-07-15"
    ids = list(plan.indicators.values_list("id", flat=True))
    city = OrgUnit.objects.get(code=CITY_CODE)
    units = [city, *OrgUnit.objects.filter(parent=city).order_by("order", "code")]
    codes = ",".join(u.code for u in units)
    sql = str(
        Fact.objects.filter(
            indicator_id__in=ids,
            org_unit_id__in=[u.pk for u in units],
            year__gte=plan.period_start - 1,
            year__lte=plan.period_end,
        )
        .values_list("indicator_id", "org_unit_id", "year", "month", "value")
        .query
    )

    def timed(fn) -> float:  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start

    def call_api() -> None:
        response = api.get("/api/v1/progress", {"org_unit": codes, "date": day})
        assert response.status_code == 200, response.content[:200]

    def call_board() -> None:
        assert board.get("/board/", {"date": day}).status_code == 200

    def raw_query() -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            cursor.fetchall()

    for fn in (call_api, call_board, raw_query):
        fn()  # warm caches and connections
    # Interleaved, so a change in machine load touches all three alike.
    api_t: list[float] = []
    board_t: list[float] = []
    sql_t: list[float] = []
    for _ in range(runs):
        api_t.append(timed(call_api))
        board_t.append(timed(call_board))
        sql_t.append(timed(raw_query))
    records = Person.objects.count() + SupportRecord.objects.count() + JobRecord.objects.count()
    return {
        "records": records,
        "facts": Fact.objects.count(),
        "units": OrgUnit.objects.count(),
        "api_ms": statistics.median(api_t) * 1000,
        "board_ms": statistics.median(board_t) * 1000,
        "sql_ms": statistics.median(sql_t) * 1000,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def run(cmd: list[str], env: dict[str, str]) -> str:
    out = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    if out.returncode:
        sys.stderr.write(out.stdout[-2000:] + out.stderr[-4000:])
        raise SystemExit(f"failed: {' '.join(cmd)}")
    return out.stdout


def build(backend: str, scale: int, cities: int) -> tuple[dict[str, str], float, Any]:
    """A fresh database with demo data: (environment, build seconds, a function dropping it)."""
    data = tempfile.mkdtemp(prefix=f"bench-{backend}-{scale}-")
    env = {**os.environ, "CHUANGYE_DATA_DIR": data}
    env.pop("DATABASE_URL", None)
    name = f"chuangye_bench_{scale}_{cities}"
    psql = ["psql", PG_BASE + "/postgres", "-qc"]
    if backend == "postgres":
        subprocess.run([*psql, f"DROP DATABASE IF EXISTS {name}"], check=True)
        subprocess.run([*psql, f"CREATE DATABASE {name}"], check=True)
        env["DATABASE_URL"] = f"{PG_BASE}/{name}"
    run(["uv", "run", "--frozen", "chuangye", "manage", "migrate", "-v0"], env)
    start = time.perf_counter()
    demo = ["uv", "run", "--frozen", "chuangye", "demo", "--scale", str(scale)]
    run([*demo, "--cities", str(cities)], env)
    build_s = time.perf_counter() - start
    if backend == "postgres":
        # As after any bulk load: fresh statistics now, not an autovacuum during the timings.
        subprocess.run(["psql", env["DATABASE_URL"], "-qc", "VACUUM ANALYZE"], check=True)

    def drop() -> None:
        if backend == "postgres":
            subprocess.run([*psql, f"DROP DATABASE IF EXISTS {name}"], check=True)
        shutil.rmtree(data, ignore_errors=True)

    return env, build_s, drop


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgres"])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--cities", type=int, default=1)
    parser.add_argument("--worker", action="store_true")
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.runs)))
        return
    rows = []
    # Scale outer, backend inner: a scale's databases are built side by side (one process each),
    # then measured one after the other, so both backends' rows of a scale see the same machine.
    for scale in args.scales:
        with ThreadPoolExecutor(len(args.backends)) as pool:
            jobs = [pool.submit(build, b, scale, args.cities) for b in args.backends]
            built = [job.result() for job in jobs]
        for backend, (env, build_s, drop) in zip(args.backends, built, strict=True):
            result = json.loads(
                run(
                    [
                        "uv",
                        "run",
                        "--frozen",
                        "python",
                        __file__,
                        "--worker",
                        "--runs",
                        str(args.runs),
                    ],
                    env,
                )
            )
            result.update(backend=backend, scale=scale, cities=args.cities, build_s=build_s)
            rows.append(result)
            print(json.dumps(result), flush=True)
            drop()
    print()
    print(
        f"{'backend':<9}{'scale':>6}{'cities':>7}{'records':>11}{'build s':>9}{'api ms':>9}"
        f"{'board ms':>10}{'sql ms':>8}{'api/sql':>9}{'api/1x':>8}{'RSS MB':>8}"
    )
    for r in sorted(rows, key=lambda r: (r["backend"] != "sqlite", r["scale"])):
        base = next(
            x for x in rows if x["backend"] == r["backend"] and x["scale"] == args.scales[0]
        )
        print(
            f"{r['backend']:<9}{r['scale']:>6}{r['cities']:>7}{r['records']:>11,}{r['build_s']:>9.1f}{r['api_ms']:>9.1f}"
            f"{r['board_ms']:>10.1f}{r['sql_ms']:>8.2f}{r['api_ms'] / r['sql_ms']:>9.1f}"
            f"{r['api_ms'] / base['api_ms']:>8.2f}{r['rss_mb']:>8.0f}"
        )


if __name__ == "__main__":
    main()
