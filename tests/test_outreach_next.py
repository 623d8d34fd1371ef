"""Where next: the ranking of a branch's places against a hand computation, visit plans, planned
against done, and who may see what (pages, exports, admin)."""

import csv
import io
from datetime import date, timedelta

import pytest
from django.utils import timezone

from adoption import territory
from adoption.choices import CustomerType
from adoption.models import (
    AdminArea,
    CommuneMonth,
    Customer,
    OutreachActivity,
    OutreachPlan,
    Payment,
    Target,
)
from adoption.outreach_next import plans_by_month, where_next

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 20)
OCTOBER = date(2026, 10, 1)


def rollup(branch, commune, noncash, active, period=OCTOBER):
    CommuneMonth.objects.create(
        period=period,
        branch=branch,
        commune=commune,
        customer_type=CustomerType.HOUSEHOLD,
        active_customers=active,
        paying_customers=active,
        noncash_customers=noncash,
    )


@pytest.fixture
def places(areas, branches, company, customers, channels):
    """Branch BQ, data up to 10/2026, a target of 50 % by 12/2026, today 20/11/2026.

    | commune    | non-cash / active | cash | gap | to target | last visit              |
    |------------|-------------------|------|-----|-----------|-------------------------|
    | Việt Quang | 40 / 100          | 60   | 10  | 10        | 01/06/2026 (172 days)   |
    | Tân Quang  | 10 / 50           | 40   | 30  | 15        | never                   |
    | Đồng Yên   | 10 / 50           | 40   | 30  | 15        | 05/01/2026 (319 days)   |
    | Hùng An    | 60 / 100          | 40   | -10 | 0         | never                   |
    | Vĩnh Hảo   | 30 / 200          | 170  | 35  | 70        | 10/11/2026 (10: recent) |
    """
    bq = branches["bq"]

    def commune(code, name):
        return AdminArea.objects.create(level="commune", code=code, name=name, parent=areas["bq"])

    dong_yen, hung_an, vinh_hao = (
        commune("00931", "Xã Đồng Yên"),
        commune("00932", "Xã Hùng An"),
        commune("00933", "Xã Vĩnh Hảo"),
    )
    territory.carry_over()  # the district's new communes are served by its branch
    for place, noncash, active in [
        (areas["viet_quang"], 40, 100),
        (areas["tan_quang"], 10, 50),
        (dong_yen, 10, 50),
        (hung_an, 60, 100),
        (vinh_hao, 30, 200),
    ]:
        rollup(bq, place, noncash, active)
        rollup(bq, place, 0, active, period=date(2026, 9, 1))  # an older month: not read
    rollup(branches["qb"], areas["yen_binh"], 0, 500)  # another branch's commune
    Target.objects.create(company=company, branch=bq, period=date(2026, 12, 1), rate=50)
    Target.objects.create(company=company, branch=bq, period=date(2026, 6, 1), rate=20)  # past

    def visit(place, day, **counts):
        return OutreachActivity.objects.create(branch=bq, date=day, commune=place, **counts)

    visit(areas["viet_quang"], date(2026, 3, 2), barrier_fees=9)  # not the last visit
    visit(areas["viet_quang"], date(2026, 6, 1), barrier_cash_habit=3, barrier_no_smartphone=5)
    visit(dong_yen, date(2026, 1, 5))
    visit(vinh_hao, date(2026, 11, 10))

    # Villages, from the customers and payments: Thôn Khiềm (Tân Quang) has 3 active
    # households, 1 paying without cash for 10/2026 (cash 2, 33.3 %, gap 16.7, 1 to target);
    # Thôn Nà Khương (Việt Quang) 1 active household paying by bank (cash 0).
    na_khuong = AdminArea.objects.create(
        level="village", name="Thôn Nà Khương", parent=areas["viet_quang"]
    )

    def household(code, village, **kwargs):
        kwargs.setdefault("connected_on", date(2018, 1, 1))
        return Customer.objects.create(
            code=code,
            name=f"Hộ {code}",
            branch=bq,
            commune=village.parent,
            village=village,
            **kwargs,
        )

    k2 = household("PA20BQ0000012", areas["village"])
    household("PA20BQ0000013", areas["village"])
    household("PA20BQ0000014", areas["village"], connected_on=date(2026, 11, 5))  # not yet
    n1 = household("PA20BQ0000021", na_khuong)
    gone = household("PA20BQ0000022", na_khuong, disconnected_on=date(2026, 5, 1))

    def pay(customer, channel, ref):
        Payment.objects.create(
            customer=customer,
            channel=channel,
            period=OCTOBER,
            amount=100_000,
            paid_at=timezone.make_aware(timezone.datetime(2026, 11, 2, 9)),
            reference=ref,
        )

    pay(k2, channels["viettelpay"], "k2")
    pay(customers["bq2"], channels["counter"], "bq2")
    pay(n1, channels["agribank"], "n1")
    pay(gone, channels["agribank"], "gone")  # paid, but not active in 10/2026: not counted
    return {"dong_yen": dong_yen, "hung_an": hung_an, "vinh_hao": vinh_hao, "na_khuong": na_khuong}


