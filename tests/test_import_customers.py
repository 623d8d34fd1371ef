"""import_customers: new customers go in once, every bad row is named, bad files change nothing."""

import csv
import functools
from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from adoption.choices import CustomerType, ImportKind, ImportStatus
from adoption.models import AdminArea, BranchTerritory, Customer, ImportBatch

HEADER = "customer_code,name,branch_code,area_code,customer_type,connected_on,disconnected_on"
GOOD = [
    "PA20BQ0000101,Nguyễn Văn An,BQ,00910,household,15/03/2024,",
    "PA20BQ0000102,Trường Tiểu học Tân Quang,BQ,00925,public,2024-04-01,",
    "PA20QB0000101,Lò Thị Hoa,QB,00970,Household,01/02/2025,30/06/2025",
]


pytestmark = pytest.mark.usefixtures("in_english", "import_reports_dir", "refreshes")


@pytest.fixture
def write(write_lines):
    return functools.partial(write_lines, name="customers.csv")


def snapshot():
    return sorted(
        Customer.objects.values_list(
            "code",
            "name",
            "branch__code",
            "commune__code",
            "customer_type",
            "connected_on",
            "disconnected_on",
        )
    )


def import_file(path, *args):
    call_command("import_customers", str(path), *args, verbosity=0)


def test_it_imports_new_customers_and_records_the_batch(write, customers, areas):
    import_file(write(HEADER, *GOOD))

    batch = ImportBatch.objects.get()
    assert (batch.kind, batch.status) == (ImportKind.CUSTOMERS, ImportStatus.DONE)
    assert (batch.rows_read, batch.rows_imported, batch.rows_skipped) == (3, 3, 0)
    school = Customer.objects.get(code="PA20BQ0000102")
    assert school.name == "Trường Tiểu học Tân Quang"
    assert school.commune == areas["tan_quang"]
    assert school.customer_type == CustomerType.PUBLIC
    assert school.connected_on == date(2024, 4, 1)
    hoa = Customer.objects.get(code="PA20QB0000101")
    assert (hoa.connected_on, hoa.disconnected_on) == (date(2025, 2, 1), date(2025, 6, 30))
    assert school.history.count() == 1


def test_it_refreshes_every_month_since_the_first_new_connection(
    write, customers, refreshes, branches
):
    import_file(write(HEADER, GOOD[0]))

    ((periods, branch_ids),) = refreshes
    assert branch_ids == [branches["bq"].pk]
    assert periods[0] == date(2024, 3, 1)
    assert periods[-1] == timezone.localdate().replace(day=1)
    assert len(periods) == len(set(periods))


def test_importing_the_same_customers_again_skips_them(write, customers):
    path = write(HEADER, *GOOD)
    import_file(path)
    before = snapshot()

    import_file(path)

    second = ImportBatch.objects.latest("pk")
    assert (second.rows_read, second.rows_imported, second.rows_skipped) == (3, 0, 3)
    assert snapshot() == before


def test_a_known_customer_is_skipped_not_overwritten(write, customers):
    import_file(write(HEADER, "PA20BQ0000001,Someone Else,BQ,00910,business,2020-01-01,"))

    customer = Customer.objects.get(code="PA20BQ0000001")
    assert customer.name == "Khách hàng 0001"
    assert ImportBatch.objects.get().rows_skipped == 1


def test_a_type_can_be_written_as_its_label(write, customers):
    import_file(write(HEADER, "PA20BQ0000201,Cửa hàng,BQ,00910,Business,2020-01-01,"))

    assert Customer.objects.get(code="PA20BQ0000201").customer_type == CustomerType.BUSINESS


def test_a_reused_commune_code_means_the_commune_valid_at_connection(
    write, customers, areas, branches
):
    areas["viet_quang"].valid_to = date(2025, 6, 30)
    areas["viet_quang"].save()
    merged = AdminArea.objects.create(
        level="commune",
        code="00910",
        name="Xã Việt Quang (2025)",
        parent=areas["province"],
        valid_from=date(2025, 7, 1),
    )
    BranchTerritory.objects.create(
        branch=branches["bq"], commune=merged, valid_from=date(2025, 7, 1)
    )

    import_file(
        write(
            HEADER,
            "PA20BQ0000301,Before,BQ,00910,household,2024-01-01,",
            "PA20BQ0000302,After,BQ,00910,household,2025-08-01,",
        )
    )

    assert Customer.objects.get(code="PA20BQ0000301").commune == areas["viet_quang"]
    assert Customer.objects.get(code="PA20BQ0000302").commune == merged


