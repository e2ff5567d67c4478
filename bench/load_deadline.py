"""Deadline-day load: reporters filing figures while leaders refresh the cockpit.

Starts the production server (``chuangye serve``, gunicorn) on 127.0.0.1 against its own
PostgreSQL database, builds demo data (``chuangye demo``), adds district reporters until there
are enough (the accounts ``--scale`` would add) and gives them API tokens, then runs two bounded
scenarios from one process with one thread per simulated user:

1. **deadline day** — ``--reporters`` district reporters each read their bureau's figures of the
   open round (``GET /api/v1/data-values``) and save one (``POST``/``PATCH``, with the version
   they read; a 409 from a colleague's concurrent save is optimistic locking at work, counted
   apart), while ``--viewers`` leaders refresh ``GET /api/v1/progress?org_unit=all``;
2. **ceiling** — the same number of threads on ``GET /healthz`` (a bare view with one query).

Each user stops after ``--duration`` seconds or ``--requests`` requests, whichever comes first;
the server is stopped and the database dropped at the end. Loopback only.

Run: ``uv run python bench/load_deadline.py [--reporters 200] [--viewers 50] [--duration 30]``
(PostgreSQL on 127.0.0.1:5432; ``--db-url`` names the database to create and drop).
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"  # never anything but loopback


@dataclass
class Stats:
    """Latencies and outcomes of one kind of request."""

    latencies: list[float] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)

    def add(self, seconds: float, outcome: str) -> None:
        self.latencies.append(seconds)
        self.outcomes[outcome] += 1


class Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.stats: dict[str, Stats] = defaultdict(Stats)

    def add(self, name: str, seconds: float, outcome: str) -> None:
        with self.lock:
            self.stats[name].add(seconds, outcome)


class Client:
    """One keep-alive connection per simulated user."""

    def __init__(self, port: int, token: str | None = None) -> None:
        self.port = port
        self.headers = {"Accept": "application/json"}
        if token:
            self.headers["Authorization"] = f"Token {token}"
        self.conn: http.client.HTTPConnection | None = None

    def call(
        self, recorder: Recorder, name: str, method: str, path: str, body: Any = None
    ) -> tuple[int, Any]:
        headers = dict(self.headers)
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        started = time.perf_counter()
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection(HOST, self.port, timeout=60)
            self.conn.request(method, path, body=data, headers=headers)
            response = self.conn.getresponse()
            raw = response.read()
            status = response.status
        except (OSError, http.client.HTTPException) as exc:
            recorder.add(name, time.perf_counter() - started, f"error:{type(exc).__name__}")
            if self.conn is not None:
                self.conn.close()
            self.conn = None
            return 0, None
        elapsed = time.perf_counter() - started
        if status >= 500 or status in (401, 403, 404, 429):
            outcome = f"error:{status}"
        elif status == 409:
            outcome = "conflict"
        elif status >= 400:
            outcome = f"refused:{status}"
        else:
            outcome = "ok"
        recorder.add(name, elapsed, outcome)
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, None


# --- set-up --------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def admin_connection(url: str) -> Any:
    import psycopg

    parts = urlsplit(url)
    return psycopg.connect(
        host=parts.hostname or HOST,
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password or None,
        dbname="postgres",
        autocommit=True,
    )


def recreate_database(url: str, *, drop_only: bool = False) -> None:
    from psycopg import sql

    name = urlsplit(url).path.lstrip("/")
    with admin_connection(url) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        if not drop_only:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def run_cli(env: dict[str, str], *args: str) -> None:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "chuangye.cli", *args],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    print(f"  chuangye {' '.join(args)}: {time.perf_counter() - started:.1f} s", flush=True)


@dataclass
class Workload:
    reporters: list[dict[str, Any]]  # token, department, cells
    viewer_token: str
    year: int
    month: int


def prepare(reporters: int) -> Workload:
    """Reporters of the district 人社局 (as many as asked), their tokens, and the cells they file.

    ``chuangye demo --scale N`` would give every district bureau N reporters, but it also
    multiplies the programme registries N times; the accounts it would add are made here the
    same way (same names, unusable passwords, the reporter role of the bureau).
    """
    import django

    django.setup()
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from chuangye.accounts import services as accounts
    from chuangye.accounts.models import User
    from chuangye.plans.models import Plan
    from chuangye.reporting.duties import district_bureaus, duties
    from chuangye.reporting.models import ReportingRound

    plan = Plan.objects.get(is_active=True)
    today = timezone.localdate()
    rnd = next(r for r in ReportingRound.objects.filter(plan=plan) if r.is_open(today))
    bureaus = sorted(district_bureaus(plan).values(), key=lambda b: b.code)
    cells: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for duty in duties(plan, rnd.month, include_prefilled=False):
        cells[duty.department.pk].append((duty.indicator.code, duty.org_unit.code))
    per_bureau = -(-reporters // len(bureaus))
    groups = []
    for bureau in bureaus:
        for i in range(1, per_bureau + 1):
            username = f"staff_{bureau.code}_reporter_{i}"
            if not User.objects.filter(username=username).exists():
                user = accounts.create_user(
                    username, actor=None, password=None, display_name=f"压测填报员{i}"
                )
                accounts.grant_role(user, "reporter", actor=None, department=bureau)
        staff = User.objects.filter(
            memberships__department=bureau, memberships__role="reporter", memberships__active=True
        ).order_by("username")
        groups.append(
            [
                {
                    "token": Token.objects.get_or_create(user=user)[0].key,
                    "department": bureau.code,
                    "cells": cells[bureau.pk],
                }
                for user in staff
            ]
        )
    # Round-robin over the bureaus, so any number of reporters spreads over every district.
    people = [p for row in itertools.zip_longest(*groups) for p in row if p is not None]
    viewer, _ = Token.objects.get_or_create(user=User.objects.get(username="leader"))
    return Workload(people[:reporters], viewer.key, rnd.year, rnd.month)


# --- the scenarios -------------------------------------------------------------------------------


def reporter_loop(
    port: int, person: dict[str, Any], work: Workload, recorder: Recorder, stop: float, cap: int
) -> None:
    rng = random.Random(person["token"])
    client = Client(port, person["token"])
    query = urlencode(
        {"year": work.year, "month": work.month, "department": person["department"], "limit": 200}
    )
    sent = 0
    while time.monotonic() < stop and sent < cap:
        status, body = client.call(
            recorder, "GET /api/v1/data-values", "GET", f"/api/v1/data-values?{query}"
        )
        sent += 1
        if status != 200 or not person["cells"]:
            continue
        current = {(r["indicator"], r["org_unit"]): r for r in body["results"]}
        indicator, unit = rng.choice(person["cells"])
        value = rng.randint(0, 500)
        row = current.get((indicator, unit))
        if row is None:
            payload = {
                "indicator": indicator,
                "org_unit": unit,
                "year": work.year,
                "month": work.month,
                "value": value,
                "note": "压测",
            }
            client.call(
                recorder, "POST /api/v1/data-values", "POST", "/api/v1/data-values", payload
            )
        elif row["status"] in ("draft", "returned"):
            client.call(
                recorder,
                "PATCH /api/v1/data-values/{id}",
                "PATCH",
                f"/api/v1/data-values/{row['id']}",
                {"value": value, "version": row["version"]},
            )
        sent += 1


def viewer_loop(port: int, token: str, recorder: Recorder, stop: float, cap: int) -> None:
    client = Client(port, token)
    for _ in range(cap):
        if time.monotonic() >= stop:
            break
        client.call(
            recorder, "GET /api/v1/progress?org_unit=all", "GET", "/api/v1/progress?org_unit=all"
        )


def health_loop(port: int, recorder: Recorder, stop: float, cap: int) -> None:
    client = Client(port)
    for _ in range(cap):
        if time.monotonic() >= stop:
            break
        client.call(recorder, "GET /healthz", "GET", "/healthz")


def run_threads(targets: list[tuple[Any, tuple[Any, ...]]]) -> float:
    threads = [threading.Thread(target=f, args=a, daemon=True) for f, a in targets]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def report(title: str, recorder: Recorder, elapsed: float) -> list[str]:
    lines = [
        f"### {title} ({elapsed:.0f} s)",
        "",
        "| request | count | per second | p50 ms | p95 ms | p99 ms | 409 conflicts | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    total = 0
    for name, s in sorted(recorder.stats.items()):
        errors = sum(n for k, n in s.outcomes.items() if k.startswith(("error", "refused")))
        total += len(s.latencies)
        p50, p95, p99 = (percentile(s.latencies, p) * 1000 for p in (50, 95, 99))
        lines.append(
            f"| `{name}` | {len(s.latencies)} | {len(s.latencies) / elapsed:.1f} | "
            f"{p50:.0f} | {p95:.0f} | {p99:.0f} | {s.outcomes['conflict']} | {errors} |"
        )
    lines.append(f"| all | {total} | {total / elapsed:.1f} | | | | | |")
    kinds: Counter[str] = Counter()
    for s in recorder.stats.values():
        kinds.update({k: n for k, n in s.outcomes.items() if k.startswith(("error", "refused"))})
    lines.append("")
    lines.append(f"Errors by kind: {dict(kinds) or 'none'}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reporters", type=int, default=200)
    parser.add_argument("--viewers", type=int, default=50)
    parser.add_argument("--duration", type=float, default=30, help="seconds per scenario")
    parser.add_argument("--requests", type=int, default=400, help="cap per simulated user")
    parser.add_argument("--scale", type=int, default=1, help="chuangye demo --scale")
    parser.add_argument("--workers", type=int, default=int(os.environ.get("CHUANGYE_WORKERS", "2")))
    parser.add_argument("--threads", type=int, default=int(os.environ.get("CHUANGYE_THREADS", "4")))
    parser.add_argument("--db-url", default="postgres://postgres@127.0.0.1:5432/chuangye_bench")
    args = parser.parse_args()
    if urlsplit(args.db_url).hostname not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("the benchmark only runs against a database on this machine")

    data_dir = Path(tempfile.mkdtemp(prefix="chuangye-load-"))
    env = {**os.environ, "DATABASE_URL": args.db_url, "CHUANGYE_DATA_DIR": str(data_dir)}
    env.setdefault("CHUANGYE_REQUIRE_2FA", "0")
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "CHUANGYE_DATA_DIR")})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chuangye.config.settings")
    port = free_port()
    server: subprocess.Popen[bytes] | None = None
    log = data_dir / "server.log"
    print(f"database {args.db_url}, data {data_dir}", flush=True)
    recreate_database(args.db_url)
    try:
        run_cli(env, "manage", "migrate", "--verbosity", "0")
        run_cli(env, "demo", "--scale", str(args.scale))
        work = prepare(args.reporters)
        from django.db import connections

        connections.close_all()
        with log.open("wb") as out:
            server = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "chuangye.cli",
                    "serve",
                    "--host",
                    HOST,
                    "--port",
                    str(port),
                    "--workers",
                    str(args.workers),
                    "--threads",
                    str(args.threads),
                ],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 180
        probe = Recorder()
        while Client(port).call(probe, "ready", "GET", "/healthz")[0] != 200:
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("server did not start:\n" + log.read_text()[-2000:])
            time.sleep(0.5)
        bureaus = len({p["department"] for p in work.reporters})
        print(
            f"server: gunicorn {args.workers} workers × {args.threads} threads on {HOST}:{port}; "
            f"{len(work.reporters)} reporters over {bureaus} bureaus, {args.viewers} viewers, "
            f"{work.year}-{work.month:02d} round",
            flush=True,
        )
        users = args.reporters + args.viewers

        deadline_day = Recorder()
        stop = time.monotonic() + args.duration
        viewer = (viewer_loop, (port, work.viewer_token, deadline_day, stop, args.requests))
        elapsed = run_threads(
            [
                *[
                    (reporter_loop, (port, p, work, deadline_day, stop, args.requests))
                    for p in work.reporters
                ],
                *[viewer] * args.viewers,
            ]
        )
        lines = report(
            f"Deadline day: {args.reporters} reporters + {args.viewers} viewers",
            deadline_day,
            elapsed,
        )

        ceiling = Recorder()
        stop = time.monotonic() + args.duration
        elapsed = run_threads([(health_loop, (port, ceiling, stop, args.requests))] * users)
        lines += ["", *report(f"Ceiling: {users} users on /healthz", ceiling, elapsed)]
        print("\n".join(lines))
        cockpit = deadline_day.stats["GET /api/v1/progress?org_unit=all"].latencies
        health = ceiling.stats["GET /healthz"].latencies
        if cockpit and health:
            print(
                f"\ncockpit p50 / bare-view p50 under the same concurrency: "
                f"{statistics.median(cockpit) / statistics.median(health):.1f}×"
            )
    finally:
        if server is not None and server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
        from django.db import connections

        connections.close_all()
        recreate_database(args.db_url, drop_only=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