def test_the_ranking_matches_a_hand_computation(places, branches, areas):
    communes, villages, period = where_next(branches["bq"], today=TODAY)
    assert period == OCTOBER
    assert [(r["place"], r["cash"], r["to_target"]) for r in communes] == [
        ("Thị trấn Việt Quang", 60, 10),
        ("Xã Tân Quang", 40, 15),
        ("Xã Đồng Yên", 40, 15),
        ("Xã Hùng An", 40, 0),
        ("Xã Vĩnh Hảo", 170, 70),  # visited 10 days ago: last, whatever its figures
    ]
    assert [r["rank"] for r in communes] == [1, 2, 3, 4, 5]
    viet_quang, tan_quang, dong_yen, hung_an, vinh_hao = communes
    assert viet_quang["gap"] == pytest.approx(10.0) and hung_an["gap"] == pytest.approx(-10.0)
    assert (viet_quang["last_visit"], viet_quang["days_since_visit"]) == (date(2026, 6, 1), 172)
    assert tan_quang["last_visit"] is None and dong_yen["days_since_visit"] == 319
    assert vinh_hao["days_since_visit"] == 10
    # The barriers of the last visit only, most named first.
    assert viet_quang["barriers"] == [
        ("barrier_no_smartphone", 5),
        ("barrier_cash_habit", 3),
    ]

    assert [(r["place"], r["commune"], r["active"], r["cash"]) for r in villages] == [
        ("Thôn Khiềm", "Xã Tân Quang", 3, 2),
        ("Thôn Nà Khương", "Thị trấn Việt Quang", 1, 0),
    ]
    assert villages[0]["rate"] == pytest.approx(100 / 3)
    assert villages[0]["gap"] == pytest.approx(50 - 100 / 3)
    assert villages[0]["to_target"] == 1


def test_a_commune_merged_away_is_ranked_but_not_planned(
    client_for, users, places, branches, areas
):
    old = AdminArea.objects.create(
        level="commune",
        code="00939",
        name="Xã Cũ",
        parent=areas["bq"],
        valid_to=date(2025, 6, 30),
    )
    rollup(branches["bq"], old, 0, 80)
    communes, _, _ = where_next(branches["bq"], today=TODAY)
    (row,) = [r for r in communes if r["place"] == "Xã Cũ"]
    assert row["cash"] == 80 and row["plannable"] is False
    assert all(r["plannable"] for r in communes if r["place"] != "Xã Cũ"), communes
    html = client_for(users["staff_bq"]).get("/outreach/next/").content.decode()
    assert f"/outreach/plans/new?place={old.pk}" not in html
    assert f"/outreach/plans/new?place={areas['tan_quang'].pk}" in html


def test_the_page_shows_the_ranking_and_exports_it(client_for, users, places):
    client = client_for(users["staff_bq"])
    page = client.get("/outreach/next/")
    assert page.status_code == 200
    communes = page.context["tables"][0]
    assert len(communes.rows) == 5
    html = page.content.decode()
    assert "Yên Bình" not in html
    assert "/outreach/plans/new?place=" in html

    export = client.get("/outreach/next/?_export=csv&table=village-")
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert len(rows) == 3 and rows[1][1] == "Thôn Khiềm"


# Plans.


@pytest.fixture
def plans(users, branches, areas, places):
    today = timezone.localdate()

    def plan(branch, day, commune, village=None, user=None):
        return OutreachPlan.objects.create(
            branch=branch, date=day, commune=commune, village=village, created_by=user
        )

    return {
        "bq": plan(branches["bq"], today, areas["tan_quang"], areas["village"], users["staff_bq"]),
        "qb": plan(branches["qb"], today, areas["yen_binh"], user=users["staff_qb"]),
    }


def test_planned_against_done_per_month(branches, areas, places):
    bq = branches["bq"]
    november, december = date(2026, 11, 1), date(2026, 12, 1)
    for day, commune, village in [
        (date(2026, 11, 12), places["vinh_hao"], None),  # done: visited 10/11 (commune)
        (date(2026, 11, 28), areas["tan_quang"], areas["village"]),  # not done
        (date(2026, 12, 3), areas["tan_quang"], None),  # not done
    ]:
        OutreachPlan.objects.create(branch=bq, date=day, commune=commune, village=village)
    # An activity in Tân Quang in November, but not in the planned village: not that plan.
    OutreachActivity.objects.create(branch=bq, date=date(2026, 11, 15), commune=areas["tan_quang"])
    rows = plans_by_month(OutreachPlan.objects.all(), OutreachActivity.objects.all())
    by_month = {r["month"]: r for r in rows}
    assert (by_month[november]["planned"], by_month[november]["done"]) == (2, 1)
    assert by_month[november]["activities"] == 2
    assert by_month[november]["done_rate"] == pytest.approx(50.0)
    assert (by_month[december]["planned"], by_month[december]["done"]) == (1, 0)


