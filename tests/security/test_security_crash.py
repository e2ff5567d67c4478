"""Crash safety: the production server killed with SIGKILL in the middle of a large import.

``chuangye serve`` runs in its own process group with its own data directory and SQLite file.
The coordinator uploads a plan document of a few thousand measures through the pages and starts
its import; while the import transaction holds the database's write lock the whole server is
killed (SIGKILL: no cleanup, as in a power cut). After a restart the database must be whole —
integrity and foreign keys intact, facts and the audit chain consistent, not one row of the
half-done import — and running the same import again must give the complete plan.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PLANS = ROOT / "data" / "plans"
PASSWORD = "Crash-Test-2025!"
DOC_NUMBER = "威政办字〔2099〕1号"
MEASURES = 1500
PER_SECTION = 40
CN = "一二三四五六七八九十"


def _cn(n: int) -> str:
    if n <= 10:
        return CN[n - 1]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else CN[tens - 1]) + "十" + (CN[ones - 1] if ones else "")


def big_plan_text(measures: int) -> str:
    """A plan of the Weihai genre with ``measures`` measures, forty to a section."""
    raw = (PLANS / "weihai-2025-8.txt").read_text(encoding="utf-8")
    plan = json.loads((PLANS / "weihai-2025-8.json").read_text(encoding="utf-8"))
    head = raw.split("一、实施创业市场环境", 1)[0].replace("威政办字〔2025〕8号", DOC_NUMBER)
    titles = [s["title"] for s in plan["sections"]]
    parts = [head]
    for n in range(measures):
        if n % PER_SECTION == 0:
            section = n // PER_SECTION + 1
            parts.append(f"{_cn(section)}、{titles[(section - 1) % len(titles)]}")
        parts.append(f"{n % PER_SECTION + 1}.{plan['measures'][n % len(plan['measures'])]['text']}")
    return "\n\n".join(parts)


# --- the server ---------------------------------------------------------------------------------

#: Run in the server's environment before its first start: the schema, the city's reference
#: data and the coordinator (a user exists, so ``serve`` loads the plan but no demo data).
SETUP = """
import os
import django

django.setup()
from django.core.management import call_command

call_command("migrate", verbosity=0)
from chuangye.accounts.models import Department
from chuangye.accounts.services import create_user, ensure_reference_data, grant_role

