"""Area, grid and GB/T 28181 camera codes: parse, validate, build.

District codes are GB/T 2260 (6 digits, 4601xx in Haikou). A town appends 3 digits
(001-099 街道 subdistrict, 100-199 镇 town, 200-399 乡 township), a village 3 more
(001-199 社区 community, 200-399 村 village), a grid a 3-digit sequence.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo

from geo.errors import Invalid
from geo.i18n import N_

CITY_CODE = "460100"
HAIKOU_BOUNDS = (110.10, 19.52, 110.72, 20.12)   # the city's lon/lat extent (WGS-84), west, south, east, north
CITY_PREFIX = "4601"   # every Haikou area code starts so
HAIKOU_TIME = ZoneInfo("Asia/Shanghai")   # UTC+8: months and days are counted in it


def area_prefix(code: str) -> str:
    """The prefix the codes inside an area share (the city's districts are 4601xx, not 460100xx)."""
    return CITY_PREFIX if code == CITY_CODE else code


class CodeError(Invalid, ValueError):
    """A code that is malformed or names the wrong kind of thing (a ValueError too: pydantic
    validators raise it)."""


class Level(StrEnum):
    """Levels of the administrative hierarchy, top down."""

    CITY = "city"
    DISTRICT = "district"
    TOWN = "town"
    VILLAGE = "village"
    GRID = "grid"

    @property
    def parent(self) -> "Level | None":
        order = list(Level)
        i = order.index(self)
        return order[i - 1] if i else None

    @property
    def child(self) -> "Level | None":
        order = list(Level)
        i = order.index(self)
        return order[i + 1] if i + 1 < len(order) else None


CODE_LENGTH = {Level.CITY: 6, Level.DISTRICT: 6, Level.TOWN: 9, Level.VILLAGE: 12, Level.GRID: 15}


class Kind(StrEnum):
    """What sort of unit an area is, as the Ministry of Civil Affairs names it."""

    CITY = "市"
    DISTRICT = "区"
    SUBDISTRICT = "街道"
    TOWN = "镇"
    TOWNSHIP = "乡"
    COMMUNITY = "社区"
    VILLAGE = "村"
    GRID = "网格"


@dataclass(frozen=True)
class AreaCode:
    code: str
    level: Level
    kind: Kind
    parent: str | None


# The sequence (last 3 digits) of a child code by its kind (GB/T 10114 practice).
SEQUENCES = {Kind.SUBDISTRICT: (1, 99), Kind.TOWN: (100, 199), Kind.TOWNSHIP: (200, 399),
             Kind.COMMUNITY: (1, 199), Kind.VILLAGE: (200, 399), Kind.GRID: (1, 999)}
_TOWN_KINDS = (Kind.SUBDISTRICT, Kind.TOWN, Kind.TOWNSHIP)
_VILLAGE_KINDS = (Kind.COMMUNITY, Kind.VILLAGE)


def _kind_by_range(code: str, start: int, kinds: tuple[Kind, ...], out_of_range: str) -> Kind:
    n = int(code[start:start + 3])
    for kind in kinds:
        low, high = SEQUENCES[kind]
        if low <= n <= high:
            return kind
    raise CodeError(out_of_range, code=code, first=start + 1, last=start + 3, low=SEQUENCES[kinds[0]][0],
                    high=SEQUENCES[kinds[-1]][1], got=code[start:start + 3])


def town_kind(code: str) -> Kind:
    """街道 001-099, 镇 100-199, 乡 200-399 (digits 7-9)."""
    return _kind_by_range(code, 6, _TOWN_KINDS,
                          N_("town code {code}: digits {first}-{last} must be {low:03d}-{high:03d}, got {got}"))


def village_kind(code: str) -> Kind:
    """社区 001-199, 村 200-399 (digits 10-12)."""
    return _kind_by_range(code, 9, _VILLAGE_KINDS,
                          N_("village code {code}: digits {first}-{last} must be {low:03d}-{high:03d}, got {got}"))


def parse_area_code(code: str) -> AreaCode:
    """Parse a city, district, town, village or grid code; raise CodeError if malformed."""
    if not isinstance(code, str) or not code.isascii() or not code.isdigit():
        raise CodeError("area code {code!r} must be a string of digits", code=code)
    if not code.startswith(CITY_PREFIX):
        raise CodeError("area code {code} is not in Haikou (must start with 4601)", code=code)
    if len(code) == 6:
        if code == CITY_CODE:
            return AreaCode(code, Level.CITY, Kind.CITY, None)
        if code[4:6] == "00":
            raise CodeError("district code {code} must not end in 00", code=code)
        return AreaCode(code, Level.DISTRICT, Kind.DISTRICT, CITY_CODE)
    if len(code) == 9:
        return AreaCode(code, Level.TOWN, town_kind(code), code[:6])
    if len(code) == 12:
        town_kind(code[:9])
        return AreaCode(code, Level.VILLAGE, village_kind(code), code[:9])
    if len(code) == 15:
        town_kind(code[:9])
        village_kind(code[:12])
        if code[12:] == "000":
            raise CodeError("grid code {code}: the sequence (digits 13-15) starts at 001", code=code)
        return AreaCode(code, Level.GRID, Kind.GRID, code[:12])
    raise CodeError("area code {code} has {n_code} digits; expected 6, 9, 12 or 15", code=code, n_code=len(code))


def child_code(parent: str, sequence: int) -> str:
    """The code of the ``sequence``-th child (1-999) of ``parent``."""
    if not 1 <= sequence <= 999:
        raise CodeError("child sequence {sequence} must be 1-999", sequence=sequence)
    return f"{parent}{sequence:03d}"


# GB/T 28181-2016 appendix D: 20-digit device ids.
CAMERA_INDUSTRIES = {
    "00": "社会治安路面接入 public-security roads",
    "01": "社会治安社区接入 public-security communities",
    "02": "社会治安内部接入 public-security internal",
    "03": "社会治安其他接入 public-security other",
    "04": "交通路面接入 traffic roads",
    "05": "交通卡口接入 traffic checkpoints",
    "06": "交通内部接入 traffic internal",
    "07": "交通其他接入 traffic other",
    "08": "城市管理接入 city management",
    "09": "卫生环保接入 health and environment",
    "10": "商检海关接入 inspection and customs",
    "11": "教育部门接入 education",
}
CAMERA_TYPES = {"131": "摄像机 camera", "132": "网络摄像机 IP camera"}   # the GB/T 28181 device types a camera may have
_CAMERA_RE = re.compile(r"^\d{20}$")


@dataclass(frozen=True)
class CameraId:
    code: str
    centre: str
    region: str
    industry: str
    device_type: str
    network: str
    serial: str


def parse_camera_id(code: str, *, districts: set[str] | None = None) -> CameraId:
    """Parse a GB/T 28181 camera id; its region must be a Haikou district (or the city)."""
    if not isinstance(code, str) or not _CAMERA_RE.match(code):
        raise CodeError("camera id {code!r} must be 20 digits (GB/T 28181)", code=code)
    cam = CameraId(code, code[:8], code[:6], code[8:10], code[10:13], code[13], code[14:])
    if not cam.region.startswith("4601") or (districts is not None and cam.region not in districts | {CITY_CODE}):
        raise CodeError("camera id {code}: centre code {cam_centre} is not a Haikou (4601xx) region",
                        code=code, cam_centre=cam.centre)
    if cam.industry not in CAMERA_INDUSTRIES:
        raise CodeError("camera id {code}: unknown industry code {cam_industry}", code=code, cam_industry=cam.industry)
    if cam.device_type not in CAMERA_TYPES:
        raise CodeError("camera id {code}: device type {cam_device_type} is not a camera (131 or 132)",
                        code=code, cam_device_type=cam.device_type)
    return cam


def camera_id(region: str, *, industry: str, device_type: str, network: str, serial: int) -> str:
    """Compose a 20-digit GB/T 28181 camera id under the region's centre (region + 00)."""
    return f"{region}00{industry}{device_type}{network}{serial:06d}"
