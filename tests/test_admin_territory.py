"""Admin: dated facts are shown, and changed only through actions that call the services.
The admin speaks Vietnamese: messages are checked as users read them."""

from datetime import date

import pytest
from django.urls import reverse
from django.utils import translation

from adoption.models import (
    Branch,
    BranchTerritory,
    BranchVersion,
    Company,
    Customer,
    CustomerPlacement,
)
from tests.territory_fixture import snapshot


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def other_company(db):
    return Company.objects.create(code="PCTQ", name="PC Tuyên Quang", customer_code_prefix="PA21")


def act(client, model, action, pks, **data):
    return client.post(
        reverse(f"admin:adoption_{model}_changelist"),
        {"action": action, "_selected_action": [str(pk) for pk in pks], **data},
    )


def test_moving_a_branch_to_another_company_asks_for_the_month_first(
    client_for, users, branches, other_company
):
    client = client_for(users["admin"])
    response = act(client, "branch", "change_branches", [branches["bq"].pk])
    assert response.status_code == 200
    assert "Từ tháng" in response.content.decode()
    assert Branch.objects.get(pk=branches["bq"].pk).company != other_company
    response = act(
        client,
        "branch",
        "change_branches",
        [branches["bq"].pk],
        apply="1",
        on="2025-07",
        company=other_company.pk,
        name="",
    )
    assert response.status_code == 302
    versions = BranchVersion.objects.filter(branch=branches["bq"]).order_by("valid_from")
    assert [(v.company.code, v.valid_to) for v in versions] == [
        ("PCHG", date(2025, 6, 30)),
        ("PCTQ", None),
    ]


@pytest.mark.parametrize(
    "data, message",
    [
        ({"on": "2025-7-15", "company": "", "name": "X"}, "Nhập tháng theo dạng YYYY-MM"),
        ({"on": "2025-07", "company": "999999", "name": ""}, "Hãy chọn một lựa chọn hợp lệ"),
        ({"on": "2025-07", "company": "", "name": " "}, "Hãy chọn công ty mới, tên mới"),
        ({"on": "2999-01", "company": "", "name": "X"}, "muộn nhất từ tháng này"),
    ],
)
def test_a_bad_branch_change_is_refused_on_the_form(client_for, users, branches, data, message):
    before = snapshot()
    response = act(
        client_for(users["admin"]),
        "branch",
        "change_branches",
        [branches["bq"].pk],
        apply="1",
        **data,
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert snapshot() == before


def test_the_branch_page_does_not_edit_company_or_name_in_place(
    client_for, users, branches, other_company
):
    branch = branches["bq"]
    client = client_for(users["admin"])
    page = client.get(reverse("admin:adoption_branch_change", args=[branch.pk]))
    assert "Thị trấn Việt Quang" in page.content.decode()  # the communes it serves
    client.post(
        reverse("admin:adoption_branch_change", args=[branch.pk]),
        {"code": "BQ", "company": other_company.pk, "name": "Khác", "district": branch.district_id},
    )
    branch.refresh_from_db()
    assert (branch.company.code, branch.name) == ("PCHG", "Điện lực Bắc Quang")


def test_moving_customers_from_a_month_keeps_their_old_commune_before(
    client_for, users, customers, areas
):
    customer = customers["bq1"]
    response = act(
        client_for(users["admin"]),
        "customer",
        "move_customers",
        [customer.pk],
        apply="1",
        on="2024-03",
        commune=areas["tan_quang"].pk,
        village=areas["village"].pk,
    )
    assert response.status_code == 302
    assert Customer.objects.get(pk=customer.pk).commune == areas["tan_quang"]
    assert CustomerPlacement.objects.filter(customer=customer).count() == 2


def test_a_village_outside_the_commune_is_refused_and_nothing_moves(
    client_for, users, customers, areas
):
    before = snapshot()
    response = act(
        client_for(users["admin"]),
        "customer",
        "move_customers",
        [customers["bq1"].pk],
        apply="1",
        on="2024-03",
        commune=areas["viet_quang"].pk,
        village=areas["village"].pk,
    )
    assert response.status_code == 200
    assert "không thuộc Thị trấn Việt Quang" in response.content.decode()
    assert snapshot() == before


def test_the_facts_cannot_be_edited_in_the_admin(client_for, users, customers):
    placement = CustomerPlacement.objects.get(customer=customers["bq1"])
    client = client_for(users["admin"])
    url = reverse("admin:adoption_customerplacement_change", args=[placement.pk])
    page = client.get(url)
    assert page.status_code == 200 and 'name="commune"' not in page.content.decode()
    assert client.post(url, {"commune": placement.commune_id}).status_code == 403


def test_a_customer_whose_commune_ended_can_still_be_edited(client_for, users, customers):
    # The 2025 reform ended the commune's territory; the customer was not moved yet.
    BranchTerritory.objects.update(valid_to=date(2025, 6, 30))
    customer = customers["bq1"]
    response = client_for(users["admin"]).post(
        reverse("admin:adoption_customer_change", args=[customer.pk]),
        {
            "code": customer.code,
            "name": "Nguyễn Thị Bình",
            "customer_type": customer.customer_type,
            "connected_on": "2018-01-01",
            "disconnected_on": "",
        },
    )
    assert response.status_code == 302
    assert Customer.objects.get(pk=customer.pk).name == "Nguyễn Thị Bình"
