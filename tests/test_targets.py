"""Targets cover only their own period: after the unit's previous target up to their month, or
for a unit's first target the months of its year up to its month; a branch's own target wins."""

from datetime import date
from decimal import Decimal

import pytest

from adoption.models import Target
from adoption.targets import Targets
from tests.dashboard_fixture import make_dashboard_data


def month(year, m):
    return date(year, m, 1)


@pytest.fixture
def targets(company, branches):
    for period, rate in [(month(2021, 12), 45), (month(2022, 6), 50), (month(2022, 12), 55)]:
        Target.objects.create(company=company, period=period, rate=Decimal(rate))
    Target.objects.create(
        company=company, branch=branches["bq"], period=month(2022, 12), rate=Decimal(60)
    )
    return Targets(company.pk)


def test_a_first_target_dated_12_2021_covers_2021_only(targets):
    assert targets.for_month(month(2021, 1)) == 45
    assert targets.for_month(month(2021, 12)) == 45
    assert targets.for_month(month(2020, 12)) is None
    assert targets.for_month(month(2016, 1)) is None


def test_a_later_target_covers_the_months_after_the_previous_one(targets):
    assert targets.for_month(month(2022, 1)) == 50
    assert targets.for_month(month(2022, 6)) == 50
    assert targets.for_month(month(2022, 7)) == 55


def test_after_the_last_target_there_is_none(targets):
    assert targets.for_month(month(2023, 1)) is None


def test_a_branch_target_wins_where_it_covers_and_the_company_one_elsewhere(targets, branches):
    bq, qb = branches["bq"].pk, branches["qb"].pk
    # The branch's first target (12/2022) covers 2022 only.
    assert targets.for_month(month(2022, 3), bq) == 60
    assert targets.for_month(month(2021, 10), bq) == 45
    assert targets.for_month(month(2022, 3), qb) == 50


def test_the_page_says_no_target_before_the_first_one(
    client_for, users, company, branches, areas, channels
):
    make_dashboard_data(company, branches, areas, channels)  # first targets: 06/2025, 12/2025

    response = client_for(users["manager"]).get("/", {"start": "2024-01", "end": "2024-12"})

    assert response.status_code == 200
    headline = response.text.split('data-stat="target">')[1].split("<")[0]
    assert headline == "Chưa có mục tiêu"
    assert "không có mục tiêu" in response.text  # the district table's target column


def test_the_page_shows_the_target_of_its_period(
    client_for, users, company, branches, areas, channels
):
    make_dashboard_data(company, branches, areas, channels)

    response = client_for(users["manager"]).get("/", {"start": "2024-01", "end": "2025-01"})

    assert response.text.split('data-stat="target">')[1].split("<")[0] == "40,0\u00a0%"


def test_targets_set_before_a_company_merger_still_cover_their_months(company, branches):
    from adoption import territory
    from adoption.models import Company

    Target.objects.create(company=company, period=month(2021, 12), rate=Decimal(45))
    Target.objects.create(
        company=company, branch=branches["bq"], period=month(2021, 12), rate=Decimal(48)
    )
    into = Company.objects.create(code="PCTQ", name="PC Tuyên Quang", customer_code_prefix="PA11")
    Target.objects.create(company=into, period=month(2026, 12), rate=Decimal(95))
    territory.merge_company(company, into, month(2025, 7))

    targets = Targets(into.pk)

    assert targets.for_month(month(2021, 10)) == 45
    assert targets.for_month(month(2021, 10), branches["bq"].pk) == 48
    assert targets.for_month(month(2026, 11)) == 95
