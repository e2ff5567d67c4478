"""Eligibility: each rule of the policy in force, passed or failed, with the figures behind it.

The checks read a plain :class:`Case` so the same rules serve the application form, the API, the
reviewer's table and the tests; :func:`check` never writes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from chuangye.core.validators import validate_uscc
from chuangye.programs.entrepreneurs.choices import TargetGroup, VentureKind
from chuangye.programs.loans.choices import REQUIRED_MATERIALS, LoanKind, MaterialKind
from chuangye.programs.loans.models import LoanPolicy

HUNDRED = Decimal(100)


def yuan(value: Decimal) -> str:
    return f"{value:,.2f} 元"


def percent(value: Decimal) -> str:
    return f"{value.normalize():f}%"


@dataclass(frozen=True)
class Member:
    """A person named on the application (applicant or partner), as the rules see them."""

    name: str
    target_group: str


@dataclass(frozen=True)
class Case:
    """The facts an eligibility decision rests on."""

    kind: str
    amount: Decimal
    term_months: int
    applicant: Member
    partners: tuple[Member, ...] = ()
    venture_kind: str = VentureKind.INDIVIDUAL
    credit_code: str = ""
    staff_count: int = 0
    new_hires: int = 0
    prior_loans: int = 0
    open_applications: int = 0
    materials: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Rule:
    """One rule's outcome: ``passed`` is None when the rule does not apply to this kind of loan."""

    code: str
    label: str
    passed: bool | None
    detail: str

    @property
    def state(self) -> str:
        return {True: "pass", False: "fail", None: "na"}[self.passed]


def cap_for(case: Case, policy: LoanPolicy) -> tuple[Decimal, str]:
    """The ceiling for this kind of loan and how it was worked out."""
    if case.kind == LoanKind.ENTERPRISE:
        return policy.enterprise_cap, _("小微企业上限")
    if case.kind == LoanKind.PARTNERSHIP:
        n = 1 + len(case.partners)
        if policy.partnership_rule == "sum_plus":
            markup = policy.partnership_markup_percent
            cap = policy.individual_cap * n * (HUNDRED + markup) / HUNDRED
            how = _("%(n)s 人 × %(each)s ×（1 + %(m)s）") % {
                "n": n,
                "each": yuan(policy.individual_cap),
                "m": percent(markup),
            }
            return cap.quantize(Decimal("0.01")), how
        cap = min(policy.individual_cap * n, policy.partnership_cap)
        how = _("%(n)s 人 × %(each)s，且不超过 %(total)s") % {
            "n": n,
            "each": yuan(policy.individual_cap),
            "total": yuan(policy.partnership_cap),
        }
        return cap, how
    return policy.individual_cap, _("个人创业上限")


def _groups(case: Case, policy: LoanPolicy) -> Rule:
    label = _("人员类别")
    if case.kind == LoanKind.ENTERPRISE:
        return Rule("target_group", label, None, _("小微企业按新招用人员比例认定，不适用"))
    eligible = set(policy.eligible_groups) - {TargetGroup.OTHER}
    names = dict(TargetGroup.choices)
    members = [case.applicant, *case.partners]
    bad = [m for m in members if m.target_group not in eligible]
    shown = "；".join(f"{m.name}：{names.get(m.target_group, m.target_group)}" for m in members)
    if bad:
        who = "、".join(m.name for m in bad)
        return Rule(
            "target_group",
            label,
            False,
            _("%(s)s。%(who)s 不属于可申请的人员类别")
            % {
                "s": shown,
                "who": who,
            },
        )
    return Rule("target_group", label, True, shown)


def _partners(case: Case, policy: LoanPolicy) -> Rule:
    label = _("合伙人数")
    if case.kind != LoanKind.PARTNERSHIP:
        return Rule("partners", label, None, _("非合伙创业，不适用"))
    n = 1 + len(case.partners)
    limit = policy.partnership_max_partners
    detail = _("合伙人 %(n)s 人（含申请人），应为 2 至 %(max)s 人") % {"n": n, "max": limit}
    return Rule("partners", label, 2 <= n <= limit, detail)


def _amount(case: Case, policy: LoanPolicy) -> Rule:
    cap, how = cap_for(case, policy)
    detail = _("申请 %(a)s；%(how)s：%(cap)s") % {
        "a": yuan(case.amount),
        "how": how,
        "cap": yuan(cap),
    }
    return Rule("amount", _("贷款额度"), Decimal(0) < case.amount <= cap, detail)


