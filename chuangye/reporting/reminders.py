"""Reminders before a round's deadline (临近提醒) and after it (到期催办), sent once a day.

:func:`due_reminders` works out who still owes what; :func:`send_due` claims each reminder by
inserting its ``Reminder`` row (unique per round, department, kind and day) and only then
delivers it in-app, by email and to group-chat robots, so a second run sends nothing twice.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.mail import get_connection, send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q

from chuangye.accounts.choices import Role
from chuangye.accounts.models import Department, Membership, User
from chuangye.core import audit
from chuangye.plans.models import Plan
from chuangye.reporting.calendar import WorkCalendar
from chuangye.reporting.choices import Channel, ReminderKind, ValueStatus
from chuangye.reporting.duties import Duty, duties
from chuangye.reporting.models import (
    DataValue,
    Notification,
    Reminder,
    ReportingRound,
    Webhook,
)

logger = logging.getLogger(__name__)

#: Where a notification takes the reader.
REPORTING_URL = "/reporting/"
#: Seconds before a robot or mail server that does not answer counts as failed.
WEBHOOK_TIMEOUT = 5
EMAIL_TIMEOUT = 10
BRAND = "【创业威海】"

_REPORTER_STATES = frozenset({ValueStatus.DRAFT, ValueStatus.RETURNED})


@dataclass(frozen=True)
class DueReminder:
    """What one department still owes for one round, and whom to tell."""

    round: ReportingRound
    department: Department
    kind: str
    #: cells with no figure yet
    missing: int
    #: cells filled (draft) or sent back (returned) but not submitted
    unsubmitted: int
    #: cells submitted and waiting for the approver
    awaiting: int
    #: working days left before the deadline (upcoming) or past it (overdue)
    workdays: int
    recipients: tuple[User, ...]
    title: str
    message: str

    @property
    def outstanding(self) -> int:
        return self.missing + self.unsubmitted + self.awaiting


@dataclass(frozen=True)
class Failure:
    """A channel that did not deliver one reminder."""

    department: str
    round: str
    kind: str
    channel: str
    error: str


@dataclass
class SendReport:
    """What :func:`send_due` did: reminders sent, already sent today, and failed channels."""

    sent: list[Reminder] = field(default_factory=list)
    skipped: int = 0
    failures: list[Failure] = field(default_factory=list)

    def count(self, kind: str) -> int:
        return sum(1 for r in self.sent if r.kind == kind)

    @property
    def channels(self) -> Counter[str]:
        """Reminders delivered per channel family (``in_app``, ``email``, ``webhook``)."""
        return Counter(c.split(":", 1)[0] for r in self.sent for c in r.channels)


# --- who owes what ----------------------------------------------------------------------------


def active_plan() -> Plan | None:
    return Plan.objects.filter(is_active=True).first()


def _message(
    rnd: ReportingRound,
    department: Department,
    kind: str,
    workdays: int,
    counts: tuple[int, int, int],
) -> tuple[str, str]:
    missing, unsubmitted, awaiting = counts
    parts = []
    if missing:
        parts.append(f"{missing} 项未填报")
    if unsubmitted:
        parts.append(f"{unsubmitted} 项未提交")
    if awaiting:
        parts.append(f"{awaiting} 项待审核")
    owed = "、".join(parts)
    if kind == ReminderKind.UPCOMING:
        title = f"{rnd.label}数据将于 {rnd.deadline} 截止"
        text = (
            f"{BRAND}{department.name}：{rnd.label}数据截止 {rnd.deadline}"
            f"（还剩 {workdays} 个工作日），还有 {owed}，请尽快处理。"
        )
    else:
        title = f"{rnd.label}数据已逾期 {workdays} 个工作日"
        text = (
            f"{BRAND}{department.name}：{rnd.label}数据已于 {rnd.deadline} 截止，"
            f"已逾期 {workdays} 个工作日，还有 {owed}，"
            f"请在 {rnd.locks_on} 锁定前尽快处理。"
        )
    return title, text


def _kind_for(rnd: ReportingRound, today: dt.date, cal: WorkCalendar) -> tuple[str, int] | None:
    """(kind, working days to or past the deadline), or None when no reminder is due."""
    if today > rnd.deadline:
        return ReminderKind.OVERDUE.value, cal.workdays_between(rnd.deadline, today)
    left = cal.workdays_between(today, rnd.deadline)
    if 0 < left <= settings.REMIND_DAYS_BEFORE:
        return ReminderKind.UPCOMING.value, left
    return None


def _recipients(department_ids: set[int]) -> dict[tuple[int, str], list[User]]:
    """Active reporters and approvers of the departments, keyed by (department id, role)."""
    found: dict[tuple[int, str], list[User]] = {}
    rows = (
        Membership.objects.filter(
            department_id__in=department_ids,
            role__in=[Role.REPORTER, Role.APPROVER],
            active=True,
            user__is_active=True,
        )
        .select_related("user")
        .order_by("user__username")
    )
    for m in rows:
        if m.department_id is not None:
            found.setdefault((m.department_id, m.role), []).append(m.user)
    return found


def due_reminders(today: dt.date) -> list[DueReminder]:
    """Every reminder the calendar calls for today, one per open round and department owing.

    Only on working days; ``upcoming`` within ``REMIND_DAYS_BEFORE`` working days of the
    deadline (not on the deadline day), ``overdue`` on each working day after it until the round
    locks. A department whose every figure is approved gets nothing.
    """
    plan = active_plan()
    cal = WorkCalendar()
    if plan is None or not cal.is_workday(today):
        return []
    rounds = plan.rounds.filter(
        locked_at__isnull=True, opens_on__lte=today, locks_on__gt=today
    ).order_by("year", "month")
    pending: list[tuple[ReportingRound, str, int, Department, tuple[int, int, int]]] = []
    month_duties: dict[int, list[Duty]] = {}
    for rnd in rounds:
        timing = _kind_for(rnd, today, cal)
        if timing is None:
            continue
        kind, workdays = timing
        if rnd.month not in month_duties:
            month_duties[rnd.month] = duties(plan, rnd.month, include_prefilled=False)
        cells = {
            (v["indicator_id"], v["org_unit_id"]): (v["value"], v["status"])
            for v in DataValue.objects.filter(
                indicator__plan=plan, year=rnd.year, month=rnd.month
            ).values("indicator_id", "org_unit_id", "value", "status")
        }
        owed: dict[int, list[int]] = {}
        departments: dict[int, Department] = {}
        for duty in month_duties[rnd.month]:
            tally = owed.setdefault(duty.department.pk, [0, 0, 0])
            departments[duty.department.pk] = duty.department
            value, status = cells.get((duty.indicator.pk, duty.org_unit.pk), (None, None))
            if value is None:
                tally[0] += 1
            elif status in _REPORTER_STATES:
                tally[1] += 1
            elif status == ValueStatus.SUBMITTED:
                tally[2] += 1
        for pk, (missing, unsubmitted, awaiting) in owed.items():
            if missing or unsubmitted or awaiting:
                counts = (missing, unsubmitted, awaiting)
                pending.append((rnd, kind, workdays, departments[pk], counts))
    people = _recipients({p[3].pk for p in pending})
    result = []
    for rnd, kind, workdays, department, counts in pending:
        missing, unsubmitted, awaiting = counts
        users: dict[int, User] = {}
        if missing or unsubmitted:
            users |= {u.pk: u for u in people.get((department.pk, Role.REPORTER), [])}
        if awaiting:
            users |= {u.pk: u for u in people.get((department.pk, Role.APPROVER), [])}
        title, message = _message(rnd, department, kind, workdays, counts)
        # Open 督办单 of the department ride along with its figures reminder.
        from chuangye.documents.selectors import open_notices_for, reminder_line

        notices = [reminder_line(n, department, today) for n in open_notices_for(department)]
        if notices:
            message = message + "\n" + "\n".join(notices)
        result.append(
            DueReminder(
                round=rnd,
                department=department,
                kind=kind,
                missing=missing,
                unsubmitted=unsubmitted,
                awaiting=awaiting,
                workdays=workdays,
                recipients=tuple(sorted(users.values(), key=lambda u: u.username)),
                title=title,
                message=message,
            )
        )
    result.sort(key=lambda d: (d.round.year, d.round.month, d.department.order, d.department.code))
    return result


def webhooks_for(department: Department) -> list[Webhook]:
    """Active robots of the department plus those that take every department's reminders."""
    return list(
        Webhook.objects.filter(
            Q(department=department) | Q(department__isnull=True), active=True
        ).order_by("pk")
    )


