"""The demo scenario: its shape, its story (computed from the raw rows), its determinism."""

import hashlib
import re
import uuid
from datetime import date

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.models import F, Q, Sum
from django.test import override_settings
from django.utils import timezone

from adoption.choices import ChannelKind, Role
from adoption.demo import seed
from adoption.demo.scenario import BRANCHES, DEMO_LOGINS, last_complete_month
from adoption.forms import OutreachForm
from adoption.metrics import freshness
from adoption.models import (
    AdminArea,
    Branch,
    BranchTerritory,
    BranchVersion,
    Company,
    Customer,
    CustomerPlacement,
    OutreachActivity,
    OutreachRegistration,
    Payment,
    PaymentChannel,
    Target,
)
from adoption.models.validity import BEGINNING, in_force

# Small enough for the suite; the calibration holds to the nearest customer at any scale.
SCALE = 0.005
TINY = 0.002
# Pinned so the suite does not depend on today's date; past the July 2025 reform.
UNTIL = date(2025, 12, 1)
BRANCH_NAMES = [
    "Thành phố Hà Giang", "Bắc Quang", "Quang Bình", "Vị Xuyên", "Bắc Mê", "Hoàng Su Phì",
    "Xín Mần", "Quản Bạ", "Yên Minh", "Đồng Văn", "Mèo Vạc",
]  # fmt: skip

# "As it was": each customer counted in the branch that served their commune that month.
RATES_SQL = """
SELECT b.code,
       COUNT(*),
       SUM(CASE WHEN EXISTS (
           SELECT 1 FROM adoption_payment p
           JOIN adoption_paymentchannel ch ON ch.id = p.channel_id
           WHERE p.customer_id = c.id AND p.period = %(start)s AND NOT ch.is_cash
       ) THEN 1 ELSE 0 END)
FROM adoption_customer c
JOIN adoption_customerplacement cp ON cp.customer_id = c.id
 AND cp.valid_from <= %(start)s AND (cp.valid_to IS NULL OR cp.valid_to >= %(start)s)
JOIN adoption_branchterritory t ON t.commune_id = cp.commune_id
 AND t.valid_from <= %(start)s AND (t.valid_to IS NULL OR t.valid_to >= %(start)s)
JOIN adoption_branch b ON b.id = t.branch_id
WHERE c.connected_on < %(end)s AND (c.disconnected_on IS NULL OR c.disconnected_on >= %(start)s)
GROUP BY b.code
"""


