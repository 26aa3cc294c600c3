"""Area codes and GB/T 28181 camera ids."""
import pytest

from geo.codes import CodeError, Kind, Level, camera_id, parse_area_code, parse_camera_id


@pytest.mark.parametrize(("code", "level", "kind", "parent"), [
    ("460100", Level.CITY, Kind.CITY, None),
    ("460106", Level.DISTRICT, Kind.DISTRICT, "460100"),
    ("460106005", Level.TOWN, Kind.SUBDISTRICT, "460106"),
    ("460106101", Level.TOWN, Kind.TOWN, "460106"),
    ("460106005001", Level.VILLAGE, Kind.COMMUNITY, "460106005"),
    ("460106101201", Level.VILLAGE, Kind.VILLAGE, "460106101"),
    ("460106005001003", Level.GRID, Kind.GRID, "460106005001"),
])
def test_valid_codes_parse(code, level, kind, parent):
    parsed = parse_area_code(code)
    assert (parsed.level, parsed.kind, parsed.parent) == (level, kind, parent)


@pytest.mark.parametrize("code", ["", "46010", "4601060051", "110101", "460106000", "460106400",
                                  "460106005000", "460106005400", "460106005001000", "46010600500A", "４６０１０６"])
def test_malformed_codes_are_refused(code):
    with pytest.raises(CodeError):
        parse_area_code(code)


def test_camera_id_round_trip():
    code = camera_id("460106", industry="00", device_type="132", network="0", serial=1)
    assert code == "46010600001320000001"
    parsed = parse_camera_id(code, districts={"460106"})
    assert (parsed.region, parsed.industry, parsed.device_type, parsed.serial) == ("460106", "00", "132", "000001")


@pytest.mark.parametrize("code", ["4601060000132000000", "11010600001320000001", "46010600991320000001",
                                  "46010600001180000001", "4601060000132000000X"])
def test_bad_camera_ids_are_refused(code):
    with pytest.raises(CodeError):
        parse_camera_id(code, districts={"460106"})
