"""The before/after comparison rows, totals and funnel against hand-computed values.

Rollup rows are created directly: a small known fixture, independent of the rollup fill.
"""

import csv
import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from adoption.choices import CustomerType
from adoption.models import AdminArea, CommuneMonth, OutreachActivity, Payment
from adoption.outreach_comparison import comparison_rows
from adoption.outreach_effect import funnel

pytestmark = pytest.mark.django_db
VN = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture
def vinh_hao(areas):
    return AdminArea.objects.create(
        level="commune", code="00940", name="Xã Vĩnh Hảo", parent=areas["bq"]
    )


def month_rows(branch, commune, counts, customer_type=CustomerType.HOUSEHOLD):
    """counts: {(year, month): (noncash_customers, active_customers)}."""
    CommuneMonth.objects.bulk_create(
        CommuneMonth(
            period=date(y, m, 1),
            branch=branch,
            commune=commune,
            customer_type=customer_type,
            active_customers=active,
            paying_customers=active,
            noncash_customers=noncash,
        )
        for (y, m), (noncash, active) in counts.items()
    )


@pytest.fixture
def effect_fixture(branches, areas, vinh_hao, users):
    """Branch BQ: outreach in Việt Quang on 15/06/2026 and in Vĩnh Hảo on 10/08/2026; Tân Quang
    has none. Branch QB's Yên Bình has rollups but belongs to another branch."""
    bq, qb = branches["bq"], branches["qb"]
    june = OutreachActivity.objects.create(
        branch=bq,
        date=date(2026, 6, 15),
        commune=areas["viet_quang"],
        households_reached=80,
        registrations=20,
        created_by=users["staff_bq"],
    )
    august = OutreachActivity.objects.create(
        branch=bq,
        date=date(2026, 8, 10),
        commune=vinh_hao,
        households_reached=50,
        registrations=10,
        created_by=users["staff_bq"],
    )
    month_rows(
        bq,
        areas["viet_quang"],
        {
            (2026, 2): (90, 100),  # outside the window
            (2026, 3): (20, 100),
            (2026, 4): (22, 100),
            (2026, 5): (24, 100),
            (2026, 6): (50, 100),  # the activity month itself is left out
            (2026, 7): (30, 100),
            (2026, 8): (35, 100),
            (2026, 9): (40, 100),
        },
    )
    # Businesses are not what outreach speaks to: left out.
    month_rows(bq, areas["viet_quang"], {(2026, 3): (100, 100)}, CustomerType.BUSINESS)
    month_rows(
        bq,
        areas["tan_quang"],
        {
            (2026, 2): (50, 50),
            (2026, 3): (10, 50),
            (2026, 4): (10, 50),
            (2026, 5): (10, 50),
            (2026, 6): (11, 50),
            (2026, 7): (12, 50),
            (2026, 8): (13, 50),
            (2026, 9): (14, 50),
        },
    )
    # Reached in August, so not a commune "without outreach" for the June activity.
    month_rows(
        bq,
        vinh_hao,
        {(2026, m): (0, 100) for m in range(3, 8)} | {(2026, 8): (50, 100), (2026, 9): (100, 100)},
    )
    month_rows(qb, areas["yen_binh"], {(2026, m): (0, 10) for m in range(3, 10)})
    return {"june": june, "august": august}


@pytest.fixture
def any_size(settings):
    """The hand-computed fixture is small: let every commune count and compare."""
    settings.OUTREACH_MIN_HOUSEHOLDS = 0
    settings.OUTREACH_MIN_COMPARISON_COMMUNES = 1
    settings.OUTREACH_COMPARISON_BAND_POINTS = 100


def row_of(rows, activity):
    (row,) = [
        r
        for r in rows
        if (r["commune_id"], r["month"]) == (activity.commune_id, activity.date.replace(day=1))
    ]
    return row