# --- delivery ---------------------------------------------------------------------------------


def post_webhook(url: str, content: str, *, timeout: float = WEBHOOK_TIMEOUT) -> None:
    """POST a text message in the robot format 企业微信 and 钉钉 share; raise on any failure."""
    if not url.lower().startswith(("http://", "https://")):
        raise ValueError("地址必须以 http:// 或 https:// 开头")
    body = json.dumps({"msgtype": "text", "text": {"content": content}}, ensure_ascii=False)
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url,
        data=body.encode("utf-8"),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - as above
        raw = response.read(64 * 1024)
    # Both robots answer HTTP 200 with {"errcode": non-zero} for a bad key or a rejected body.
    try:
        answer = json.loads(raw or b"{}")
    except ValueError:
        return
    if isinstance(answer, dict) and answer.get("errcode", 0) not in (0, "0"):
        raise RuntimeError(f"机器人返回错误 {answer.get('errcode')}：{answer.get('errmsg', '')}")


def _describe(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code}"
    if isinstance(exc, urllib.error.URLError):
        return f"无法连接：{exc.reason}"
    if isinstance(exc, TimeoutError):
        return "超时"
    return f"{type(exc).__name__}：{exc}"


def _claim(due: DueReminder, today: dt.date) -> Reminder | None:
    """Insert the day's Reminder row and the in-app messages together, or None if taken."""
    try:
        with transaction.atomic():
            reminder = Reminder.objects.create(
                round=due.round,
                department=due.department,
                kind=due.kind,
                sent_on=today,
                missing=due.outstanding,
                channels=[],
            )
            if due.recipients:
                Notification.objects.bulk_create(
                    Notification(user=u, title=due.title, body=due.message, url=REPORTING_URL)
                    for u in due.recipients
                )
                reminder.channels = [Channel.IN_APP.value]
                reminder.save(update_fields=["channels"])
    except IntegrityError:
        # Already sent today, by an earlier run or a concurrent one.
        return None
    return reminder


