"""The admin's history form ("…/history/<version>/") saves only for users who may change the
object: a view-only user posting it gets 403 and nothing changes."""

from datetime import date, timedelta

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from adoption.admin.history import HistoryAdmin
from adoption.models import Customer, OutreachActivity, PaymentChannel, Target


def history_form_url(obj):
    opts = obj._meta
    version = obj.history.earliest().history_id
    return reverse(
        f"admin:{opts.app_label}_{opts.model_name}_simple_history", args=[obj.pk, version]
    )


def posted_form(client, url, **changes):
    """The form the history page shows this user, as a browser would post it, with changes."""
    response = client.get(url)
    assert response.status_code == 200
    form = response.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None:
            value = ""
        elif value is True:
            value = "on"
        elif value is False:
            continue
        data[name] = value
    for name, value in changes.items():
        if value is False:
            data.pop(name, None)
        else:
            data[name] = value
    return data


@pytest.fixture
def company_target(company):
    return Target.objects.create(company=company, period=date(2021, 12, 1), rate=20)


@pytest.fixture
def old_outreach(users, customers):
    activity = OutreachActivity.objects.create(
        branch=customers["bq1"].branch,
        date=timezone.localdate() - timedelta(days=30),
        commune=customers["bq1"].commune,
        households_reached=40,
        created_by=users["staff_bq"],
    )
    OutreachActivity.objects.filter(pk=activity.pk).update(
        created_at=timezone.now() - timedelta(days=30)
    )
    return OutreachActivity.objects.get(pk=activity.pk)


def test_branch_staff_cannot_change_the_company_target_through_its_history_form(
    client_for, users, company_target
):
    client = client_for(users["staff_bq"])
    url = history_form_url(company_target)
    response = client.post(url, posted_form(client, url, rate="1.00"))
    assert response.status_code == 403
    company_target.refresh_from_db()
    assert company_target.rate == 20
    assert company_target.history.count() == 1


def test_branch_staff_cannot_rename_their_customer_through_its_history_form(
    client_for, users, customers
):
    customer = customers["bq1"]
    client = client_for(users["staff_bq"])
    url = history_form_url(customer)
    response = client.post(url, posted_form(client, url, name="Renamed"))
    assert response.status_code == 403
    assert Customer.objects.get(pk=customer.pk).name == customer.name


def test_branch_staff_cannot_edit_a_30_day_old_entry_through_its_history_form(
    client_for, users, old_outreach
):
    client = client_for(users["staff_bq"])
    url = history_form_url(old_outreach)
    response = client.post(url, posted_form(client, url, households_reached="99999"))
    assert response.status_code == 403
    assert OutreachActivity.objects.get(pk=old_outreach.pk).households_reached == 40


def test_a_channel_admin_cannot_rename_a_customer_through_its_history_form(
    client_for, users, customers
):
    customer = customers["qb1"]
    client = client_for(users["channel_admin"])
    url = history_form_url(customer)
    response = client.post(url, posted_form(client, url, name="Renamed"))
    assert response.status_code == 403
    assert Customer.objects.get(pk=customer.pk).name == customer.name


def test_a_manager_cannot_make_a_bank_channel_cash_through_its_history_form(
    client_for, users, channels
):
    bank = channels["agribank"]
    client = client_for(users["manager"])
    url = history_form_url(bank)
    response = client.post(url, posted_form(client, url, is_cash="on"))
    assert response.status_code == 403
    assert PaymentChannel.objects.get(pk=bank.pk).is_cash is False


def test_branch_staff_cannot_post_the_history_form_of_another_branchs_customer(
    client_for, users, customers
):
    customer = customers["qb1"]
    url = history_form_url(customer)
    response = client_for(users["staff_bq"]).post(url, {"name": "Renamed"})
    assert response.status_code in (403, 404)
    assert Customer.objects.get(pk=customer.pk).name == customer.name


def test_a_user_who_may_change_the_object_still_reverts_it(client_for, users, company_target):
    Target.objects.filter(pk=company_target.pk).update(rate=30)
    client = client_for(users["manager"])
    url = history_form_url(company_target)
    data = posted_form(client, url)
    assert data["rate"] in ("20.00", 20)
    response = client.post(url, data)
    assert response.status_code == 302
    company_target.refresh_from_db()
    assert company_target.rate == 20
    assert company_target.history.latest().history_user == users["manager"]


def test_every_admin_with_a_history_form_guards_it():
    with_form = [a for a in admin.site._registry.values() if hasattr(a, "history_form_view")]
    assert len(with_form) >= 5
    assert all(isinstance(a, HistoryAdmin) for a in with_form), with_form