BAD_ROWS = [
    (
        "PA20BQ00001,Short,BQ,00910,household,2024-01-01,",
        "Row 3, customer_code: “PA20BQ00001” is not a customer code",
    ),
    (
        "PA21BQ0000109,Wrong company,BQ,00910,household,2024-01-01,",
        "Row 3, customer_code: Customer codes of Công ty Điện lực Hà Giang start with PA20.",
    ),
    (
        ",No code,BQ,00910,household,2024-01-01,",
        "Row 3, customer_code: This value is required.",
    ),
    (
        "PA20BQ0000101,Twice,BQ,00910,household,2024-01-01,",
        "Row 3, customer_code: Duplicate of row 2: same customer code.",
    ),
    (
        "PA20BQ0000109,,BQ,00910,household,2024-01-01,",
        "Row 3, name: This value is required.",
    ),
    (
        "PA20BQ0000109,Nobody,XX,00910,household,2024-01-01,",
        "Row 3, branch_code: Unknown branch “XX”.",
    ),
    (
        "PA20BQ0000109,Nobody,BQ,99999,household,2024-01-01,",
        "Row 3, area_code: Unknown commune code “99999” (use the official code of the commune).",
    ),
    (
        "PA20BQ0000109,Nobody,BQ,034,household,2024-01-01,",
        "Row 3, area_code: Unknown commune code “034”",
    ),
    (
        "PA20BQ0000109,Nobody,BQ,00970,household,2024-01-01,",
        "Row 3, area_code: Thị trấn Yên Bình is served by Điện lực Quang Bình, not by Điện lực "
        "Bắc Quang, in 01/2024.",
    ),
    (
        "PA20BQ0000109,Nobody,BQ,00910,farmer,2024-01-01,",
        "Row 3, customer_type: Unknown customer type “farmer”; use one of: household,",
    ),
    (
        "PA20BQ0000109,Nobody,BQ,00910,household,31/02/2024,",
        "Row 3, connected_on: “31/02/2024” is not a date; write dd/mm/yyyy or YYYY-MM-DD.",
    ),
    (
        "PA20BQ0000109,Nobody,BQ,00910,household,,",
        "Row 3, connected_on: This value is required.",
    ),
    (
        "PA20BQ0000109,Nobody,BQ,00910,household,01/01/2099,",
        "Row 3, connected_on: 01/01/2099 is in the future.",
    ),
    (
        "PA20BQ0000109,Nobody,BQ,00910,household,2024-01-01,2023-12-31",
        "Row 3, disconnected_on: A customer cannot be disconnected before connection.",
    ),
    (
        "PA20BQ0000109,Nobody,BQ,00910,household,2024-01-01,soon",
        "Row 3, disconnected_on: “soon” is not a date",
    ),
]


@pytest.mark.parametrize(("line", "message"), BAD_ROWS)
def test_it_refuses_a_file_with_a_bad_row_and_changes_nothing(
    write, customers, refreshes, line, message
):
    before = snapshot()

    with pytest.raises(CommandError, match="1 row has problems: nothing was imported."):
        import_file(write(HEADER, GOOD[0], line, GOOD[2]))

    batch = ImportBatch.objects.get()
    assert batch.status == ImportStatus.FAILED
    assert message in batch.message
    assert snapshot() == before
    assert refreshes == []


def test_a_missing_column_is_refused_before_any_row(write, customers):
    before = snapshot()

    with pytest.raises(CommandError, match=r"Missing required column\(s\): area_code\."):
        import_file(write("customer_code,name,branch_code,customer_type,connected_on", "x,,,,"))

    assert ImportBatch.objects.get().rows_read == 0
    assert snapshot() == before


