"""Payments partitioned by month on PostgreSQL, one table on SQLite, one rule on both: a
channel's reference is one payment, across every month (adoption.partitions,
models.payments.PaymentReference, importers.payments)."""

import functools
from datetime import date, datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from adoption import partitions
from adoption.importers.values import VIETNAM
from adoption.models import ImportBatch, Payment, PaymentReference
from adoption.months import add_months

pytestmark = pytest.mark.usefixtures("in_english", "import_reports_dir", "refreshes")

HEADER = "customer_code,period,amount,channel_code,paid_at,reference"
MARCH = [
    "PA20BQ0000001,2024-03,150000,VTP,2024-03-20 09:30,VTP-1",
    "PA20BQ0000002,2024-03,98000,AGR,2024-03-21 10:00,AGR-1",
    "PA20QB0000001,2024-03,120000,QUAY,2024-03-03 08:00,Q-1",
]


@pytest.fixture
def write(write_lines):
    return functools.partial(write_lines, name="payments.csv")


def import_file(path, *args):
    call_command("import_payments", str(path), *args, verbosity=0)
    return ImportBatch.objects.latest("pk")


def catalogue(table):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relkind, (SELECT count(*) FROM pg_index WHERE indrelid = c.oid), "
            "(SELECT count(*) FROM pg_constraint WHERE conrelid = c.oid AND contype = 'f'), "
            "(SELECT inhparent::regclass::text FROM pg_inherits WHERE inhrelid = c.oid) "
            "FROM pg_class c WHERE relname = %s",
            [table],
        )
        return cursor.fetchone()


# On both databases.


def test_a_reference_is_one_payment_across_months(write, customers, channels):
    assert import_file(write(HEADER, *MARCH)).rows_imported == 3
    again = MARCH[0].replace("2024-03", "2024-04")  # re-sent with the period corrected
    batch = import_file(write(HEADER, again, "PA20BQ0000001,2024-04,1000,VTP,2024-04-02 08:00,N"))
    assert (batch.rows_imported, batch.rows_skipped) == (1, 1)
    assert Payment.objects.filter(reference="VTP-1").count() == 1
    assert PaymentReference.objects.count() == Payment.objects.count() == 4


def test_a_reimport_adds_nothing(write, customers, channels):
    path = write(HEADER, *MARCH)
    import_file(path)
    batch = import_file(path)
    assert (batch.rows_imported, batch.rows_skipped) == (0, 3)
    assert Payment.objects.count() == PaymentReference.objects.count() == 3


def test_a_dry_run_writes_no_reference(write, customers, channels):
    import_file(write(HEADER, *MARCH), "--dry-run")
    assert not Payment.objects.exists() and not PaymentReference.objects.exists()


