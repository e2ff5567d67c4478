"""The plan JSON contract: validation of incoming JSON and rendering of a stored plan."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from chuangye.plans.choices import Comparator, ResponsibilityRole

ROLES = {c.value for c in ResponsibilityRole}
COMPARATORS = {c.value for c in Comparator}


class PlanContractError(ValueError):
    """The JSON breaks the contract; ``errors`` lists each problem with its field path."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("；".join(errors))
        self.errors = errors


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _check_source(src: Any, path: str, errors: list[str]) -> None:
    if src is None:
        return
    if not isinstance(src, dict) or not all(
        isinstance(src.get(k), int) and not isinstance(src.get(k), bool) and src[k] >= 0
        for k in ("start", "end")
    ):
        errors.append(f'{path}.source：应为 {{"start": 非负整数, "end": 非负整数}}')
    elif src["end"] < src["start"]:
        errors.append(f"{path}.source：end 不能小于 start")


def _check_target(t: Any, path: str, errors: list[str]) -> None:
    if not isinstance(t, dict):
        errors.append(f"{path}：应为对象")
        return
    for key in ("text", "subject"):
        if not isinstance(t.get(key), str) or not t.get(key, "").strip():
            errors.append(f"{path}.{key}：缺少或为空")
    if not isinstance(t.get("unit"), str):
        errors.append(f"{path}.unit：缺少（可为空字符串）")
    comparator = t.get("comparator")
    if comparator not in COMPARATORS:
        errors.append(
            f"{path}.comparator：未知的比较方式“{comparator}”，应为 {sorted(COMPARATORS)} 之一"
        )
    for key in ("value", "min", "max"):
        value = t.get(key)
        if value is not None and not _is_number(value):
            errors.append(f"{path}.{key}：应为数字或 null")
        elif value is not None and value < 0:
            errors.append(f"{path}.{key}：目标值不能为负数（{value}）")
    if comparator == Comparator.RANGE:
        if t.get("min") is None or t.get("max") is None:
            errors.append(f"{path}：区间目标需要 min 和 max")
        elif _is_number(t["min"]) and _is_number(t["max"]) and t["min"] > t["max"]:
            errors.append(f"{path}：min 不能大于 max")
    elif comparator == Comparator.RELATIVE:
        if not isinstance(t.get("reference"), str) or not t.get("reference"):
            errors.append(f"{path}.reference：相对目标需要注明参照指标")
    elif comparator in COMPARATORS and t.get("value") is None:
        errors.append(f"{path}.value：缺少目标值")
    if not isinstance(t.get("per_year"), bool):
        errors.append(f"{path}.per_year：应为 true 或 false")
    year = t.get("deadline_year")
    if year is not None and (
        not isinstance(year, int) or isinstance(year, bool) or not 1949 < year < 2200
    ):
        errors.append(f"{path}.deadline_year：应为年份或 null")
    _check_source(t.get("source"), path, errors)


def validate_plan_json(data: Any) -> dict[str, Any]:
    """Return ``data`` if it keeps the contract, else raise PlanContractError naming each field."""
    errors: list[str] = []
    if not isinstance(data, dict):
        raise PlanContractError(["顶层：应为 JSON 对象"])
    if not isinstance(data.get("title"), str) or not data.get("title", "").strip():
        errors.append("title：缺少方案标题")
    for key in ("issuer", "doc_number"):
        if key in data and data[key] is not None and not isinstance(data[key], str):
            errors.append(f"{key}：应为字符串")
    issued = data.get("issued_on")
    if issued is not None:
        try:
            dt.date.fromisoformat(issued)
        except (TypeError, ValueError):
            errors.append(f"issued_on：应为 YYYY-MM-DD 格式的日期（收到“{issued}”）")
    sections = data.get("sections")
    section_numbers: set[int] = set()
    if not isinstance(sections, list):
        errors.append("sections：缺少或不是列表")
        sections = []
    for i, s in enumerate(sections):
        path = f"sections[{i}]"
        if not isinstance(s, dict):
            errors.append(f"{path}：应为对象")
            continue
        number = s.get("number")
        if not isinstance(number, int) or isinstance(number, bool) or number < 1:
            errors.append(f"{path}.number：应为正整数")
        elif number in section_numbers:
            errors.append(f"{path}.number：序号 {number} 重复")
        else:
            section_numbers.add(number)
        if not isinstance(s.get("title"), str) or not s.get("title", "").strip():
            errors.append(f"{path}.title：缺少标题")
    measures = data.get("measures")
    if not isinstance(measures, list) or not measures:
        errors.append("measures：缺少措施列表或列表为空")
        measures = []
    measure_numbers: set[int] = set()
    for i, m in enumerate(measures):
        path = f"measures[{i}]"
        if not isinstance(m, dict):
            errors.append(f"{path}：应为对象")
            continue
        number = m.get("number")
        if not isinstance(number, int) or isinstance(number, bool) or number < 1:
            errors.append(f"{path}.number：应为正整数")
        elif number in measure_numbers:
            errors.append(f"{path}.number：序号 {number} 重复")
        else:
            measure_numbers.add(number)
        section = m.get("section")
        if section is not None and section not in section_numbers:
            errors.append(f"{path}.section：引用了不存在的专项计划 {section}")
        for key in ("title", "text"):
            if not isinstance(m.get(key), str) or not m.get(key, "").strip():
                errors.append(f"{path}.{key}：缺少或为空")
        if "printed" in m and not isinstance(m["printed"], str):
            errors.append(f"{path}.printed：应为字符串")
        resps = m.get("responsibilities", [])
        if not isinstance(resps, list):
            errors.append(f"{path}.responsibilities：应为列表")
            resps = []
        for j, r in enumerate(resps):
            rpath = f"{path}.responsibilities[{j}]"
            if not isinstance(r, dict):
                errors.append(f"{rpath}：应为对象")
                continue
            if not isinstance(r.get("department"), str) or not r.get("department", "").strip():
                errors.append(f"{rpath}.department：缺少单位名称")
            if r.get("role") not in ROLES:
                role = r.get("role")
                errors.append(
                    f"{rpath}.role：未知的职责类型“{role}”，应为 lead、cooperating 或 joint"
                )
        targets = m.get("targets", [])
        if not isinstance(targets, list):
            errors.append(f"{path}.targets：应为列表")
            targets = []
        for j, t in enumerate(targets):
            _check_target(t, f"{path}.targets[{j}]", errors)
        _check_source(m.get("source"), path, errors)
    top_targets = data.get("targets", [])
    if not isinstance(top_targets, list):
        errors.append("targets：应为列表")
        top_targets = []
    for j, t in enumerate(top_targets):
        _check_target(t, f"targets[{j}]", errors)
    if errors:
        raise PlanContractError(errors)
    return data


def number_out(value: Decimal | None) -> int | float | None:
    """Render a stored decimal as the contract writes it: integers stay integers."""
    if value is None:
        return None
    if value == value.to_integral_value():
        return int(value)
    return float(value)
