"""adoption.months (month arithmetic and parsing) and adoption.month_forms (the one month field
and month-range form)."""

from datetime import date

import pytest
from django.http import QueryDict
from django.utils import translation

from adoption.month_forms import MonthField, MonthRangeForm
from adoption.months import (
    add_months,
    month_count,
    month_label,
    month_range,
    month_start,
    parse_day,
    parse_month,
)


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):
        yield


@pytest.mark.parametrize(
    "month, n, expected",
    [
        (date(2025, 1, 1), 1, date(2025, 2, 1)),
        (date(2025, 12, 1), 1, date(2026, 1, 1)),
        (date(2025, 1, 1), -1, date(2024, 12, 1)),
        (date(2025, 3, 1), -15, date(2023, 12, 1)),
        (date(2025, 3, 1), 0, date(2025, 3, 1)),
        (date(2024, 2, 29), 12, date(2025, 2, 1)),  # any day: the month it falls in
    ],
)
def test_add_months_crosses_years_both_ways(month, n, expected):
    assert add_months(month, n) == expected


def test_month_count_and_range_include_both_ends():
    assert month_count(date(2024, 11, 1), date(2025, 2, 1)) == 4
    assert month_range(date(2024, 11, 1), date(2025, 2, 1)) == [
        date(2024, 11, 1),
        date(2024, 12, 1),
        date(2025, 1, 1),
        date(2025, 2, 1),
    ]
    assert month_range(date(2025, 2, 1), date(2025, 1, 1)) == []


def test_month_start_and_label():
    assert month_start(date(2025, 6, 17)) == date(2025, 6, 1)
    assert month_label(date(2025, 6, 1)) == "06/2025"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2025-06", date(2025, 6, 1)),
        (" 2025-06 ", date(2025, 6, 1)),
        ("2025-6", date(2025, 6, 1)),
        ("2025-13", None),
        ("2025-00", None),
        ("1899-12", None),
        ("06/2025", None),
        ("2025-06-01", None),
        ("June", None),
        ("", None),
    ],
)
def test_parse_month(text, expected):
    assert parse_month(text) == expected


def test_parse_month_padded_wants_two_digits():
    assert parse_month("2025-06", padded=True) == date(2025, 6, 1)
    assert parse_month("2025-6", padded=True) is None


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2025-06-15", date(2025, 6, 15)),
        ("15/06/2025", date(2025, 6, 15)),
        ("31/02/2025", None),
        ("2025-06", None),
    ],
)
def test_parse_day(text, expected):
    assert parse_day(text) == expected


def clean(value, **kwargs):
    return MonthField(**kwargs).clean(value)


def test_the_month_field_reads_a_month_or_the_first_of_one():
    assert clean("2025-07") == date(2025, 7, 1)
    assert clean("2025-07-01") == date(2025, 7, 1)
    assert clean("01/07/2025") == date(2025, 7, 1)
    assert clean("", required=False) is None


@pytest.mark.parametrize("value", ["2025-13", "July", "07/2025", "2025/07"])
def test_the_month_field_refuses_what_is_not_a_month(value):
    with pytest.raises(Exception, match="Enter a month as YYYY-MM") as error:
        clean(value)
    assert error.value.code == "invalid"


def test_the_month_field_says_why_a_day_in_a_month_is_not_one():
    with pytest.raises(Exception, match="15/07/2025 is in the middle of 07/2025") as error:
        clean("2025-07-15")
    assert error.value.code == "mid_month"
    own = {"mid_month": "From the 1st only: %(date)s, %(month)s."}
    with pytest.raises(Exception, match="From the 1st only: 15/07/2025, 07/2025."):
        clean("15/07/2025", error_messages=own)


def test_the_month_field_renders_as_a_month_input():
    html = MonthField().widget.render("start", date(2025, 7, 1))
    assert 'type="month"' in html and 'value="2025-07"' in html


def form(query="", **kwargs):
    return MonthRangeForm(QueryDict(query), **kwargs)


def test_the_range_form_fills_in_its_defaults():
    defaults = (date(2024, 8, 1), date(2025, 7, 1))
    chosen = form(defaults=defaults).chosen()
    assert (chosen["start"], chosen["end"]) == defaults
    chosen = form("start=2025-01", defaults=defaults).chosen()
    assert (chosen["start"], chosen["end"]) == (date(2025, 1, 1), date(2025, 7, 1))
    assert 'value="2025-01"' in str(form("start=2025-01", defaults=defaults)["start"])


def test_the_range_form_falls_back_to_the_default_for_a_bad_month_and_says_so():
    defaults = (date(2024, 8, 1), date(2025, 7, 1))
    bad = form("start=2025-13", defaults=defaults)
    assert bad.chosen()["start"] == date(2024, 8, 1)
    assert "start" in bad.errors


def test_the_range_form_refuses_a_range_that_runs_backwards():
    backwards = form("start=2025-03&end=2025-01")
    assert not backwards.is_valid()
    assert "The first month is after the last month." in backwards.non_field_errors()


def test_a_range_form_may_bound_the_number_of_months():
    class Short(MonthRangeForm):
        max_months = 3

    assert Short(QueryDict("start=2025-01&end=2025-03")).is_valid()
    long = Short(QueryDict("start=2025-01&end=2025-04"))
    assert not long.is_valid()
    assert "Choose at most 3 months." in long.non_field_errors()


def test_month_end_and_a_range_that_ignores_the_day():
    from adoption.months import month_end

    assert month_end(date(2024, 2, 1)) == date(2024, 2, 29)
    assert month_end(date(2023, 12, 1)) == date(2023, 12, 31)
    assert month_range(date(2024, 11, 20), date(2025, 1, 5)) == month_range(
        date(2024, 11, 1), date(2025, 1, 1)
    )