def test_the_orm_keeps_references_with_payments(customers, channels):
    fields = {
        "customer": customers["bq1"],
        "period": date(2024, 3, 1),
        "amount": 1000,
        "channel": channels["viettelpay"],
        "paid_at": datetime(2024, 3, 5, tzinfo=VIETNAM),
    }
    payment = Payment.objects.create(reference="HAND-1", **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(reference="HAND-1", **{**fields, "period": date(2024, 4, 1)})
    payment.reference = "HAND-2"
    payment.save()
    assert list(PaymentReference.objects.values_list("reference", flat=True)) == ["HAND-2"]
    # The old reference is free again, and a deleted payment frees its own.
    Payment.objects.create(reference="HAND-1", **fields)
    payment.delete()
    assert list(PaymentReference.objects.values_list("reference", flat=True)) == ["HAND-1"]
    with pytest.raises(TypeError):
        Payment.objects.bulk_create([Payment(reference="X", **fields)], ignore_conflicts=True)


# PostgreSQL: the partitions.


@pytest.mark.postgres
def test_a_new_month_is_loaded_bare_then_attached_with_its_indexes_and_keys(
    write, customers, channels
):
    parent = catalogue("adoption_payment")
    assert parent[0] == "p"
    import_file(write(HEADER, *MARCH))
    kind, indexes, foreign_keys, attached_to = catalogue("adoption_payment_p202403")
    assert (kind, attached_to) == ("r", "adoption_payment")
    assert indexes == parent[1] and foreign_keys == parent[2] and indexes >= 5
    assert Payment.objects.filter(period=date(2024, 3, 1)).count() == 3


@pytest.mark.postgres
def test_a_month_with_rows_is_imported_through_the_partitioned_table(
    write, customers, channels, monkeypatch
):
    import_file(write(HEADER, MARCH[0]))
    monkeypatch.setattr(
        partitions, "_bare_table", lambda *a: pytest.fail("a month with rows loaded bare")
    )
    batch = import_file(write(HEADER, *MARCH))
    assert (batch.rows_imported, batch.rows_skipped) == (2, 1)
    assert Payment.objects.filter(period=date(2024, 3, 1)).count() == 3


@pytest.mark.postgres
def test_a_failed_import_into_a_new_month_leaves_no_partition(write, customers, channels):
    bad = "PA20BQ0000001,2024-05,-5,VTP,2024-05-02 08:00,BAD"
    with pytest.raises(CommandError):
        import_file(write(HEADER, MARCH[0].replace("2024-03", "2024-05"), bad))
    assert catalogue("adoption_payment_p202405") is None
    assert not Payment.objects.exists() and not PaymentReference.objects.exists()


@pytest.mark.postgres
def test_the_command_creates_months_ahead_and_moves_waiting_rows(customers, channels):
    later = date.today().replace(day=1)
    later = add_months(later, 2)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {partitions.name(later)}")
    Payment.objects.create(
        customer=customers["bq1"],
        period=later,
        amount=1000,
        channel=channels["viettelpay"],
        paid_at=datetime(2024, 3, 5, tzinfo=VIETNAM),
        reference="EARLY",
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {partitions.DEFAULT_PARTITION}")
        assert cursor.fetchone() == (1,)
    out = StringIO()
    call_command("create_payment_partitions", "--months", "3", stdout=out)
    assert f"{later:%m/%Y}" in out.getvalue()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT reference FROM {partitions.name(later)}")
        assert cursor.fetchall() == [("EARLY",)]
        cursor.execute(f"SELECT count(*) FROM {partitions.DEFAULT_PARTITION}")
        assert cursor.fetchone() == (0,)
    call_command("create_payment_partitions", "--months", "3", stdout=out)
    assert "Every partition already exists." in out.getvalue()


# Before partitioning, with the reversals' column (0011_closing) that must come along.
BEFORE = [("adoption", "0011_name_search"), ("adoption", "0011_closing")]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_upgrade_partitions_a_populated_table_without_losing_a_row():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    channel = old.get_model("adoption", "PaymentChannel").objects.create(
        code="VTP", name="ViettelPay", kind="mobile_money"
    )
    area = old.get_model("adoption", "AdminArea").objects.create(
        level="province", code="02", name="Hà Giang"
    )
    company = old.get_model("adoption", "Company").objects.create(
        code="PCHG", name="PC Hà Giang", customer_code_prefix="PA20", province=area
    )
    district = old.get_model("adoption", "AdminArea").objects.create(
        level="district", code="034", name="Bắc Quang", parent=area
    )
    branch = old.get_model("adoption", "Branch").objects.create(
        company=company, code="BQ", name="Bắc Quang", district=district
    )
    commune = old.get_model("adoption", "AdminArea").objects.create(
        level="commune", code="00910", name="Việt Quang", parent=district
    )
    customer = old.get_model("adoption", "Customer").objects.create(
        code="PA20BQ0000001",
        name="Khách",
        branch=branch,
        commune=commune,
        connected_on=date(2018, 1, 1),
    )
    rows = [
        old.get_model("adoption", "Payment").objects.create(
            customer=customer,
            period=date(2023, month, 1),
            amount=1000 * month,
            channel=channel,
            paid_at=datetime(2023, month, 5, tzinfo=VIETNAM),
            reference=f"R{month}",
        )
        for month in (1, 2, 7)
    ]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE adoption_payment SET reversed_at = now() WHERE reference = 'R7'")
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    after = sorted(Payment.objects.values_list("id", "period", "amount", "reference"))
    assert after == sorted((p.id, p.period, p.amount, p.reference) for p in rows)
    references = PaymentReference.objects.values_list("reference", "period")
    assert sorted(references) == sorted((p.reference, p.period) for p in rows)
    with connection.cursor() as cursor:
        cursor.execute("SELECT reference FROM adoption_payment WHERE reversed_at IS NOT NULL")
        assert cursor.fetchall() == [("R7",)]
    assert catalogue("adoption_payment")[0] == "p"
    for month in ("202301", "202302", "202307"):
        assert catalogue(f"adoption_payment_p{month}")[3] == "adoption_payment"
    # The id sequence goes on from the old rows; the checks came along.
    new = Payment.objects.create(
        customer_id=customer.pk,
        period=date(2023, 7, 1),
        amount=5,
        channel_id=channel.pk,
        paid_at=datetime(2023, 7, 5, tzinfo=VIETNAM),
        reference="NEW",
    )
    assert new.id > max(p.id for p in rows)
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.filter(pk=new.pk).update(amount=-1)
