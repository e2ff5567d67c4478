"""A 督办单 as a Word form: what is late, what is required, by when, and the reply."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from chuangye.documents.bulletin import issuer_of, programme_name
from chuangye.documents.models import SupervisionNotice
from chuangye.documents.render.outline import chinese_date


def notice_document(notice: SupervisionNotice) -> dict[str, Any]:
    """The notice as plain data for :func:`chuangye.documents.render.word.notice_docx`."""
    plan = notice.plan
    about = []
    if notice.target is not None:
        scope = notice.org_unit.name if notice.org_unit else "全市"
        about.append(f"目标：{scope} · {notice.target.subject}（{notice.target.text}）")
    if notice.measure is not None:
        about.append(f"措施：{notice.measure.printed}{notice.measure.title}")
    cc = "、".join(d.name for d in notice.cc_departments.all()) or "—"
    created = timezone.localtime(notice.created_at).date()
    rows = [
        ["编号", notice.number],
        ["督办事项", notice.subject],
        ["涉及", "\n".join(about)],
        ["主办单位", notice.lead_department.name],
        ["配合单位", cc],
        ["存在问题", notice.issue],
        ["督办要求", notice.action],
        ["办理时限", chinese_date(notice.deadline)],
        ["交办日期", chinese_date(created)],
        ["当前状态", notice.get_status_display()],
        ["办理情况", notice.reply or "（待主办单位反馈）"],
    ]
    if notice.replied_at:
        rows.append(["反馈时间", timezone.localtime(notice.replied_at).strftime("%Y-%m-%d %H:%M")])
    if notice.resolution:
        rows.append(["办结/升级意见", notice.resolution])
    return {
        "banner": f"{programme_name(plan)}督办单",
        "number": notice.number,
        "issuer": issuer_of(plan),
        "date": chinese_date(created),
        "title": f"关于{notice.subject}的督办单",
        "rows": rows,
        "footer": (
            "请主办单位会同配合单位抓紧办理，于办理时限前通过平台反馈办理情况；"
            "逾期未反馈或问题未解决的，将升级督办并纳入年度考核。"
        ),
    }


def notice_filename(notice: SupervisionNotice) -> str:
    return f"督办单-{notice.number}.docx"
