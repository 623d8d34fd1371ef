"""The two views of history: "as it was" keeps each month under its own commune, branch and
company; "as it is now" regroups the same counts onto today's, preserving every sum."""

from datetime import date

from adoption import customer_places, metrics, territory
from adoption.metrics import freshness
from adoption.models import (
    BranchMonth,
    Company,
)
from tests.territory_fixture import AUG_2025, OCT_2021, REFORM


def rows(group, view, period=OCT_2021, **kwargs):
    result = metrics.monthly_rates(start=period, end=period, group=group, view=view, **kwargs)
    return {
        tuple(r.get(k) for k in ("branch_id", "commune_id")): (
            r["noncash_customers"],
            r["active_customers"],
        )
        for r in result
    }


def test_as_it_was_keeps_october_2021_under_its_old_communes(two_district_reform, areas, branches):
    bq, qb = branches["bq"].pk, branches["qb"].pk
    assert rows("commune", "was") == {
        (bq, areas["viet_quang"].pk): (1, 1),
        (bq, areas["tan_quang"].pk): (0, 2),
        (qb, areas["yen_binh"].pk): (1, 1),
    }
    assert rows("branch", "was") == {(bq, None): (1, 3), (qb, None): (1, 1)}


def test_as_it_is_now_regroups_october_2021_onto_todays_communes(
    two_district_reform, areas, branches
):
    bq = branches["bq"].pk
    # Liên Hiệp spans the two old districts: one row, in the branch serving it today.
    assert rows("commune", "now") == {
        (bq, two_district_reform["lien_hiep"].pk): (2, 2),
        (bq, two_district_reform["tan_quang"].pk): (0, 2),
    }
    assert rows("branch", "now") == {(bq, None): (2, 4)}
    assert rows("company", "now") == rows("company", "was") == {(None, None): (2, 4)}


def test_months_after_the_reform_are_the_same_in_both_views(two_district_reform):
    for group in ("commune", "branch", "company"):
        assert rows(group, "was", AUG_2025) == rows(group, "now", AUG_2025)


def test_now_filters_by_todays_branches(two_district_reform, branches):
    assert rows("branch", "now", branch_ids=[branches["qb"].pk]) == {}
    assert rows("branch", "was", branch_ids=[branches["qb"].pk]) == {
        (branches["qb"].pk, None): (1, 1)
    }


def test_a_transfer_keeps_the_old_companys_past_figures(paid, branches, company):
    other = Company.objects.create(code="PCTQ", name="PC Tuyên Quang", customer_code_prefix="PA21")
    freshness.refresh()
    before = rows("company", "was", company_ids=[company.pk])
    territory.transfer_branch(branches["qb"], other, REFORM)
    freshness.ensure_fresh()
    assert rows("company", "was", company_ids=[company.pk]) == before == {(None, None): (2, 4)}
    assert BranchMonth.objects.filter(period=AUG_2025, company=other).exists()
    assert rows("company", "was", AUG_2025, company_ids=[company.pk]) == {(None, None): (1, 3)}
    assert rows("company", "was", AUG_2025, company_ids=[other.pk]) == {(None, None): (1, 1)}
    # As it is now, Quang Bình's October 2021 counts belong to its company today.
    assert rows("company", "now", company_ids=[company.pk]) == {(None, None): (1, 3)}


def test_a_customer_moved_from_a_month_counts_in_the_old_commune_before(paid, areas, branches):
    customer_places.move_customer(paid["bq1"], areas["yen_binh"], None, date(2024, 1, 1))
    freshness.ensure_fresh()
    bq, qb = branches["bq"].pk, branches["qb"].pk
    assert rows("commune", "was")[(bq, areas["viet_quang"].pk)] == (1, 1)
    assert rows("commune", "was", AUG_2025)[(qb, areas["yen_binh"].pk)] == (2, 2)


def test_the_channel_mix_as_it_is_now_counts_the_branches_merged_into_todays(
    two_district_reform, branches
):
    def payments(view):
        rows = metrics.channel_mix(
            start=OCT_2021, end=OCT_2021, by="kind", branch_ids=[branches["bq"].pk], view=view
        )
        return {r["kind"]: r["payments"] for r in rows}

    # Quang Bình's only commune is part of Liên Hiệp today, which Bắc Quang serves.
    assert payments("was") == {"ewallet": 1, "company_counter": 1}
    assert payments("now") == {"ewallet": 2, "company_counter": 1}
