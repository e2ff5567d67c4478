"""Deadline-day load: reporters filing figures while leaders refresh the cockpit.

Starts the production server (``chuangye serve``, gunicorn) on 127.0.0.1 against its own
PostgreSQL database, builds demo data (``chuangye demo``), adds district reporters until there
are enough (the accounts ``--scale`` would add) and gives them API tokens, then runs bounded
scenarios from one process with one thread per simulated user, as locust does:

1. **deadline day** — ``--reporters`` district reporters each read their bureau's figures of the
   open round (``GET /api/v1/data-values``), think, save one of them (``POST``/``PATCH``, with
   the version they read; a 409 from a colleague's concurrent save is optimistic locking at
   work, counted apart) and think again, while ``--viewers`` leaders refresh
   ``GET /api/v1/progress?org_unit=all`` with a think time between refreshes;
2. **ceiling** — the same number of users, with the same think time, on ``GET /healthz`` (a
   bare view with one query);
3. with ``--saturation`` (the default), both again with no think time at all: every user sends
   its next request as soon as the last one is answered, which measures the most the server
   can do and how long the queue grows.

Think time is uniform between the two bounds of ``--think`` (seconds, default ``1-3``, as in the
locust examples; ``--think 0`` makes the first two scenarios saturation runs too). Users start at
a random moment within the first think interval rather than all at once. The offered rate is
what the users ask for when every answer is instant: one request per mean think time each.

Each user stops after ``--duration`` seconds or ``--requests`` requests, whichever comes first;
the server is stopped and the database dropped at the end. Loopback only.

Run: ``uv run python bench/load_deadline.py [--reporters 200] [--viewers 50] [--duration 30]
[--think 1-3] [--no-saturation]`` (PostgreSQL on 127.0.0.1:5432; ``--db-url`` names the
database to create and drop).
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import random
import re
import resource
import select
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
        self.cpu: dict[str, float] = {}

    def add(self, name: str, seconds: float, outcome: str) -> None:
        with self.lock:
            self.stats[name].add(seconds, outcome)


def _closed_by_peer(sock: socket.socket) -> bool:
    """An idle connection with something to read has been closed by the other end."""
    return bool(select.select([sock], [], [], 0)[0])


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
        if self.conn is not None and self.conn.sock is not None and _closed_by_peer(self.conn.sock):
            # The server closed the idle keep-alive connection: reconnect, as browsers do.
            self.conn.close()
            self.conn = None
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


def local_environment(db_url: str, prefix: str) -> tuple[Path, dict[str, str]]:
    """A fresh data directory and the environment of the CLI for ``db_url`` (loopback only);
    this process's own settings point at the same database."""
    if urlsplit(db_url).hostname not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("the benchmark only runs against a database on this machine")
    data_dir = Path(tempfile.mkdtemp(prefix=prefix))
    env = {**os.environ, "DATABASE_URL": db_url, "CHUANGYE_DATA_DIR": str(data_dir)}
    env.setdefault("CHUANGYE_REQUIRE_2FA", "0")
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "CHUANGYE_DATA_DIR")})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chuangye.config.settings")
    return data_dir, env


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


def recreate_database(url: str, *, drop_only: bool = False, template: str | None = None) -> None:
    from psycopg import sql

    name = urlsplit(url).path.lstrip("/")
    with admin_connection(url) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        if drop_only:
            return
        if template:
            conn.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(name), sql.Identifier(template)
                )
            )
        else:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def server_shape(log: Path) -> str:
    """Workers × threads as the server announced them (the serve defaults unless overridden)."""
    for line in log.read_text(errors="replace").splitlines():
        if "个进程 ×" in line:
            workers, threads = (int(w) for w in re.findall(r"(\d+) 个", line)[-2:])
            return f"{workers} workers × {threads} threads"
    return "(see its log)"


def run_cli(env: dict[str, str], *args: str) -> None:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "chuangye.cli", *args],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    print(f"  chuangye {' '.join(args)}: {time.perf_counter() - started:.1f} s", flush=True)


@dataclass(frozen=True)
class Think:
    """Seconds a simulated user waits between requests: uniform in [low, high]."""

    low: float
    high: float

    @classmethod
    def parse(cls, raw: str) -> Think:
        low, _, high = raw.partition("-")
        bounds = (float(low), float(high or low))
        if bounds[0] < 0 or bounds[1] < bounds[0]:
            raise argparse.ArgumentTypeError("--think wants LOW-HIGH seconds, 0 <= LOW <= HIGH")
        return cls(*bounds)

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2

    def __str__(self) -> str:
        if not self.high:
            return "no think time"
        return f"think time {self.low:g}–{self.high:g} s"

    def wait(self, rng: random.Random, stop: float) -> None:
        """Sleep a think time (never past the end of the scenario)."""
        if self.high:
            time.sleep(max(0.0, min(rng.uniform(self.low, self.high), stop - time.monotonic())))

    def arrive(self, rng: random.Random) -> None:
        """Stagger the start: each user arrives somewhere within the first think interval."""
        if self.high:
            time.sleep(rng.uniform(0, self.high))


