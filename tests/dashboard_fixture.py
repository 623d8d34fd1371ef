"""A small rollup fixture for the dashboard tests, with the figures it must show worked out by hand.

CommuneMonth rows (active customers, non-cash customers):

    month     BQ Việt Quang  BQ Tân Quang    BQ Tân Quang   QB Yên Bình
              household      household       business       household
    01/2024   100, 20        60, 5           40, 20         200, 19
    10/2024   100, 40        60, 9           40, 28         200, 30
    12/2024   100, 45        60, 10          40, 30         200, 35
    01/2025   100, 50        60, 12          40, 30         200, 40

so in 01/2025: BQ 92/200 = 46.0 %, QB 40/200 = 20.0 %, company 132/400 = 33.0 %;
12/2024: BQ 85/200 = 42.5 %, QB 17.5 %, company 120/400 = 30.0 %;
10/2024: BQ 77/200 = 38.5 %, QB 15.0 %; 01/2024: BQ 45/200 = 22.5 %, QB 9.5 %,
company 64/400 = 16.0 %. Communes of BQ in 01/2025: Việt Quang 50.0 %, Tân Quang 42/100 = 42.0 %
(10/2024: 40.0 % and 37.0 %; 01/2024: 20.0 % and 25.0 %).

Targets: company 40 % by 06/2025, BQ 60 % by 12/2025.

ChannelMonth rows (payments, VND): 01/2025 BQ ViettelPay 40 / 12,000,000; BQ Agribank (business)
30 / 45,000,000; BQ counter 100 / 25,000,000; QB ViettelPay 40 / 10,000,000; QB collector
160 / 32,000,000. 12/2024 BQ ViettelPay 35 / 10,500,000; QB collector 165 / 33,000,000.
"""

from datetime import date
from decimal import Decimal

from django.db.models import Sum

from adoption.choices import ChannelKind
from adoption.metrics import COUNT_FIELDS
from adoption.models import (
    BranchMonth,
    ChannelMonth,
    CommuneMonth,
    OutreachActivity,
    Partner,
    PaymentChannel,
    Target,
)

JAN_2024, OCT_2024, DEC_2024, JAN_2025 = (
    date(2024, 1, 1),
    date(2024, 10, 1),
    date(2024, 12, 1),
    date(2025, 1, 1),
)
RANGE = {"start": "2024-01", "end": "2025-01"}
MALICIOUS_PARTNER = '=HYPERLINK("http://evil.example","x")'

COMMUNE_ROWS = {
    # (branch, commune, customer type): {month: (active, noncash)}
    ("bq", "viet_quang", "household"): {
        JAN_2024: (100, 20),
        OCT_2024: (100, 40),
        DEC_2024: (100, 45),
        JAN_2025: (100, 50),
    },
    ("bq", "tan_quang", "household"): {
        JAN_2024: (60, 5),
        OCT_2024: (60, 9),
        DEC_2024: (60, 10),
        JAN_2025: (60, 12),
    },
    ("bq", "tan_quang", "business"): {
        JAN_2024: (40, 20),
        OCT_2024: (40, 28),
        DEC_2024: (40, 30),
        JAN_2025: (40, 30),
    },
    ("qb", "yen_binh", "household"): {
        JAN_2024: (200, 19),
        OCT_2024: (200, 30),
        DEC_2024: (200, 35),
        JAN_2025: (200, 40),
    },
}

CHANNEL_ROWS = [
    # (month, branch, channel, customer type, payments, amount)
    (JAN_2025, "bq", "viettelpay", "household", 40, 12_000_000),
    (JAN_2025, "bq", "agribank", "business", 30, 45_000_000),
    (JAN_2025, "bq", "counter", "household", 100, 25_000_000),
    (JAN_2025, "qb", "viettelpay", "household", 40, 10_000_000),
    (JAN_2025, "qb", "collector", "household", 160, 32_000_000),
    (DEC_2024, "bq", "viettelpay", "household", 35, 10_500_000),
    (DEC_2024, "qb", "collector", "household", 165, 33_000_000),
]


def make_dashboard_data(company, branches, areas, channels):
    """Creates the rollup rows, targets and outreach described above; returns the extra objects."""
    for (branch, commune, customer_type), months in COMMUNE_ROWS.items():
        for period, (active, noncash) in months.items():
            CommuneMonth.objects.create(
                period=period,
                branch=branches[branch],
                commune=areas[commune],
                customer_type=customer_type,
                active_customers=active,
                paying_customers=active,
                noncash_customers=noncash,
                payments=active,
                noncash_payments=noncash,
            )
    # BranchMonth is CommuneMonth summed over communes, as the fill keeps it.
    sums = CommuneMonth.objects.values(
        "period", "branch_id", "branch__company_id", "customer_type"
    ).annotate(**{name: Sum(name) for name in COUNT_FIELDS})
    BranchMonth.objects.bulk_create(
        BranchMonth(company_id=row.pop("branch__company_id"), **row) for row in sums
    )
    for period, branch, channel, customer_type, payments, amount in CHANNEL_ROWS:
        ChannelMonth.objects.create(
            period=period,
            branch=branches[branch],
            channel=channels[channel],
            kind=channels[channel].kind,
            customer_type=customer_type,
            payments=payments,
            amount=amount,
            customers=payments,
        )
    Target.objects.create(company=company, period=date(2025, 6, 1), rate=Decimal("40.00"))
    Target.objects.create(
        company=company, branch=branches["bq"], period=date(2025, 12, 1), rate=Decimal("60.00")
    )
    # An old contract whose partner name would run as a formula in a spreadsheet.
    old_partner = Partner.objects.create(code="OLD", name=MALICIOUS_PARTNER)
    PaymentChannel.objects.create(
        code="OLD",
        name="Old bank",
        kind=ChannelKind.BANK,
        partner=old_partner,
        active=False,
        contract_start=date(2015, 1, 1),
        contract_end=date(2020, 12, 31),
    )
    for branch, commune, day in [
        ("bq", "tan_quang", date(2024, 12, 5)),
        ("bq", "viet_quang", date(2024, 12, 20)),
        ("bq", "tan_quang", date(2025, 1, 10)),
        ("qb", "yen_binh", date(2025, 1, 3)),
    ]:
        OutreachActivity.objects.create(
            branch=branches[branch],
            date=day,
            commune=areas[commune],
            households_reached=30,
            registrations=10,
        )
    return {"old_partner": old_partner}
