"""visible_branches: a company-wide role sees its own company's branches, never another's."""

import pytest

from adoption.choices import Role
from adoption.models import AdminArea, Branch, Company
from adoption.permissions import visible_branches
from tests.conftest import _user


@pytest.fixture
def other_branch(areas):
    other = Company.objects.create(code="PCTQ", name="PC Tuyên Quang", customer_code_prefix="PA21")
    district = AdminArea.objects.create(level="district", code="070", name="Huyện Hàm Yên")
    return Branch.objects.create(
        company=other, code="HY", name="Điện lực Hàm Yên", district=district
    )


def codes(user):
    return sorted(visible_branches(user).values_list("code", flat=True))


def test_a_manager_sees_only_the_branches_of_their_company(users, other_branch):
    assert codes(users["manager"]) == ["BQ", "QB"]
    assert codes(users["channel_admin"]) == ["BQ", "QB"]


def test_a_manager_of_the_other_company_sees_only_its_branch(users, other_branch):
    manager = _user("tq-manager", Role.MANAGERS, company=other_branch.company)
    assert codes(manager) == ["HY"]


def test_a_manager_without_a_profile_sees_every_branch(users, other_branch):
    assert codes(_user("bare-manager", Role.MANAGERS)) == ["BQ", "HY", "QB"]


def test_a_superuser_sees_every_branch_and_branch_staff_their_own(users, other_branch):
    assert codes(users["admin"]) == ["BQ", "HY", "QB"]
    assert codes(users["staff_qb"]) == ["QB"]
    assert codes(users["outsider"]) == []