def test_the_comparison_rows_equal_hand_computed_values(effect_fixture, any_size):
    rows = comparison_rows(OutreachActivity.objects.all())
    assert len(rows) == 2
    june = row_of(rows, effect_fixture["june"])
    # Việt Quang: (20+22+24)/300 before, (30+35+40)/300 after.
    assert june["rate_before"] == pytest.approx(22.0)
    assert june["rate_after"] == pytest.approx(35.0)
    assert june["change"] == pytest.approx(13.0)
    # Only Tân Quang is without outreach in 03–09/2026: (10+10+10)/150, (12+13+14)/150.
    assert june["control_communes"] == 1
    assert june["control_before"] == pytest.approx(20.0)
    assert june["control_after"] == pytest.approx(26.0)
    assert june["control_change"] == pytest.approx(6.0)
    assert june["did"] == pytest.approx(7.0)

    august = row_of(rows, effect_fixture["august"])
    # Vĩnh Hảo: 0/300 in 05–07; after: only 09/2026 has data (100/100).
    assert august["rate_before"] == pytest.approx(0.0)
    assert august["rate_after"] == pytest.approx(100.0)
    # Việt Quang had outreach in June (inside 05–11/2026): Tân Quang alone again.
    assert august["control_communes"] == 1
    assert august["control_before"] == pytest.approx(100 * 33 / 150)  # 10+11+12 of 150
    assert august["control_after"] == pytest.approx(28.0)  # 14/50
    assert august["did"] == pytest.approx(100.0 - (28.0 - 22.0))


def test_a_commune_without_rollups_has_no_rate_rather_than_zero(branches, areas, users):
    OutreachActivity.objects.create(
        branch=branches["bq"], date=date(2026, 6, 15), commune=areas["tan_quang"]
    )
    (row,) = comparison_rows(OutreachActivity.objects.all())
    assert row["rate_before"] is None and row["change"] is None and row["did"] is None
    assert "no_data" in row["flags"] and not row["included"]


def test_the_comparison_page_sorts_and_exports_the_same_numbers(
    client_for, users, effect_fixture, any_size
):
    client = client_for(users["manager"])
    url = "/outreach/effect/?start=2026-01&end=2026-12"

    page = client.get(f"{url}&sort=did")
    table = page.context["tables"][0]
    assert [row.record["month"] for row in table.rows] == [date(2026, 6, 1), date(2026, 8, 1)]
    assert "7,0" in page.content.decode()  # Vietnamese decimal comma on screen

    response = client.get(f"{url}&sort=-did&_export=csv")
    assert response["Content-Type"].startswith("text/csv")
    header, first, second = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    june = dict(zip(header, second, strict=True))
    values = list(june.values())
    for expected in ["22.0", "35.0", "13.0", "20.0", "26.0", "6.0", "7.0"]:
        assert expected in values, (expected, june)
    assert dict(zip(header, first, strict=True)) != june  # August first: sorted by -did

    xlsx = client.get(f"{url}&_export=xlsx")
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    assert xlsx.content[:2] == b"PK"


def test_the_period_filter_narrows_the_activities(client_for, users, effect_fixture):
    page = client_for(users["manager"]).get("/outreach/effect/?start=2026-08&end=2026-08")
    assert [row.record["month"] for row in page.context["tables"][0].rows] == [date(2026, 8, 1)]