def test_staff_plan_a_visit_for_their_branch(client_for, users, areas, places):
    client = client_for(users["staff_bq"])
    day = timezone.localdate() + timedelta(days=3)
    response = client.post(
        "/outreach/plans/new",
        {"date": day.isoformat(), "place": areas["village"].pk, "staff_names": "Lò Văn A"},
    )
    assert response.status_code == 302
    plan = OutreachPlan.objects.get()
    assert (plan.branch.code, plan.commune, plan.village) == (
        "BQ",
        areas["tan_quang"],
        areas["village"],
    )
    assert plan.created_by == users["staff_bq"]


@pytest.mark.parametrize(
    "change, field",
    [
        ({"date": "past"}, "date"),
        ({"date": "too_far"}, "date"),
        ({"date": "not a date"}, "date"),
        ({"place": "other_branch"}, "place"),
        ({"place": ""}, "place"),
    ],
)
def test_a_bad_plan_is_refused_with_its_error_and_nothing_saved(
    client_for, users, areas, places, change, field
):
    today = timezone.localdate()
    dates = {"past": today - timedelta(days=1), "too_far": today + timedelta(days=400)}
    data = {"date": (today + timedelta(days=1)).isoformat(), "place": areas["tan_quang"].pk}
    if "date" in change:
        value = change["date"]
        data["date"] = dates[value].isoformat() if value in dates else value
    if "place" in change:
        data["place"] = areas["yen_binh"].pk if change["place"] == "other_branch" else ""
    response = client_for(users["staff_bq"]).post("/outreach/plans/new", data)
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert OutreachPlan.objects.count() == 0


def test_staff_see_their_branch_plans_only(client_for, users, plans):
    client = client_for(users["staff_bq"])
    for url in ["/outreach/plans/", "/outreach/plans/?branch=QB"]:
        page = client.get(url)
        records = [row.record for row in page.context["tables"][1].rows]
        assert records == [plans["bq"]]
    export = client.get("/outreach/plans/?branch=QB&_export=csv&table=plan-").content.decode()
    assert "Yên Bình" not in export and "Thôn Khiềm" in export


def test_managers_see_every_branch_plans_and_ranking(client_for, users, plans):
    client = client_for(users["manager"])
    page = client.get("/outreach/plans/")
    assert {row.record.pk for row in page.context["tables"][1].rows} == {
        plans["bq"].pk,
        plans["qb"].pk,
    }
    assert client.get("/outreach/next/?branch=QB").context["branch"].code == "QB"
    assert client.get("/outreach/plans/new").status_code == 403  # managers read, not plan


def test_another_branch_ranking_is_not_found(client_for, users, plans):
    client = client_for(users["staff_bq"])
    assert client.get("/outreach/next/?branch=QB").status_code == 404
    assert client.get("/outreach/next/?branch=QB&_export=csv").status_code == 404
    assert client.get("/outreach/next/?branch=NOPE").status_code == 404


@pytest.mark.parametrize("role", ["channel_admin", "outsider"])
@pytest.mark.parametrize(
    "url", ["/outreach/next/", "/outreach/plans/", "/outreach/plans/new", "/outreach/lookup/"]
)
def test_other_roles_are_refused(client_for, users, plans, role, url):
    assert client_for(users[role]).get(url).status_code == 403


def test_the_admin_keeps_another_branch_plans_out_of_reach(client_for, users, plans):
    client = client_for(users["staff_bq"])
    listing = client.get("/admin/adoption/outreachplan/")
    assert listing.status_code == 200
    assert list(listing.context["cl"].result_list) == [plans["bq"]]
    other = plans["qb"].pk
    for url in [
        f"/admin/adoption/outreachplan/{other}/change/",
        f"/admin/adoption/outreachplan/{other}/delete/",
    ]:
        response = client.get(url)
        assert response.status_code in (302, 404)
        assert "Yên Bình" not in response.content.decode()
    client.post(f"/admin/adoption/outreachplan/{other}/delete/", {"post": "yes"})
    assert OutreachPlan.objects.filter(pk=other).exists()
    # A manager reads every branch's plans in the admin, and changes none.
    manager = client_for(users["manager"])
    assert manager.get(f"/admin/adoption/outreachplan/{other}/change/").status_code == 200
    response = manager.post(f"/admin/adoption/outreachplan/{other}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert OutreachPlan.objects.filter(pk=other).exists()
