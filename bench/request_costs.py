"""What one deadline-day request costs: queries, Python function calls and CPU, in-process.

Builds a throw-away PostgreSQL demo database (as ``load_deadline.py`` does), then replays the
requests of the deadline-day scenario through Django's test client with an API token, one at a
time, and prints per kind of request: the SQL statements it sends, the Python function calls it
makes (cProfile's count, which does not depend on machine load), and the CPU time of this
process and of its PostgreSQL backend (best of ``--rounds`` rounds of ``--runs`` requests).

1. ``GET /api/v1/data-values`` — a district bureau's sheet of the open round;
2. ``PATCH /api/v1/data-values/{id}`` refused as stale (a version older than the row's: 409);
3. ``PATCH /api/v1/data-values/{id}`` saved (the version just read);
4. ``GET /api/v1/progress?org_unit=all`` — the cockpit (its answer cached);
5. ``GET /healthz`` — the bare view.

Run: ``uv run python bench/request_costs.py [--runs 200] [--rounds 3] [--sql]`` (PostgreSQL on
127.0.0.1:5432; ``--db-url`` names the database to create and drop; ``--template NAME`` copies
an existing demo database instead of running ``chuangye demo``).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

import load_deadline as ld  # the same set-up as the load scenario


def _backend_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(args: argparse.Namespace) -> list[str]:
    work = ld.prepare(1)
    import logging

    from django.db import connection

    logging.getLogger("django.request").setLevel(logging.ERROR)  # every 409 would log a line
    from django.test import Client

    host = {"HTTP_HOST": "127.0.0.1"}
    person = work.reporters[0]
    reporter = Client(HTTP_AUTHORIZATION=f"Token {person['token']}", **host)
    leader = Client(HTTP_AUTHORIZATION=f"Token {work.viewer_token}", **host)
    anonymous = Client(**host)
    sheet = "/api/v1/data-values?" + urlencode(
        {"year": work.year, "month": work.month, "department": person["department"], "limit": 200}
    )
    indicator, unit = person["cells"][0]
    listed = {(r["indicator"], r["org_unit"]): r for r in reporter.get(sheet).json()["results"]}
    row = listed.get((indicator, unit))
    if row is None:
        created = reporter.post(
            "/api/v1/data-values",
            json.dumps(
                {
                    "indicator": indicator,
                    "org_unit": unit,
                    "year": work.year,
                    "month": work.month,
                    "value": 1,
                }
            ),
            content_type="application/json",
        )
        if created.status_code != 201:
            raise SystemExit(f"could not file the bureau's figure: {created.content[:300]!r}")
        row = created.json()
    url = f"/api/v1/data-values/{row['id']}"
    counter = iter(range(10**9))

    def patch(version: int) -> Any:
        body = {"value": next(counter) % 500, "version": version}
        return reporter.patch(url, json.dumps(body), content_type="application/json")

    def saved() -> Any:
        current = reporter.get(url).json()["version"]
        return patch(current)

    saved()  # from here on the row's version is at least 2: version 1 is stale
    kinds: list[tuple[str, Callable[[], Any], int, Callable[[], Any] | None]] = [
        ("`GET /api/v1/data-values` (a bureau's sheet)", lambda: reporter.get(sheet), 200, None),
        ("`PATCH /api/v1/data-values/{id}`, refused as stale", lambda: patch(1), 409, None),
        (
            "`PATCH /api/v1/data-values/{id}`, saved",
            saved,
            200,
            lambda: reporter.get(url),  # the read before it, subtracted
        ),
        (
            "`GET /api/v1/progress?org_unit=all`",
            lambda: leader.get("/api/v1/progress?org_unit=all"),
            200,
            None,
        ),
        ("`GET /healthz`", lambda: anonymous.get("/healthz"), 200, None),
    ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]

    def cost(func: Callable[[], Any]) -> tuple[int, float, float, float, list[str]]:
        statements: list[str] = []

        def spy(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            statements.append(sql)
            return execute(sql, params, many, context)

        for _ in range(5):
            func()
        with connection.execute_wrapper(spy):
            func()
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(20):
            func()
        profile.disable()
        calls = pstats.Stats(profile).total_calls / 20  # type: ignore[attr-defined]
        best_cpu = best_db = float("inf")
        for _ in range(args.rounds):
            cpu, db = time.process_time(), _backend_cpu(backend)
            for _ in range(args.runs):
                func()
            best_cpu = min(best_cpu, (time.process_time() - cpu) / args.runs)
            best_db = min(best_db, (_backend_cpu(backend) - db) / args.runs)
        return len(statements), calls, best_cpu * 1000, best_db * 1000, statements

    lines = [
        "| request | SQL statements | Python calls | CPU ms (this process) | CPU ms (PostgreSQL) |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, func, expected, before in kinds:
        status = func().status_code
        if status != expected:
            raise SystemExit(f"{name}: answered {status}, expected {expected}")
        queries, calls, cpu, db, statements = cost(func)
        if before is not None:
            q0, c0, cpu0, db0, _ = cost(before)
            queries, calls, cpu, db = queries - q0, calls - c0, cpu - cpu0, db - db0
            statements = statements[q0:]
        lines.append(f"| {name} | {queries} | {calls:,.0f} | {cpu:.2f} | {db:.2f} |")
        if args.sql:
            lines += [f"|   `{s[:110]}`| | | | |" for s in statements]
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=200, help="requests per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sql", action="store_true", help="list the statements of each request")
    parser.add_argument("--db-url", default="postgres://postgres@127.0.0.1:5432/chuangye_costs")
    parser.add_argument("--template", help="copy this existing demo database (same server)")
    args = parser.parse_args()
    _, env = ld.local_environment(args.db_url, "chuangye-costs-")
    os.environ.setdefault("CHUANGYE_REQUIRE_2FA", "0")
    ld.recreate_database(args.db_url, template=args.template)
    try:
        ld.run_cli(env, "manage", "migrate", "--verbosity", "0")
        if not args.template:
            ld.run_cli(env, "demo", "--scale", "1")
        ld.run_cli(env, "manage", "collectstatic", "--noinput", "--verbosity", "0")
        lines = measure(args)
    finally:
        from django.db import connections

        connections.close_all()
        ld.recreate_database(args.db_url, drop_only=True)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
