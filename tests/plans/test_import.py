import copy
from typing import Any

import pytest

from chuangye.accounts.models import Department
from chuangye.core.models import AuditEntry
from chuangye.plans.contract import PlanContractError
from chuangye.plans.models import Measure, Plan, Responsibility, Target
from chuangye.plans.selectors import plan_as_json
from chuangye.plans.services import import_plan

pytestmark = pytest.mark.django_db

PREAMBLE_CHECKS = [
    # subject fragment, value, unit, comparator, per_year
    ("扶持创业", 19000, "人", ">=", False),
    ("带动就业", 50000, "人", ">=", False),
    ("专精特新", 50, "家", ">=", True),
    ("名特优新", 70, "家", "~", True),
    ("高层次科技人才团队", 6, "个", "~", True),
    ("普惠小微", None, "%", "relative", False),
    ("创业担保贷款", 600_000_000, "元", ">=", False),
    ("经营性贷款", 1_500_000_000, "元", ">=", False),
    ("优质项目", 95, "个", ">=", True),
    ("创业促进活动", 65, "场", ">=", True),
]


def _expected(data: dict[str, Any]) -> dict[str, Any]:
    expected = copy.deepcopy(data)
    expected.pop("warnings", None)
    return expected


def test_import_round_trips_to_the_same_plan_json(plan: Plan, weihai_json: dict[str, Any]) -> None:
    assert plan_as_json(plan) == _expected(weihai_json)


def test_import_reproduces_the_weihai_document_structure(plan: Plan) -> None:
    data = plan_as_json(plan)
    assert data["doc_number"] == "威政办字〔2025〕8号"
    assert data["issued_on"] == "2025-03-06"
    assert [s["number"] for s in data["sections"]] == [1, 2, 3, 4, 5, 6, 7]
    assert data["sections"][2]["title"] == "实施创业金融资本“护航计划”"
    assert [m["number"] for m in data["measures"]] == list(range(1, 25))
    assert data["measures"][0]["title"] == "持续优化创业环境"
    assert data["measures"][23]["title"] == "丰富多元创业赛事活动"
    assert len(data["targets"]) == 10
    in_measures = {m["number"]: len(m["targets"]) for m in data["measures"] if m["targets"]}
    assert in_measures == {11: 1, 14: 1, 17: 2, 18: 1, 19: 4, 20: 3}


@pytest.mark.parametrize(("subject", "value", "unit", "comparator", "per_year"), PREAMBLE_CHECKS)
def test_preamble_targets_carry_value_unit_comparator_and_scope(
    plan: Plan, subject: str, value: int | None, unit: str, comparator: str, per_year: bool
) -> None:
    target = Target.objects.get(plan=plan, measure__isnull=True, subject__contains=subject)
    assert (None if target.value is None else int(target.value)) == value
    assert target.unit == unit
    assert target.comparator == comparator
    assert target.per_year is per_year
    assert target.deadline_year == 2026


def test_measure_17_range_target_has_min_and_max(plan: Plan) -> None:
    target = Target.objects.get(plan=plan, measure__number=17, comparator="range")
    assert (target.min_value, target.max_value, target.value) == (2, 3, None)


def test_responsibilities_keep_roles_and_match_departments(plan: Plan) -> None:
    m2 = Measure.objects.get(plan=plan, number=2)
    roles = [(r.department_name, r.role) for r in m2.responsibilities.all()]
    assert roles == [("市人力资源社会保障局", "lead"), ("市发展改革委", "cooperating")]
    m5 = Measure.objects.get(plan=plan, number=5)
    assert [(r.department_name, r.role) for r in m5.responsibilities.all()] == [
        ("市工业和信息化局", "lead"),
        ("市农业农村局", "cooperating"),
    ]
    assert not Responsibility.objects.filter(measure__plan=plan, department__isnull=True).exists()
    rsj = Department.objects.get(code="rsj")
    led = Responsibility.objects.filter(department=rsj, role="lead")
    assert sorted(led.values_list("measure__number", flat=True)) == [2, 6, 10, 12, 17, 20, 23]


def test_import_writes_one_audit_entry_and_activates_the_plan(plan: Plan) -> None:
    entry = AuditEntry.objects.get(action="plans.plan.import")
    assert entry.after["measures"] == 24
    assert entry.after["targets"] == 22
    assert Plan.objects.get(is_active=True) == plan


def test_reimport_creates_a_new_active_version(plan: Plan, weihai_json: dict[str, Any]) -> None:
    second = import_plan(weihai_json, actor=None)
    assert second.version == 2
    plan.refresh_from_db()
    assert not plan.is_active and second.is_active


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda d: d.pop("title"), "title"),
        (
            lambda d: d["measures"][3]["responsibilities"][0].update(role="boss"),
            "measures[3].responsibilities[0].role",
        ),
        (lambda d: d["targets"][0].update(value=-5), "targets[0].value"),
        (
            lambda d: d["measures"][10]["targets"][0].update(comparator="≈"),
            "measures[10].targets[0].comparator",
        ),
        (lambda d: d.update(issued_on="2025-13-40"), "issued_on"),
        (lambda d: d["measures"][0].pop("text"), "measures[0].text"),
        (lambda d: d.update(measures=[]), "measures"),
    ],
)
def test_contract_violation_is_refused_naming_the_field_and_writes_nothing(
    city: None, weihai_json: dict[str, Any], mutate: Any, fragment: str
) -> None:
    data = copy.deepcopy(weihai_json)
    mutate(data)
    audit_before = AuditEntry.objects.count()
    with pytest.raises(PlanContractError) as exc:
        import_plan(data, actor=None)
    assert any(e.startswith(fragment) for e in exc.value.errors), exc.value.errors
    assert Plan.objects.count() == 0
    assert Measure.objects.count() == 0
    assert AuditEntry.objects.count() == audit_before
