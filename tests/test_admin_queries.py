"""Admin changelists cost the same number of queries for 1 row or 20: no query per row."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from adoption.choices import ChannelKind, ImportKind
from adoption.models import (
    AdminArea,
    AreaSuccession,
    Branch,
    Company,
    Customer,
    ImportBatch,
    OutreachActivity,
    OutreachRegistration,
    Partner,
    Payment,
    PaymentChannel,
    StaffProfile,
    Target,
)

HCM = ZoneInfo("Asia/Ho_Chi_Minh")

CHANGELISTS = [
    "adoption_company",
    "adoption_branch",
    "adoption_staffprofile",
    "adoption_adminarea",
    "adoption_areasuccession",
    "adoption_customer",
    "adoption_partner",
    "adoption_paymentchannel",
    "adoption_payment",
    "adoption_importbatch",
    "adoption_outreachactivity",
    "adoption_outreachregistration",
    "adoption_target",
    "auth_user",
]


def add_rows(n, start, areas, company, branches):
    """n more rows of every kind, each pointing at its own related rows."""
    bq = branches["bq"]
    for i in range(start, start + n):
        user = User.objects.create(username=f"user{i}")
        other = Company.objects.create(
            code=f"PC{i}", name=f"Công ty {i}", customer_code_prefix=f"PA{50 + i:02d}"
        )
        district = AdminArea.objects.create(
            level="district", code=f"9{i:02d}", name=f"Huyện {i}", parent=areas["province"]
        )
        branch = Branch.objects.create(
            company=company, code=f"B{i}", name=f"Điện lực {i}", district=district
        )
        StaffProfile.objects.create(user=user, company=company, branch=branch)
        commune = AdminArea.objects.create(
            level="commune", code=f"8{i:04d}", name=f"Xã {i}", parent=bq.district
        )
        village = AdminArea.objects.create(level="village", name=f"Thôn {i}", parent=commune)
        AreaSuccession.objects.create(
            old_area=commune, new_area=areas["tan_quang"], effective_on=date(2025, 7, 1)
        )
        partner = Partner.objects.create(code=f"P{i}", name=f"Đối tác {i}")
        channel = PaymentChannel.objects.create(
            code=f"C{i}", name=f"Kênh {i}", kind=ChannelKind.BANK, partner=partner
        )
        customer = Customer.objects.create(
            code=f"PA20BQ{1000 + i:07d}",
            name=f"Khách {i}",
            branch=bq,
            commune=commune,
            village=village,
            connected_on=date(2019, 1, 1),
        )
        batch = ImportBatch.objects.create(
            kind=ImportKind.PAYMENTS, file_name=f"{i}.csv", sha256="b" * 64, imported_by=user
        )
        Payment.objects.create(
            customer=customer,
            period=date(2024, 1, 1),
            amount=100_000 + i,
            channel=channel,
            paid_at=datetime(2024, 1, 20, tzinfo=HCM),
            reference=f"R{i}",
            import_batch=batch,
            entered_by=user,
        )
        activity = OutreachActivity.objects.create(
            branch=bq,
            date=date(2024, 1, 1) + timedelta(days=i),
            commune=commune,
            village=village,
            partner=partner,
            households_reached=10,
            registrations=1,
        )
        OutreachRegistration.objects.create(activity=activity, customer=customer)
        Target.objects.create(company=other, period=date(2020 + i, 1, 1), rate=Decimal(30))
        Target.objects.create(
            company=company,
            branch=branch,
            period=date(2020, 1, 1),
            rate=Decimal(30),
        )


def queries(client, url):
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context)


@pytest.mark.parametrize("role", ["admin", "staff_bq", "manager"])
def test_changelists_do_not_query_once_per_row(
    client_for, users, areas, company, branches, customers, django_assert_max_num_queries, role
):
    client = client_for(users[role])
    add_rows(1, 1, areas, company, branches)
    urls = []
    for name in CHANGELISTS:
        url = reverse(f"admin:{name}_changelist")
        if client.get(url).status_code == 200:  # also warms per-process caches
            urls.append(url)
    assert len(urls) >= 8
    few = {url: queries(client, url) for url in urls}

    add_rows(20, 2, areas, company, branches)
    for url in urls:
        with django_assert_max_num_queries(few[url], info=url):
            response = client.get(url)
        if role == "admin":
            assert len(response.context["cl"].result_list) > 1, url
