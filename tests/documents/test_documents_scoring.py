"""考核 arithmetic on cases worked out by hand."""

from decimal import Decimal as D

import pytest

from chuangye.documents import scoring
from chuangye.documents.choices import PointsMode
from chuangye.documents.scoring import Outcome, Rules

BANDS = Rules(
    mode=PointsMode.BANDS,
    bands=((D(100), D(100)), (D(90), D(90)), (D(80), D(75)), (D(60), D(50)), (D(0), D(0))),
)


def _outcome(achievement: float | None, status: str = "green") -> Outcome:
    return Outcome(1, "扶持创业", achievement, status)


@pytest.mark.parametrize(
    ("achievement", "cap", "points"),
    [(0.85, "1", "8.50"), (1.3, "1", "10.00"), (1.3, "1.2", "12.00"), (-0.2, "1", "0.00")],
)
def test_linear_points_are_weight_times_completion_up_to_the_cap(
    achievement: float, cap: str, points: str
) -> None:
    line = scoring.target_line(_outcome(achievement), D(10), Rules(cap=D(cap)))
    assert line.points == D(points)


@pytest.mark.parametrize(
    ("achievement", "points"),
    [(1.05, "10.00"), (0.95, "9.00"), (0.80, "7.50"), (0.79, "5.00"), (0.59, "0.00")],
)
def test_band_points_take_the_highest_band_reached(achievement: float, points: str) -> None:
    assert scoring.target_line(_outcome(achievement), D(10), BANDS).points == D(points)


@pytest.mark.parametrize(
    ("status", "points"), [("green", "6.00"), ("yellow", "3.00"), ("red", "0.00")]
)
def test_targets_without_a_ratio_score_by_their_light(status: str, points: str) -> None:
    line = scoring.target_line(_outcome(None, status), D(6), Rules(), status_label="x")
    assert line.points == D(points) and line.basis == "按状态：x"


def test_split_gives_leads_their_share_and_cooperating_units_the_rest() -> None:
    parts = scoring.split(D(10), ["rsj", "gxj"], ["fgw", "rsj"], D("0.7"))
    assert parts == {
        "rsj": ("lead", D("3.5")),
        "gxj": ("lead", D("3.5")),
        "fgw": ("cooperating", D("3.0")),
    }


def test_split_without_cooperating_units_gives_leads_everything() -> None:
    assert scoring.split(D(10), ["a", "b"], [], D("0.7")) == {
        "a": ("lead", D(5)),
        "b": ("lead", D(5)),
    }
    assert scoring.split(D(9), [], ["c", "d", "e"], D("0.7")) == {
        k: ("cooperating", D(3)) for k in "cde"
    }
    assert scoring.split(D(9), [], [], D("0.7")) == {}


def test_total_is_points_over_points_at_stake_on_100() -> None:
    rules = Rules(timeliness_weight=D(10))
    lines = [
        scoring.target_line(_outcome(0.85), D(10), rules),
        scoring.target_line(_outcome(0.90), D(10), rules),
        scoring.timeliness_line(9, 10, rules),
    ]
    score = scoring.total("district:1", "环翠区", "district", [ln for ln in lines if ln])
    # 8.50 + 9.00 + 10 × 9/10 = 26.50 of 30 → 88.33
    assert score.points == D("26.50") and score.max_points == D(30)
    assert score.score == D("88.33")


def test_timeliness_counts_only_when_something_was_due() -> None:
    assert scoring.timeliness_line(0, 0, Rules()) is None
    assert scoring.timeliness_line(3, 4, Rules(timeliness_weight=D(0))) is None
    line = scoring.timeliness_line(3, 4, Rules(timeliness_weight=D(8)))
    assert line is not None and line.points == D("6.00") and line.basis == "按时报送 3/4 项"


def test_self_assessment_gap_is_flagged_at_the_threshold() -> None:
    score = scoring.Score("k", "环翠区", "district", score=D("88.33"))
    assert not scoring.compare(score, D(95), D(10)).flagged
    assert score.gap == D("6.67")
    assert scoring.compare(score, D(70), D(10)).flagged and score.gap == D("-18.33")
    assert scoring.compare(score, D("78.33"), D(10)).flagged  # exactly 10 points apart
    assert not scoring.compare(score, None, D(10)).flagged and score.gap is None


def test_rank_gives_equal_scores_the_same_place() -> None:
    scores = [
        scoring.Score(k, k, "district", score=D(v))
        for k, v in (("a", 85), ("b", 90), ("c", 80), ("d", 85))
    ]
    assert [(s.key, s.rank) for s in scoring.rank(scores)] == [
        ("b", 1),
        ("a", 2),
        ("d", 2),
        ("c", 4),
    ]


def test_zero_stake_scores_zero() -> None:
    assert scoring.total("k", "n", "department", []).score == D(0)
