"""Status words and signed gaps against a target, and the order tables sort by."""

from datetime import date

from django.utils import translation

from adoption.forecast import Forecast
from adoption.target_status import BEHIND, MET, WILL_MISS, by_status, standing

NOW, DEADLINE = date(2025, 1, 1), date(2025, 12, 1)


def band(low, high):
    return Forecast(DEADLINE, (low + high) / 2, low, high, 2.0, 5)


def test_ahead_of_target_is_met_with_a_positive_gap():
    result = standing(46.0, 40.0, NOW, DEADLINE, band(50, 60))
    assert (result.status, result.gap) == (MET, 6.0)
    with translation.override("vi"):
        assert str(result.label) == "đạt"


def test_behind_but_within_reach_is_behind_pace_with_a_negative_gap():
    result = standing(42.0, 60.0, NOW, DEADLINE, band(55, 65))
    assert (result.status, result.gap) == (BEHIND, -18.0)


def test_behind_with_the_whole_band_below_target_will_miss():
    assert standing(20.0, 40.0, NOW, DEADLINE, band(25, 35)).status == WILL_MISS


def test_behind_after_the_deadline_will_miss_whatever_the_forecast():
    assert standing(39.0, 40.0, DEADLINE, DEADLINE, band(45, 50)).status == WILL_MISS


def test_without_a_forecast_behind_is_behind_pace():
    none = Forecast(DEADLINE, None, None, None, None, 0, "too little history")
    assert standing(20.0, 40.0, NOW, DEADLINE, none).status == BEHIND


def test_no_target_or_no_rate_has_no_status_and_no_gap():
    assert standing(20.0, None, NOW).status is None
    assert standing(None, 40.0, NOW).gap is None


def test_tables_sort_worst_status_first_then_most_behind():
    rows = [
        {"name": "A", "status": MET, "gap": 6.0},
        {"name": "B", "status": BEHIND, "gap": -2.0},
        {"name": "C", "status": None, "gap": None},
        {"name": "D", "status": WILL_MISS, "gap": -5.0},
        {"name": "E", "status": BEHIND, "gap": -9.0},
        {"name": "F", "status": WILL_MISS, "gap": -20.0},
    ]
    assert [r["name"] for r in by_status(rows)] == ["F", "D", "E", "B", "A", "C"]