def test_disconnected_on_is_an_optional_column(write, customers):
    import_file(
        write(
            "customer_code,name,branch_code,area_code,customer_type,connected_on",
            "PA20BQ0000401,An,BQ,00910,household,2024-01-01",
        )
    )

    assert Customer.objects.get(code="PA20BQ0000401").disconnected_on is None


def test_skip_invalid_imports_the_good_rows_and_writes_the_bad_ones(write, customers):
    bad = [
        "PA20BQ0000109,Nobody,XX,00910,household,2024-01-01,",
        "PA20BQ0000110,Nobody,BQ,00910,farmer,2024-01-01,",
    ]
    before = snapshot()

    import_file(write(HEADER, GOOD[0], bad[0], GOOD[1], bad[1], GOOD[2]), "--skip-invalid")

    batch = ImportBatch.objects.get()
    assert (batch.rows_imported, batch.rows_rejected) == (3, 2)
    new = {row[0] for row in snapshot()} - {row[0] for row in before}
    assert new == {"PA20BQ0000101", "PA20BQ0000102", "PA20QB0000101"}
    with open(batch.rejects_file, encoding="utf-8-sig", newline="") as file:
        rows = list(csv.reader(file))
    assert rows[0] == [*HEADER.split(","), "error"]
    assert [row[:-1] for row in rows[1:]] == [line.split(",") for line in bad]
    assert rows[2][-1].startswith("customer_type: Unknown customer type “farmer”")


def test_a_dry_run_writes_no_customers(write, customers, refreshes):
    before = snapshot()

    import_file(write(HEADER, *GOOD), "--dry-run")

    assert snapshot() == before
    batch = ImportBatch.objects.get()
    assert (batch.status, batch.rows_imported) == (ImportStatus.DRY_RUN, 3)
    assert refreshes == []


def test_imported_customers_get_their_first_placement(write, customers, areas):
    import_file(write(HEADER, *GOOD))
    school = Customer.objects.get(code="PA20BQ0000102")
    placement = school.placements.get()
    assert (placement.commune, placement.valid_from, placement.valid_to) == (
        areas["tan_quang"],
        date(1900, 1, 1),
        None,
    )


def test_a_branch_moved_to_another_company_keeps_its_old_prefix(write, customers, branches):
    from adoption import territory
    from adoption.models import Company

    other = Company.objects.create(code="PCTQ", name="PC Tuyên Quang", customer_code_prefix="PA21")
    territory.transfer_branch(branches["bq"], other, date(2025, 7, 1))
    import_file(write(HEADER, *GOOD))
    assert Customer.objects.filter(code="PA20BQ0000102").exists()


# The branch's territory as it was in the month of the connection.


def refused_with(path, message):
    before = snapshot()
    with pytest.raises(CommandError, match="nothing was imported"):
        import_file(path)
    batch = ImportBatch.objects.latest("pk")
    assert batch.status == ImportStatus.FAILED
    assert message in batch.message
    assert snapshot() == before


@pytest.fixture
def yen_binh_to_bac_quang(areas, branches):
    """Thị trấn Yên Bình goes from Quang Bình to Bắc Quang from 07/2025."""
    from adoption import territory

    with freeze_on(date(2025, 8, 10)):
        territory.reassign_communes([(areas["yen_binh"], branches["bq"])], date(2025, 7, 1))


def freeze_on(day):
    from unittest import mock

    return mock.patch("django.utils.timezone.localdate", return_value=day)


def test_a_commune_the_branch_serves_only_later_is_refused_for_an_earlier_connection(
    write, customers, yen_binh_to_bac_quang
):
    refused_with(
        write(HEADER, GOOD[0], "PA20BQ0000401,Early,BQ,00970,household,20/06/2025,"),
        "Row 3, area_code: Thị trấn Yên Bình is served by Điện lực Quang Bình, not by Điện lực "
        "Bắc Quang, in 06/2025.",
    )
    assert not Customer.objects.filter(code="PA20BQ0000101").exists()


def test_a_commune_the_branch_serves_from_the_connection_month_is_accepted(
    write, customers, yen_binh_to_bac_quang
):
    import_file(write(HEADER, "PA20BQ0000402,Later,BQ,00970,household,01/07/2025,"))
    assert Customer.objects.get(code="PA20BQ0000402").commune.code == "00970"