ensure_reference_data(actor=None)
user = create_user("coordinator", actor=None, password=os.environ["CRASH_TEST_PASSWORD"])
grant_role(user, "coordinator", actor=None, department=Department.objects.get(code="rsj"))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``chuangye serve`` on a loopback port, started and killed by this test only."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = _free_port()
        self.log = data_dir / "server.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.env = {
            k: v
            for k, v in os.environ.items()
            if k != "DATABASE_URL" and not k.startswith("PYTEST")
        }
        self.env.update(
            CHUANGYE_DATA_DIR=str(data_dir),
            CHUANGYE_DEMO_PASSWORD=PASSWORD,
            CHUANGYE_REQUIRE_2FA="0",
            DJANGO_SETTINGS_MODULE="chuangye.config.settings",
            PYTHONPATH=str(ROOT),
        )

    def prepare(self) -> None:
        """Migrate and create the coordinator, so the first start skips the demo data."""
        subprocess.run(  # noqa: S603 - our own code, fixed arguments
            [sys.executable, "-c", SETUP],
            env={**self.env, "CRASH_TEST_PASSWORD": PASSWORD},
            check=True,
            capture_output=True,
            timeout=120,
        )

    def spawn(self, *args: str) -> subprocess.Popen[str]:
        """Run a ``chuangye`` command against this server's data directory."""
        return subprocess.Popen(  # noqa: S603 - our own CLI, fixed arguments
            [sys.executable, "-m", "chuangye.cli", *args],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(  # noqa: S603 - our own CLI, fixed arguments
                [
                    *(sys.executable, "-m", "chuangye.cli", "serve", "--port", str(self.port)),
                    *("--workers", "1", "--threads", "2"),
                ],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: master and workers die together
            )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.tail()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError("server did not start\n" + self.tail())

    def kill(self) -> None:
        """SIGKILL the whole process group (gunicorn master and worker)."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""

    @property
    def database(self) -> Path:
        return self.data_dir / "chuangye.sqlite3"


class Browser:
    """A cookie-keeping HTTP client for the pages (standard library only)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        sent = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        conn.request(method, path, body=body, headers={**sent, **(headers or {})})
        response = conn.getresponse()
        data = response.read()
        for value in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, dict(response.headers), data

    def token(self, path: str) -> str:
        status, _headers, body = self.request("GET", path)
        assert status == 200, (path, status)
        found = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
        assert found, path
        return found.group(1).decode()

    def post(
        self, path: str, fields: dict[str, str], files: dict[str, tuple[str, bytes]] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        boundary = uuid.uuid4().hex
        chunks: list[bytes] = []
        for name, value in fields.items():
            chunks.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                f"{value}\r\n".encode()
            )
        for name, (filename, content) in (files or {}).items():
            chunks.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
                + content
                + b"\r\n"
            )
        chunks.append(f"--{boundary}--\r\n".encode())
        return self.request(
            "POST",
            path,
            b"".join(chunks),
            {"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )

    def login(self, username: str) -> None:
        token = self.token("/login/")
        status, headers, _ = self.post(
            "/login/",
            {"csrfmiddlewaretoken": token, "username": username, "password": PASSWORD},
        )
        assert status == 302 and not headers["Location"].startswith("/login/"), status


# --- looking into the database file --------------------------------------------------------------


def writer_active(database: Path) -> bool:
    """Whether another connection holds SQLite's write lock (an open write transaction)."""
    conn = sqlite3.connect(database, timeout=0, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError:
        return True
    finally:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        conn.close()
    return False


def query(database: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(database)
    try:
        return list(conn.execute(sql, params))
    finally:
        conn.close()


#: Rows of the big plan: the plan, its measures, its targets, its responsibilities.
COUNTS = (
    "SELECT count(*) FROM plans_plan WHERE doc_number = ?",
    "SELECT count(*) FROM plans_measure m JOIN plans_plan p ON m.plan_id = p.id "
    "WHERE p.doc_number = ?",
    "SELECT count(*) FROM plans_target t JOIN plans_plan p ON t.plan_id = p.id "
    "WHERE p.doc_number = ?",
    "SELECT count(*) FROM plans_responsibility r JOIN plans_measure m ON r.measure_id = m.id "
    "JOIN plans_plan p ON m.plan_id = p.id WHERE p.doc_number = ?",
)


def imported(database: Path) -> tuple[int, ...]:
    """(plans, measures, targets, responsibilities) of the big plan."""
    return tuple(query(database, sql, DOC_NUMBER)[0][0] for sql in COUNTS)


def assert_whole(database: Path) -> None:
    assert query(database, "PRAGMA integrity_check") == [("ok",)]
    assert query(database, "PRAGMA foreign_key_check") == []


def assert_consistent(server: Server) -> None:
    """SQLite's own checks, then the facts and the audit chain (both commands at once)."""
    assert_whole(server.database)
    checks = [server.spawn("facts", "check"), server.spawn("manage", "audit_verify")]
    for check in checks:
        out, _ = check.communicate(timeout=120)
        assert check.returncode == 0, out


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    running = Server(tmp_path)
    try:
        yield running
    finally:
        running.stop()


def test_kill_during_a_large_import_leaves_a_whole_database(server: Server) -> None:
    text = big_plan_text(MEASURES)
    server.prepare()
    server.start()
    browser = Browser(server.port)
    browser.login("coordinator")
    token = browser.token("/plan/upload/")
    status, headers, _ = browser.post(
        "/plan/upload/",
        {"csrfmiddlewaretoken": token},
        {"document": ("大型方案.txt", text.encode())},
    )
    assert status == 302, server.tail()
    draft_url = headers["Location"]
    assert re.fullmatch(r"/plan/drafts/\d+/", draft_url)
    draft_id = int(draft_url.strip("/").rsplit("/", 1)[1])
    # What a complete import holds: the parsed draft, as the coordinator reviews it.
    plan = json.loads(
        query(server.database, "SELECT data FROM plans_plandraft WHERE id = ?", draft_id)[0][0]
    )
    expected = (
        1,
        len(plan["measures"]),
        len(plan["targets"]) + sum(len(m["targets"]) for m in plan["measures"]),
        sum(len(m["responsibilities"]) for m in plan["measures"]),
    )
    assert expected[1] == MEASURES
    audit_rows = query(server.database, "SELECT count(*) FROM core_auditentry")[0][0]

    # Start the import and kill the server while its transaction holds the write lock.
    outcome: dict[str, Any] = {}

    def run_import() -> None:
        try:
            outcome["response"] = browser.post(
                draft_url + "import/", {"csrfmiddlewaretoken": token, "supersedes": ""}
            )
        except (OSError, http.client.HTTPException) as exc:
            outcome["error"] = exc

    worker = threading.Thread(target=run_import)
    worker.start()
    held_since = None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and worker.is_alive():
        if writer_active(server.database):
            held_since = held_since or time.monotonic()
            if time.monotonic() - held_since > 0.3:  # the import, not a brief session write
                break
        else:
            held_since = None
        time.sleep(0.02)
    assert worker.is_alive(), f"the import finished before it could be interrupted: {outcome}"
    server.kill()
    worker.join(timeout=30)
    assert "error" in outcome, outcome  # the client saw the connection die

    # Nothing of the half-done import survived; the rest of the database is intact.
    assert imported(server.database) == (0, 0, 0, 0)
    assert query(server.database, "SELECT count(*) FROM core_auditentry")[0][0] == audit_rows
    assert query(server.database, "SELECT status FROM plans_plandraft WHERE id = ?", draft_id) == [
        ("draft",)
    ]
    assert_consistent(server)

    # After a restart the same import runs to the end and gives the whole plan.
    server.start()
    browser = Browser(server.port)
    browser.login("coordinator")
    token = browser.token("/plan/upload/")
    status, headers, _ = browser.post(
        draft_url + "import/", {"csrfmiddlewaretoken": token, "supersedes": ""}
    )
    assert status == 302 and headers["Location"] == "/plan/", server.tail()
    assert imported(server.database) == expected
    assert query(server.database, "SELECT status FROM plans_plandraft WHERE id = ?", draft_id) == [
        ("imported",)
    ]
    assert_whole(server.database)
