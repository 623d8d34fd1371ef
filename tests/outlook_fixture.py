"""Three districts on straight-line trends over 24 months (07/2023–06/2025), for status, pace
and forecast: one ahead of its target, one behind pace that will still make it, one that will
miss it. Straight lines make every 3-month backtest error exactly 0.

    branch  commune      customers  06/2025  gain/month  target 12/2025  forecast, status
    BQ      Việt Quang   100        50 %     1.0         45 %            met (+5,0)
    QB      Yên Bình     100        40 %     1.0         44 %            46 %: behind (−4,0)
    VX      TT Vị Xuyên  1,000      20 %     0.2         50 %            21.2 %: miss (−30,0)

Bills: non-cash payments = non-cash customers; VND: non-cash amount is 80 % of the customer
rate (so the VND line sits below the others). Coordinates put each commune on the map.
"""

from datetime import date
from decimal import Decimal

from django.db.models import Sum

from adoption.metrics import COUNT_FIELDS
from adoption.models import (
    AdminArea,
    Branch,
    BranchMonth,
    BranchTerritory,
    CommuneMonth,
    Target,
)
from adoption.models.validity import BEGINNING
from adoption.months import add_months

FIRST, LAST = date(2023, 7, 1), date(2025, 6, 1)
RANGE = {"start": "2023-07", "end": "2025-06"}
DEADLINE = date(2025, 12, 1)


def make_outlook_data(company, branches, areas):
    district = AdminArea.objects.create(
        level="district", code="026", name="Huyện Vị Xuyên", parent=areas["province"]
    )
    vx_commune = AdminArea.objects.create(
        level="commune", code="00700", name="Thị trấn Vị Xuyên", parent=district
    )
    vx = Branch.objects.create(
        company=company, code="VX", name="Điện lực Vị Xuyên", district=district
    )
    BranchTerritory.objects.create(branch=vx, commune=vx_commune, valid_from=BEGINNING)
    for area, (lat, lon) in [
        (areas["viet_quang"], (22.42, 104.82)),
        (areas["tan_quang"], (22.50, 104.87)),
        (areas["yen_binh"], (22.40, 104.60)),
        (vx_commune, (22.67, 104.98)),
    ]:
        area.latitude, area.longitude = lat, lon
        area.save(update_fields=["latitude", "longitude"])
    units = [
        (branches["bq"], areas["viet_quang"], 100, lambda i: 27 + i),
        (branches["qb"], areas["yen_binh"], 100, lambda i: 17 + i),
        (vx, vx_commune, 1000, lambda i: 154 + 2 * i),
    ]
    for branch, commune, active, noncash in units:
        for i in range(24):
            CommuneMonth.objects.create(
                period=add_months(FIRST, i),
                branch=branch,
                commune=commune,
                customer_type="household",
                active_customers=active,
                paying_customers=active,
                noncash_customers=noncash(i),
                payments=active,
                noncash_payments=noncash(i),
                amount=active * 100_000,
                noncash_amount=noncash(i) * 80_000,
                new_noncash_customers=1,
            )
    sums = CommuneMonth.objects.values(
        "period", "branch_id", "branch__company_id", "customer_type"
    ).annotate(**{name: Sum(name) for name in COUNT_FIELDS})
    BranchMonth.objects.bulk_create(
        BranchMonth(company_id=row.pop("branch__company_id"), **row) for row in sums
    )
    for branch, rate in [(branches["bq"], "45"), (branches["qb"], "44"), (vx, "50")]:
        Target.objects.create(company=company, branch=branch, period=DEADLINE, rate=Decimal(rate))
    return {"vx": vx, "vx_commune": vx_commune}
