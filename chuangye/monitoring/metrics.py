"""Registry of programme metrics: an indicator whose source is a metric key reads its figures here.

A programme registers a metric in its own ``metrics.py``::

    register("loans.disbursed_amount", "新发放创业担保贷款", unit="元", compute=...)

``compute(org_unit, year, month)`` returns (value, records) for a district, or for the city with
records counted once however many districts touched them. ``compute_all(first_year, last_year)``
(optional) returns the same for every unit and month at once, each record counted at its own unit
only: ``{(org_unit_id, year, month): (value, records)}``; the Fact rebuild adds districts up to
their city, so a metric offering it must be additive.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from chuangye.accounts.models import OrgUnit

#: (first year, last year) → {(org unit id, year, month): (value, records)}
ComputeAll = Callable[[int, int], dict[tuple[int, int, int], tuple[Decimal, int]]]


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    unit: str
    compute: Callable[[OrgUnit, int, int], tuple[Decimal, int]]
    compute_all: ComputeAll | None = None


_REGISTRY: dict[str, Metric] = {}


def register(
    key: str,
    label: str,
    *,
    unit: str,
    compute: Callable[[OrgUnit, int, int], tuple[Decimal, int]],
    compute_all: ComputeAll | None = None,
) -> Metric:
    metric = Metric(key, label, unit, compute, compute_all)
    _REGISTRY[key] = metric
    return metric


def get(key: str) -> Metric | None:
    return _REGISTRY.get(key)


def all_metrics() -> list[Metric]:
    return sorted(_REGISTRY.values(), key=lambda m: m.key)
