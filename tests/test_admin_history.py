"""Who changed what, when: the admin keeps and shows history for channels, partners,
targets, outreach and customers."""

from datetime import date

import pytest
from django.urls import reverse

from adoption.models import Customer, OutreachActivity, Partner, PaymentChannel, Target


def channel_form(channel, **changes):
    return {
        "code": channel.code,
        "name": channel.name,
        "kind": channel.kind,
        "partner": channel.partner_id or "",
        "contract_start": "",
        "contract_end": "",
        "fee_per_transaction": channel.fee_per_transaction,
        "contact_person": channel.contact_person,
        "active": "on",
        **changes,
    }


def test_a_channel_admin_adds_and_changes_a_channel_and_the_history_names_them(
    client_for, users, channels
):
    client = client_for(users["channel_admin"])
    viettelpay = channels["viettelpay"]
    response = client.post(
        reverse("admin:adoption_paymentchannel_change", args=[viettelpay.pk]),
        channel_form(viettelpay, fee_per_transaction=1100),
    )
    assert response.status_code == 302
    response = client.post(
        reverse("admin:adoption_paymentchannel_add"),
        channel_form(PaymentChannel(code="MOMO", name="MoMo", kind="ewallet")),
    )
    assert response.status_code == 302
    assert PaymentChannel.objects.filter(code="MOMO").exists()

    history = client.get(reverse("admin:adoption_paymentchannel_history", args=[viettelpay.pk]))
    assert history.status_code == 200
    latest = viettelpay.history.latest()
    assert (latest.history_user.username, latest.fee_per_transaction) == ("channel_admin", 1100)
    assert "channel_admin" in history.content.decode()


@pytest.mark.parametrize("model", ["customer", "outreachactivity", "partner", "target"])
def test_history_pages_open_for_a_superuser(client_for, users, customers, channels, model):
    obj = {
        "customer": lambda: customers["bq1"],
        "outreachactivity": lambda: OutreachActivity.objects.create(
            branch=customers["bq1"].branch, date=date(2024, 5, 1), commune=customers["bq1"].commune
        ),
        "partner": lambda: Partner.objects.get(code="VIETTEL"),
        "target": lambda: Target.objects.create(
            company=customers["bq1"].branch.company, period=date(2024, 12, 1), rate=45
        ),
    }[model]()
    response = client_for(users["admin"]).get(
        reverse(f"admin:adoption_{model}_history", args=[obj.pk])
    )
    assert response.status_code == 200
    assert len(response.context["page_obj"].object_list) >= 1


def test_a_customer_change_by_hand_is_recorded_with_its_author(client_for, users, customers):
    customer = customers["bq1"]
    client = client_for(users["admin"])
    response = client.post(
        reverse("admin:adoption_customer_change", args=[customer.pk]),
        {
            "code": customer.code,
            "name": "Nguyễn Thị Bình",
            "branch": customer.branch_id,
            "commune": customer.commune_id,
            "village": "",
            "customer_type": customer.customer_type,
            "connected_on": "2018-01-01",
            "disconnected_on": "",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Customer.objects.get(pk=customer.pk).name == "Nguyễn Thị Bình"
    before, after = customer.history.order_by("history_date")
    assert (before.name, after.name, after.history_user.username) == (
        "Khách hàng 0001",
        "Nguyễn Thị Bình",
        "admin",
    )
