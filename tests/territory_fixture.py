"""The 2025 area reform on the shared fixture's areas, payments on both sides of it, and a
snapshot of every dated fact."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from adoption import area_reform
from adoption.metrics import freshness
from adoption.models import (
    AdminArea,
    AreaSuccession,
    Branch,
    BranchTerritory,
    BranchVersion,
    Company,
    Customer,
    CustomerPlacement,
    Payment,
)

REFORM = date(2025, 7, 1)
LAST_OLD_DAY = date(2025, 6, 30)
OCT_2021 = date(2021, 10, 1)
AUG_2025 = date(2025, 8, 1)
TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def snapshot():
    """Every dated fact and the current values kept in step with them."""
    return (
        list(BranchTerritory.objects.order_by("pk").values()),
        list(BranchVersion.objects.order_by("pk").values()),
        list(CustomerPlacement.objects.order_by("pk").values()),
        list(Customer.objects.order_by("pk").values("branch_id", "commune_id", "village_id")),
        list(Branch.objects.order_by("pk").values("company_id", "name")),
        list(Company.objects.order_by("pk").values("valid_to", "merged_into_id")),
    )


def make_reform(areas):
    """The 2025 reform: Việt Quang and part of Tân Quang become Bắc Quang; the rest of Tân
    Quang becomes Tân Quang (its default successor); Thôn Khiềm continues there."""
    for key in ("viet_quang", "tan_quang", "yen_binh", "bq", "qb"):
        areas[key].valid_to = LAST_OLD_DAY
        areas[key].save()
    BranchTerritory.objects.update(valid_to=LAST_OLD_DAY)

    def new(code, name):
        return AdminArea.objects.create(
            level="commune", code=code, name=name, parent=areas["province"], valid_from=REFORM
        )

    new_areas = {
        "bac_quang": new("00911", "Xã Bắc Quang"),
        "tan_quang": new("00926", "Xã Tân Quang"),
        "yen_binh": new("00971", "Xã Yên Bình"),
    }
    khiem = AdminArea.objects.create(
        level="village", name="Thôn Khiềm", parent=new_areas["tan_quang"], valid_from=REFORM
    )
    for old, new_key, default in [
        ("viet_quang", "bac_quang", True),
        ("tan_quang", "tan_quang", True),
        ("tan_quang", "bac_quang", False),
        ("yen_binh", "yen_binh", True),
    ]:
        AreaSuccession.objects.create(
            old_area=areas[old],
            new_area=new_areas[new_key],
            effective_on=REFORM,
            is_default=default,
        )
    AreaSuccession.objects.create(old_area=areas["village"], new_area=khiem, effective_on=REFORM)
    return {**new_areas, "khiem": khiem}


@pytest.fixture
def paid(customers, channels):
    """Oct 2021 and Aug 2025: bq1 and qb1 pay by ViettelPay, bq2 and bq3 at the counter."""
    n = iter(range(1, 1000))
    for period in (OCT_2021, AUG_2025):
        for key, channel in [("bq1", "viettelpay"), ("qb1", "viettelpay"), ("bq2", "counter")]:
            Payment.objects.create(
                customer=customers[key],
                period=period,
                channel=channels[channel],
                amount=100_000,
                paid_at=datetime(period.year, period.month, 20, tzinfo=TZ),
                reference=f"R{next(n)}",
            )
    return customers


@pytest.fixture
def two_district_reform(areas, branches, paid):
    """Việt Quang (district Bắc Quang) and Yên Bình (district Quang Bình) merge into Liên
    Hiệp; Tân Quang continues as Tân Quang."""
    for key in ("viet_quang", "tan_quang", "yen_binh", "bq", "qb"):
        areas[key].valid_to = LAST_OLD_DAY
        areas[key].save()
    BranchTerritory.objects.update(valid_to=LAST_OLD_DAY)

    def new(code, name):
        return AdminArea.objects.create(
            level="commune", code=code, name=name, parent=areas["province"], valid_from=REFORM
        )

    lien_hiep, tan_quang = new("00911", "Xã Liên Hiệp"), new("00926", "Xã Tân Quang")
    for old, successor in [
        ("viet_quang", lien_hiep),
        ("yen_binh", lien_hiep),
        ("tan_quang", tan_quang),
    ]:
        AreaSuccession.objects.create(old_area=areas[old], new_area=successor, effective_on=REFORM)
    area_reform.apply_area_reform(REFORM)
    freshness.refresh()
    return {"lien_hiep": lien_hiep, "tan_quang": tan_quang}
