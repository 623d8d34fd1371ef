"""Two districts whose rates differ on each base, for the base switch of the overview and the
branch page. One month pair (12/2024, 01/2025), one commune per branch, households only:

    01/2025        customers       bills (payments)    VND
    BQ Việt Quang  50/100 = 50 %   90/120 = 75 %       2.5 M/10 M = 25 %
    QB Yên Bình    40/200 = 20 %   100/250 = 40 %      3 M/20 M = 15 %
    company        90/300 = 30 %   190/370 = 51.4 %    5.5 M/30 M = 18.3 %

12/2024 is every count of 01/2025 less 10 non-cash customers, payments and 1 M VND of each.
Target: the company's 40 % by 06/2025 (a customer target), so the company is 10 points
behind on every base.
"""

from datetime import date
from decimal import Decimal

from django.db.models import Sum

from adoption.metrics import COUNT_FIELDS
from adoption.models import BranchMonth, CommuneMonth, Target

DEC_2024, JAN_2025 = date(2024, 12, 1), date(2025, 1, 1)
RANGE = {"start": "2024-12", "end": "2025-01"}

# (branch, commune): (active, non-cash, payments, non-cash payments, amount, non-cash amount)
JANUARY = {
    ("bq", "viet_quang"): (100, 50, 120, 90, 10_000_000, 2_500_000),
    ("qb", "yen_binh"): (200, 40, 250, 100, 20_000_000, 3_000_000),
}
# base -> {unit: rate in 01/2025, one decimal}
RATES = {
    "customers": {"bq": 50.0, "qb": 20.0, "company": 30.0},
    "bills": {"bq": 75.0, "qb": 40.0, "company": 51.4},
    "vnd": {"bq": 25.0, "qb": 15.0, "company": 18.3},
}


def make_base_data(company, branches, areas):
    for (branch, commune), counts in JANUARY.items():
        active, noncash, payments, noncash_payments, amount, noncash_amount = counts
        for period, less, less_vnd in [(DEC_2024, 10, 1_000_000), (JAN_2025, 0, 0)]:
            CommuneMonth.objects.create(
                period=period,
                branch=branches[branch],
                commune=areas[commune],
                customer_type="household",
                active_customers=active,
                paying_customers=active,
                noncash_customers=noncash - less,
                payments=payments,
                noncash_payments=noncash_payments - less,
                amount=amount,
                noncash_amount=noncash_amount - less_vnd,
            )
    sums = CommuneMonth.objects.values(
        "period", "branch_id", "branch__company_id", "customer_type"
    ).annotate(**{name: Sum(name) for name in COUNT_FIELDS})
    BranchMonth.objects.bulk_create(
        BranchMonth(company_id=row.pop("branch__company_id"), **row) for row in sums
    )
    Target.objects.create(company=company, period=date(2025, 6, 1), rate=Decimal("40.00"))
