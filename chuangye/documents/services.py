"""Every write of this app: bulletins, supervision notices, the assessment scheme and
self-assessments. Each function is atomic, takes a keyword-only ``actor`` and writes an audit
row."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from chuangye.accounts.access import access_for
from chuangye.accounts.choices import Role
from chuangye.accounts.models import Department, Membership, OrgUnit
from chuangye.core import audit
from chuangye.documents import bulletin as composer
from chuangye.documents.choices import (
    BulletinStatus,
    DocFormat,
    NoticeStatus,
    PointsMode,
    SubjectKind,
)
from chuangye.documents.errors import DocumentError
from chuangye.documents.models import (
    AssessmentScheme,
    Bulletin,
    SelfAssessment,
    SupervisionNotice,
)
from chuangye.documents.periods import Period, period_from_parts
from chuangye.documents.render import bulletin_filename, render_bulletin
from chuangye.documents.selectors import can_reply, self_assessment_subjects
from chuangye.plans.models import Measure, Plan, Target
from chuangye.reporting.models import Notification

NOTICES_URL = "/documents/notices/"


def _require_coordinator(actor: Any, what: str) -> None:
    if not access_for(actor).is_coordinator:
        raise DocumentError(f"只有统筹协调员可以{what}")


def _actor(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def _check_period(plan: Plan, period: Period) -> None:
    if not plan.period_start <= period.year <= plan.period_end:
        raise DocumentError(
            f"期间“{period.label}”不在方案期（{plan.period_start}—{plan.period_end}年）内"
        )


def _text(value: str, label: str, limit: int | None = None) -> str:
    cleaned = (value or "").strip()
    if not cleaned:
        raise DocumentError(f"请填写{label}")
    if limit is not None and len(cleaned) > limit:
        raise DocumentError(f"{label}不能超过 {limit} 个字")
    return cleaned


# --- bulletins --------------------------------------------------------------------------------


def next_bulletin_number(plan: Plan, year: int) -> str:
    """“第 N 期”: one more than the bulletins issued so far in ``year``."""
    issued = plan.bulletins.filter(status=BulletinStatus.ISSUED, dated__year=year).count()
    return f"第 {issued + 1} 期"


@transaction.atomic
def create_bulletin(
    plan: Plan,
    *,
    period: Period,
    org_unit: OrgUnit,
    actor: Any,
    number: str = "",
    dated: dt.date | None = None,
) -> Bulletin:
    """Draft a bulletin: compose its figures and summary from the data as they stand now."""
    _require_coordinator(actor, "起草通报")
    _check_period(plan, period)
    dated = dated or timezone.localdate()
    snapshot = composer.compose(plan, period, org_unit)
    summary = composer.draft_summary(snapshot)
    snapshot["auto_summary"] = summary
    row = Bulletin.objects.create(
        plan=plan,
        period_kind=period.kind,
        period_code=period.code,
        period_label=period.label,
        org_unit=org_unit,
        title=composer.title_for(plan, period, org_unit),
        number=(number or "").strip() or next_bulletin_number(plan, dated.year),
        dated=dated,
        summary=summary,
        snapshot=snapshot,
        created_by=_actor(actor),
    )
    audit.record(
        "documents.bulletin.create",
        actor=actor,
        obj=row,
        after={
            "period": period.code,
            "org_unit": org_unit.code,
            "number": row.number,
            "has_data": snapshot["has_data"],
        },
    )
    return row


def _locked_draft(bulletin: Bulletin) -> Bulletin:
    row = Bulletin.objects.select_for_update().get(pk=bulletin.pk)
    if row.status != BulletinStatus.DRAFT:
        raise DocumentError("通报已印发，内容已冻结，不能再修改")
    return row


@transaction.atomic
def update_bulletin(
    bulletin: Bulletin, *, actor: Any, title: str, number: str, dated: dt.date, summary: str
) -> Bulletin:
    """Edit what a person writes on a draft: title, number, date and the summary paragraph."""
    _require_coordinator(actor, "修改通报")
    row = _locked_draft(bulletin)
    fields = {
        "title": _text(title, "标题", 200),
        "number": _text(number, "期号", 30),
        "dated": dated,
        "summary": _text(summary, "总体情况", 5000),
    }
    before = {k: getattr(row, k) for k in fields}
    for key, value in fields.items():
        setattr(row, key, value)
    row.save()
    audit.record("documents.bulletin.update", actor=actor, obj=row, before=before, after=fields)
    return row


@transaction.atomic
def refresh_bulletin(bulletin: Bulletin, *, actor: Any) -> Bulletin:
    """Recompose a draft's figures from the data now; an unedited summary is redrafted too."""
    _require_coordinator(actor, "更新通报数据")
    row = _locked_draft(bulletin)
    period = period_from_parts(row.period_kind, row.period_code)
    old_auto = row.snapshot.get("auto_summary")
    snapshot = composer.compose(row.plan, period, row.org_unit)
    auto = composer.draft_summary(snapshot)
    snapshot["auto_summary"] = auto
    kept = row.summary.strip() != (old_auto or "").strip()
    if not kept:
        row.summary = auto
    row.snapshot = snapshot
    row.save()
    audit.record(
        "documents.bulletin.refresh",
        actor=actor,
        obj=row,
        after={"has_data": snapshot["has_data"], "summary_kept": kept},
    )
    return row