def test_a_commune_the_branch_no_longer_serves_is_refused_after_the_change(
    write, customers, yen_binh_to_bac_quang
):
    refused_with(
        write(HEADER, "PA20QB0000403,Late,QB,00970,household,15/09/2025,"),
        "Row 2, area_code: Thị trấn Yên Bình is served by Điện lực Bắc Quang, not by Điện lực "
        "Quang Bình, in 09/2025.",
    )


def test_a_commune_no_branch_serves_is_refused(write, customers, areas):
    AdminArea.objects.create(level="commune", code="00990", name="Xã Mới", parent=areas["bq"])
    refused_with(
        write(HEADER, "PA20BQ0000404,Nobody,BQ,00990,household,2024-01-01,"),
        "Row 2, area_code: Xã Mới is served by no branch in 01/2024.",
    )


def test_a_new_commune_of_another_branch_is_refused_though_it_has_no_district(
    write, customers, areas, branches
):
    """Communes made by the 2025 reform hang under the province: the district check let any
    branch import them."""
    new = AdminArea.objects.create(
        level="commune",
        code="00995",
        name="Xã Yên Bình (2025)",
        parent=areas["province"],
        valid_from=date(2025, 7, 1),
    )
    BranchTerritory.objects.create(branch=branches["qb"], commune=new, valid_from=date(2025, 7, 1))
    # Connected before the commune existed: checked in the commune's first month.
    refused_with(
        write(HEADER, "PA20BQ0000405,Wrong,BQ,00995,household,2019-05-01,"),
        "Row 2, area_code: Xã Yên Bình (2025) is served by Điện lực Quang Bình, not by Điện lực "
        "Bắc Quang, in 07/2025.",
    )
    import_file(write(HEADER, "PA20QB0000405,Right,QB,00995,household,2019-05-01,"))
    assert Customer.objects.get(code="PA20QB0000405").commune == new


def test_a_customer_of_a_commune_the_reform_ended_follows_it_to_its_successor(
    write, customers, areas, branches
):
    """Imported after the reform ran, in the old commune valid at their connection: placed
    there until 30/06/2025 and in its successor from 01/07/2025, as every other customer."""
    from adoption import area_reform
    from adoption.models import CustomerPlacement
    from tests.territory_fixture import REFORM, make_reform

    new = make_reform(areas)
    area_reform.apply_area_reform(REFORM)
    import_file(write(HEADER, "PA20BQ0000501,Old,BQ,00925,household,2020-01-01,"))

    customer = Customer.objects.get(code="PA20BQ0000501")
    placements = CustomerPlacement.objects.filter(customer=customer).order_by("valid_from")
    assert [(p.commune, p.valid_from, p.valid_to) for p in placements] == [
        (areas["tan_quang"], date(1900, 1, 1), date(2025, 6, 30)),
        (new["tan_quang"], REFORM, None),
    ]
    assert customer.commune == new["tan_quang"]
    assert customer.branch == BranchTerritory.objects.get(commune=new["tan_quang"]).branch


@pytest.mark.postgres
def test_a_bulk_load_of_customers_analyses_the_customer_and_placement_tables_at_its_end(
    write, customers, monkeypatch
):
    """Every fill joins the placements: a load that placed thousands of customers must not
    leave the planner with the statistics of an empty table."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from adoption import importers

    monkeypatch.setattr(importers, "CHUNK_ROWS", 2)  # three rows: a bulk load, here
    with CaptureQueriesContext(connection) as queries:
        import_file(write(HEADER, *GOOD))

    sql = [q["sql"] for q in queries.captured_queries]
    analysed = [s for s in sql if s.startswith("ANALYZE")]
    assert analysed == ["ANALYZE adoption_customer", "ANALYZE adoption_customerplacement"]
    # After the placements were written, not before.
    placed = [i for i, s in enumerate(sql) if 'INSERT INTO "adoption_customerplacement"' in s]
    assert placed and sql.index("ANALYZE adoption_customerplacement") > max(placed)
    assert Customer.objects.filter(code__in=["PA20BQ0000101", "PA20QB0000101"]).count() == 2
