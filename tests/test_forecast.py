"""Pace and forecast: a series with a known trend gives the errors worked out by hand."""

from datetime import date

import pytest

from adoption.forecast import backtest, forecast, pace
from adoption.months import add_months

START = date(2023, 1, 1)


def series(values, start=START):
    return {add_months(start, i): value for i, value in enumerate(values)}


def test_a_straight_line_is_forecast_exactly_with_no_backtest_error():
    # 20 + 1.5 points a month for 18 months: 01/2023 .. 06/2024.
    rates = series([20 + 1.5 * i for i in range(18)])
    now, deadline = date(2024, 6, 1), date(2024, 12, 1)
    error, count = backtest(rates)
    assert error == pytest.approx(0, abs=1e-9)
    assert count == 18 - 12 - 3 + 1  # origins with 12 months behind and 3 ahead
    result = forecast(rates, now, deadline)
    assert result.rate == pytest.approx(45.5 + 6 * 1.5)
    assert result.low == result.high == result.rate


def test_the_backtest_error_of_a_curved_trend_is_the_one_worked_out_by_hand():
    # y = 0.3 x². The line fitted to x² at x = 0..5 has slope 87.5 / 17.5 = 5 and intercept
    # 55/6 − 12.5 = −10/3; at x = 8 it gives 110/3 against 64, 82/3 short. Shifting the origin
    # only adds a straight line to x², which the fit follows exactly, so every 3-month backtest
    # forecast is 0.3 × 82/3 = 8.2 points short.
    rates = series([0.3 * x * x for x in range(12)])
    error, count = backtest(rates, window=6)
    assert count == 12 - 6 - 3 + 1
    assert error == pytest.approx(8.2)
    # The 12-month window on x = 0..11: slope 1573 / 143 = 11, at x = 14 it is 181/3 short.
    error, _ = backtest(series([0.05 * x * x for x in range(18)]))
    assert error == pytest.approx(0.05 * 181 / 3)


def test_the_band_widens_with_the_square_root_of_the_months_ahead():
    rates = series([0.3 * x * x for x in range(12)])
    result = forecast(rates, date(2023, 12, 1), date(2024, 12, 1), window=6)
    assert result.error == pytest.approx(8.2)
    # 12 months ahead: ± 8.2 × √(12 / 3) = ± 16.4, clamped to 100 at the top.
    assert result.rate - result.low == pytest.approx(16.4, abs=0.01)
    assert result.high == 100.0


def test_too_little_history_gives_no_forecast_and_says_so():
    rates = series([10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23])  # 14 months
    result = forecast(rates, date(2024, 2, 1), date(2024, 12, 1))
    assert not result.available
    assert result.reason == "too little history"
    assert forecast({}, date(2024, 2, 1), date(2024, 12, 1)).reason == "too little history"


def test_months_without_a_figure_are_left_out_not_read_as_zero():
    values = [20 + i for i in range(18)]
    rates = series(values)
    rates[date(2023, 8, 1)] = None
    assert backtest(rates)[0] == pytest.approx(0, abs=1e-9)


def test_pace_needed_and_achieved():
    rates = series([30 + i for i in range(13)])  # 30 in 01/2023 .. 42 in 01/2024
    result = pace(rates, date(2024, 1, 1), target=48, deadline=date(2024, 7, 1))
    assert result.months_left == 6
    assert result.needed == 1.0
    assert result.last_3m == 1.0 and result.last_12m == 1.0
    # Ahead of target: nothing more is needed; past the deadline: no pace.
    assert pace(rates, date(2024, 1, 1), target=40, deadline=date(2024, 7, 1)).needed == 0.0
    assert pace(rates, date(2024, 1, 1), target=48, deadline=date(2024, 1, 1)).needed is None
    assert pace(series([5]), START).last_3m is None
