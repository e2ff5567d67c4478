import datetime as dt
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from types import SimpleNamespace
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from chuangye.accounts.models import Department
from chuangye.core.models import AuditEntry
from chuangye.plans.models import Plan
from chuangye.reporting import services
from chuangye.reporting.duties import duties
from chuangye.reporting.models import (
    DataValue,
    Holiday,
    Notification,
    Reminder,
    ReportingRound,
    Webhook,
)
from chuangye.reporting.reminders import DueReminder, due_reminders, send_due

pytestmark = pytest.mark.django_db

# June 2025's figures open Tue 1 July, are due Mon 7 July and lock Mon 14 July.
OPENS = dt.date(2025, 7, 1)
DEADLINE = dt.date(2025, 7, 7)
LOCKS = dt.date(2025, 7, 14)
UPCOMING_DAY = dt.date(2025, 7, 2)  # three working days before the deadline
HUANCUI = "371002-rsj"
DISTRICT_BUREAUS = 8


@pytest.fixture(autouse=True)
def _reminder_settings(settings: Any) -> None:
    settings.REMIND_DAYS_BEFORE = 3
    settings.EMAIL_HOST = ""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def rounds(plan: Plan, personas: dict[str, Any]) -> Plan:
    services.ensure_rounds(plan, OPENS)
    return plan


@pytest.fixture
def robot(monkeypatch: pytest.MonkeyPatch) -> Iterator[SimpleNamespace]:
    """A group-chat robot on 127.0.0.1 that records each JSON body; ``/bad`` answers errcode."""
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            received.append(
                {
                    "path": self.path,
                    "content_type": self.headers["Content-Type"],
                    "body": json.loads(self.rfile.read(length)),
                }
            )
            ok = {"errcode": 0, "errmsg": "ok"}
            bad = {"errcode": 93000, "errmsg": "invalid webhook url"}
            answer = json.dumps(bad if self.path.startswith("/bad") else ok).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01})
    thread.start()
    try:
        yield SimpleNamespace(url=f"http://127.0.0.1:{server.server_port}", received=received)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _department(code: str = HUANCUI) -> Department:
    return Department.objects.get(code=code)


def _for(items: list[DueReminder], code: str = HUANCUI) -> DueReminder | None:
    return next((d for d in items if d.department.code == code), None)


def _fill(plan: Plan, personas: dict[str, Any], *, submit: bool, approve: bool) -> list[DataValue]:
    """Fill every June cell of 环翠区人社局, optionally submit and approve them."""
    department = _department()
    reporter = personas["reporter_huancui"]
    for duty in duties(plan, 6, departments={department.pk}, include_prefilled=False):
        services.save_value(
            indicator=duty.indicator,
            org_unit=duty.org_unit,
            year=2025,
            month=6,
            value="3",
            actor=reporter,
            today=OPENS,
        )
    rows = list(DataValue.objects.filter(department=department, month=6))
    if submit:
        rows = services.submit_round(plan, 2025, 6, department, actor=reporter, today=OPENS)
    if approve:
        for row in rows:
            services.approve_value(row, actor=personas["approver_huancui"])
    return rows


# --- when and to whom -------------------------------------------------------------------------


def test_upcoming_reminder_starts_remind_days_before_the_deadline(
    rounds: Plan, settings: Any
) -> None:
    assert due_reminders(OPENS) == []  # four working days left: too early
    due = due_reminders(UPCOMING_DAY)
    assert len(due) == DISTRICT_BUREAUS
    assert {d.kind for d in due} == {"upcoming"}
    huancui = _for(due)
    assert huancui is not None
    assert huancui.workdays == 3 and huancui.awaiting == 0 and huancui.missing > 0
    assert {u.username for u in huancui.recipients} == {
        "reporter_huancui",
        "staff_371002-rsj_reporter_1",
    }
    assert huancui.message == (
        "【创业威海】环翠区人社局：2025年6月数据截止 2025-07-07（还剩 3 个工作日），"
        f"还有 {huancui.missing} 项未填报，请尽快处理。"
    )
    assert {d.workdays for d in due_reminders(dt.date(2025, 7, 4))} == {1}
    assert due_reminders(dt.date(2025, 7, 5)) == []  # Saturday
    assert due_reminders(dt.date(2025, 7, 6)) == []  # Sunday
    assert due_reminders(DEADLINE) == []
    settings.REMIND_DAYS_BEFORE = 2
    assert due_reminders(UPCOMING_DAY) == []
    assert len(due_reminders(dt.date(2025, 7, 3))) == DISTRICT_BUREAUS