def test_monthly_totals_per_branch(client_for, users, branches, areas):
    def make(branch, day, commune, **counts):
        OutreachActivity.objects.create(branch=branch, date=day, commune=commune, **counts)

    bq, qb = branches["bq"], branches["qb"]
    make(bq, date(2026, 6, 2), areas["viet_quang"], households_reached=10, registrations=4,
         gifts=4, barrier_cash_habit=3, barrier_distrust=1)  # fmt: skip
    make(bq, date(2026, 6, 28), areas["tan_quang"], households_reached=20, registrations=5,
         accounts_opened=2, barrier_cash_habit=2, barrier_no_smartphone=7)  # fmt: skip
    make(bq, date(2026, 7, 1), areas["tan_quang"], households_reached=1)
    make(qb, date(2026, 6, 5), areas["yen_binh"], households_reached=3, barrier_language=2)

    page = client_for(users["manager"]).get("/outreach/totals/?start=2026-06&end=2026-07")
    rows = {(r["branch__name"], r["month"]): r for r in page.context["tables"][0].data.data}
    june_bq = rows["Điện lực Bắc Quang", date(2026, 6, 1)]
    assert june_bq["activities"] == 2
    assert (june_bq["households_reached"], june_bq["registrations"]) == (30, 9)
    assert (june_bq["gifts"], june_bq["accounts_opened"]) == (4, 2)
    assert june_bq["barrier_cash_habit"] == 5
    assert june_bq["barriers_named"] == 13
    assert rows["Điện lực Bắc Quang", date(2026, 7, 1)]["activities"] == 1
    assert rows["Điện lực Quang Bình", date(2026, 6, 1)]["barriers_named"] == 2
    assert len(rows) == 3


# Funnel.


def pay(customer, channel, period, paid_at, ref):
    Payment.objects.create(
        customer=customer,
        channel=channel,
        period=period,
        amount=250_000,
        paid_at=paid_at,
        reference=ref,
    )


@pytest.fixture
def funnel_fixture(branches, areas, customers, channels):
    bq, qb = branches["bq"], branches["qb"]
    march = OutreachActivity.objects.create(
        branch=bq, date=date(2026, 3, 10), commune=areas["tan_quang"], households_reached=9,
        registrations=3,
    )  # fmt: skip
    october = OutreachActivity.objects.create(
        branch=bq, date=date(2026, 10, 20), commune=areas["viet_quang"], households_reached=5,
        registrations=1,
    )  # fmt: skip
    april = OutreachActivity.objects.create(
        branch=qb, date=date(2026, 4, 5), commune=areas["yen_binh"], households_reached=4,
        registrations=1,
    )  # fmt: skip
    for activity, names in [(march, ["bq1", "bq2", "bq3"]), (october, ["bq1"]), (april, ["qb1"])]:
        for name in names:
            activity.registered_customers.create(customer=customers[name])

    wallet, cash = channels["viettelpay"], channels["counter"]
    bq1, bq2, bq3, qb1 = (customers[k] for k in ["bq1", "bq2", "bq3", "qb1"])
    # bq1: without cash after March's activity, and for 09/2026 (March + 6): retained.
    pay(bq1, wallet, date(2026, 3, 1), datetime(2026, 3, 20, 9, tzinfo=VN), "1")
    pay(bq1, wallet, date(2026, 9, 1), datetime(2026, 10, 5, 9, tzinfo=VN), "2")
    # ... and again after October's activity.
    pay(bq1, wallet, date(2026, 10, 1), datetime(2026, 11, 3, 9, tzinfo=VN), "3")
    # bq2: without cash only before the activity, in cash since: not reached.
    pay(bq2, wallet, date(2026, 2, 1), datetime(2026, 3, 9, 23, tzinfo=VN), "4")
    pay(bq2, cash, date(2026, 3, 1), datetime(2026, 4, 2, 9, tzinfo=VN), "5")
    pay(bq2, cash, date(2026, 9, 1), datetime(2026, 10, 2, 9, tzinfo=VN), "6")
    # bq3: without cash at 06:00 on the activity day in Vietnam (still the 9th in UTC): reached;
    # then back to cash for 09/2026: not retained.
    pay(bq3, wallet, date(2026, 3, 1), datetime(2026, 3, 10, 6, tzinfo=VN), "7")
    pay(bq3, cash, date(2026, 9, 1), datetime(2026, 10, 3, 9, tzinfo=VN), "8")
    # qb1: without cash for 10/2026 (April + 6).
    pay(qb1, wallet, date(2026, 10, 1), datetime(2026, 11, 2, 9, tzinfo=VN), "9")
    return {"march": march, "october": october, "april": april}


