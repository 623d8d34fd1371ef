"""File formats: what Excel and billing systems write is read; what is not a table is refused."""

import zipfile
from datetime import date, datetime

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from adoption.choices import ImportStatus
from adoption.importers.files import MAX_LINE, SNIFF_BYTES
from adoption.importers.values import (
    VIETNAM,
    BadValue,
    parse_amount,
    parse_date,
    parse_datetime,
    parse_period,
)
from adoption.models import ImportBatch, Payment

HEADER = ["customer_code", "period", "amount", "channel_code", "paid_at", "reference"]


pytestmark = pytest.mark.usefixtures("in_english", "import_reports_dir", "refreshes")


@pytest.fixture
def cast(customers, channels):
    return customers, channels


def payments():
    return sorted(
        Payment.objects.values_list(
            "customer__code", "period", "amount", "channel__code", "paid_at", "reference"
        )
    )


def import_file(path, *args):
    call_command("import_payments", str(path), *args, verbosity=0)


# What is read.


def test_it_reads_utf8_with_a_byte_order_mark_and_crlf_lines(cast, tmp_path):
    path = tmp_path / "excel.csv"
    lines = [",".join(HEADER), "PA20BQ0000001,2025-01,150000,VTP,2025-01-20 09:30,R1"]
    path.write_bytes("\r\n".join(lines).encode("utf-8-sig") + b"\r\n")

    import_file(path)

    assert payments()[0][0] == "PA20BQ0000001"


def test_it_reads_semicolons_decimal_points_and_day_first_dates(cast, tmp_path):
    path = tmp_path / "excel-vi.csv"
    path.write_text(
        ";".join(HEADER)
        + "\nPA20BQ0000001;01/2025;1.234.567;VTP;20/01/2025 09:30;R1\n"
        + "PA20BQ0000002;1/2025;98.000;AGR;5/1/2025;R2\n"
        + ";;;;;\n;;;;;\n",
        encoding="utf-8-sig",
    )

    import_file(path)

    assert payments() == [
        (
            "PA20BQ0000001",
            date(2025, 1, 1),
            1234567,
            "VTP",
            datetime(2025, 1, 20, 9, 30, tzinfo=VIETNAM),
            "R1",
        ),
        (
            "PA20BQ0000002",
            date(2025, 1, 1),
            98000,
            "AGR",
            datetime(2025, 1, 5, 0, 0, tzinfo=VIETNAM),
            "R2",
        ),
    ]
    assert ImportBatch.objects.get().rows_read == 2


def test_it_matches_headers_in_any_order_and_case(cast, tmp_path):
    path = tmp_path / "shuffled.csv"
    path.write_text(
        "Reference,PAID_AT,Channel Code, Amount ,Period,Customer-Code,notes\n"
        'R1,2025-01-20 09:30,vtp,"1,234,567",2025-01,pa20bq0000001,an extra column\n',
        encoding="utf-8",
    )

    import_file(path)

    assert payments()[0][:4] == ("PA20BQ0000001", date(2025, 1, 1), 1234567, "VTP")


def test_it_reads_an_xlsx_file_with_typed_cells(cast, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["Amount", "Customer_Code", "Period", "Channel_Code", "Paid_At", "Reference"])
    sheet.append([150000, "PA20BQ0000001", "2025-01", "VTP", datetime(2025, 1, 20, 9, 30), "R1"])
    sheet.append([98000.0, "PA20BQ0000002", datetime(2025, 2, 1), "AGR", "20/02/2025", 12345])
    sheet.append([None, None, None, None, None, None])
    path = tmp_path / "payments.xlsx"
    book.save(path)

    import_file(path)

    assert payments() == [
        (
            "PA20BQ0000001",
            date(2025, 1, 1),
            150000,
            "VTP",
            datetime(2025, 1, 20, 9, 30, tzinfo=VIETNAM),
            "R1",
        ),
        (
            "PA20BQ0000002",
            date(2025, 2, 1),
            98000,
            "AGR",
            datetime(2025, 2, 20, tzinfo=VIETNAM),
            "12345",
        ),
    ]


def test_an_xlsx_file_with_bad_rows_is_refused_by_row(cast, tmp_path):
    book = Workbook()
    book.active.append(HEADER)
    book.active.append(["PA20BQ0000001", "2025-01", 150000.5, "VTP", "2025-01-20", "R1"])
    path = tmp_path / "payments.xlsx"
    book.save(path)

    with pytest.raises(CommandError):
        import_file(path)

    assert "Row 2, amount: “150000.5” is not a positive whole number" in (
        ImportBatch.objects.get().message
    )
    assert payments() == []


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2025-01", date(2025, 1, 1)),
        ("2025-1", date(2025, 1, 1)),
        ("01/2025", date(2025, 1, 1)),
        ("12/2024", date(2024, 12, 1)),
        (datetime(2025, 3, 1), date(2025, 3, 1)),
    ],
)
def test_periods_are_read_as_year_month_or_month_year(raw, expected):
    assert parse_period(raw) == expected


