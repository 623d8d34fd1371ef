"""correct_placements: customers' post-reform communes corrected from a file, all or nothing."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from adoption.models import Customer, CustomerPlacement
from tests.territory_fixture import LAST_OLD_DAY, REFORM, make_reform, snapshot


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def reformed(areas, customers):
    from adoption import area_reform

    new = make_reform(areas)
    area_reform.apply_area_reform(REFORM)
    return new


def write(tmp_path, text):
    path = tmp_path / "corrections.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_a_file_corrects_the_post_reform_commune_and_keeps_the_old_one(
    tmp_path, reformed, customers, areas
):
    path = write(tmp_path, "customer_code,area_code,village\nPA20BQ0000003,00911,\n")
    out = StringIO()
    call_command("correct_placements", path, stdout=out)
    assert "Corrected 1" in out.getvalue()
    rows = CustomerPlacement.objects.filter(customer=customers["bq3"]).order_by("valid_from")
    assert [(p.commune, p.valid_to) for p in rows] == [
        (areas["tan_quang"], LAST_OLD_DAY),
        (reformed["bac_quang"], None),
    ]
    assert Customer.objects.get(pk=customers["bq3"].pk).commune == reformed["bac_quang"]


def test_a_village_is_looked_up_in_the_new_commune(tmp_path, reformed, customers):
    path = write(tmp_path, "Customer Code;Area Code;Village\nPA20BQ0000003;00926;thôn khiềm\n")
    call_command("correct_placements", path, stdout=StringIO())
    assert Customer.objects.get(pk=customers["bq3"].pk).village == reformed["khiem"]


@pytest.mark.parametrize(
    "row, message",
    [
        ("PA20BQ0009999,00911,", "Row 3, customer_code: No customer has the code “PA20BQ0009999”"),
        ("PA20BQ0000002,00910,", "Row 3, area_code: No commune has the code “00910” on that"),
        ("PA20BQ0000002,00911,Thôn Khiềm", "Row 3, village: Xã Bắc Quang has no village"),
        ("PA20BQ0000003,00911,", "Row 3, customer_code: Duplicate of row 2"),
    ],
)
def test_one_bad_row_refuses_the_whole_file(tmp_path, reformed, row, message):
    path = write(tmp_path, f"customer_code,area_code,village\nPA20BQ0000003,00911,\n{row}\n")
    before = snapshot()
    err = StringIO()
    with pytest.raises(CommandError, match="nothing was changed"):
        call_command("correct_placements", path, stdout=StringIO(), stderr=err)
    assert message in err.getvalue()
    assert snapshot() == before


def test_a_date_in_the_middle_of_a_month_is_refused(tmp_path, reformed):
    path = write(tmp_path, "customer_code,area_code\nPA20BQ0000003,00911\n")
    before = snapshot()
    with pytest.raises(CommandError, match="first day of a month"):
        call_command("correct_placements", path, "--on", "2025-07-15")
    assert snapshot() == before
