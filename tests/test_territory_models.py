"""Dated organisation and territory facts: the rules the database and clean() enforce, and
the first fact every new branch and customer gets."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from adoption.models import (
    BranchTerritory,
    BranchVersion,
    Company,
    Customer,
    CustomerPlacement,
)
from adoption.models.validity import BEGINNING


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def test_a_new_branch_starts_with_a_version_since_always(branches, company):
    version = BranchVersion.objects.get(branch=branches["bq"])
    assert (version.company, version.name) == (company, "Điện lực Bắc Quang")
    assert (version.valid_from, version.valid_to) == (BEGINNING, None)


def test_a_new_customer_starts_with_a_placement_since_always(customers, areas):
    placement = CustomerPlacement.objects.get(customer=customers["bq2"])
    assert (placement.commune, placement.village) == (areas["tan_quang"], areas["village"])
    assert (placement.valid_from, placement.valid_to) == (BEGINNING, None)


def test_a_plain_edit_of_the_commune_corrects_the_current_placement(customers, areas):
    customer = customers["bq1"]
    customer.commune = areas["tan_quang"]
    customer.save()
    assert list(CustomerPlacement.objects.filter(customer=customer).values_list("commune")) == [
        (areas["tan_quang"].pk,)
    ]


@pytest.fixture
def unassigned(branches):
    """The shared fixture's communes, served by no branch yet."""
    BranchTerritory.objects.all().delete()


def _territory(branch, commune, valid_from, valid_to=None):
    return BranchTerritory(branch=branch, commune=commune, valid_from=valid_from, valid_to=valid_to)


def test_clean_refuses_two_branches_for_one_commune_at_once(branches, areas, unassigned):
    _territory(branches["bq"], areas["viet_quang"], date(2019, 1, 1)).save()
    second = _territory(branches["qb"], areas["viet_quang"], date(2021, 1, 1), date(2021, 12, 31))
    with pytest.raises(ValidationError, match="already served by another branch"):
        second.full_clean()
    ended = _territory(branches["qb"], areas["yen_binh"], date(2019, 1, 1), date(2020, 12, 31))
    ended.save()
    # The day after another's last day is fine.
    _territory(branches["bq"], areas["yen_binh"], date(2021, 1, 1)).full_clean()


@pytest.mark.postgres
def test_the_database_refuses_two_branches_for_one_commune_at_once(branches, areas, unassigned):
    _territory(branches["bq"], areas["viet_quang"], date(2019, 1, 1)).save()
    with pytest.raises(IntegrityError, match="branch_territory_no_overlap"), transaction.atomic():
        _territory(branches["qb"], areas["viet_quang"], date(2021, 1, 1)).save()
    assert BranchTerritory.objects.count() == 1


@pytest.mark.postgres
def test_the_database_refuses_overlapping_versions_and_placements(branches, customers, areas):
    with pytest.raises(IntegrityError, match="branch_version_no_overlap"), transaction.atomic():
        BranchVersion.objects.create(
            branch=branches["bq"],
            company=branches["bq"].company,
            name="X",
            valid_from=date(2020, 1, 1),
        )
    with pytest.raises(IntegrityError, match="customer_placement_no_overlap"), transaction.atomic():
        CustomerPlacement.objects.create(
            customer=customers["bq1"], commune=areas["tan_quang"], valid_from=date(2020, 1, 1)
        )
    assert BranchVersion.objects.filter(branch=branches["bq"]).count() == 1
    assert CustomerPlacement.objects.filter(customer=customers["bq1"]).count() == 1


@pytest.mark.parametrize(
    "valid_from, valid_to, constraint",
    [
        (date(2021, 3, 15), None, "branch_territory_month_start"),
        (date(2021, 3, 1), date(2021, 2, 28), "branch_territory_valid_range"),
    ],
)
def test_the_database_refuses_a_bad_validity(
    branches, areas, unassigned, valid_from, valid_to, constraint
):
    row = _territory(branches["bq"], areas["viet_quang"], valid_from, valid_to)
    with pytest.raises(ValidationError):
        row.full_clean()
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        row.save()
    assert not BranchTerritory.objects.exists()


def test_a_merged_company_needs_its_last_day(company):
    other = Company.objects.create(code="PCTQ", name="PC Tuyên Quang", customer_code_prefix="PA21")
    company.merged_into = other
    with pytest.raises(ValidationError, match="last day"):
        company.full_clean()
    with pytest.raises(IntegrityError, match="company_merged_has_end"), transaction.atomic():
        company.save()
    assert Company.objects.get(pk=company.pk).merged_into is None


def test_customer_codes_keep_the_prefix_of_a_company_the_branch_belonged_to(branches, areas):
    other = Company.objects.create(code="PCTQ", name="PC Tuyên Quang", customer_code_prefix="PA21")
    branch = branches["bq"]
    BranchVersion.objects.filter(branch=branch).update(valid_to=date(2025, 6, 30))
    BranchVersion.objects.create(
        branch=branch, company=other, name=branch.name, valid_from=date(2025, 7, 1)
    )
    branch.company = other
    branch.save()
    kept = Customer(
        code="PA20BQ0000009",
        name="A",
        branch=branch,
        commune=areas["viet_quang"],
        connected_on=date(2018, 1, 1),
    )
    kept.full_clean()
    kept.code = "PA22BQ0000009"
    with pytest.raises(ValidationError, match="start with PA21"):
        kept.full_clean()
