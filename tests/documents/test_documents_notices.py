"""督办单: issue, reply, close or escalate; who sees what; board, reminders and Word export."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.utils import timezone
from docx import Document
from docx.oxml.ns import qn

from chuangye.accounts.models import Department, OrgUnit
from chuangye.core.models import AuditEntry
from chuangye.documents import services
from chuangye.documents.errors import DocumentError
from chuangye.documents.models import SupervisionNotice
from chuangye.documents.selectors import open_notices_for, reminder_line
from chuangye.reporting.models import Notification

pytestmark = pytest.mark.django_db


def _dept(code: str) -> Department:
    return Department.objects.get(code=code)


def _issue(scenario: Any, **extra: Any) -> SupervisionNotice:
    """A notice on 环翠区's red 扶持创业, led by 环翠区人社局, copied to 市人社局."""
    fields: dict[str, Any] = {
        "lead_department": _dept("371002-rsj"),
        "cc_departments": [_dept("rsj")],
        "subject": "环翠区扶持创业滞后于序时进度",
        "issue": "截至6月底完成300人，完成率明显低于序时进度。",
        "action": "请分析原因、制定整改措施并按期反馈。",
        "deadline": timezone.localdate() + dt.timedelta(days=10),
        "target": scenario.target,
        "org_unit": OrgUnit.objects.get(code="371002"),
    }
    fields.update(extra)
    return services.create_notice(scenario.plan, actor=scenario.personas["coordinator"], **fields)


def test_notice_goes_to_lead_and_copied_departments(scenario: Any) -> None:
    notice = _issue(scenario)
    year = timezone.localdate().year
    assert notice.number == f"创业威海督〔{year}〕1号" and notice.status == "open"
    assert _issue(scenario).number == f"创业威海督〔{year}〕2号"
    told = set(
        Notification.objects.filter(url=f"/documents/notices/{notice.pk}/").values_list(
            "user__username", flat=True
        )
    )
    assert {"reporter_huancui", "approver_huancui", "reporter_rsj"} <= told
    assert "reporter_wendeng" not in told
    assert notice in open_notices_for(_dept("371002-rsj"))
    assert notice in open_notices_for(_dept("rsj"))  # copied
    assert open_notices_for(_dept("371003-rsj")) == []


def test_reply_then_close_takes_the_notice_off_the_board(scenario: Any) -> None:
    notice = _issue(scenario)
    people = scenario.personas
    services.reply_notice(
        notice, actor=people["reporter_huancui"], reply="已制定整改方案，7月底完成。"
    )
    notice.refresh_from_db()
    assert notice.status == "replied" and notice.replied_by == people["reporter_huancui"]
    assert Notification.objects.filter(
        user=people["coordinator"], title__contains="已反馈"
    ).exists()
    assert notice in open_notices_for(_dept("371002-rsj"))  # waiting for the coordinator
    services.close_notice(notice, actor=people["coordinator"], note="整改到位")
    notice.refresh_from_db()
    assert notice.status == "closed" and notice.resolution == "整改到位"
    assert open_notices_for(_dept("371002-rsj")) == []
    actions = list(
        AuditEntry.objects.filter(
            object_type="documents.supervisionnotice", object_id=str(notice.pk)
        )
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "documents.notice.create",
        "documents.notice.reply",
        "documents.notice.close",
    ]
    with pytest.raises(DocumentError, match="已办结"):
        services.reply_notice(notice, actor=people["reporter_huancui"], reply="补充")


def test_escalation_sets_a_new_deadline_and_asks_for_a_reply(scenario: Any) -> None:
    notice = _issue(scenario)
    later = timezone.localdate() + dt.timedelta(days=20)
    services.escalate_notice(
        notice, actor=scenario.personas["coordinator"], note="逾期未反馈，升级督办", deadline=later
    )
    notice.refresh_from_db()
    assert notice.status == "escalated" and notice.deadline == later
    with pytest.raises(DocumentError, match="不能升级督办"):
        services.escalate_notice(notice, actor=scenario.personas["coordinator"], note="再次")
    services.reply_notice(notice, actor=scenario.personas["approver_huancui"], reply="已落实")
    notice.refresh_from_db()
    assert notice.status == "replied"


def test_only_the_coordinator_issues_and_only_the_lead_replies(scenario: Any) -> None:
    people = scenario.personas
    with pytest.raises(DocumentError, match="只有统筹协调员"):
        services.create_notice(
            scenario.plan,
            actor=people["leader"],
            lead_department=_dept("rsj"),
            subject="x",
            issue="x",
            action="x",
            deadline=timezone.localdate(),
            measure=scenario.measure,
        )
    notice = _issue(scenario)
    for name in ("reporter_rsj", "reporter_wendeng", "coordinator"):  # copied, other, coordinator
        with pytest.raises(DocumentError, match="只有主办单位环翠区人社局"):
            services.reply_notice(notice, actor=people[name], reply="x")


def test_notice_needs_a_subject_and_a_future_deadline(scenario: Any) -> None:
    with pytest.raises(DocumentError, match="办理时限不能早于今天"):
        _issue(scenario, deadline=timezone.localdate() - dt.timedelta(days=1))
    with pytest.raises(DocumentError, match="滞后目标或一项滞后措施"):
        _issue(scenario, target=None)


def test_department_sees_its_own_and_copied_notices_only(scenario: Any, login: Any) -> None:
    notice = _issue(scenario)
    url = f"/documents/notices/{notice.pk}/"
    for name in ("coordinator", "leader", "reporter_huancui", "approver_huancui", "reporter_rsj"):
        assert login(name).get(url).status_code == 200, name
    for name in ("reporter_wendeng", "outsider", "entrepreneur", "auditor"):
        assert login(name).get(url).status_code == 404, name
        assert login(name).get(f"{url}docx/").status_code == 404, name
    listing = login("reporter_wendeng").get("/documents/notices/").content.decode()
    assert notice.number not in listing
    assert notice.number in login("reporter_huancui").get("/documents/notices/").content.decode()
    assert login("outsider").get("/documents/notices/").status_code == 404


