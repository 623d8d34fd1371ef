"""The services that change organisation and territory over time: each applies from a month
on, leaves earlier months alone, and refuses bad input with a clear message and nothing
changed."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from adoption import area_reform, customer_places, territory
from adoption.models import (
    AdminArea,
    Branch,
    BranchTerritory,
    BranchVersion,
    Company,
    Customer,
    CustomerPlacement,
)
from adoption.models.validity import BEGINNING
from tests.territory_fixture import LAST_OLD_DAY, REFORM, make_reform, snapshot


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def refused(message, change, *args):
    before = snapshot()
    with pytest.raises(ValidationError, match=message):
        change(*args)
    assert snapshot() == before


def served(commune):
    return [
        (t.branch.code, t.valid_from, t.valid_to)
        for t in BranchTerritory.objects.filter(commune=commune).order_by("valid_from")
    ]


@pytest.fixture
def other_company(db):
    return Company.objects.create(code="PCTQ", name="PC Tuyên Quang", customer_code_prefix="PA21")


def test_reassigning_a_commune_ends_the_old_assignment_and_moves_its_customers(
    branches, customers, areas
):
    territory.reassign_communes([(areas["tan_quang"], branches["qb"])], date(2024, 1, 1))
    assert served(areas["tan_quang"]) == [
        ("BQ", BEGINNING, date(2023, 12, 31)),
        ("QB", date(2024, 1, 1), None),
    ]
    assert Customer.objects.get(pk=customers["bq2"].pk).branch == branches["qb"]
    assert Customer.objects.get(pk=customers["bq1"].pk).branch == branches["bq"]


def test_a_new_commune_served_until_it_ceases(branches, areas):
    areas["yen_binh"].valid_to = LAST_OLD_DAY
    areas["yen_binh"].save()
    BranchTerritory.objects.filter(commune=areas["yen_binh"]).delete()
    territory.reassign_communes([(areas["yen_binh"], branches["qb"])], date(2020, 1, 1))
    assert served(areas["yen_binh"]) == [("QB", date(2020, 1, 1), LAST_OLD_DAY)]


def test_reassigning_refuses_two_branches_at_once(branches, areas):
    pairs = [(areas["tan_quang"], branches["qb"]), (areas["tan_quang"], branches["bq"])]
    refused("given two branches at once", territory.reassign_communes, pairs, date(2024, 1, 1))


def test_reassigning_refuses_to_leave_a_commune_without_a_branch(areas):
    pairs = [(areas["tan_quang"], None)]
    refused("would have no branch", territory.reassign_communes, pairs, date(2024, 1, 1))


def test_reassigning_refuses_a_date_in_the_middle_of_a_month(branches, areas):
    pairs = [(areas["tan_quang"], branches["qb"])]
    refused("first day of a month", territory.reassign_communes, pairs, date(2024, 1, 15))


def test_reassigning_refuses_an_overlap_with_a_later_assignment(branches, areas):
    territory.reassign_communes([(areas["tan_quang"], branches["qb"])], date(2024, 1, 1))
    pairs = [(areas["tan_quang"], branches["bq"])]
    refused("already changes from 01/2024", territory.reassign_communes, pairs, date(2023, 1, 1))


def test_reassigning_refuses_a_commune_that_does_not_exist_yet(branches, areas):
    new = AdminArea.objects.create(
        level="commune", code="09999", name="Xã Mới", parent=areas["province"], valid_from=REFORM
    )
    pairs = [(new, branches["qb"])]
    refused("does not exist on 01/01/2024", territory.reassign_communes, pairs, date(2024, 1, 1))


def test_transferring_a_branch_keeps_the_old_company_for_earlier_months(
    branches, company, other_company
):
    territory.transfer_branch(branches["bq"], other_company, REFORM)
    versions = BranchVersion.objects.filter(branch=branches["bq"]).order_by("valid_from")
    assert [(v.company, v.valid_from, v.valid_to) for v in versions] == [
        (company, BEGINNING, LAST_OLD_DAY),
        (other_company, REFORM, None),
    ]
    assert Branch.objects.get(pk=branches["bq"].pk).company == other_company


def test_transferring_refuses_a_company_that_does_not_exist(branches):
    refused("no company “PCXX”", territory.transfer_branch, branches["bq"], "PCXX", REFORM)


def test_transferring_refuses_a_company_that_merged_away(branches, other_company):
    other_company.valid_to = date(2024, 12, 31)
    other_company.merged_into = branches["bq"].company
    other_company.save()
    refused("no longer exists", territory.transfer_branch, branches["bq"], other_company, REFORM)


def test_a_change_cannot_be_dated_after_this_month(branches, other_company):
    refused(
        "this month at the latest",
        territory.transfer_branch,
        branches["bq"],
        other_company,
        date(2999, 1, 1),
    )


def test_renaming_a_branch_keeps_its_old_name_for_earlier_months(branches):
    territory.rename_branch(branches["bq"], "Điện lực khu vực Bắc Quang", REFORM)
    versions = BranchVersion.objects.filter(branch=branches["bq"]).order_by("valid_from")
    assert [v.name for v in versions] == ["Điện lực Bắc Quang", "Điện lực khu vực Bắc Quang"]
    assert Branch.objects.get(pk=branches["bq"].pk).name == "Điện lực khu vực Bắc Quang"


def test_renaming_refuses_an_empty_name(branches):
    refused("needs a name", territory.rename_branch, branches["bq"], "  ", REFORM)


def test_merging_branches_moves_communes_and_customers(branches, customers, areas):
    territory.merge_branches([branches["qb"]], branches["bq"], date(2024, 1, 1))
    assert served(areas["yen_binh"]) == [
        ("QB", BEGINNING, date(2023, 12, 31)),
        ("BQ", date(2024, 1, 1), None),
    ]
    assert Customer.objects.get(pk=customers["qb1"].pk).branch == branches["bq"]
    assert BranchVersion.objects.get(branch=branches["qb"]).valid_to == date(2023, 12, 31)


def test_merging_refuses_a_branch_into_itself_only(branches):
    refused(
        "at least one branch",
        territory.merge_branches,
        [branches["bq"]],
        branches["bq"],
        date(2024, 1, 1),
    )


def test_splitting_refuses_a_commune_with_no_successor(branches, areas):
    refused(
        "takes over Xã Tân Quang",
        territory.split_branch,
        branches["bq"],
        {areas["viet_quang"]: branches["bq"]},
        date(2024, 1, 1),
    )


def test_splitting_gives_each_commune_its_successor(branches, customers, areas):
    new = Branch.objects.create(
        company=branches["bq"].company, code="TQ", name="Điện lực Tân Quang"
    )
    territory.split_branch(
        branches["bq"],
        {areas["viet_quang"]: branches["bq"], areas["tan_quang"]: new},
        date(2024, 1, 1),
    )
    assert served(areas["tan_quang"])[-1] == ("TQ", date(2024, 1, 1), None)
    assert served(areas["viet_quang"]) == [("BQ", BEGINNING, None)]
    assert Customer.objects.get(pk=customers["bq3"].pk).branch == new


def test_merging_a_company_moves_its_branches_and_ends_it(branches, company, other_company):
    territory.merge_company(company, other_company, REFORM)
    company.refresh_from_db()
    assert (company.valid_to, company.merged_into) == (LAST_OLD_DAY, other_company)
    for branch in branches.values():
        assert Branch.objects.get(pk=branch.pk).company == other_company
        old = BranchVersion.objects.get(branch=branch, valid_from=BEGINNING)
        assert (old.company, old.valid_to) == (company, LAST_OLD_DAY)


def test_merging_a_company_into_itself_is_refused(company):
    refused("cannot merge into itself", territory.merge_company, company, company, REFORM)


def test_moving_a_customer_keeps_the_old_commune_for_earlier_months(customers, areas):
    customer_places.move_customer(
        customers["bq1"], areas["tan_quang"], areas["village"], date(2024, 3, 1)
    )
    placements = CustomerPlacement.objects.filter(customer=customers["bq1"]).order_by("valid_from")
    assert [(p.commune, p.village, p.valid_from, p.valid_to) for p in placements] == [
        (areas["viet_quang"], None, BEGINNING, date(2024, 2, 29)),
        (areas["tan_quang"], areas["village"], date(2024, 3, 1), None),
    ]
    customer = Customer.objects.get(pk=customers["bq1"].pk)
    assert (customer.commune, customer.village) == (areas["tan_quang"], areas["village"])


def test_moving_a_customer_refuses_a_village_of_another_commune(customers, areas):
    refused(
        "not in Thị trấn Việt Quang",
        customer_places.move_customer,
        customers["bq1"],
        areas["viet_quang"],
        areas["village"],
        date(2024, 3, 1),
    )


@pytest.fixture
def reform(areas, customers):
    return make_reform(areas)


def test_the_area_reform_moves_customers_to_their_successor_communes(
    reform, customers, areas, branches
):
    report = area_reform.apply_area_reform(REFORM)
    assert report.moved == 4
    bq2 = CustomerPlacement.objects.filter(customer=customers["bq2"]).order_by("valid_from")
    assert [(p.commune, p.village, p.valid_from, p.valid_to) for p in bq2] == [
        (areas["tan_quang"], areas["village"], BEGINNING, LAST_OLD_DAY),
        (reform["tan_quang"], reform["khiem"], REFORM, None),
    ]
    customer = Customer.objects.get(pk=customers["bq1"].pk)
    assert (customer.commune, customer.branch) == (reform["bac_quang"], branches["bq"])
    # The new communes are served by the branches that served their predecessors.
    assert served(reform["bac_quang"]) == [("BQ", REFORM, None)]
    assert served(reform["yen_binh"]) == [("QB", REFORM, None)]
    # Tân Quang was split: its customers went to the default successor, listed for review.
    assert sorted(c.code for c, _old, _new, _all in report.to_review) == [
        "PA20BQ0000002",
        "PA20BQ0000003",
    ]
    assert set(report.to_review[0][3]) == {reform["tan_quang"], reform["bac_quang"]}


def test_the_area_reform_twice_changes_nothing_more(reform, customers):
    area_reform.apply_area_reform(REFORM)
    before = snapshot()
    assert area_reform.apply_area_reform(REFORM).moved == 0
    assert snapshot() == before


def test_carry_over_serves_district_communes_and_places_customers_once(branches, customers, areas):
    BranchTerritory.objects.all().delete()
    CustomerPlacement.objects.filter(customer=customers["bq1"]).delete()
    assert territory.carry_over() == 3
    assert served(areas["tan_quang"]) == [("BQ", BEGINNING, None)]
    assert CustomerPlacement.objects.get(customer=customers["bq1"]).commune == areas["viet_quang"]
    before = snapshot()
    assert territory.carry_over() == 0
    assert snapshot() == before
