"""Year-end 考核 from the data: gathers each unit's outcomes and timeliness, scores with
:mod:`chuangye.documents.scoring` and puts self-assessments beside the result."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone

from chuangye.accounts.models import Department, OrgUnit
from chuangye.documents import scoring
from chuangye.documents.bulletin import districts
from chuangye.documents.choices import PointsMode, SubjectKind
from chuangye.documents.models import AssessmentScheme, SelfAssessment, default_bands
from chuangye.documents.render.sheets import Sheet, workbook
from chuangye.monitoring.progress import LIGHT_LABELS, Progress, progress_for
from chuangye.plans.choices import Comparator, ResponsibilityRole
from chuangye.plans.models import Plan, Target
from chuangye.reporting.duties import duties
from chuangye.reporting.models import DataValue

#: Default points per target when a year has no scheme yet (timeliness has its own weight).
DEFAULT_WEIGHT = Decimal(5)
RATIO_COMPARATORS = frozenset({Comparator.GTE, Comparator.APPROX, Comparator.EQ, Comparator.RANGE})


def scheme_for(plan: Plan, year: int) -> AssessmentScheme:
    """The saved scheme of the year, or an unsaved default (every target weighted equally)."""
    saved = plan.assessment_schemes.filter(year=year).first()
    if saved is not None:
        return saved
    return AssessmentScheme(
        plan=plan,
        year=year,
        weights={str(t.pk): str(DEFAULT_WEIGHT) for t in plan.targets.all()},
        mode=PointsMode.LINEAR,
        bands=default_bands(),
    )


def rules_of(scheme: AssessmentScheme) -> scoring.Rules:
    return scoring.Rules(
        mode=scheme.mode,
        cap=Decimal(scheme.cap),
        bands=tuple((Decimal(str(a)), Decimal(str(b))) for a, b in scheme.bands or []),
        lead_share=Decimal(scheme.lead_share),
        timeliness_weight=Decimal(scheme.timeliness_weight),
        flag_gap=Decimal(scheme.flag_gap),
    )


def weight_of(scheme: AssessmentScheme, target: Target) -> Decimal:
    raw = (scheme.weights or {}).get(str(target.pk))
    return Decimal(str(raw)) if raw not in (None, "") else Decimal(0)


def assessment_date(year: int, today: dt.date | None = None) -> dt.date:
    """Year end (figures through December), or today while the year is still running."""
    today = today or timezone.localdate()
    return min(dt.date(year + 1, 1, 1), today)


def outcome_of(row: Progress) -> scoring.Outcome:
    """Completion against what was due by the date (序时进度), or the light where no ratio applies.

    For an annual target at year end the amount due is the whole target; for a target running to
    the end of the plan it is the share due by then.
    """
    achievement = None
    if row.target.comparator in RATIO_COMPARATORS:
        if row.actual is None:
            achievement = 0.0
        elif row.expected:
            achievement = float(row.actual / row.expected)
        elif row.completion is not None:
            achievement = row.completion
    return scoring.Outcome(row.target.pk, row.target.subject, achievement, row.status)


def _timeliness(plan: Plan, year: int, day: dt.date) -> dict[str, tuple[int, int]]:
    """Figures due in the year's rounds whose deadline is before ``day``, and how many were
    submitted by the deadline: keyed ``district:CODE`` and ``department:CODE``."""
    rounds = {r.month: r for r in plan.rounds.filter(year=year, deadline__lt=day).order_by("month")}
    if not rounds:
        return {}
    tz = timezone.get_current_timezone()
    submitted = {
        (v["indicator_id"], v["org_unit_id"], v["month"]): v["submitted_at"]
        for v in DataValue.objects.filter(
            indicator__plan=plan, year=year, month__in=list(rounds)
        ).values("indicator_id", "org_unit_id", "month", "submitted_at")
    }
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for month, rnd in rounds.items():
        end = dt.datetime.combine(rnd.deadline, dt.time.max, tzinfo=tz)
        for duty in duties(plan, month, include_prefilled=False):
            at = submitted.get((duty.indicator.pk, duty.org_unit.pk, month))
            on_time = at is not None and at <= end
            keys = [f"department:{duty.department.code}"]
            if duty.org_unit.parent_id is not None:
                keys.append(f"district:{duty.org_unit.code}")
            for key in keys:
                tally[key][1] += 1
                tally[key][0] += int(on_time)
    return {k: (v[0], v[1]) for k, v in tally.items()}


@dataclass
class Results:
    """Scores of one plan year, with the working and the inputs shown on the page."""

    year: int
    day: dt.date
    final: bool
    scheme: AssessmentScheme
    districts: list[scoring.Score] = field(default_factory=list)
    departments: list[scoring.Score] = field(default_factory=list)

    def all(self) -> list[scoring.Score]:
        return [*self.districts, *self.departments]


def _line(row: Progress, weight: Decimal, rules: scoring.Rules, role: str = "") -> scoring.Line:
    return scoring.target_line(
        outcome_of(row), weight, rules, status_label=LIGHT_LABELS[row.status], role=role
    )


def compute(plan: Plan, year: int, *, today: dt.date | None = None) -> Results:
    """Score every district and city department for ``year`` under the year's scheme."""
    scheme = scheme_for(plan, year)
    rules = rules_of(scheme)
    today = today or timezone.localdate()
    day = assessment_date(year, today)
    final = day == dt.date(year + 1, 1, 1)
    targets = list(
        plan.targets.select_related("indicator", "plan", "measure")
        .prefetch_related("served_by__responsibilities__department")
        .order_by("order")
    )
    weighted = [t for t in targets if weight_of(scheme, t) > 0]
    timely = _timeliness(plan, year, today)
    result = Results(year=year, day=day, final=final, scheme=scheme)

    # Districts: their own share of each target whose figures are reported district by district
    # (a figure only a city department reports as a city total is not a district's to answer for).
    units = districts()
    local = [t for t in weighted if t.indicator.owner_id is None or t.indicator.by_district]
    rows = progress_for(plan, units, day, targets=local)
    by_unit: dict[int, list[Progress]] = defaultdict(list)
    for r in rows:
        by_unit[r.org_unit.pk].append(r)
    for unit in units:
        lines = [_line(r, weight_of(scheme, r.target), rules) for r in by_unit.get(unit.pk, [])]
        key = f"district:{unit.code}"
        t_line = scoring.timeliness_line(*timely.get(key, (0, 0)), rules)
        result.districts.append(
            scoring.total(
                key, unit.name, SubjectKind.DISTRICT, [*lines, *([t_line] if t_line else [])]
            )
        )

    # Departments: the city result of each target, its weight split between lead and cooperating.
    city = OrgUnit.objects.filter(parent__isnull=True).first()
    city_rows = progress_for(plan, [city], day, targets=weighted) if city else []
    per_department: dict[int, list[scoring.Line]] = defaultdict(list)
    names: dict[int, Department] = {}
    for r in city_rows:
        leads: list[int] = []
        coops: list[int] = []
        for m in r.target.served_by.all():
            for resp in m.responsibilities.all():
                if resp.department is None:
                    continue
                names[resp.department.pk] = resp.department
                bucket = coops if resp.role == ResponsibilityRole.COOPERATING else leads
                bucket.append(resp.department.pk)
        parts = scoring.split(weight_of(scheme, r.target), leads, coops, rules.lead_share)
        for pk, (role, portion) in parts.items():
            per_department[pk].append(_line(r, portion, rules, role))
    for pk, lines in per_department.items():
        d = names[pk]
        key = f"department:{d.code}"
        t_line = scoring.timeliness_line(*timely.get(key, (0, 0)), rules)
        result.departments.append(
            scoring.total(
                key, d.name, SubjectKind.DEPARTMENT, [*lines, *([t_line] if t_line else [])]
            )
        )

    result.districts = scoring.rank(result.districts)
    result.departments = scoring.rank(result.departments)
    _attach_self(plan, year, result, rules)
    return result