def test_overdue_on_each_working_day_after_the_deadline_until_the_lock(rounds: Plan) -> None:
    Holiday.objects.create(date=dt.date(2025, 7, 10), name="测试假日")
    expected = {
        dt.date(2025, 7, 8): 1,
        dt.date(2025, 7, 9): 2,
        dt.date(2025, 7, 10): None,  # holiday
        dt.date(2025, 7, 11): 3,
        dt.date(2025, 7, 12): None,  # Saturday
        dt.date(2025, 7, 13): None,  # Sunday
        LOCKS: None,
    }
    for day, overdue in expected.items():
        due = due_reminders(day)
        if overdue is None:
            assert due == [], day
            continue
        huancui = _for(due)
        assert huancui is not None and huancui.kind == "overdue"
        assert huancui.workdays == overdue
        assert f"已逾期 {overdue} 个工作日" in huancui.message
        assert "请在 2025-07-14 锁定前尽快处理" in huancui.message
    # A round locked early (locked_at set) gets nothing either.
    ReportingRound.objects.filter(plan=rounds, month=6).update(locked_at=timezone.now())
    assert due_reminders(dt.date(2025, 7, 11)) == []


def test_approved_department_gets_nothing(rounds: Plan, personas: dict[str, Any]) -> None:
    _fill(rounds, personas, submit=True, approve=True)
    due = due_reminders(UPCOMING_DAY)
    assert _for(due) is None
    assert len(due) == DISTRICT_BUREAUS - 1


def test_figures_awaiting_approval_remind_the_approvers(
    rounds: Plan, personas: dict[str, Any]
) -> None:
    rows = _fill(rounds, personas, submit=True, approve=False)
    huancui = _for(due_reminders(UPCOMING_DAY))
    assert huancui is not None
    assert (huancui.missing, huancui.unsubmitted, huancui.awaiting) == (0, 0, len(rows))
    assert {u.username for u in huancui.recipients} == {
        "approver_huancui",
        "staff_371002-rsj_approver_0",
    }
    assert f"还有 {len(rows)} 项待审核" in huancui.message and "未填报" not in huancui.message


def test_drafts_count_as_not_submitted_and_go_to_reporters(
    rounds: Plan, personas: dict[str, Any]
) -> None:
    rows = _fill(rounds, personas, submit=False, approve=False)
    huancui = _for(due_reminders(UPCOMING_DAY))
    assert huancui is not None
    assert (huancui.missing, huancui.unsubmitted, huancui.awaiting) == (0, len(rows), 0)
    assert "approver_huancui" not in {u.username for u in huancui.recipients}


# --- sending ----------------------------------------------------------------------------------


def test_send_due_twice_on_the_same_day_sends_nothing_twice(
    rounds: Plan, personas: dict[str, Any]
) -> None:
    coordinator = personas["coordinator"]
    first = send_due(UPCOMING_DAY, actor=coordinator)
    assert len(first.sent) == DISTRICT_BUREAUS and first.skipped == 0 and first.failures == []
    notifications = Notification.objects.count()
    note = Notification.objects.get(user=personas["reporter_huancui"])
    assert note.url == "/reporting/" and "环翠区人社局" in note.body
    reminder = Reminder.objects.get(department__code=HUANCUI)
    assert reminder.kind == "upcoming" and reminder.sent_on == UPCOMING_DAY
    assert reminder.channels == ["in_app"] and reminder.missing > 0
    entries = AuditEntry.objects.filter(action="reporting.reminder.send")
    assert entries.count() == DISTRICT_BUREAUS
    assert entries.filter(actor=coordinator, object_id=str(reminder.pk)).exists()

    second = send_due(UPCOMING_DAY, actor=coordinator)
    assert second.sent == [] and second.skipped == DISTRICT_BUREAUS
    assert Notification.objects.count() == notifications
    assert Reminder.objects.count() == DISTRICT_BUREAUS
    assert entries.count() == DISTRICT_BUREAUS
    # The next working day is a new reminder.
    assert len(send_due(dt.date(2025, 7, 3)).sent) == DISTRICT_BUREAUS


def test_a_reminder_claimed_by_another_run_is_skipped(
    rounds: Plan, personas: dict[str, Any]
) -> None:
    june = ReportingRound.objects.get(plan=rounds, year=2025, month=6)
    Reminder.objects.create(
        round=june, department=_department(), kind="upcoming", sent_on=UPCOMING_DAY, missing=1
    )
    report = send_due(UPCOMING_DAY)
    assert report.skipped == 1 and len(report.sent) == DISTRICT_BUREAUS - 1
    assert not Notification.objects.filter(user=personas["reporter_huancui"]).exists()
    assert Notification.objects.filter(user=personas["reporter_wendeng"]).count() == 1


def test_email_goes_out_only_when_smtp_is_configured(
    rounds: Plan, personas: dict[str, Any], settings: Any
) -> None:
    reporter = personas["reporter_huancui"]
    reporter.email = "huancui@example.test"
    reporter.save(update_fields=["email"])
    send_due(UPCOMING_DAY)  # EMAIL_HOST is empty
    assert mail.outbox == []
    assert Reminder.objects.get(department__code=HUANCUI).channels == ["in_app"]

    settings.EMAIL_HOST = "smtp.test"
    day = dt.date(2025, 7, 3)
    report = send_due(day)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["huancui@example.test"]
    assert message.subject == "2025年6月数据将于 2025-07-07 截止"
    assert "环翠区人社局" in message.body and "还剩 2 个工作日" in message.body
    sent = Reminder.objects.get(department__code=HUANCUI, sent_on=day)
    assert sent.channels == ["in_app", "email"]
    assert report.channels["email"] == 1 and report.channels["in_app"] == DISTRICT_BUREAUS


