"""Reference data for Weihai: org units and the departments the plan names.

Pure data (no Django imports) so the document parser can use it too.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class OrgUnitRef:
    code: str
    name: str
    short_name: str
    kind: str  # city | county | zone
    parent: str | None = None


@dataclass(frozen=True)
class DepartmentRef:
    code: str
    name: str
    aliases: tuple[str, ...] = field(default_factory=tuple)


CITY_CODE = "371000"

ORG_UNITS: tuple[OrgUnitRef, ...] = (
    OrgUnitRef("371000", "威海市", "威海市", "city"),
    OrgUnitRef("371002", "环翠区", "环翠区", "county", "371000"),
    OrgUnitRef("371003", "文登区", "文登区", "county", "371000"),
    OrgUnitRef("371082", "荣成市", "荣成市", "county", "371000"),
    OrgUnitRef("371083", "乳山市", "乳山市", "county", "371000"),
    # National-level zones have no GB/T 2260 code: stable internal codes.
    OrgUnitRef("371071", "威海火炬高技术产业开发区", "高区", "zone", "371000"),
    OrgUnitRef("371072", "威海经济技术开发区", "经区", "zone", "371000"),
    OrgUnitRef("371073", "威海临港经济技术开发区", "临港区", "zone", "371000"),
    OrgUnitRef("371074", "威海综合保税区", "综保区", "zone", "371000"),
)

DEPARTMENTS: tuple[DepartmentRef, ...] = (
    DepartmentRef("rsj", "市人力资源社会保障局", ("市人社局", "人社局", "市人力资源和社会保障局")),
    DepartmentRef("spj", "市行政审批服务局", ("市审批服务局",)),
    DepartmentRef("scjgj", "市市场监管局", ("市市场监督管理局", "市场监管局")),
    DepartmentRef("dsjj", "市大数据局", ()),
    DepartmentRef("fgw", "市发展改革委", ("市发改委", "市发展和改革委员会")),
    DepartmentRef("kjj", "市科技局", ("市科学技术局",)),
    DepartmentRef("gxj", "市工业和信息化局", ("市工信局",)),
    DepartmentRef("nyncj", "市农业农村局", ("市农业局",)),
    DepartmentRef("rmyh", "人民银行威海市分行", ("人行威海市分行", "人民银行威海分行")),
    DepartmentRef("czj", "市财政局", ()),
    DepartmentRef("jrjg", "威海金融监管分局", ("国家金融监督管理总局威海监管分局",)),
    DepartmentRef("zzb", "市委组织部", ()),
    DepartmentRef("tsw", "团市委", ("共青团威海市委",)),
    DepartmentRef("jyj", "市教育局", ()),
    DepartmentRef("tyjrj", "市退役军人局", ("市退役军人事务局",)),
)

_ALIASES: dict[str, str] = {}
for _dept in DEPARTMENTS:
    _ALIASES[_dept.name] = _dept.name
    for _alias in _dept.aliases:
        _ALIASES[_alias] = _dept.name


def canonical_department(name: str) -> str | None:
    """Return the official name for a printed department name or alias, or None if unknown."""
    return _ALIASES.get(name.strip())