@transaction.atomic
def issue_bulletin(bulletin: Bulletin, *, actor: Any) -> Bulletin:
    """Issue a draft: freeze its snapshot and store the Word, PDF and Excel files made from it."""
    _require_coordinator(actor, "印发通报")
    row = _locked_draft(bulletin)
    clash = (
        Bulletin.objects.filter(
            plan=row.plan,
            status=BulletinStatus.ISSUED,
            dated__year=row.dated.year,
            number=row.number,
        )
        .exclude(pk=row.pk)
        .first()
    )
    if clash is not None:
        raise DocumentError(f"{row.dated.year}年已印发过{row.number}（{clash.title}），请修改期号")
    doc = composer.document_for(row, draft=False)
    files = {fmt: render_bulletin(doc, fmt) for fmt in DocFormat.values}
    digests = {}
    for fmt, content in files.items():
        field = getattr(row, f"{fmt}_file")
        field.save(bulletin_filename(doc, fmt), ContentFile(content), save=False)
        digests[fmt] = hashlib.sha256(content).hexdigest()
    row.status = BulletinStatus.ISSUED
    row.issued_at = timezone.now()
    row.issued_by = _actor(actor)
    row.save()
    audit.record(
        "documents.bulletin.issue",
        actor=actor,
        obj=row,
        before={"status": BulletinStatus.DRAFT},
        after={"status": row.status, "number": row.number, "sha256": digests},
    )
    return row


@transaction.atomic
def discard_bulletin(bulletin: Bulletin, *, actor: Any) -> None:
    """Delete a draft (an issued bulletin is kept for good)."""
    _require_coordinator(actor, "删除通报草稿")
    row = _locked_draft(bulletin)
    audit.record(
        "documents.bulletin.discard",
        actor=actor,
        obj=row,
        before={"period": row.period_code, "org_unit": row.org_unit.code, "number": row.number},
    )
    row.delete()


# --- supervision notices ----------------------------------------------------------------------


def next_notice_number(plan: Plan, year: int) -> str:
    prefix = f"创业威海督〔{year}〕"
    used = plan.notices.filter(number__startswith=prefix).count()
    return f"{prefix}{used + 1}号"


def _staff_of(departments: Iterable[Department]) -> list[Any]:
    rows = (
        Membership.objects.filter(
            department__in=list(departments),
            role__in=[Role.REPORTER, Role.APPROVER],
            active=True,
            user__is_active=True,
        )
        .select_related("user")
        .order_by("user__username")
    )
    return list({m.user.pk: m.user for m in rows}.values())


def _notify(users: Iterable[Any], title: str, body: str, notice: SupervisionNotice) -> None:
    Notification.objects.bulk_create(
        Notification(user=u, title=title[:200], body=body, url=f"{NOTICES_URL}{notice.pk}/")
        for u in users
    )


@transaction.atomic
def create_notice(
    plan: Plan,
    *,
    actor: Any,
    lead_department: Department,
    cc_departments: Iterable[Department] = (),
    subject: str,
    issue: str,
    action: str,
    deadline: dt.date,
    target: Target | None = None,
    org_unit: OrgUnit | None = None,
    measure: Measure | None = None,
    today: dt.date | None = None,
) -> SupervisionNotice:
    """Issue a 督办单 for a red target (of the city or a district) or a lagging measure."""
    _require_coordinator(actor, "交办督办单")
    today = today or timezone.localdate()
    if target is None and measure is None:
        raise DocumentError("督办单应针对一个滞后目标或一项滞后措施")
    if target is not None and target.plan_id != plan.pk:
        raise DocumentError("该目标不属于当前方案")
    if measure is not None and measure.plan_id != plan.pk:
        raise DocumentError("该措施不属于当前方案")
    if deadline < today:
        raise DocumentError("办理时限不能早于今天")
    cc = [d for d in dict.fromkeys(cc_departments) if d.pk != lead_department.pk]
    notice = SupervisionNotice.objects.create(
        plan=plan,
        number=next_notice_number(plan, today.year),
        target=target,
        org_unit=org_unit if org_unit is not None and org_unit.parent_id is not None else None,
        measure=measure,
        lead_department=lead_department,
        subject=_text(subject, "督办事项", 200),
        issue=_text(issue, "存在问题"),
        action=_text(action, "督办要求"),
        deadline=deadline,
        created_by=_actor(actor),
    )
    notice.cc_departments.set(cc)
    _notify(
        _staff_of([lead_department]),
        f"督办单 {notice.number}：{notice.subject}",
        f"请于 {deadline} 前办理并反馈：{notice.action}",
        notice,
    )
    _notify(
        [u for u in _staff_of(cc) if u not in _staff_of([lead_department])],
        f"督办单 {notice.number}（抄送）：{notice.subject}",
        f"主办单位：{lead_department.name}，请配合办理。",
        notice,
    )
    audit.record(
        "documents.notice.create",
        actor=actor,
        obj=notice,
        after={
            "number": notice.number,
            "lead": lead_department.code,
            "cc": [d.code for d in cc],
            "target": target.pk if target else None,
            "org_unit": notice.org_unit.code if notice.org_unit else None,
            "measure": measure.pk if measure else None,
            "deadline": deadline,
        },
    )
    return notice