@pytest.mark.parametrize("raw", ["2025-01-15", "13/2025", "2025/01", "", "01-2025", "0/2025"])
def test_other_periods_are_refused(raw):
    with pytest.raises(BadValue):
        parse_period(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1234567", 1234567),
        ("1.234.567", 1234567),
        ("1,234,567", 1234567),
        ("98.000", 98000),
        (1234567, 1234567),
        (1234567.0, 1234567),
    ],
)
def test_amounts_are_whole_vnd_with_or_without_thousands_separators(raw, expected):
    assert parse_amount(raw) == expected


@pytest.mark.parametrize(
    "raw", ["0", "-1", "1.5", "1,5", "1.234,567", "12.34", "1 234", "1e6", 0.5, True, ""]
)
def test_other_amounts_are_refused(raw):
    with pytest.raises(BadValue):
        parse_amount(raw)


def test_dates_are_iso_or_day_first():
    assert parse_date("2025-01-31") == date(2025, 1, 31)
    assert parse_date("31/01/2025") == date(2025, 1, 31)
    assert parse_date("", required=False) is None
    with pytest.raises(BadValue):
        parse_date("01/31/2025")


def test_moments_without_a_zone_are_vietnam_time_and_zones_are_kept():
    assert parse_datetime("2025-01-20 09:30") == datetime(2025, 1, 20, 9, 30, tzinfo=VIETNAM)
    assert parse_datetime("20/01/2025 09:30:15").second == 15
    assert parse_datetime("2025-01-20T02:30:00Z") == datetime(2025, 1, 20, 9, 30, tzinfo=VIETNAM)


# What is refused: a clear message, nothing written, no traceback.


def refused(path):
    with pytest.raises(CommandError) as error:
        import_file(path)
    batch = ImportBatch.objects.get()
    assert batch.status == ImportStatus.FAILED
    assert batch.rows_imported == 0
    assert payments() == []
    return str(error.value)


def good_lines(count=1):
    return [f"PA20BQ0000001,2025-01,150000,VTP,2025-01-20 09:30,R{i}" for i in range(count)]


