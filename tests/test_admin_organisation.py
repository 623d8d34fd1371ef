"""Admin for the corporation and its companies: a company merges into another from a month,
through an action that calls adoption.territory (dated, checked, one transaction); its end and
successor are never edited in place. The admin speaks Vietnamese."""

from datetime import date

import pytest
from django.urls import reverse

from adoption.models import BranchVersion, Company, Corporation
from tests.territory_fixture import snapshot


@pytest.fixture
def corporation(company):
    corporation = Corporation.objects.create(code="EVNNPC", name="Tổng công ty Điện lực miền Bắc")
    Company.objects.filter(pk=company.pk).update(corporation=corporation)
    return corporation


@pytest.fixture
def tuyen_quang(corporation):
    return Company.objects.create(
        code="PCTQ", name="PC Tuyên Quang", customer_code_prefix="PA21", corporation=corporation
    )


def merge(client, companies, **data):
    return client.post(
        reverse("admin:adoption_company_changelist"),
        {
            "action": "merge_companies",
            "_selected_action": [str(c.pk) for c in companies],
            **data,
        },
    )


def test_the_corporation_page_lists_its_companies_with_their_end(
    client_for, users, company, branches, tuyen_quang
):
    from adoption import territory

    territory.merge_company(company, tuyen_quang, date(2025, 7, 1))
    client = client_for(users["admin"])
    listing = client.get(reverse("admin:adoption_corporation_changelist"))
    (row,) = listing.context["cl"].result_list
    assert (row.code, row.current) == ("EVNNPC", 1)  # PC Hà Giang has ended
    page = client.get(reverse("admin:adoption_corporation_change", args=[row.pk]))
    html = page.content.decode()
    assert "Công ty Điện lực Hà Giang" in html and "PC Tuyên Quang" in html
    assert "30/06/2025" in html
    # The code is fixed once created; the companies are shown, not edited, here.
    assert 'name="code"' not in html and 'name="companies-0-name"' not in html


def test_a_company_merges_into_another_from_a_month_keeping_its_months_before(
    client_for, users, company, branches, tuyen_quang
):
    client = client_for(users["admin"])
    response = merge(client, [company])
    assert response.status_code == 200 and "Từ tháng" in response.content.decode()
    assert Company.objects.get(pk=company.pk).valid_to is None

    response = merge(client, [company], apply="1", on="2025-07", into=tuyen_quang.pk)
    assert response.status_code == 302
    company.refresh_from_db()
    assert (company.valid_to, company.merged_into) == (date(2025, 6, 30), tuyen_quang)
    versions = BranchVersion.objects.filter(branch=branches["bq"]).order_by("valid_from")
    assert [(v.company.code, v.valid_to) for v in versions] == [
        ("PCHG", date(2025, 6, 30)),
        ("PCTQ", None),
    ]


@pytest.mark.parametrize(
    "data, message",
    [
        ({"on": "2025-07-15"}, "Nhập tháng theo dạng YYYY-MM"),
        ({"on": "2999-01"}, "muộn nhất từ tháng này"),
        ({"on": "2025-07", "into": "999999"}, "Hãy chọn một lựa chọn hợp lệ"),
        ({"on": "2025-07", "into": "self"}, "Một công ty không thể sáp nhập vào chính nó."),
    ],
)
def test_a_bad_merge_is_refused_on_the_form_and_nothing_changes(
    client_for, users, company, branches, tuyen_quang, data, message
):
    data = {"into": tuyen_quang.pk, **data}
    if data["into"] == "self":
        data["into"] = company.pk
    before = snapshot()
    response = merge(client_for(users["admin"]), [company], apply="1", **data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert snapshot() == before


def test_a_company_that_already_ended_cannot_be_merged_again(
    client_for, users, company, branches, tuyen_quang, corporation
):
    from adoption import territory

    territory.merge_company(company, tuyen_quang, date(2025, 7, 1))
    third = Company.objects.create(code="PCLC", name="PC Lào Cai", customer_code_prefix="PA22")
    before = snapshot()
    response = merge(
        client_for(users["admin"]),
        [Company.objects.get(pk=company.pk)],
        apply="1",
        on="2025-09",
        into=third.pk,
    )
    assert "Công ty Điện lực Hà Giang đã kết thúc vào ngày 30/06/2025." in response.content.decode()
    assert snapshot() == before


def test_an_ended_company_is_no_choice_to_merge_into(
    client_for, users, company, branches, tuyen_quang
):
    from adoption import territory

    territory.merge_company(company, tuyen_quang, date(2025, 7, 1))
    third = Company.objects.create(code="PCLC", name="PC Lào Cai", customer_code_prefix="PA22")
    before = snapshot()
    response = merge(client_for(users["admin"]), [third], apply="1", on="2025-09", into=company.pk)
    assert "Hãy chọn một lựa chọn hợp lệ" in response.content.decode()
    assert snapshot() == before


def test_the_company_page_does_not_edit_its_end_or_successor_in_place(
    client_for, users, company, tuyen_quang
):
    client = client_for(users["admin"])
    url = reverse("admin:adoption_company_change", args=[company.pk])
    assert 'name="valid_to"' not in client.get(url).content.decode()
    client.post(
        url,
        {
            "code": company.code,
            "name": company.name,
            "customer_code_prefix": company.customer_code_prefix,
            "valid_to": "2024-12-31",
            "merged_into": tuyen_quang.pk,
        },
    )
    company.refresh_from_db()
    assert (company.valid_to, company.merged_into) == (None, None)


def test_a_manager_sees_the_corporation_but_merges_nothing(
    client_for, users, company, branches, tuyen_quang
):
    client = client_for(users["manager"])
    assert client.get(reverse("admin:adoption_corporation_changelist")).status_code == 200
    listing = client.get(reverse("admin:adoption_company_changelist"))
    # No action at all is offered (no change permission): no action form.
    assert listing.context["action_form"] is None
    before = snapshot()
    response = merge(client, [company], apply="1", on="2025-07", into=tuyen_quang.pk)
    assert response.status_code in (200, 302)
    assert snapshot() == before