def _locked_notice(notice: SupervisionNotice) -> SupervisionNotice:
    return SupervisionNotice.objects.select_for_update().get(pk=notice.pk)


@transaction.atomic
def reply_notice(notice: SupervisionNotice, *, actor: Any, reply: str) -> SupervisionNotice:
    """The lead department reports what it has done (again, until the notice is closed)."""
    row = _locked_notice(notice)
    if not can_reply(actor, row):
        raise DocumentError(f"只有主办单位{row.lead_department.name}的填报员或审核员可以反馈")
    if row.status == NoticeStatus.CLOSED:
        raise DocumentError("督办单已办结，不能再反馈")
    before = {"status": row.status, "reply": row.reply}
    row.reply = _text(reply, "办理情况", 5000)
    row.status = NoticeStatus.REPLIED
    row.replied_at = timezone.now()
    row.replied_by = _actor(actor)
    row.save()
    if row.created_by is not None:
        _notify(
            [row.created_by],
            f"督办单 {row.number} 已反馈",
            f"{row.lead_department.name}：{row.reply[:200]}",
            row,
        )
    audit.record(
        "documents.notice.reply",
        actor=actor,
        obj=row,
        before=before,
        after={"status": row.status, "reply": row.reply},
    )
    return row


@transaction.atomic
def close_notice(notice: SupervisionNotice, *, actor: Any, note: str = "") -> SupervisionNotice:
    """The coordinator accepts the result: the notice leaves boards and reminders."""
    _require_coordinator(actor, "办结督办单")
    row = _locked_notice(notice)
    if row.status == NoticeStatus.CLOSED:
        raise DocumentError("督办单已办结")
    before = {"status": row.status}
    row.status = NoticeStatus.CLOSED
    row.resolution = (note or "").strip() or row.resolution
    row.closed_at = timezone.now()
    row.closed_by = _actor(actor)
    row.save()
    _notify(_staff_of([row.lead_department]), f"督办单 {row.number} 已办结", row.resolution, row)
    audit.record(
        "documents.notice.close",
        actor=actor,
        obj=row,
        before=before,
        after={"status": row.status, "resolution": row.resolution},
    )
    return row


@transaction.atomic
def escalate_notice(
    notice: SupervisionNotice, *, actor: Any, note: str, deadline: dt.date | None = None
) -> SupervisionNotice:
    """Raise a notice (no reply in time, or a reply that does not resolve it), maybe with a new
    deadline; the lead department must reply again."""
    _require_coordinator(actor, "升级督办")
    row = _locked_notice(notice)
    if row.status not in (NoticeStatus.OPEN, NoticeStatus.REPLIED):
        raise DocumentError(f"督办单状态为“{row.get_status_display()}”，不能升级督办")
    if deadline is not None and deadline < timezone.localdate():
        raise DocumentError("新的办理时限不能早于今天")
    before = {"status": row.status, "deadline": row.deadline}
    row.status = NoticeStatus.ESCALATED
    row.resolution = _text(note, "升级督办意见", 2000)
    row.escalated_at = timezone.now()
    if deadline is not None:
        row.deadline = deadline
    row.save()
    _notify(
        _staff_of([row.lead_department]),
        f"督办单 {row.number} 升级督办",
        f"{row.resolution}（办理时限 {row.deadline}）",
        row,
    )
    audit.record(
        "documents.notice.escalate",
        actor=actor,
        obj=row,
        before=before,
        after={"status": row.status, "deadline": row.deadline, "resolution": row.resolution},
    )
    return row


# --- assessment -------------------------------------------------------------------------------