def test_unreachable_mail_server_does_not_stop_in_app_messages(
    rounds: Plan, personas: dict[str, Any], settings: Any
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = _closed_port()
    for name in ("reporter_huancui", "reporter_wendeng"):
        personas[name].email = f"{name}@example.test"
        personas[name].save(update_fields=["email"])
    report = send_due(UPCOMING_DAY)
    assert len(report.sent) == DISTRICT_BUREAUS
    assert sorted(f.channel for f in report.failures) == [
        "email:reporter_huancui",
        "email:reporter_wendeng",
    ]
    assert Notification.objects.filter(user=personas["reporter_wendeng"]).count() == 1
    assert Reminder.objects.get(department__code=HUANCUI).channels == ["in_app"]


def test_webhooks_receive_the_robot_text_message(
    rounds: Plan, personas: dict[str, Any], robot: SimpleNamespace
) -> None:
    own = Webhook.objects.create(
        name="环翠群", url=f"{robot.url}/huancui", department=_department()
    )
    everyone = Webhook.objects.create(name="全市群", url=f"{robot.url}/all")
    Webhook.objects.create(name="停用", url=f"{robot.url}/off", active=False)
    report = send_due(UPCOMING_DAY)
    assert report.failures == []
    by_path = [r for r in robot.received if r["path"] == "/huancui"]
    assert len(by_path) == 1
    huancui = Reminder.objects.get(department__code=HUANCUI)
    text = Notification.objects.get(user=personas["reporter_huancui"]).body
    assert by_path[0]["body"] == {"msgtype": "text", "text": {"content": text}}
    assert by_path[0]["content_type"] == "application/json"
    assert sum(r["path"] == "/all" for r in robot.received) == DISTRICT_BUREAUS
    assert not any(r["path"] == "/off" for r in robot.received)
    assert huancui.channels == ["in_app", f"webhook:{own.pk}", f"webhook:{everyone.pk}"]


def test_failing_webhook_does_not_stop_other_channels(
    rounds: Plan, personas: dict[str, Any], robot: SimpleNamespace
) -> None:
    department = _department()
    closed = Webhook.objects.create(
        name="已关闭", url=f"http://127.0.0.1:{_closed_port()}/", department=department
    )
    refused = Webhook.objects.create(name="密钥错误", url=f"{robot.url}/bad", department=department)
    working = Webhook.objects.create(name="环翠群", url=f"{robot.url}/ok", department=department)
    report = send_due(UPCOMING_DAY)
    failed = {f.channel: f.error for f in report.failures}
    assert set(failed) == {f"webhook:{closed.pk}", f"webhook:{refused.pk}"}
    assert failed[f"webhook:{closed.pk}"].startswith("无法连接")
    assert "93000" in failed[f"webhook:{refused.pk}"]
    assert Reminder.objects.get(department__code=HUANCUI).channels == [
        "in_app",
        f"webhook:{working.pk}",
    ]
    assert Notification.objects.filter(user=personas["reporter_huancui"]).count() == 1
    assert len(report.sent) == DISTRICT_BUREAUS


# --- the command ------------------------------------------------------------------------------


def _counts() -> tuple[int, ...]:
    return (
        ReportingRound.objects.count(),
        Reminder.objects.count(),
        Notification.objects.count(),
        AuditEntry.objects.count(),
    )


def test_remind_command_dry_run_lists_and_writes_nothing(personas: dict[str, Any]) -> None:
    before = _counts()
    out = StringIO()
    call_command("remind", "--date", "2025-07-02", "--dry-run", stdout=out)
    text = out.getvalue()
    assert "试运行" in text
    assert (
        f"应发送提醒 {DISTRICT_BUREAUS} 条（临近提醒 {DISTRICT_BUREAUS} 条、到期催办 0 条）" in text
    )
    assert "【创业威海】环翠区人社局：2025年6月数据截止 2025-07-07" in text
    assert _counts() == before


def test_remind_command_opens_rounds_sends_once_and_locks(personas: dict[str, Any]) -> None:
    out = StringIO()
    call_command("remind", "--date", "2025-07-08", stdout=out)
    assert ReportingRound.objects.filter(month=6, locked_at__isnull=True).exists()
    assert f"发送提醒 {DISTRICT_BUREAUS} 条（临近提醒 0 条、到期催办 {DISTRICT_BUREAUS} 条）" in (
        out.getvalue()
    )
    again = StringIO()
    call_command("remind", "--date", "2025-07-08", stdout=again)
    assert "发送提醒 0 条" in again.getvalue()
    assert f"跳过 {DISTRICT_BUREAUS} 条" in again.getvalue()
    locked = StringIO()
    call_command("remind", "--date", "2025-07-14", stdout=locked)
    assert ReportingRound.objects.get(month=6, year=2025).locked_at is not None
    assert "发送提醒 0 条" in locked.getvalue()


def test_remind_command_rejects_a_bad_date(personas: dict[str, Any]) -> None:
    before = _counts()
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("remind", "--date", "2025-13-40")
    assert _counts() == before