def _deliver(due: DueReminder, report: SendReport, mail: Any) -> list[str]:
    """Send email and robot messages; return the channels that worked, record the rest."""
    channels: list[str] = []

    def fail(channel: str, exc: BaseException) -> None:
        error = _describe(exc)
        logger.warning("提醒发送失败 %s %s %s：%s", due.department.code, due.kind, channel, error)
        report.failures.append(
            Failure(due.department.name, due.round.label, due.kind, channel, error)
        )

    if settings.EMAIL_HOST:
        mailed = 0
        for user in due.recipients:
            if not user.email:
                continue
            try:
                send_mail(due.title, due.message, None, [user.email], connection=mail)
            except Exception as exc:  # any mail failure must not stop the other channels
                fail(f"{Channel.EMAIL.value}:{user.username}", exc)
            else:
                mailed += 1
        if mailed:
            channels.append(Channel.EMAIL.value)
    for hook in webhooks_for(due.department):
        channel = f"{Channel.WEBHOOK.value}:{hook.pk}"
        try:
            post_webhook(hook.url, due.message)
        except Exception as exc:  # any robot failure must not stop the other channels
            fail(channel, exc)
        else:
            channels.append(channel)
    return channels


def send_due(
    today: dt.date,
    *,
    actor: Any = None,
    due: list[DueReminder] | None = None,
    progress: Callable[[int], None] | None = None,
) -> SendReport:
    """Send today's reminders (``due`` defaults to :func:`due_reminders`); idempotent per day.

    Each reminder is claimed by inserting its ``Reminder`` row before anything is delivered, so
    a repeated or concurrent run skips it. A failing channel is recorded and the rest go on.
    """
    report = SendReport()
    mail = get_connection(timeout=getattr(settings, "EMAIL_TIMEOUT", None) or EMAIL_TIMEOUT)
    for item in due_reminders(today) if due is None else due:
        reminder = _claim(item, today)
        if reminder is None:
            report.skipped += 1
        else:
            before_failures = len(report.failures)
            reminder.channels = [*reminder.channels, *_deliver(item, report, mail)]
            failed = [f.channel for f in report.failures[before_failures:]]
            if not reminder.channels:
                report.failures.append(
                    Failure(
                        item.department.name,
                        item.round.label,
                        item.kind,
                        "none",
                        "没有送达任何渠道：该单位没有有效的填报员或审核员账号，也没有可用的群机器人",
                    )
                )
            with transaction.atomic():
                reminder.save(update_fields=["channels"])
                audit.record(
                    "reporting.reminder.send",
                    actor=actor,
                    obj=reminder,
                    after={
                        "kind": item.kind,
                        "sent_on": today.isoformat(),
                        "missing": item.missing,
                        "unsubmitted": item.unsubmitted,
                        "awaiting": item.awaiting,
                        "recipients": len(item.recipients),
                        "channels": reminder.channels,
                        "failed": failed,
                    },
                )
            report.sent.append(reminder)
        if progress:
            progress(1)
    return report