def test_the_funnel_equals_hand_computed_values(funnel_fixture, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        per_activity, per_branch = funnel(OutreachActivity.objects.all(), today=date(2026, 12, 1))
    rows = {row["id"]: row for row in per_activity}

    march = rows[funnel_fixture["march"].pk]
    assert (march["registered"], march["paid_noncash"], march["retained"]) == (3, 2, 1)
    assert march["paid_noncash_rate"] == pytest.approx(200 / 3)
    assert march["retained_rate"] == pytest.approx(100 / 3)

    october = rows[funnel_fixture["october"].pk]
    # 04/2027 is not over on 01/12/2026: not known yet, not zero.
    assert (october["registered"], october["paid_noncash"], october["retained"]) == (1, 1, None)
    assert october["retained_rate"] is None

    april = rows[funnel_fixture["april"].pk]
    assert (april["registered"], april["paid_noncash"], april["retained"]) == (1, 1, 1)

    branches = {row["branch"]: row for row in per_branch}
    bq = branches["Điện lực Bắc Quang"]
    assert (bq["activities"], bq["registered"], bq["paid_noncash"]) == (2, 4, 3)
    assert bq["paid_noncash_rate"] == pytest.approx(75.0)
    assert (bq["registered_followed"], bq["retained"]) == (3, 1)
    assert bq["retained_rate"] == pytest.approx(100 / 3)
    qb = branches["Điện lực Quang Bình"]
    assert (qb["registered"], qb["paid_noncash"], qb["retained"], qb["retained_rate"]) == (
        1,
        1,
        1,
        100.0,
    )


def test_the_funnel_query_count_does_not_grow_with_customers(
    funnel_fixture, customers, django_assert_max_num_queries
):
    funnel_fixture["april"].registered_customers.all().delete()
    for name in ["bq2", "bq3"]:
        funnel_fixture["october"].registered_customers.create(customer=customers[name])
    with django_assert_max_num_queries(3):
        per_activity, _ = funnel(OutreachActivity.objects.all(), today=date(2026, 12, 1))
    assert {r["id"]: r["registered"] for r in per_activity}[funnel_fixture["october"].pk] == 3


def test_the_funnel_page_shows_both_tables(client_for, users, funnel_fixture):
    page = client_for(users["manager"]).get("/outreach/funnel/?start=2026-01&end=2026-12")
    by_branch, by_activity = page.context["tables"]
    assert len(by_branch.rows) == 2 and len(by_activity.rows) == 3
    export = client_for(users["manager"]).get(
        "/outreach/funnel/?start=2026-01&end=2026-12&_export=csv&table=activity-"
    )
    assert len(list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))) == 4


def test_outreach_exports_neutralise_formula_cells(client_for, users, branches, areas):
    from django.utils import timezone

    from adoption.models import OutreachActivity

    # Branch names are typed by admins; one that looks like a formula must not run as one.
    branches["bq"].name = '=HYPERLINK("http://example.invalid")'
    branches["bq"].save()
    OutreachActivity.objects.create(
        branch=branches["bq"],
        date=timezone.localdate(),
        commune=areas["tan_quang"],
        households_reached=3,
    )
    response = client_for(users["manager"]).get("/outreach/totals/?_export=csv")
    assert response.status_code == 200
    assert ",\"'=HYPERLINK(" in response.content.decode()


def test_reports_open_on_the_twelve_months_up_to_the_latest_activity(
    client_for, users, branches, areas
):
    from datetime import date

    from adoption.models import OutreachActivity

    OutreachActivity.objects.create(
        branch=branches["bq"], date=date(2021, 10, 15), commune=areas["tan_quang"], gifts=100
    )
    response = client_for(users["manager"]).get("/outreach/totals/?_export=csv")
    rows = response.content.decode().splitlines()
    assert len(rows) == 2 and rows[1].startswith("2021-10-01,")