def _decimal(
    value: Any, label: str, *, low: Decimal | None = None, high: Decimal | None = None
) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise DocumentError(f"{label}应为数字") from None
    if not number.is_finite():
        raise DocumentError(f"{label}应为数字")
    if low is not None and number < low:
        raise DocumentError(f"{label}不能小于 {low}")
    if high is not None and number > high:
        raise DocumentError(f"{label}不能大于 {high}")
    return number


@transaction.atomic
def save_scheme(
    plan: Plan,
    year: int,
    *,
    actor: Any,
    weights: dict[int, Any],
    mode: str,
    cap: Any,
    bands: list[tuple[Any, Any]],
    lead_share: Any,
    timeliness_weight: Any,
    flag_gap: Any,
) -> AssessmentScheme:
    """Create or change the scoring scheme of a plan year."""
    _require_coordinator(actor, "设置考核方案")
    if not plan.period_start <= year <= plan.period_end:
        raise DocumentError(f"考核年度应在 {plan.period_start}—{plan.period_end} 年之间")
    if mode not in PointsMode.values:
        raise DocumentError("计分方式无效")
    known = set(plan.targets.values_list("pk", flat=True))
    clean_weights: dict[str, float] = {}
    for pk, raw in weights.items():
        if pk not in known:
            raise DocumentError(f"目标 {pk} 不属于当前方案")
        clean_weights[str(pk)] = float(
            _decimal(raw, "目标分值", low=Decimal(0), high=Decimal(1000))
        )
    clean_bands: list[list[float]] = []
    for low, share in bands:
        clean_bands.append(
            [
                float(_decimal(low, "分档完成率", low=Decimal(0), high=Decimal(1000))),
                float(_decimal(share, "分档得分比例", low=Decimal(0), high=Decimal(200))),
            ]
        )
    clean_bands.sort(key=lambda b: -b[0])
    if mode == PointsMode.BANDS and not clean_bands:
        raise DocumentError("分档计分至少需要一档")
    fields = {
        "weights": clean_weights,
        "mode": mode,
        "cap": _decimal(cap, "完成率封顶", low=Decimal("0.1"), high=Decimal(5)),
        "bands": clean_bands,
        "lead_share": _decimal(lead_share, "牵头单位分值比例", low=Decimal(0), high=Decimal(1)),
        "timeliness_weight": _decimal(
            timeliness_weight, "报送及时性分值", low=Decimal(0), high=Decimal(1000)
        ),
        "flag_gap": _decimal(flag_gap, "自评差异提示线", low=Decimal(0), high=Decimal(100)),
    }
    if not any(clean_weights.values()) and not fields["timeliness_weight"]:
        raise DocumentError("至少要有一个目标或报送及时性计分")
    scheme = AssessmentScheme.objects.select_for_update().filter(plan=plan, year=year).first()
    before = None
    if scheme is None:
        scheme = AssessmentScheme(plan=plan, year=year)
    else:
        before = {k: getattr(scheme, k) for k in fields}
    for key, value in fields.items():
        setattr(scheme, key, value)
    scheme.updated_by = _actor(actor)
    scheme.save()
    audit.record("documents.scheme.save", actor=actor, obj=scheme, before=before, after=fields)
    return scheme


@transaction.atomic
def save_self_assessment(
    plan: Plan, year: int, *, actor: Any, subject_key: str, score: Any, note: str = ""
) -> SelfAssessment:
    """A district (through its bureau's staff) or a department records its own score."""
    subject = next((s for s in self_assessment_subjects(actor) if s.key == subject_key), None)
    if subject is None:
        raise DocumentError("您不能为该单位填写自评")
    if not plan.period_start <= year <= plan.period_end:
        raise DocumentError(f"考核年度应在 {plan.period_start}—{plan.period_end} 年之间")
    value = _decimal(score, "自评得分", low=Decimal(0), high=Decimal(100)).quantize(Decimal("0.01"))
    lookup = (
        Q(kind=SubjectKind.DISTRICT, org_unit=subject.org_unit)
        if subject.kind == SubjectKind.DISTRICT
        else Q(kind=SubjectKind.DEPARTMENT, department=subject.department)
    )
    row = SelfAssessment.objects.select_for_update().filter(lookup, plan=plan, year=year).first()
    before = None
    if row is None:
        row = SelfAssessment(
            plan=plan,
            year=year,
            kind=subject.kind,
            org_unit=subject.org_unit,
            department=subject.department,
        )
    else:
        before = {"score": row.score, "note": row.note}
    row.score = value
    row.note = (note or "").strip()[:2000]
    row.submitted_by = _actor(actor)
    row.save()
    audit.record(
        "documents.self_assessment.save",
        actor=actor,
        obj=row,
        before=before,
        after={"subject": subject.key, "score": value, "note": row.note},
    )
    return row
