"""Year-end 考核 arithmetic on plain values, so every figure can be checked by hand.

A unit's score is the sum of its lines (one per target it answers for, plus reporting
timeliness) over the points at stake, on a 100-point scale:

* a target line earns ``weight × share``; ``share`` comes from the completion against what was
  due by the assessment date (linear up to a cap, or by bands), or from the light for targets
  judged by a light alone (a ceiling ``≤`` or a comparison with another series);
* in a department's score a target's weight is split: ``lead_share`` among its lead (and jointly
  responsible) departments, the rest among its cooperating ones;
* timeliness earns ``timeliness_weight × on_time / due``.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import TypeVar

from chuangye.documents.choices import PointsMode

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)
CENT = Decimal("0.01")
FINE = Decimal("0.0001")

#: Share of a target's weight earned by its light, where no completion ratio applies.
STATUS_SHARE: dict[str, Decimal] = {
    "done": ONE,
    "green": ONE,
    "yellow": Decimal("0.5"),
    "red": ZERO,
    "no_data": ZERO,
}

LEAD = "lead"
COOPERATING = "cooperating"

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Rules:
    """The arithmetic part of an assessment scheme."""

    mode: str = PointsMode.LINEAR
    cap: Decimal = ONE
    #: (completion from %, share of the weight %), any order
    bands: tuple[tuple[Decimal, Decimal], ...] = ()
    lead_share: Decimal = Decimal("0.7")
    timeliness_weight: Decimal = Decimal(10)
    flag_gap: Decimal = Decimal(10)


@dataclass(frozen=True)
class Outcome:
    """Where a target stands for one unit on the assessment date."""

    target_id: int
    subject: str
    #: actual ÷ due by the date; None when the target is judged by its light alone
    achievement: float | None
    status: str


@dataclass(frozen=True)
class Line:
    """One row of the working: what a target (or timeliness) contributes to a unit's score."""

    label: str
    weight: Decimal
    share: Decimal
    points: Decimal
    basis: str = ""
    role: str = ""


@dataclass
class Score:
    """A unit's total with its working."""

    key: str
    name: str
    kind: str
    lines: list[Line] = field(default_factory=list)
    points: Decimal = ZERO
    max_points: Decimal = ZERO
    score: Decimal = ZERO
    rank: int = 0
    self_score: Decimal | None = None
    self_note: str = ""
    gap: Decimal | None = None
    flagged: bool = False


def _dec(value: float | int | str | Decimal) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def share_for(outcome: Outcome, rules: Rules) -> Decimal:
    """Share (0 … cap) of the weight a target earns."""
    if outcome.achievement is None:
        return STATUS_SHARE.get(outcome.status, ZERO)
    achieved = max(_dec(outcome.achievement), ZERO)
    if rules.mode == PointsMode.BANDS:
        percent = achieved * HUNDRED
        for floor, share in sorted(rules.bands, key=lambda b: b[0], reverse=True):
            if percent >= floor:
                return (share / HUNDRED).quantize(FINE, ROUND_HALF_UP)
        return ZERO
    return min(achieved, rules.cap).quantize(FINE, ROUND_HALF_UP)


def points(weight: Decimal, share: Decimal) -> Decimal:
    return (weight * share).quantize(CENT, ROUND_HALF_UP)


def basis_of(outcome: Outcome, status_label: str) -> str:
    if outcome.achievement is None:
        return f"按状态：{status_label}"
    return f"完成 {outcome.achievement * 100:.1f}%"


def target_line(
    outcome: Outcome, weight: Decimal, rules: Rules, *, status_label: str = "", role: str = ""
) -> Line:
    share = share_for(outcome, rules)
    return Line(
        label=outcome.subject,
        weight=weight,
        share=share,
        points=points(weight, share),
        basis=basis_of(outcome, status_label or outcome.status),
        role=role,
    )


def timeliness_line(on_time: int, due: int, rules: Rules) -> Line | None:
    """Reporting timeliness; None when the unit had nothing to report (not counted)."""
    if due <= 0 or rules.timeliness_weight <= 0:
        return None
    share = (Decimal(on_time) / Decimal(due)).quantize(FINE, ROUND_HALF_UP)
    return Line(
        label="报送及时性",
        weight=rules.timeliness_weight,
        share=share,
        points=points(rules.timeliness_weight, share),
        basis=f"按时报送 {on_time}/{due} 项",
    )


def total(key: str, name: str, kind: str, lines: Iterable[Line]) -> Score:
    """Sum the lines; ``score`` is points over points at stake, on a 100-point scale."""
    kept = list(lines)
    got = sum((line.points for line in kept), ZERO)
    stake = sum((line.weight for line in kept), ZERO)
    score = (got / stake * HUNDRED).quantize(CENT, ROUND_HALF_UP) if stake else ZERO
    return Score(
        key=key, name=name, kind=kind, lines=kept, points=got, max_points=stake, score=score
    )


def split(
    weight: Decimal, leads: Sequence[K], cooperating: Sequence[K], lead_share: Decimal
) -> dict[K, tuple[str, Decimal]]:
    """Divide a target's weight: ``lead_share`` to the leads equally, the rest to the others.

    A unit that leads is not also paid as cooperating; with no cooperating unit the leads take
    the whole weight, and with no lead the cooperating units do.
    """
    lead_keys = list(dict.fromkeys(leads))
    coop_keys = [k for k in dict.fromkeys(cooperating) if k not in lead_keys]
    if not lead_keys and not coop_keys:
        return {}
    if not coop_keys:
        pools = {LEAD: weight}
    elif not lead_keys:
        pools = {COOPERATING: weight}
    else:
        pools = {LEAD: weight * lead_share, COOPERATING: weight * (ONE - lead_share)}
    out: dict[K, tuple[str, Decimal]] = {}
    for role, keys in ((LEAD, lead_keys), (COOPERATING, coop_keys)):
        if role in pools:
            each = (pools[role] / len(keys)).quantize(FINE, ROUND_HALF_UP)
            for k in keys:
                out[k] = (role, each)
    return out


def compare(score: Score, self_score: Decimal | None, flag_gap: Decimal, note: str = "") -> Score:
    """Put a self-assessment beside the score; flag a gap of ``flag_gap`` points or more."""
    score.self_score = self_score
    score.self_note = note
    if self_score is None:
        score.gap, score.flagged = None, False
    else:
        score.gap = (self_score - score.score).quantize(CENT, ROUND_HALF_UP)
        score.flagged = abs(score.gap) >= flag_gap
    return score


def rank(scores: Iterable[Score]) -> list[Score]:
    """Order by score, highest first; equal scores share a rank (1, 2, 2, 4)."""
    ordered = sorted(scores, key=lambda s: (-s.score, s.key))
    previous: Decimal | None = None
    for position, s in enumerate(ordered, start=1):
        if s.score != previous:
            current = position
            previous = s.score
        s.rank = current
    return ordered
