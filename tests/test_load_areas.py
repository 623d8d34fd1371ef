from datetime import date

import pytest
from django.core.management import CommandError, call_command

from adoption.areas_loader import LEGACY_VALID_TO, REFORM_DATE, load_areas
from adoption.models import AdminArea, AreaSuccession

HA_GIANG_DISTRICTS = {
    "024": ("Thành phố Hà Giang", 8),
    "026": ("Huyện Đồng Văn", 19),
    "027": ("Huyện Mèo Vạc", 18),
    "028": ("Huyện Yên Minh", 18),
    "029": ("Huyện Quản Bạ", 13),
    "030": ("Huyện Vị Xuyên", 24),
    "031": ("Huyện Bắc Mê", 13),
    "032": ("Huyện Hoàng Su Phì", 24),
    "033": ("Huyện Xín Mần", 18),
    "034": ("Huyện Bắc Quang", 23),
    "035": ("Huyện Quang Bình", 15),
}


@pytest.fixture
def ha_giang(db):
    return load_areas("Hà Giang")


def _legacy_communes():
    return AdminArea.objects.filter(level="commune", valid_from=None)


def _snapshot():
    areas = AdminArea.objects.order_by("id").values_list(
        "id", "level", "code", "name", "parent_id", "valid_from", "valid_to", "latitude"
    )
    successions = AreaSuccession.objects.order_by("id").values_list(
        "id", "old_area_id", "new_area_id", "effective_on", "is_default"
    )
    return list(areas), list(successions)


def test_it_loads_the_eleven_districts_with_their_official_codes_and_names(ha_giang):
    province = AdminArea.objects.get(level="province", code="02", valid_from=None)
    assert province.name == "Tỉnh Hà Giang"
    assert province.valid_to == LEGACY_VALID_TO
    districts = AdminArea.objects.filter(level="district")
    assert {d.code: d.name for d in districts} == {
        code: name for code, (name, _) in HA_GIANG_DISTRICTS.items()
    }
    assert {d.parent_id for d in districts} == {province.pk}
    assert {d.valid_to for d in districts} == {date(2025, 6, 30)}


def test_it_loads_every_commune_of_each_district(ha_giang):
    for code, (_, communes) in HA_GIANG_DISTRICTS.items():
        assert _legacy_communes().filter(parent__code=code).count() == communes, code
    assert _legacy_communes().count() == 193
    viet_quang = _legacy_communes().get(code="01153")
    assert (viet_quang.name, viet_quang.parent.code) == ("Thị trấn Việt Quang", "034")
    assert viet_quang.latitude and viet_quang.longitude
    assert not _legacy_communes().exclude(valid_to=LEGACY_VALID_TO).exists()


def test_the_2025_communes_hang_directly_under_the_merged_province(ha_giang):
    tuyen_quang = AdminArea.objects.get(level="province", code="08", valid_from=REFORM_DATE)
    assert tuyen_quang.name == "Tỉnh Tuyên Quang"
    assert tuyen_quang.valid_to is None
    new_communes = AdminArea.objects.filter(level="commune", valid_from=REFORM_DATE)
    # Only the 2025 communes that took over Hà Giang's.
    assert new_communes.count() == 73
    assert set(new_communes.values_list("parent_id", flat=True)) == {tuyen_quang.pk}
    assert not AdminArea.objects.filter(level="district", valid_from=REFORM_DATE).exists()


def test_every_old_commune_has_exactly_one_default_successor(ha_giang):
    for commune in _legacy_communes():
        successions = AreaSuccession.objects.filter(old_area=commune)
        assert successions.filter(is_default=True).count() == 1, commune.name
        assert {s.new_area.valid_from for s in successions} == {REFORM_DATE}
        assert {s.effective_on for s in successions} == {REFORM_DATE}
    nguyen_trai = _legacy_communes().get(name="Phường Nguyễn Trãi")
    assert nguyen_trai.successions.get().new_area.name == "Phường Hà Giang 1"


def test_a_split_commune_keeps_all_its_successors_and_one_default(ha_giang):
    quang_trung = _legacy_communes().get(name="Phường Quang Trung")
    successors = {s.new_area.name: s.is_default for s in quang_trung.successions.all()}
    assert successors == {"Phường Hà Giang 1": False, "Phường Hà Giang 2": True}


def test_running_it_again_changes_nothing(ha_giang):
    before = _snapshot()
    report = load_areas("Hà Giang")
    assert (report.created, report.updated) == (0, 0)
    assert report.unchanged == ha_giang.created
    assert _snapshot() == before


def test_it_repairs_an_edited_area_in_place(ha_giang):
    district = AdminArea.objects.get(level="district", code="034")
    AdminArea.objects.filter(pk=district.pk).update(name="Bac Quang", valid_to=None)
    report = load_areas("02")
    assert (report.created, report.updated) == (0, 1)
    district.refresh_from_db()
    assert (district.name, district.valid_to) == ("Huyện Bắc Quang", LEGACY_VALID_TO)


def test_the_command_refuses_an_unknown_province_and_writes_nothing(db):
    with pytest.raises(CommandError, match="No province 'Hà Gian'"):
        call_command("load_areas", province="Hà Gian")
    assert not AdminArea.objects.exists()
    assert not AreaSuccession.objects.exists()


def test_the_command_accepts_the_full_province_name(db, capsys):
    call_command("load_areas", province="Tỉnh Hà Giang")
    assert "Created 475" in capsys.readouterr().out
    assert AdminArea.objects.filter(level="district").count() == 11