def test_an_empty_file_is_refused(cast, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")

    assert refused(path) == "The file is empty."


def test_a_file_of_blank_lines_is_refused(cast, tmp_path):
    path = tmp_path / "blank.csv"
    path.write_bytes(b"\xef\xbb\xbf\r\n\r\n   \r\n")

    assert "empty" in refused(path)


def test_a_header_without_rows_is_refused(cast, tmp_path):
    path = tmp_path / "header.csv"
    path.write_text(",".join(HEADER) + "\n,,,,,\n", encoding="utf-8")

    assert refused(path) == "The file has a header row but no rows below it."


def test_a_binary_file_is_refused(cast, tmp_path):
    path = tmp_path / "photo.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))

    assert refused(path) == "This is not a CSV or XLSX file: it contains binary data."


def test_binary_data_after_the_first_block_is_refused(cast, tmp_path):
    path = tmp_path / "late.csv"
    lines = [",".join(HEADER), *good_lines(SNIFF_BYTES // 50)]
    path.write_bytes("\n".join(lines).encode() + b"\nPA20\x00\x00\x00,\n")

    assert "contains binary data" in refused(path)


def test_a_zip_that_is_not_xlsx_is_refused(cast, tmp_path):
    path = tmp_path / "archive.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")

    assert "not a CSV or XLSX file" in refused(path)


def test_an_old_xls_file_is_refused(cast, tmp_path):
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)

    assert "Old Excel files (.xls) cannot be read" in refused(path)


def test_a_pdf_is_refused(cast, tmp_path):
    path = tmp_path / "statement.pdf"
    path.write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Length 5 >>\nstream\n\x01\x02")

    assert "not a CSV or XLSX file" in refused(path)


def test_a_file_in_a_legacy_encoding_is_refused(cast, tmp_path):
    path = tmp_path / "windows.csv"
    text = ",".join(HEADER) + "\nPA20BQ0000001,2025-01,150000,VTP,2025-01-20,Thanh toán\n"
    path.write_bytes(text.encode("cp1258"))

    assert "The file is not UTF-8 text." in refused(path)


def test_a_legacy_encoding_after_the_first_block_is_refused(cast, tmp_path):
    path = tmp_path / "late.csv"
    lines = [",".join(HEADER), *good_lines(SNIFF_BYTES // 50)]
    path.write_bytes(("\n".join(lines) + "\nPA20,Hà Giang\n").encode("cp1258"))

    assert "The file is not UTF-8 text after line" in refused(path)


def test_a_huge_line_is_refused(cast, tmp_path):
    path = tmp_path / "huge.csv"
    path.write_text(
        ",".join(HEADER) + "\n" + good_lines()[0] + "\n" + "x" * (MAX_LINE * 3) + "\n",
        encoding="utf-8",
    )

    assert refused(path) == (
        f"Line 3 is longer than {MAX_LINE} characters: this is not a table of customers or "
        "payments."
    )


def test_a_huge_first_line_is_refused(cast, tmp_path):
    path = tmp_path / "huge.csv"
    path.write_text("a;" * MAX_LINE, encoding="utf-8")

    assert "Line 1 is longer than" in refused(path)


def test_a_column_named_twice_is_refused(cast, tmp_path):
    path = tmp_path / "twice.csv"
    path.write_text(",".join([*HEADER, "Amount"]) + "\n" + good_lines()[0] + ",5\n")

    assert refused(path) == "The column “Amount” appears twice in the header row."


def test_a_missing_file_is_a_clear_command_error(db, tmp_path):
    with pytest.raises(CommandError, match="Cannot open"):
        import_file(tmp_path / "nowhere.csv")


def test_an_xlsx_file_damaged_inside_is_refused(cast, tmp_path):
    book = Workbook()
    book.active.append(HEADER)
    for i in range(50):
        book.active.append(["PA20BQ0000001", "2025-01", 150000, "VTP", "2025-01-20", f"R{i}"])
    good = tmp_path / "good.xlsx"
    book.save(good)
    path = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2] + b"<<<"
            target.writestr(item, data)

    assert "The XLSX file is damaged after row" in refused(path)


def test_an_xlsx_file_is_read_whatever_its_name(cast, tmp_path):
    book = Workbook()
    book.active.append(HEADER)
    book.active.append(["PA20BQ0000001", "2025-01", 150000, "VTP", "2025-01-20", "R1"])
    path = tmp_path / "upload-without-extension"
    book.save(path)

    import_file(path)

    assert payments()[0][-1] == "R1"


# Hostile workbooks: refused from the ZIP directory, before openpyxl loads anything.


def _workbook_with_parts(path, **parts):
    """A real workbook, with the named parts replaced (name -> bytes)."""
    workbook = Workbook()
    workbook.active.append(HEADER)
    workbook.save(path.with_suffix(".base"))
    with (
        zipfile.ZipFile(path.with_suffix(".base")) as base,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out,
    ):
        for item in base.infolist():
            if item.filename not in parts:
                out.writestr(item, base.read(item))
        for name, content in parts.items():
            out.writestr(name, content)
    return path


def _shared_strings(*strings):
    items = "".join(f"<si><t>{s}</t></si>" for s in strings)
    return (
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        f'count="{len(strings)}" uniqueCount="{len(strings)}">{items}</sst>'
    ).encode()


def test_an_xlsx_zip_bomb_is_refused_without_inflating_it(cast, tmp_path, monkeypatch):
    # One shared string of 64 MB in a file of some 60 KB (the attack used 1.5 GB in 1.5 MB).
    path = _workbook_with_parts(
        tmp_path / "bomb.xlsx", **{"xl/sharedStrings.xml": _shared_strings("A" * 64_000_000)}
    )
    assert path.stat().st_size < 200_000

    def never(*args, **kwargs):
        raise AssertionError("openpyxl was asked to load the workbook")

    monkeypatch.setattr("openpyxl.load_workbook", never)

    assert "too large to read safely" in refused(path)


def test_an_xlsx_file_with_too_many_shared_strings_is_refused(cast, tmp_path, monkeypatch):
    # Millions of distinct strings: the size, not the ratio, gives it away.
    monkeypatch.setattr("adoption.importers.files.MAX_SHARED_STRINGS", 1_000_000)
    strings = [f"{i:08x}" for i in range(60_000)]
    path = _workbook_with_parts(
        tmp_path / "strings.xlsx", **{"xl/sharedStrings.xml": _shared_strings(*strings)}
    )

    assert "too large to read safely" in refused(path)


def test_an_xlsx_worksheet_bomb_is_refused(cast, tmp_path):
    row = '<row r="2"><c r="A2" t="inlineStr"><is><t>' + "9" * 50_000_000 + "</t></is></c></row>"
    sheet = (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData>{row}</sheetData></worksheet>"
    ).encode()
    path = _workbook_with_parts(tmp_path / "sheet.xlsx", **{"xl/worksheets/sheet1.xml": sheet})

    assert "too large to read safely" in refused(path)


def test_a_csv_with_carriage_returns_only_is_read(cast, tmp_path):
    # Excel for Mac ends lines with a lone CR.
    path = tmp_path / "mac.csv"
    lines = [",".join(HEADER), *good_lines(3)]
    path.write_bytes("\r".join(lines).encode("utf-8") + b"\r")

    import_file(path)

    assert len(payments()) == 3