def adoption_rates(year, month):
    """Customers with a non-cash payment for the period / active customers, from raw rows."""
    start = date(year, month, 1)
    end = date(year + month // 12, month % 12 + 1, 1)
    with connection.cursor() as cursor:
        cursor.execute(RATES_SQL, {"start": start, "end": end})
        rows = cursor.fetchall()
    by_branch = {code: 100 * noncash / active for code, active, noncash in rows}
    province = 100 * sum(r[2] for r in rows) / sum(r[1] for r in rows)
    return by_branch, province


def digest():
    h = hashlib.sha256()
    customers = Customer.objects.order_by("code").values_list(
        "code",
        "name",
        "branch__code",
        "commune__code",
        "village__name",
        "customer_type",
        "connected_on",
        "disconnected_on",
    )
    payments = Payment.objects.order_by("customer__code", "period").values_list(
        "customer__code", "period", "amount", "channel__code", "paid_at", "reference"
    )
    for row in customers.iterator():
        h.update(repr(row).encode())
    for row in payments.iterator():
        h.update(repr(row).encode())
    return h.hexdigest()


@pytest.fixture(scope="module", autouse=True)
def fast_password_hashing():
    # The demo logins' passwords are hashed on every seed; the default hasher is slow by design.
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(scope="class")
def scenario(django_db_setup, django_db_blocker):
    """One seeded database shared by the read-only tests of a class, rolled back after it."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield seed(scale=SCALE, seed=1, until=UNTIL)
        transaction.set_rollback(True)


def seeded_digest(seed_number, until=UNTIL):
    with transaction.atomic():
        seed(scale=TINY, seed=seed_number, until=until)
        result = digest(), Payment.objects.count()
        transaction.set_rollback(True)
    return result


def test_the_same_seed_gives_the_same_data(db):
    first, payments = seeded_digest(3)
    assert payments > 10_000
    assert seeded_digest(3) == (first, payments)


def test_another_seed_gives_other_data(db):
    assert seeded_digest(3)[0] != seeded_digest(4)[0]


def test_another_end_month_gives_a_longer_history(db):
    shorter, shorter_payments = seeded_digest(3, until=date(2024, 6, 1))
    assert seeded_digest(3, until=date(2024, 6, 1)) == (shorter, shorter_payments)
    assert seeded_digest(3)[1] > shorter_payments


def test_it_refuses_an_end_month_it_cannot_seed_and_writes_nothing(db):
    last = last_complete_month(timezone.localdate())
    this_month = date(last.year + last.month // 12, last.month % 12 + 1, 1)
    for until, error in (
        ("2025-13", "--until is a month as YYYY-MM"),
        ("12/2025", "--until is a month as YYYY-MM"),
        ("2021-11", "ends in 12/2021 at the earliest"),
        (f"{this_month:%Y-%m}", f"{last:%m/%Y} at the latest"),
    ):
        with pytest.raises(CommandError, match=re.escape(error)):
            call_command("seed_demo", "--scale", str(TINY), "--until", until)
    assert not AdminArea.objects.exists()
    assert not Payment.objects.exists()
    with pytest.raises(ValueError, match="at the earliest"):
        seed(scale=TINY, until=date(2020, 12, 1))
    assert not AdminArea.objects.exists()


def test_it_refuses_a_scale_out_of_range_and_writes_nothing(db):
    for scale in ("0", "-1", "6"):
        with pytest.raises(CommandError, match="--scale must be above 0"):
            call_command("seed_demo", "--scale", scale)
    assert not AdminArea.objects.exists()
    assert not User.objects.exists()


def test_it_refuses_a_database_that_has_a_company(company, customers):
    with pytest.raises(CommandError, match="A company already exists"):
        call_command("seed_demo", "--scale", str(TINY))
    assert Company.objects.count() == 1
    assert Customer.objects.count() == 4
    assert not User.objects.filter(username="quanly").exists()


def test_if_empty_leaves_an_existing_company_alone(company, customers, capsys):
    call_command("seed_demo", "--scale", str(TINY), "--if-empty")
    assert "nothing seeded" in capsys.readouterr().out
    assert Customer.objects.count() == 4
    assert not Payment.objects.exists()


def test_the_command_fills_the_rollups_and_prints_the_logins(db, monkeypatch, capsys):
    refreshed = []
    monkeypatch.setattr(freshness, "refresh", lambda *a, **kw: refreshed.append(a))
    call_command("seed_demo", "--scale", str(TINY), "--seed", "5")
    out = capsys.readouterr().out
    assert refreshed == [()]
    for login in DEMO_LOGINS:
        assert f"{login.username:<14} {login.password}" in out


def test_without_until_it_reaches_last_month_on_todays_date(db, monkeypatch, capsys):
    # No frozen clock: the demo a user seeds today ends with the month just completed.
    monkeypatch.setattr(freshness, "refresh", lambda *a, **kw: None)
    call_command("seed_demo", "--scale", str(TINY))
    last = last_complete_month(timezone.localdate())
    assert f"to {last:%m/%Y}" in capsys.readouterr().out
    assert Payment.objects.order_by("-period").values_list("period", flat=True)[0] == last
    today = timezone.localdate()
    recent = OutreachActivity.objects.filter(branch__code="BQ", date__gte=last)
    assert recent.filter(created_by__username="bacquang", date__lt=today.replace(day=1)).exists()
    # The outreach list opens on this month: staff have already recorded some of it.
    this_month = recent.filter(date__gte=today.replace(day=1))
    assert this_month.filter(created_by__username="bacquang").exists()
    assert not OutreachActivity.objects.filter(date__gt=today).exists()
    assert OutreachActivity.objects.filter(date__gte=today.replace(day=1)).count() == 11


def test_it_can_be_pinned_to_the_end_month_before_the_reform(db):
    seed(scale=TINY, until=date(2022, 12, 1))
    assert Payment.objects.order_by("-period").values_list("period", flat=True)[0] == date(
        2022, 12, 1
    )
    by_branch, province = adoption_rates(2021, 10)
    assert by_branch["BQ"] == pytest.approx(44, abs=1)
    assert province == pytest.approx(41, abs=1)
    assert not Target.objects.filter(period__gt=date(2022, 12, 1)).exists()


@pytest.mark.django_db
@pytest.mark.usefixtures("scenario")
class TestTheScenario:
    def test_it_builds_the_eleven_branches_on_their_real_districts(self):
        company = Company.objects.get(code="PCHG")
        assert (company.name, company.customer_code_prefix) == ("Công ty Điện lực Hà Giang", "PA20")
        assert company.province.code == "02"
        assert company.corporation.code == "EVNNPC"
        branches = {b.code: b for b in Branch.objects.select_related("district")}
        assert branches["BQ"].district.name == "Huyện Bắc Quang"
        assert {b.district.code for b in branches.values()} == {
            "024", "026", "027", "028", "029", "030", "031", "032", "033", "034", "035"
        }  # fmt: skip
        until_reform = BranchVersion.objects.filter(valid_to=date(2025, 6, 30))
        assert sorted(until_reform.values_list("name", flat=True)) == sorted(
            f"Điện lực {name}" for name in BRANCH_NAMES
        )
        assert set(until_reform.values_list("company", flat=True)) == {company.pk}
        bq_communes = CustomerPlacement.objects.filter(
            customer__code__startswith="PA20BQ", valid_to=date(2025, 6, 30)
        ).values_list("commune__parent__code", flat=True)
        assert set(bq_communes) == {"034"}

    def test_from_july_2025_pc_tuyen_quang_has_the_area_branches(self):
        hagiang, tuyenquang = Company.objects.get(code="PCHG"), Company.objects.get(code="PCTQ")
        assert (hagiang.valid_to, hagiang.merged_into) == (date(2025, 6, 30), tuyenquang)
        assert tuyenquang.corporation.code == "EVNNPC"
        assert "Tuyên Quang" in tuyenquang.province.name
        assert tuyenquang.province.valid_from == date(2025, 7, 1)
        branches = Branch.objects.all()
        assert {b.company_id for b in branches} == {tuyenquang.pk}
        assert sorted(b.name for b in branches) == sorted(
            f"Điện lực khu vực {name.removeprefix('Thành phố ')}" for name in BRANCH_NAMES
        )
        assert Branch.objects.get(code="BQ").name == "Điện lực khu vực Bắc Quang"
        current = BranchVersion.objects.filter(valid_from=date(2025, 7, 1), valid_to=None)
        assert current.count() == 11

    def test_customers_move_to_the_successor_communes_on_the_reform_date(self):
        assert Customer.objects.exists()
        assert not Customer.objects.filter(commune__valid_to__isnull=False).exists()
        assert not Customer.objects.filter(commune__valid_from__isnull=True).exists()
        moved = CustomerPlacement.objects.filter(valid_from=date(2025, 7, 1))
        assert moved.count() == Customer.objects.count()
        # Their villages came along: each old village continues in the new commune.
        assert not Customer.objects.filter(village__valid_to__isnull=False).exists()
        assert Customer.objects.filter(village__valid_from=date(2025, 7, 1)).count() == (
            CustomerPlacement.objects.filter(
                valid_to=date(2025, 6, 30), village__isnull=False
            ).count()
        )
        # Every commune of today is served by one branch, and only today's are.
        served = BranchTerritory.objects.filter(valid_to=None)
        assert not served.filter(commune__valid_to__isnull=False).exists()
        current = set(Customer.objects.values_list("commune", flat=True))
        assert current <= set(served.values_list("commune", flat=True))

    def test_branch_staff_of_bac_quang_pick_from_todays_communes_and_villages(self):
        staff = User.objects.get(username="bacquang")
        form = OutreachForm(branch=staff.staff_profile.branch)
        labels = [option["label"] for option in form.place_options()]
        communes = [p for p in form.fields["place"].queryset if p.level == "commune"]
        assert communes and all(p.valid_from == date(2025, 7, 1) for p in communes)
        assert "Xã Bắc Quang" in labels
        assert len(labels) > len(communes) * 3  # villages under each commune
        assert len(labels) == len(set(labels))
        assert staff.staff_profile.company.code == "PCTQ"

    def test_every_commune_has_villages(self):
        communes = AdminArea.objects.filter(level="commune", valid_from=None)
        assert communes.count() == 193
        assert not communes.exclude(children__level="village").exists()
        village = AdminArea.objects.filter(level="village", parent__name="Xã Tân Quang").first()
        assert village.name.startswith(("Thôn ", "Bản "))

    def test_branch_staff_record_an_outreach_today_in_one_of_their_communes(self, client):
        staff = User.objects.get(username="bacquang")
        client.force_login(staff)
        assert client.get("/outreach/new").status_code == 200
        today = timezone.localdate()
        served = BranchTerritory.objects.filter(in_force(today), branch__code="BQ")
        commune = served.order_by("commune__name")[0].commune
        village = commune.children.filter(level="village").order_by("name")[0]
        token = uuid.uuid4()
        response = client.post(
            "/outreach/new",
            {
                "submission_token": str(token),
                "date": today.isoformat(),
                "place": village.pk,
                "households_reached": "12",
                "registrations": "2",
            },
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        recorded = OutreachActivity.objects.get(submission_token=token)
        assert (recorded.date, recorded.commune, recorded.village) == (today, commune, village)
        assert recorded.branch.code == "BQ" and recorded.created_by == staff

    def test_customer_codes_are_pa20_the_branch_and_seven_digits(self):
        # The branch that connected them: the codes stay when the reform or a transfer moves
        # the customer.
        first = CustomerPlacement.objects.filter(valid_from=BEGINNING)
        served = dict(
            BranchTerritory.objects.filter(valid_from=BEGINNING).values_list(
                "commune", "branch__code"
            )
        )
        assert first.count() == Customer.objects.count()
        for code, commune in first.values_list("customer__code", "commune"):
            assert re.fullmatch(r"PA20[A-Z]{2}[0-9]{7}", code), code
            assert code[4:6] == served[commune]

    def test_bac_quang_is_the_biggest_branch(self):
        counts = {
            b.code: Customer.objects.filter(code__startswith=f"PA20{b.code}").count()
            for b in Branch.objects.all()
        }
        assert max(counts, key=counts.get) == "BQ"
        assert counts["BQ"] == round(32_500 * SCALE)

    def test_it_has_channels_of_every_kind_and_only_counters_and_collectors_are_cash(self):
        channels = PaymentChannel.objects.all()
        assert {c.kind for c in channels} == set(ChannelKind.values)
        cash = {c.kind for c in channels if c.is_cash}
        assert cash == {ChannelKind.COMPANY_COUNTER, ChannelKind.COLLECTOR}
        names = set(channels.values_list("name", flat=True))
        assert {
            "Agribank", "BIDV", "Vietcombank", "VietinBank", "Trích nợ tự động Agribank",
            "Viettel Money", "VNPT Money", "MoMo", "ZaloPay", "ShopeePay",
            "Ứng dụng EVNNPC CSKH", "Bưu điện VNPost", "Quầy thu Điện lực",
            "Thu ngân viên tại nhà",
        } <= names  # fmt: skip
        assert all(c.contract_start and c.contract_start.day == 1 for c in channels)

    def test_viettel_money_is_viettelpay_renamed_one_channel(self):
        viettel = PaymentChannel.objects.get(partner__code="VIETTEL")
        assert viettel.name == "Viettel Money"
        names = viettel.history.order_by("history_date").values_list("name", "history_date")
        assert [(n, timezone.localdate(d)) for n, d in names] == [
            ("ViettelPay", date(2018, 4, 1)),
            ("Viettel Money", date(2021, 11, 1)),
        ]
        assert Payment.objects.filter(channel=viettel, period__lt=date(2021, 11, 1)).exists()
        # Mobile money inside it from November 2021: the highlands take to it at once.
        highland = Payment.objects.filter(channel=viettel, customer__branch__code="XM")
        before = highland.filter(period=date(2021, 10, 1)).count()
        assert highland.filter(period=date(2022, 4, 1)).count() > 1.3 * before

    def test_mobile_money_starts_with_its_contract(self):
        mobile = PaymentChannel.objects.get(kind=ChannelKind.MOBILE_MONEY)
        assert (mobile.name, mobile.contract_start) == ("VNPT Money", date(2022, 1, 1))
        assert Payment.objects.filter(channel=mobile).exists()

    def test_no_payment_goes_through_a_channel_before_its_contract_starts(self):
        assert Payment.objects.exists()
        early = Payment.objects.filter(
            Q(period__lt=F("channel__contract_start"))
            | Q(paid_at__date__lt=F("channel__contract_start"))
        )
        assert not early.exists()
        for code in ("ZALOPAY", "SHOPEEPAY", "EVNAPP", "VNPTMONEY", "BIDV-TNTD"):
            channel = PaymentChannel.objects.get(code=code)
            first = channel.payments.order_by("period").values_list("period", flat=True)[0]
            assert channel.contract_start <= first < date(2024, 1, 1), code

    def test_no_outreach_note_names_a_channel_before_its_contract_or_under_another_name(self):
        named = 0
        spans = []  # (name, channel, from, to): the channel bore the name in [from, to)
        for channel in PaymentChannel.objects.all():
            records = list(channel.history.order_by("history_date"))
            for record, after in zip(records, [*records[1:], None], strict=True):
                end = timezone.localdate(after.history_date) if after else date.max
                spans.append((record.name, channel, timezone.localdate(record.history_date), end))
        for activity in OutreachActivity.objects.all():
            for name, channel, start, end in spans:
                if name in activity.notes:
                    named += 1
                    assert channel.contract_start <= activity.date, (name, activity.date)
                    assert start <= activity.date < end, (name, activity.date)
        assert named > 50

    def test_targets_include_45_percent_for_december_2021_and_each_branch(self):
        company_target = Target.objects.get(branch=None, period=date(2021, 12, 1))
        assert company_target.rate == 45
        branch_targets = Target.objects.filter(period=date(2021, 12, 1), branch__isnull=False)
        assert branch_targets.count() == 11

    def test_later_targets_are_dated_and_rise(self):
        company = Target.objects.filter(branch=None, company__code="PCHG").order_by("period")
        periods = list(company.values_list("period", flat=True))
        assert periods == [date(year, 12, 1) for year in range(2019, 2025)]
        rates = list(company.values_list("rate", flat=True))
        assert rates == sorted(rates)
        bac_quang = Target.objects.filter(branch__code="BQ").order_by("period")
        assert bac_quang.values_list("period", flat=True)[0] == date(2021, 12, 1)
        assert bac_quang.filter(period=date(2024, 12, 1)).exists()

    def test_demo_logins_have_their_roles(self):
        for login in DEMO_LOGINS:
            user = User.objects.get(username=login.username)
            assert user.check_password(login.password), login.username
            assert user.is_staff and user.is_active
            assert user.is_superuser is (login.role is None)
        manager = User.objects.get(username="quanly")
        assert manager.groups.get().name == Role.MANAGERS
        staff = User.objects.get(username="bacquang")
        assert staff.groups.get().name == Role.BRANCH_STAFF
        assert staff.staff_profile.branch.code == "BQ"
        channel_admin = User.objects.get(username="kenhthanhtoan")
        assert channel_admin.groups.get().name == Role.CHANNEL_ADMINS
        assert channel_admin.staff_profile.branch is None

    def test_october_2021_matches_the_companys_report(self):
        by_branch, province = adoption_rates(2021, 10)
        assert by_branch["BQ"] == pytest.approx(44, abs=1)
        assert province == pytest.approx(41, abs=1)
        for plan in BRANCHES:
            assert by_branch[plan.code] == pytest.approx(plan.rate_oct_2021, abs=1)

    def test_adoption_climbs_fastest_in_the_city_and_lowlands(self):
        provinces = [adoption_rates(y, m)[1] for y, m in ((2019, 6), (2020, 6), (2021, 6))]
        provinces += [adoption_rates(y, m)[1] for y, m in ((2021, 12), (2022, 12), (2023, 12))]
        assert provinces == sorted(provinces)
        assert provinces[-1] - provinces[0] > 30
        early, _ = adoption_rates(2019, 6)
        assert early["HG"] > early["BQ"] > early["DV"]

    def test_adoption_reaches_what_evnnpc_reported_for_2024(self):
        _, december = adoption_rates(2024, 12)
        assert december == pytest.approx(87, abs=3)
        _, later = adoption_rates(2025, 12)
        assert december <= later < 95

    def test_the_demo_reaches_its_end_month_with_recent_outreach(self, scenario):
        assert scenario.until == UNTIL
        last = Payment.objects.order_by("-period").values_list("period", flat=True)[0]
        assert last == UNTIL
        for code in ("BQ", "DV"):
            assert OutreachActivity.objects.filter(branch__code=code, date__gte=UNTIL).exists()
        # Pinned to an earlier month, the demo has nothing after it.
        assert not OutreachActivity.objects.filter(date__gte=date(2026, 1, 1)).exists()

    def test_adoption_jumps_after_the_october_2021_campaign(self):
        _, september = adoption_rates(2021, 9)
        _, october = adoption_rates(2021, 10)
        assert october - september > 3

    def test_some_customers_go_back_to_cash(self):
        noncash = set(
            Payment.objects.filter(period=date(2021, 3, 1), channel__is_cash=False).values_list(
                "customer_id", flat=True
            )
        )
        back = Payment.objects.filter(
            period=date(2021, 4, 1), channel__is_cash=True, customer_id__in=noncash
        )
        assert back.exists()

    def test_outreach_has_joint_visits_with_viettel_and_100_gifts_in_october_2021(self):
        october = OutreachActivity.objects.filter(date__year=2021, date__month=10)
        assert october.aggregate(Sum("gifts"))["gifts__sum"] == 100
        assert october.filter(partner__code="VIETTEL").count() == october.count() > 0
        assert not OutreachActivity.objects.exclude(date__year=2021, date__month=10).filter(
            gifts__gt=0
        )
        assert OutreachActivity.objects.aggregate(Sum("barrier_no_smartphone"))[
            "barrier_no_smartphone__sum"
        ]
        assert OutreachActivity.objects.filter(branch__code="BQ", created_by__username="bacquang")

    def test_registered_customers_turned_to_non_cash_after_the_visit(self):
        registrations = OutreachRegistration.objects.select_related("activity", "customer")
        assert registrations.exists()
        for r in registrations[:50]:
            visit = r.activity.date.replace(day=1)
            place = r.customer.placements.get(in_force(visit))
            assert place.commune_id == r.activity.commune_id
            assert BranchTerritory.objects.get(
                in_force(visit), commune=place.commune_id
            ).branch_id == (r.activity.branch_id)
            assert r.customer.payments.filter(period__gte=visit, channel__is_cash=False).exists()

    def test_outreach_after_the_reform_is_in_the_communes_of_then(self):
        after = OutreachActivity.objects.filter(date__gte=date(2025, 7, 1))
        before = OutreachActivity.objects.filter(date__lt=date(2025, 7, 1))
        assert after.exists() and before.exists()
        assert not after.filter(commune__valid_from__isnull=True).exists()
        assert not before.filter(commune__valid_from__isnull=False).exists()
        for activity in after.select_related("village"):
            served = BranchTerritory.objects.get(in_force(activity.date), commune=activity.commune)
            assert served.branch_id == activity.branch_id
            assert activity.village is None or activity.village.parent_id == activity.commune_id

    def test_if_empty_prints_the_logins_and_writes_nothing(self, capsys):
        payments = Payment.objects.count()
        call_command("seed_demo", "--if-empty")
        out = capsys.readouterr().out
        assert "nothing seeded" in out
        assert "quanly" in out and "HaGiang-quanly-2021" in out
        assert Payment.objects.count() == payments

    @pytest.mark.postgres
    def test_on_postgresql_each_month_has_its_payments_partition(self):
        # In the default partition, every month's rollup fill would scan all the payments.
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM adoption_payment_default")
            assert cursor.fetchone()[0] == 0
        assert Payment.objects.exists()
