from datetime import date

from adoption.months import add_months, month_end, month_range, month_start


def test_month_arithmetic():
    assert month_start(date(2024, 2, 17)) == date(2024, 2, 1)
    assert add_months(date(2024, 11, 1), 3) == date(2025, 2, 1)
    assert add_months(date(2024, 1, 1), -6) == date(2023, 7, 1)
    assert month_end(date(2024, 2, 1)) == date(2024, 2, 29)
    assert month_end(date(2023, 12, 1)) == date(2023, 12, 31)


def test_month_range_includes_both_ends_and_ignores_the_day():
    assert month_range(date(2024, 11, 1), date(2025, 1, 1)) == [
        date(2024, 11, 1),
        date(2024, 12, 1),
        date(2025, 1, 1),
    ]
    assert month_range(date(2024, 11, 20), date(2025, 1, 5)) == month_range(
        date(2024, 11, 1), date(2025, 1, 1)
    )
    assert month_range(date(2025, 2, 1), date(2025, 1, 1)) == []