def test_reply_form_only_for_the_lead_department(scenario: Any, login: Any) -> None:
    notice = _issue(scenario)
    url = f"/documents/notices/{notice.pk}/"
    assert 'id="notice-reply"' in login("reporter_huancui").get(url).content.decode()
    copied = login("reporter_rsj")
    assert 'id="notice-reply"' not in copied.get(url).content.decode()
    copied.post(f"{url}reply/", {"reply": "配合单位想反馈"})
    notice.refresh_from_db()
    assert notice.status == "open" and notice.reply == ""
    assert login("reporter_wendeng").post(f"{url}reply/", {"reply": "x"}).status_code == 404
    assert login("reporter_huancui").post(f"{url}close/", {"close-note": "x"}).status_code == 404


def test_notice_lifecycle_through_the_pages(scenario: Any, login: Any) -> None:
    coordinator = login("coordinator")
    listing = coordinator.get("/documents/notices/").content.decode()
    assert "滞后的目标" in listing and "?target=" in listing  # red 扶持创业 offered
    target = scenario.target
    form = coordinator.get(
        "/documents/notices/new/", {"target": target.pk, "unit": "371002"}
    ).content.decode()
    assert "环翠区扶持创业滞后于序时进度" in form  # prefilled subject
    assert 'value="{}" selected'.format(_dept("371002-rsj").pk) in form  # prefilled lead
    deadline = (timezone.localdate() + dt.timedelta(days=7)).isoformat()
    response = coordinator.post(
        "/documents/notices/new/",
        {
            "subject": "环翠区扶持创业滞后于序时进度",
            "issue": "完成率低于序时进度。",
            "action": "请整改。",
            "deadline": deadline,
            "lead_department": _dept("371002-rsj").pk,
            "cc_departments": [_dept("rsj").pk],
            "target": target.pk,
            "org_unit": "371002",
        },
    )
    notice = SupervisionNotice.objects.get()
    assert (
        response.status_code == 302 and response["Location"] == f"/documents/notices/{notice.pk}/"
    )
    assert notice.org_unit is not None and notice.org_unit.code == "371002"
    board = login("reporter_huancui").get("/cockpit/departments/371002-rsj/").content.decode()
    assert 'id="open-notices"' in board and notice.number in board
    reply = login("reporter_huancui").post(
        f"/documents/notices/{notice.pk}/reply/", {"reply": "已整改"}
    )
    assert reply.status_code == 302
    coordinator.post(f"/documents/notices/{notice.pk}/close/", {"close-note": "同意办结"})
    notice.refresh_from_db()
    assert notice.status == "closed"
    board = login("reporter_huancui").get("/cockpit/departments/371002-rsj/").content.decode()
    assert notice.number not in board


def test_notice_from_a_lagging_measure_prefills_lead_copies_and_cause(
    scenario: Any, login: Any
) -> None:
    coordinator = login("coordinator")
    listing = coordinator.get("/documents/notices/").content.decode()
    assert f"?measure={scenario.measure.pk}" in listing
    form = coordinator.get("/documents/notices/new/", {"measure": scenario.measure.pk})
    body = form.content.decode()
    assert "推进滞后" in body and scenario.update.cause in body
    assert 'value="{}" selected'.format(_dept("rsj").pk) in body  # measure 2 lead
    assert 'value="{}" selected'.format(_dept("fgw").pk) in body  # cooperating, copied


def test_notice_docx_has_the_form_and_fonts_on_every_run(scenario: Any, login: Any) -> None:
    notice = _issue(scenario)
    response = login("reporter_huancui").get(f"/documents/notices/{notice.pk}/docx/")
    assert response.status_code == 200
    document = Document(io.BytesIO(response.content))
    assert document.paragraphs[0].text == "“创业威海”行动方案督办单"
    rows = {r.cells[0].text: r.cells[1].text for r in document.tables[0].rows}
    assert rows["编号"] == notice.number
    assert rows["主办单位"] == "环翠区人社局" and rows["配合单位"] == "市人力资源社会保障局"
    assert rows["办理情况"] == "（待主办单位反馈）"
    runs = [r for p in document.paragraphs for r in p.runs]
    runs += [
        r
        for row in document.tables[0].rows
        for c in row.cells
        for p in c.paragraphs
        for r in p.runs
    ]
    assert runs and all(r._element.rPr.rFonts.get(qn("w:eastAsia")) for r in runs)


def test_reminder_line_says_role_and_days_left(scenario: Any) -> None:
    today = timezone.localdate()
    notice = _issue(scenario, deadline=today + dt.timedelta(days=3))
    line = reminder_line(notice, _dept("371002-rsj"), today)
    assert line.startswith(f"督办单 {notice.number}（主办）") and line.endswith("还剩 3 天")
    late = reminder_line(notice, _dept("rsj"), today + dt.timedelta(days=5))
    assert "（配合）" in late and late.endswith("已逾期 2 天")


def test_open_notice_rides_along_with_the_figures_reminder(scenario: Any) -> None:
    import datetime as dt

    from chuangye.reporting.reminders import due_reminders

    notice = _issue(scenario)
    day = dt.date(2025, 7, 8)  # the first working day after June's deadline (7 July)
    due = [d for d in due_reminders(day) if d.department.code == "371002-rsj"]
    assert due and due[0].kind == "overdue"
    assert f"督办单 {notice.number}（主办）" in due[0].message