def subject_key(s: SelfAssessment) -> str:
    if s.kind == SubjectKind.DISTRICT and s.org_unit is not None:
        return f"district:{s.org_unit.code}"
    return f"department:{s.department.code if s.department else ''}"


def _attach_self(plan: Plan, year: int, result: Results, rules: scoring.Rules) -> None:
    own = {
        subject_key(s): s
        for s in SelfAssessment.objects.filter(plan=plan, year=year).select_related(
            "org_unit", "department"
        )
    }
    for score in result.all():
        s = own.get(score.key)
        scoring.compare(score, Decimal(s.score) if s else None, rules.flag_gap, s.note if s else "")


ROLE_LABELS = {scoring.LEAD: "牵头", scoring.COOPERATING: "配合", "": ""}


def export(result: Results) -> bytes:
    """The year's scores and their working as an Excel workbook."""
    note = f"{result.year}年度考核，数据截至{result.day.isoformat()}" + (
        "" if result.final else "（年度未结束，为预评估）"
    )

    def summary(scores: list[scoring.Score], label: str) -> Sheet:
        return Sheet(
            f"{label}得分",
            [
                "名次",
                label,
                "得分（百分制）",
                "得分",
                "满分",
                "自评得分",
                "差异",
                "差异较大",
                "自评说明",
            ],
            [
                [
                    s.rank,
                    s.name,
                    s.score,
                    s.points,
                    s.max_points,
                    s.self_score,
                    s.gap,
                    "是" if s.flagged else "",
                    s.self_note,
                ]
                for s in scores
            ],
            wrap=frozenset({8}),
            notes=[note],
        )

    working = Sheet(
        "计分明细",
        ["对象", "类型", "计分项", "职责", "依据", "分值", "得分比例", "得分"],
        [
            [
                s.name,
                "区市" if s.kind == SubjectKind.DISTRICT else "部门",
                line.label,
                ROLE_LABELS.get(line.role, line.role),
                line.basis,
                line.weight,
                line.share,
                line.points,
            ]
            for s in result.all()
            for line in s.lines
        ],
        percent=frozenset({6}),
        notes=[note],
    )
    return workbook(
        [summary(result.districts, "区市"), summary(result.departments, "部门"), working]
    )


def scheme_rows(scheme: AssessmentScheme, plan: Plan) -> list[dict[str, Any]]:
    """Each target with its weight, for the scheme form."""
    return [
        {"target": t, "weight": weight_of(scheme, t)}
        for t in plan.targets.select_related("indicator").order_by("order")
    ]