NO_THINK = Think(0, 0)


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
    port: int,
    person: dict[str, Any],
    work: Workload,
    recorder: Recorder,
    stop: float,
    cap: int,
    think: Think,
) -> None:
    rng = random.Random(person["token"])
    client = Client(port, person["token"])
    query = urlencode(
        {"year": work.year, "month": work.month, "department": person["department"], "limit": 200}
    )
    sent = 0
    think.arrive(rng)
    while time.monotonic() < stop and sent < cap:
        status, body = client.call(
            recorder, "GET /api/v1/data-values", "GET", f"/api/v1/data-values?{query}"
        )
        sent += 1
        think.wait(rng, stop)  # reads the sheet, types a figure
        if status != 200 or not person["cells"] or time.monotonic() >= stop:
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
            sent += 1
        elif row["status"] in ("draft", "returned"):
            client.call(
                recorder,
                "PATCH /api/v1/data-values/{id}",
                "PATCH",
                f"/api/v1/data-values/{row['id']}",
                {"value": value, "version": row["version"]},
            )
            sent += 1
        think.wait(rng, stop)  # looks at the result before the next figure


def viewer_loop(
    port: int, token: str, recorder: Recorder, stop: float, cap: int, think: Think
) -> None:
    rng = random.Random()
    client = Client(port, token)
    think.arrive(rng)
    for _ in range(cap):
        if time.monotonic() >= stop:
            break
        client.call(
            recorder, "GET /api/v1/progress?org_unit=all", "GET", "/api/v1/progress?org_unit=all"
        )
        think.wait(rng, stop)


def health_loop(port: int, recorder: Recorder, stop: float, cap: int, think: Think) -> None:
    rng = random.Random()
    client = Client(port)
    think.arrive(rng)
    for _ in range(cap):
        if time.monotonic() >= stop:
            break
        client.call(recorder, "GET /healthz", "GET", "/healthz")
        think.wait(rng, stop)


TICK = os.sysconf("SC_CLK_TCK")


def _pid_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used; 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def _children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return out


def _machine_busy() -> float:
    """CPU seconds every core of the machine has spent busy since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(values[:8]) - values[3] - values[4]) / TICK


class CpuMeter:
    """Where the CPU went during a scenario: the server (gunicorn master and workers), the
    PostgreSQL backends serving the bench database, this client, and everything else on the
    machine (other people's work on a shared machine)."""

    def __init__(self, server_pid: int, db_url: str) -> None:
        self.server_pid = server_pid
        self.db_url = db_url

    def _backends(self) -> list[int]:
        name = urlsplit(self.db_url).path.lstrip("/")
        with admin_connection(self.db_url) as conn:
            rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [name])
            return [int(r[0]) for r in rows]

    def sample(self) -> dict[str, Any]:
        server = [self.server_pid, *_children(self.server_pid)]
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return {
            "server": {p: _pid_cpu(p) for p in server},
            "db": {p: _pid_cpu(p) for p in self._backends()},
            "client": usage.ru_utime + usage.ru_stime,
            "machine": _machine_busy(),
        }

    @staticmethod
    def spent(before: dict[str, Any], after: dict[str, Any]) -> dict[str, float]:
        out = {
            k: sum(v - before[k].get(p, 0.0) for p, v in after[k].items()) for k in ("server", "db")
        }
        out["client"] = after["client"] - before["client"]
        out["machine"] = after["machine"] - before["machine"]
        out["other"] = max(0.0, out["machine"] - out["server"] - out["db"] - out["client"])
        return out


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