def _borrower(case: Case, policy: LoanPolicy) -> Rule:
    label = _("借款主体")
    code = case.credit_code.strip().upper()
    if case.kind == LoanKind.ENTERPRISE and case.venture_kind != VentureKind.ENTERPRISE:
        return Rule("borrower", label, False, _("创业实体不是企业，不能按小微企业申请"))
    if not code:
        if case.kind == LoanKind.ENTERPRISE:
            return Rule("borrower", label, False, _("企业须有统一社会信用代码"))
        return Rule("borrower", label, True, _("已登记创业实体（无统一社会信用代码）"))
    if len(code) == 18 or case.kind == LoanKind.ENTERPRISE:
        try:
            validate_uscc(code)
        except ValidationError as exc:
            return Rule("borrower", label, False, f"{code}：{exc.messages[0]}")
        return Rule("borrower", label, True, _("统一社会信用代码 %(c)s 校验通过") % {"c": code})
    return Rule("borrower", label, True, _("注册号 %(c)s") % {"c": code})


def _hiring(case: Case, policy: LoanPolicy) -> Rule:
    label = _("新招用人员占比")
    if case.kind != LoanKind.ENTERPRISE:
        return Rule("hiring", label, None, _("非小微企业，不适用"))
    large = case.staff_count > policy.enterprise_large_staff
    need = policy.enterprise_hire_percent_large if large else policy.enterprise_hire_percent
    band = (_("在职超过 %(n)s 人") if large else _("在职 %(n)s 人及以下")) % {
        "n": policy.enterprise_large_staff
    }
    if case.staff_count <= 0:
        return Rule("hiring", label, False, _("在职人数应大于 0"))
    share = Decimal(case.new_hires) * HUNDRED / Decimal(case.staff_count)
    detail = _("新招用 %(h)s 人 / 在职 %(s)s 人 = %(p)s，要求不低于 %(need)s（%(band)s）") % {
        "h": case.new_hires,
        "s": case.staff_count,
        "p": f"{share.quantize(Decimal('0.01'))}%",
        "need": percent(need),
        "band": band,
    }
    # Compare exactly (15 of 100 is exactly 15%), not the rounded share that is shown.
    ok = Decimal(case.new_hires) * HUNDRED >= need * Decimal(case.staff_count)
    return Rule("hiring", label, ok, detail)


def _term(case: Case, policy: LoanPolicy) -> Rule:
    enterprise = case.kind == LoanKind.ENTERPRISE
    limit = policy.enterprise_max_term_months if enterprise else policy.individual_max_term_months
    who = _("小微企业") if enterprise else _("个人和合伙创业")
    detail = _("申请 %(t)s 个月；%(who)s最长 %(max)s 个月") % {
        "t": case.term_months,
        "who": who,
        "max": limit,
    }
    return Rule("term", _("贷款期限"), 1 <= case.term_months <= limit, detail)


def _count(case: Case, policy: LoanPolicy) -> Rule:
    limit = policy.max_loans_per_borrower
    this = case.prior_loans + case.open_applications + 1
    detail = _("已获贷款 %(p)s 笔，在办申请 %(o)s 笔，本次为第 %(n)s 笔；最多 %(max)s 笔") % {
        "p": case.prior_loans,
        "o": case.open_applications,
        "n": this,
        "max": limit,
    }
    return Rule("count", _("贷款次数"), this <= limit, detail)


def _materials(case: Case, policy: LoanPolicy) -> Rule:
    required = REQUIRED_MATERIALS.get(case.kind, ())
    names = dict(MaterialKind.choices)
    missing = [str(names[k]) for k in required if k not in case.materials]
    if missing:
        return Rule("materials", _("申请材料"), False, _("缺少：") + "、".join(missing))
    return Rule("materials", _("申请材料"), True, _("齐全（%(n)s 项）") % {"n": len(required)})


CHECKS = (_groups, _partners, _amount, _borrower, _hiring, _term, _count, _materials)


def check(case: Case, policy: LoanPolicy) -> list[Rule]:
    """Every rule, in the order a reviewer reads them."""
    return [rule(case, policy) for rule in CHECKS]


def failures(rules: Iterable[Rule]) -> list[Rule]:
    return [r for r in rules if r.passed is False]
