"""What changed between two plan JSONs (a new version against the one it replaces)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class PlanDiff:
    """Human-readable differences, grouped for the review page."""

    header: list[str] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)
    measures: list[str] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.header or self.sections or self.measures or self.targets)

    def as_dict(self) -> dict[str, list[str]]:
        return {
            "header": self.header,
            "sections": self.sections,
            "measures": self.measures,
            "targets": self.targets,
        }


def _target_key(t: dict[str, Any]) -> str:
    return str(t.get("subject") or t.get("text"))


def _target_value(t: dict[str, Any]) -> str:
    if t.get("comparator") == "range":
        return f"{t.get('min')}—{t.get('max')}{t.get('unit', '')}"
    if t.get("comparator") == "relative":
        return f"不低于{t.get('reference')}"
    scope = "每年" if t.get("per_year") else ""
    return f"{scope}{t.get('comparator')}{t.get('value')}{t.get('unit', '')}"


def _roles(m: dict[str, Any]) -> str:
    return "、".join(f"{r['department']}({r['role']})" for r in m.get("responsibilities", []))


def diff_plans(old: dict[str, Any], new: dict[str, Any]) -> PlanDiff:
    """Compare ``new`` with ``old``; measures are matched by title, targets by subject."""
    d = PlanDiff()
    for key, label in (
        ("title", "标题"),
        ("issuer", "发文机关"),
        ("doc_number", "文号"),
        ("issued_on", "成文日期"),
    ):
        if old.get(key) != new.get(key):
            d.header.append(f"{label}：{old.get(key) or '—'} → {new.get(key) or '—'}")
    old_sections = {s["number"]: s["title"] for s in old.get("sections", [])}
    new_sections = {s["number"]: s["title"] for s in new.get("sections", [])}
    for number in sorted(set(old_sections) | set(new_sections)):
        before, after = old_sections.get(number), new_sections.get(number)
        if before != after:
            if before is None:
                d.sections.append(f"新增专项计划 {number}：{after}")
            elif after is None:
                d.sections.append(f"删除专项计划 {number}：{before}")
            else:
                d.sections.append(f"专项计划 {number} 标题：{before} → {after}")
    old_measures = {m["title"]: m for m in old.get("measures", [])}
    new_measures = {m["title"]: m for m in new.get("measures", [])}
    for title, m in new_measures.items():
        prior = old_measures.get(title)
        if prior is None:
            d.measures.append(f"新增措施：{m.get('printed', '')}{title}")
            continue
        if prior.get("number") != m.get("number"):
            d.measures.append(f"措施“{title}”序号：{prior.get('number')} → {m.get('number')}")
        if _roles(prior) != _roles(m):
            d.measures.append(f"措施“{title}”责任分工：{_roles(prior)} → {_roles(m)}")
        if prior.get("text") != m.get("text"):
            d.measures.append(f"措施“{title}”正文有改动")
    for title, m in old_measures.items():
        if title not in new_measures:
            d.measures.append(f"删除措施：{m.get('printed', '')}{title}")
    old_targets = _all_targets(old)
    new_targets = _all_targets(new)
    for key, t in new_targets.items():
        prior = old_targets.get(key)
        if prior is None:
            d.targets.append(f"新增目标：{t.get('text')}")
        elif _target_value(prior) != _target_value(t):
            d.targets.append(f"目标“{key}”：{_target_value(prior)} → {_target_value(t)}")
    for key, t in old_targets.items():
        if key not in new_targets:
            d.targets.append(f"删除目标：{t.get('text')}")
    return d


def _all_targets(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    targets: dict[str, dict[str, Any]] = {}
    for t in data.get("targets", []):
        targets[_target_key(t)] = t
    for m in data.get("measures", []):
        for t in m.get("targets", []):
            targets[_target_key(t)] = t
    return targets
