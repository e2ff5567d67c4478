"""Seed data: the default policy (Weihai 2023 parameters) and the published one-year LPR.

Used by the data migration and by the demo set-up (a flushed database loses migration data).
Every value is editable afterwards on the policy page; parameters not yet verified say so in
the policy's source text.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

CONSENT_VERSION = "2025.1"
CONSENT_TEXT = (
    "个人信息处理授权书\n"
    "本人自愿申请创业担保贷款，同意威海市人力资源和社会保障局、所在区市人社部门、担保机构和经办银行"
    "为办理本次贷款的申请、审核、放款、贴息和贷后管理，收集、使用本人（及合伙人）的姓名、身份证号、"
    "联系电话、人员类别、创业实体信息和所提交的申请材料，并在上述单位之间依法共享。\n"
    "上述信息仅用于本次贷款业务，加密保存，超过规定保存期限后删除或匿名化处理。本人可以向所在区市"
    "人社部门查询、更正本人信息，或撤回本授权（撤回不影响撤回前已办理的业务，但申请将无法继续办理）。\n"
    "本人承诺所填信息和所交材料真实、完整。"
)

#: One-year LPR as published by the National Interbank Funding Center (demo defaults; edit in
#: the policy page when a new figure is published).
LPR = (
    (dt.date(2023, 8, 21), Decimal("3.45")),
    (dt.date(2024, 7, 22), Decimal("3.35")),
    (dt.date(2024, 10, 21), Decimal("3.10")),
    (dt.date(2025, 5, 20), Decimal("3.00")),
)


def seed(LoanPolicy: Any, LprRate: Any) -> None:
    """Create the default policy and the LPR rows unless a policy or that day's rate exists."""
    if not LoanPolicy.objects.exists():
        LoanPolicy.objects.create(
            name="威海市创业担保贷款政策（2023）",
            effective_from=dt.date(2023, 1, 1),
            source=(
                "财政部 人力资源社会保障部 中国人民银行《关于进一步加大创业担保贷款贴息力度"
                "全力支持重点群体创业就业的通知》（财金〔2020〕21号）；威海市 2023 年创业担保贷款"
                "额度（个人 20 万元，3 人以内合伙 60 万元）待核实。2026 年 1 月人社部称个人可贷"
                "30 万元，文件待核实：核实后新增一条政策并填写施行日期。贷款利率上限 LPR+50BP"
                "（东部地区）待核实。"
            ),
            individual_cap=Decimal(200_000),
            partnership_max_partners=3,
            partnership_rule="fixed",
            partnership_cap=Decimal(600_000),
            partnership_markup_percent=Decimal(10),
            enterprise_cap=Decimal(3_000_000),
            enterprise_hire_percent=Decimal(15),
            enterprise_hire_percent_large=Decimal(8),
            enterprise_large_staff=100,
            individual_max_term_months=36,
            enterprise_max_term_months=24,
            max_loans_per_borrower=3,
            borrower_spread_bp=150,
            rate_cap_spread_bp=50,
            day_count_basis=360,
            eligible_groups=[
                "unemployed",
                "difficulty",
                "veteran",
                "released",
                "graduate",
                "overcapacity",
                "returnee",
                "online",
                "poor",
                "farmer",
            ],
            consent_version=CONSENT_VERSION,
            consent_text=CONSENT_TEXT,
        )
    for day, value in LPR:
        LprRate.objects.get_or_create(
            effective_on=day,
            defaults={
                "one_year": value,
                "source": "全国银行间同业拆借中心公告",
                "note": "预置数据，可修改；新公布的报价请在“政策与利率”页补录",
            },
        )


def ensure_defaults() -> None:
    from chuangye.programs.loans.models import LoanPolicy, LprRate

    seed(LoanPolicy, LprRate)
