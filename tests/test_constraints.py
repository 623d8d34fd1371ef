"""Every rule the database enforces, fed a violating value three ways (create, bulk_create,
update): the database refuses it and nothing is written; full_clean() gives the clear message.
Rules that span tables are model clean() checks: full_clean() refuses them with a message."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError
from django.utils import translation

from adoption.choices import ChannelKind, ImportKind
from adoption.models import (
    AdminArea,
    AreaSuccession,
    Branch,
    BranchTerritory,
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
from adoption.models.outreach import COUNT_FIELDS

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def make(areas, company, branches, channels, customers):
    """Builds a valid unsaved row of each kind, with the given fields replaced."""

    def payment(**kw):
        return Payment(
            **{
                "customer": customers["bq1"],
                "period": date(2024, 3, 1),
                "amount": 250_000,
                "channel": channels["viettelpay"],
                "paid_at": datetime(2024, 3, 20, 9, 30, tzinfo=HCM),
                "reference": "VTP-NEW-1",
                **kw,
            }
        )

    def target(**kw):
        return Target(
            **{
                "company": company,
                "branch": branches["bq"],
                "period": date(2024, 12, 1),
                "rate": Decimal("45"),
                **kw,
            }
        )

    def outreach(**kw):
        return OutreachActivity(
            **{
                "branch": branches["bq"],
                "date": date(2024, 5, 10),
                "commune": areas["tan_quang"],
                "households_reached": 40,
                "registrations": 12,
                **kw,
            }
        )

    def customer(**kw):
        return Customer(
            **{
                "code": "PA20BQ0000099",
                "name": "Nguyễn Văn A",
                "branch": branches["bq"],
                "commune": areas["tan_quang"],
                "connected_on": date(2020, 1, 1),
                **kw,
            }
        )

    def channel(**kw):
        return PaymentChannel(**{"code": "MOMO", "name": "MoMo", "kind": ChannelKind.EWALLET, **kw})

    def area(**kw):
        return AdminArea(**{"level": "commune", "code": "00999", "name": "Xã Mới", **kw})

    def company_(**kw):
        return Company(
            **{"code": "PCTQ", "name": "PC Tuyên Quang", "customer_code_prefix": "PA21", **kw}
        )

    def batch(**kw):
        return ImportBatch(
            **{"kind": ImportKind.PAYMENTS, "file_name": "a.csv", "sha256": "0" * 64, **kw}
        )

    def succession(**kw):
        return AreaSuccession(
            **{
                "old_area": areas["viet_quang"],
                "new_area": areas["tan_quang"],
                "effective_on": date(2025, 7, 1),
                **kw,
            }
        )

    return {
        "payment": payment,
        "target": target,
        "outreach": outreach,
        "customer": customer,
        "channel": channel,
        "area": area,
        "company": company_,
        "batch": batch,
        "succession": succession,
    }


def messages(error):
    return [m for ms in error.message_dict.values() for m in ms]


def refused_by_database(action):
    """Runs `action`, expects IntegrityError, and rolls back only that action."""
    with pytest.raises(IntegrityError), transaction.atomic():
        action()
        # Foreign keys are checked at commit; check them now.
        connection.check_constraints()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def rows(model):
    return sorted(model.objects.values_list("pk", flat=True))


NEGATIVE = "Ensure this value is greater than or equal to 0."

CHECK_CASES = [
    ("payment", {"amount": 0}, "The amount must be a positive whole number of VND."),
    ("payment", {"amount": -5_000}, "The amount must be a positive whole number of VND."),
    ("payment", {"period": date(2024, 3, 15)}, "The bill period must be the first day of a month."),
    # One huge amount used to overflow the rollup sums and take every dashboard down.
    (
        "payment",
        {"amount": 9_223_372_036_854_775_807},
        "The amount is more than the largest payment accepted.",
    ),
    (
        "payment",
        {"amount": 100_000_000_001},
        "The amount is more than the largest payment accepted.",
    ),
    # Moments at the calendar's ends broke the admin list, export_payments and deletion
    # (0001-01-01: test_a_payment_at_the_start_of_the_calendar_is_refused).
    (
        "payment",
        {"paid_at": datetime(9999, 12, 31, tzinfo=ZoneInfo("America/Sao_Paulo"))},
        "A payment is dated from 2000 to 2099.",
    ),
    (
        "payment",
        {"paid_at": datetime(1999, 12, 31, 23, 59, tzinfo=HCM)},
        "A payment is dated from 2000 to 2099.",
    ),
    ("target", {"rate": Decimal("100.01")}, "A rate is between 0 and 100%."),
    ("target", {"rate": Decimal("-0.5")}, "A rate is between 0 and 100%."),
    ("target", {"period": date(2024, 12, 31)}, "The period must be the first day of a month."),
    (
        "outreach",
        {"households_reached": 10, "registrations": 11},
        "Registrations cannot exceed the households reached.",
    ),
    *[("outreach", {name: -1}, NEGATIVE) for name in COUNT_FIELDS if name != "registrations"],
    ("outreach", {"registrations": -1}, NEGATIVE),
    ("channel", {"fee_per_transaction": -1}, NEGATIVE),
    (
        "channel",
        {"contract_start": date(2024, 1, 1), "contract_end": date(2023, 12, 31)},
        "The contract ends before it starts.",
    ),
    ("batch", {"rows_imported": -1}, NEGATIVE),
    (
        "customer",
        {"code": "pa20bq0000099"},
        "A customer code is 13 capital letters or digits starting with PA and two digits, "
        "e.g. PA20BQ0001234.",
    ),
    (
        "customer",
        {"code": "PA2BQ00000099"},
        "A customer code is 13 capital letters or digits starting with PA and two digits, "
        "e.g. PA20BQ0001234.",
    ),
    (
        "customer",
        {"connected_on": date(2020, 1, 1), "disconnected_on": date(2019, 12, 31)},
        "A customer cannot be disconnected before connection.",
    ),
    (
        "area",
        {"valid_from": date(2025, 7, 1), "valid_to": date(2025, 6, 30)},
        "The end of validity is before its start.",
    ),
    ("company", {"customer_code_prefix": "PB21"}, "Use PA followed by two digits."),
]


def case_id(case):
    kind, fields, _ = case
    return f"{kind}-" + "-".join(f"{k}={v}" for k, v in fields.items())


@pytest.mark.parametrize("case", CHECK_CASES, ids=[case_id(c) for c in CHECK_CASES])
def test_it_refuses_a_value_that_breaks_a_check(make, case):
    kind, fields, message = case
    row = make[kind](**fields)
    model = type(row)
    before = rows(model)

    with pytest.raises(ValidationError) as error:
        row.full_clean()
    assert message in messages(error.value)

    refused_by_database(lambda: make[kind](**fields).save())
    refused_by_database(lambda: model.objects.bulk_create([make[kind](**fields)]))
    assert rows(model) == before

    # A valid row changed in place to the bad value is refused too, and keeps its old value.
    good = make[kind]()
    good.save()
    refused_by_database(lambda: model.objects.filter(pk=good.pk).update(**fields))
    stored = model.objects.filter(pk=good.pk).values(*fields).get()
    assert stored == {name: getattr(good, name) for name in fields}


# (kind, fields of the duplicate, message, whether the test saves the first row itself;
# otherwise the fixtures already hold it).
UNIQUE_CASES = [
    ("customer", {"code": "PA20BQ0000001"}, "Customer with this Customer code already exists.", 0),
    ("company", {"code": "PCHG"}, "Power company with this Code already exists.", 0),
    (
        "company",
        {"customer_code_prefix": "PA20"},
        "Power company with this Customer code prefix already exists.",
        0,
    ),
    ("channel", {"code": "VTP"}, "Payment channel with this Code already exists.", 0),
    ("area", {"code": "00910"}, "An area of this level with this code already exists.", 0),
    (
        "area",
        {"code": "00910", "valid_from": date(2025, 7, 1)},
        "An area of this level with this code already exists.",
        1,
    ),
    ("payment", {}, "This channel already has a payment with this reference.", 1),
    ("target", {}, "This branch already has a target for this month.", 1),
    ("target", {"branch": None}, "The company already has a target for this month.", 1),
    ("succession", {}, "This succession is already recorded.", 1),
]


@pytest.mark.parametrize(
    "case", UNIQUE_CASES, ids=[f"{c[0]}-{'-'.join(c[1]) or 'same'}" for c in UNIQUE_CASES]
)
def test_it_refuses_a_duplicate(make, case):
    kind, fields, message, save_first = case
    if save_first:
        make[kind](**fields).save()
    model = type(make[kind]())
    before = rows(model)

    with pytest.raises(ValidationError) as error:
        make[kind](**fields).full_clean()
    assert message in messages(error.value)

    refused_by_database(lambda: make[kind](**fields).save())
    refused_by_database(lambda: model.objects.bulk_create([make[kind](**fields)]))
    assert rows(model) == before


def test_it_refuses_a_second_default_successor(make, areas):
    make["succession"]().save()
    second = make["succession"](new_area=areas["yen_binh"])
    assert "This area already has a default successor." in messages(
        pytest.raises(ValidationError, second.full_clean).value
    )
    refused_by_database(make["succession"](new_area=areas["yen_binh"]).save)
    assert AreaSuccession.objects.count() == 1
    # A non-default second successor (a commune split in two) is fine.
    make["succession"](new_area=areas["yen_binh"], is_default=False).save()


def test_it_refuses_a_second_partner_or_branch_with_the_same_code(company, areas, channels):
    refused_by_database(lambda: Partner.objects.create(code="VIETTEL", name="Viettel 2"))
    Branch.objects.create(
        company=company, code="VX", name="Điện lực Vị Xuyên", district=areas["bq"]
    )
    refused_by_database(
        lambda: Branch.objects.create(company=company, code="VX", name="Khác", district=areas["qb"])
    )
    assert Partner.objects.filter(code="VIETTEL").count() == 1
    assert Branch.objects.filter(code="VX").count() == 1


def test_it_refuses_an_area_that_succeeds_itself(make, areas):
    row = make["succession"](new_area=areas["viet_quang"])
    with pytest.raises(ValidationError) as error:
        row.full_clean()
    assert "An area cannot succeed itself." in messages(error.value)
    refused_by_database(row.save)
    assert not AreaSuccession.objects.exists()


# A payment's customer, channel and period exist.


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"customer_id": 987654}, "customer instance with id 987654 is not a valid choice."),
        ({"channel_id": 987654}, "payment channel instance with id 987654 is not a valid choice."),
        ({"period": None}, "This field cannot be null."),
        ({"customer_id": None}, "This field cannot be null."),
        ({"channel_id": None}, "This field cannot be null."),
    ],
    ids=["unknown-customer", "unknown-channel", "no-period", "no-customer", "no-channel"],
)
def test_it_refuses_a_payment_without_its_customer_channel_or_period(make, fields, message):
    row = make["payment"](**fields)
    with pytest.raises(ValidationError) as error:
        row.full_clean()
    assert message in messages(error.value)
    refused_by_database(lambda: make["payment"](**fields).save())
    refused_by_database(lambda: Payment.objects.bulk_create([make["payment"](**fields)]))
    assert not Payment.objects.exists()


# Money records are never deleted as a side effect.


@pytest.fixture
def paid(make):
    batch = make["batch"]()
    batch.save()
    payment = make["payment"](reference="VTP-PAID", import_batch=batch)
    payment.save()
    return payment


@pytest.mark.parametrize(
    "owner", ["customer", "channel", "customer__branch", "import_batch", "customer__commune"]
)
def test_it_refuses_to_delete_what_a_payment_stands_on(paid, owner):
    obj = paid
    for name in owner.split("__"):
        obj = getattr(obj, name)
    model = type(obj)

    with pytest.raises(ProtectedError) as error:
        obj.delete()
    assert "Cannot delete some instances" in str(error.value)

    # Even a raw DELETE that skips Django's checks is refused by the foreign key.
    refused_by_database(lambda: model.objects.filter(pk=obj.pk)._raw_delete(connection.alias))
    assert model.objects.filter(pk=obj.pk).exists()
    assert Payment.objects.filter(pk=paid.pk).exists()


# Rules that span tables: clean() gives the message (the admin forms call it).


@pytest.fixture
def other_company(areas):
    other = Company.objects.create(code="PCTQ", name="PC Tuyên Quang", customer_code_prefix="PA21")
    district = AdminArea.objects.create(level="district", code="070", name="Huyện Hàm Yên")
    branch = Branch.objects.create(
        company=other, code="HY", name="Điện lực Hàm Yên", district=district
    )
    return {"company": other, "branch": branch, "district": district}


def clean_messages(row):
    with pytest.raises(ValidationError) as error:
        row.full_clean()
    return error.value.message_dict


def test_it_refuses_a_customer_code_of_another_company(make):
    errors = clean_messages(make["customer"](code="PA21BQ0000099"))
    assert errors["code"] == ["Customer codes of Công ty Điện lực Hà Giang start with PA20."]


def test_it_refuses_a_customer_in_a_commune_its_branch_does_not_serve(make, areas):
    errors = clean_messages(make["customer"](commune=areas["yen_binh"]))
    assert errors["commune"] == [
        f"Điện lực Bắc Quang does not serve Thị trấn Yên Bình on {date.today():%d/%m/%Y}."
    ]


def test_it_refuses_a_customer_in_a_village_of_another_commune(make, areas):
    errors = clean_messages(make["customer"](commune=areas["viet_quang"], village=areas["village"]))
    assert errors["village"] == ["Thôn Khiềm is not in Thị trấn Việt Quang."]


def test_it_accepts_a_2025_commune_the_branch_serves(make, areas, branches):
    # Since 1 July 2025 communes hang under the province: what counts is the territory.
    new_commune = AdminArea.objects.create(
        level="commune", code="25001", name="Xã Bắc Quang", parent=areas["province"]
    )
    with pytest.raises(ValidationError, match="does not serve Xã Bắc Quang"):
        make["customer"](commune=new_commune).full_clean()
    BranchTerritory.objects.create(
        branch=branches["bq"], commune=new_commune, valid_from=date(2025, 7, 1)
    )
    make["customer"](commune=new_commune).full_clean()


def test_a_branch_without_territory_still_checks_its_district(make, areas):
    BranchTerritory.objects.all().delete()
    errors = clean_messages(make["customer"](commune=areas["yen_binh"]))
    assert errors["commune"] == [
        "Thị trấn Yên Bình is in Huyện Quang Bình, not in the district served by "
        "Điện lực Bắc Quang."
    ]


def test_it_refuses_outreach_outside_its_branch(make, areas):
    errors = clean_messages(make["outreach"](commune=areas["yen_binh"]))
    assert errors["commune"][0].startswith("Điện lực Bắc Quang does not serve Thị trấn Yên Bình")
    errors = clean_messages(make["outreach"](commune=areas["viet_quang"], village=areas["village"]))
    assert errors["village"] == ["Thôn Khiềm is not in Thị trấn Việt Quang."]


def test_it_refuses_a_target_for_a_branch_of_another_company(make, other_company):
    errors = clean_messages(make["target"](branch=other_company["branch"]))
    assert errors["branch"] == [
        "Điện lực Hàm Yên is a branch of PC Tuyên Quang, not of Công ty Điện lực Hà Giang."
    ]


def test_it_refuses_a_staff_profile_with_a_branch_of_another_company(users, other_company):
    profile = users["staff_bq"].staff_profile
    profile.branch = other_company["branch"]
    errors = clean_messages(profile)
    assert "is a branch of PC Tuyên Quang" in errors["branch"][0]
    assert StaffProfile.objects.get(pk=profile.pk).branch.code == "BQ"


def test_it_refuses_to_register_another_branchs_customer_at_an_activity(make, customers):
    activity = make["outreach"]()
    activity.save()
    registration = OutreachRegistration(activity=activity, customer=customers["qb1"])
    errors = clean_messages(registration)
    assert errors["customer"] == [
        "PA20QB0000001 Khách hàng 0001 is a customer of Điện lực Quang Bình, not of the branch "
        "that ran this activity."
    ]


def test_messages_are_in_vietnamese_by_default(make):
    with translation.override("vi"), pytest.raises(ValidationError) as error:
        make["payment"](amount=0).full_clean()
    assert error.value.message_dict[NON_FIELD_ERRORS] == ["Số tiền phải là số nguyên dương (đồng)."]


def test_the_largest_payments_at_the_date_bounds_list_export_sum_and_delete(
    make, client_for, users, tmp_path
):
    """Whatever the database accepts, the admin list, export_payments, the rollup fill and
    deletion handle (a 0001-01-01 or 9999-12-31 moment once broke all four)."""
    from django.core.management import call_command

    from adoption.metrics import freshness
    from adoption.models import ChannelMonth
    from adoption.models.payments import EARLIEST_PAID_AT, MAX_AMOUNT, PAID_AT_BEFORE

    moments = [EARLIEST_PAID_AT, PAID_AT_BEFORE - timedelta(microseconds=1)]
    payments = [
        make["payment"](amount=MAX_AMOUNT, paid_at=moment, reference=f"MAX-{i}")
        for i, moment in enumerate(moments)
    ]
    for payment in payments:
        payment.save()

    response = client_for(users["admin"]).get("/admin/adoption/payment/")
    assert response.status_code == 200
    out = tmp_path / "payments.csv"
    call_command("export_payments", str(out), verbosity=0)
    assert out.read_text(encoding="utf-8-sig").count("MAX-") == 2
    freshness.refresh(periods=[date(2024, 3, 1)])
    assert ChannelMonth.objects.get(period=date(2024, 3, 1)).amount == 2 * MAX_AMOUNT
    Payment.objects.filter(reference__startswith="MAX-").delete()
    assert not Payment.objects.filter(reference__startswith="MAX-").exists()


def test_a_payment_at_the_start_of_the_calendar_is_refused(make):
    fields = {"paid_at": datetime(1, 1, 1, tzinfo=HCM)}
    before = rows(Payment)

    with pytest.raises(ValidationError) as error:
        make["payment"](**fields).full_clean()
    assert "A payment is dated from 2000 to 2099." in messages(error.value)

    if connection.vendor == "postgresql":
        refused_by_database(lambda: make["payment"](**fields).save())
    else:  # SQLite stores UTC text: Django cannot even convert the moment to send it
        with pytest.raises(OverflowError), transaction.atomic():
            make["payment"](**fields).save()
    assert rows(Payment) == before