def report(title: str, recorder: Recorder, elapsed: float, offered: float | None) -> list[str]:
    lines = [
        f"### {title} ({elapsed:.0f} s)",
        "",
        "| request | count | per second | p50 ms | p95 ms | p99 ms | 409 conflicts | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    total = 0
    everything: list[float] = []
    for name, s in sorted(recorder.stats.items()):
        errors = sum(n for k, n in s.outcomes.items() if k.startswith(("error", "refused")))
        total += len(s.latencies)
        everything += s.latencies
        p50, p95, p99 = (percentile(s.latencies, p) * 1000 for p in (50, 95, 99))
        lines.append(
            f"| `{name}` | {len(s.latencies)} | {len(s.latencies) / elapsed:.1f} | "
            f"{p50:.0f} | {p95:.0f} | {p99:.0f} | {s.outcomes['conflict']} | {errors} |"
        )
    p50, p95, p99 = (percentile(everything, p) * 1000 for p in (50, 95, 99))
    lines.append(
        f"| all | {total} | {total / elapsed:.1f} | {p50:.0f} | {p95:.0f} | {p99:.0f} | | |"
    )
    kinds: Counter[str] = Counter()
    for s in recorder.stats.values():
        kinds.update({k: n for k, n in s.outcomes.items() if k.startswith(("error", "refused"))})
    lines.append("")
    if offered is not None:
        lines.append(
            f"Offered: {offered:.1f} requests/s (every answer instant); "
            f"served {total / elapsed:.1f}/s."
        )
    lines.append(f"Errors by kind: {dict(kinds) or 'none'}")
    if recorder.cpu and total:
        cpu = recorder.cpu
        cores = os.cpu_count() or 1
        per = {k: cpu[k] / total * 1000 for k in ("server", "db", "client")}
        lines.append(
            f"CPU per request: server {per['server']:.1f} ms, PostgreSQL {per['db']:.1f} ms, "
            f"client {per['client']:.1f} ms; the machine's {cores} cores were "
            f"{cpu['machine'] / elapsed / cores:.0%} busy, "
            f"{cpu['other'] / elapsed / cores:.0%} of it other processes."
        )
    return lines


def deadline_day(
    port: int,
    work: Workload,
    viewers: int,
    args: argparse.Namespace,
    think: Think,
    meter: CpuMeter,
) -> tuple[Recorder, float]:
    recorder = Recorder()
    before = meter.sample()
    stop = time.monotonic() + args.duration
    viewer = (viewer_loop, (port, work.viewer_token, recorder, stop, args.requests, think))
    elapsed = run_threads(
        [
            *[
                (reporter_loop, (port, p, work, recorder, stop, args.requests, think))
                for p in work.reporters
            ],
            *[viewer] * viewers,
        ]
    )
    recorder.cpu = CpuMeter.spent(before, meter.sample())
    return recorder, elapsed


def ceiling(
    port: int, users: int, args: argparse.Namespace, think: Think, meter: CpuMeter
) -> tuple[Recorder, float]:
    recorder = Recorder()
    before = meter.sample()
    stop = time.monotonic() + args.duration
    elapsed = run_threads([(health_loop, (port, recorder, stop, args.requests, think))] * users)
    recorder.cpu = CpuMeter.spent(before, meter.sample())
    return recorder, elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reporters", type=int, default=200)
    parser.add_argument("--viewers", type=int, default=50)
    parser.add_argument("--duration", type=float, default=30, help="seconds per scenario")
    parser.add_argument(
        "--think",
        type=Think.parse,
        default=Think(1, 3),
        help="think time between a user's requests, LOW-HIGH seconds (default 1-3; 0 for none)",
    )
    parser.add_argument(
        "--saturation",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also run both scenarios with no think time (default: yes)",
    )
    parser.add_argument("--requests", type=int, default=400, help="cap per simulated user")
    parser.add_argument("--scale", type=int, default=1, help="chuangye demo --scale")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: chuangye serve's)")
    parser.add_argument("--threads", type=int, help="threads per worker (default: serve's)")
    parser.add_argument("--db-url", default="postgres://postgres@127.0.0.1:5432/chuangye_bench")
    parser.add_argument(
        "--template",
        help="copy this existing demo database (same server) instead of running chuangye demo",
    )
    args = parser.parse_args()
    data_dir, env = local_environment(args.db_url, "chuangye-load-")
    port = free_port()
    server: subprocess.Popen[bytes] | None = None
    log = data_dir / "server.log"
    print(f"database {args.db_url}, data {data_dir}", flush=True)
    recreate_database(args.db_url, template=args.template)
    try:
        run_cli(env, "manage", "migrate", "--verbosity", "0")
        if not args.template:
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
                    *(["--workers", str(args.workers)] if args.workers else []),
                    *(["--threads", str(args.threads)] if args.threads else []),
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
        shape = server_shape(log)
        print(
            f"server: gunicorn {shape} on {HOST}:{port}; "
            f"{len(work.reporters)} reporters over {bureaus} bureaus, {args.viewers} viewers, "
            f"{work.year}-{work.month:02d} round",
            flush=True,
        )
        users = args.reporters + args.viewers
        think: Think = args.think
        offered = users / think.mean if think.high else None
        meter = CpuMeter(server.pid, args.db_url)
        runs = [think] + ([NO_THINK] if args.saturation and think.high else [])
        lines: list[str] = []
        medians: list[str] = []
        for pace in runs:
            mixed, elapsed = deadline_day(port, work, args.viewers, args, pace, meter)
            lines += [
                *report(
                    f"Deadline day: {args.reporters} reporters + {args.viewers} viewers, {pace}",
                    mixed,
                    elapsed,
                    offered if pace.high else None,
                ),
                "",
            ]
            bare, elapsed = ceiling(port, users, args, pace, meter)
            lines += [
                *report(
                    f"Ceiling: {users} users on /healthz, {pace}",
                    bare,
                    elapsed,
                    offered if pace.high else None,
                ),
                "",
            ]
            cockpit = mixed.stats["GET /api/v1/progress?org_unit=all"].latencies
            health = bare.stats["GET /healthz"].latencies
            if cockpit and health:
                medians.append(
                    f"{pace}: cockpit p50 / bare-view p50 under the same load: "
                    f"{statistics.median(cockpit) / statistics.median(health):.1f}×"
                )
        print("\n".join(lines + medians))
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
