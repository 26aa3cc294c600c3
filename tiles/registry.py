"""The allow-listed tile layers: each name maps to fixed SQL and a fixed set of properties.

Nothing from a URL is spliced into SQL: the layer name picks an entry here, and all
values (tile, box, shift, filters, generation) are bound parameters. No layer carries
personal data (no names or phone numbers of reporters or mediators).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from geo.areas.service import LABEL_ZOOMS

BOX = "ST_MakeEnvelope(:west, :south, :east, :north, 4326)"
# H3 aggregate layers read their rows through ``cells``: the tile's parent cells with the
# range [lo, hi] of resolution-11 children each (see tiles.render), so indexes on h3 work.
CELLS = "unnest(CAST(:cells AS bigint[]), CAST(:lo AS bigint[]), CAST(:hi AS bigint[])) AS p(cell, lo, hi)"


def current(alias: str) -> str:
    """The rows of ``alias`` that belong to the requested boundary generation."""
    return f"in_force({alias}.generation_low, {alias}.generation_high, :generation)"


@dataclass(frozen=True)
class Layer:
    name: str
    description: str
    minzoom: int
    maxzoom: int
    cap: int                              # features per tile at most
    fields: dict[str, str]                # property -> TileJSON type
    sql: str = ""                         # rows of (geom in EPSG:4326, *fields); empty for H3 layers
    h3_sql: str = ""                      # rows of (cell bigint, value) for H3 aggregate layers
    dynamic: bool = False                 # changes with incidents, cameras or mediators, not only boundaries
    filters: tuple[str, ...] = field(default_factory=tuple)   # query parameters the layer reads
    key: str = "id"                        # a unique column of the layer's rows


def _areas(level: str, description: str, minzoom: int, maxzoom: int, cap: int) -> Layer:
    fields = {"code": "String", "name": "String", "kind": "String", "households": "Number"}
    return Layer(level + "s", description, minzoom, maxzoom, cap, fields, key="code", sql=f"""
        SELECT coalesce(s.geom, a.geom) AS geom, a.code, a.name, a.kind, a.households
          FROM areas a LEFT JOIN area_shapes s ON s.area_id = a.id AND s.band = :band
         WHERE a.level = '{level}' AND {current("a")} AND a.geom && {BOX}
         ORDER BY a.code""")


def _labels() -> Layer:
    """One point per area in force (ST_PointOnSurface, the point /areas/labels gives), in the
    one tile that holds it, so a name is written once; each level from its zoom in LABEL_ZOOMS,
    districts first, then the largest areas, so a map places the names that matter first."""
    from_zoom = " ".join(f"WHEN '{level}' THEN {zoom}" for level, zoom in LABEL_ZOOMS.items())
    levels = ", ".join(f"'{level}'" for level in LABEL_ZOOMS)
    return Layer("labels", "names of the areas, as points where they fit (区 to 网格 by zoom)", 0, 22, 3000,
                 {"code": "String", "name": "String", "level": "String"}, key="code", filters=("levels",), sql=f"""
        SELECT l.at AS geom, a.code, a.name, a.level
          FROM areas a CROSS JOIN LATERAL (SELECT ST_PointOnSurface(a.geom) AS at) l
         WHERE :z >= CASE a.level::text {from_zoom} END AND {current("a")} AND a.geom && {BOX} AND l.at && {BOX}
           AND (CAST(:levels AS text) IS NULL OR a.level::text = ANY(string_to_array(:levels, ',')))
         ORDER BY array_position(ARRAY[{levels}], a.level::text), a.area_m2 DESC, a.code""")


_PER_CELL = "per H3 cell, resolution 7 to 10 by zoom"


INCIDENT_FILTERS = ("since", "until", "category")
_INCIDENT_WHERE = """i.registered_at >= coalesce(CAST(:since AS timestamptz), '-infinity')
    AND i.registered_at < coalesce(CAST(:until AS timestamptz), 'infinity')
    AND (CAST(:category AS text) IS NULL OR i.category = :category)"""

LAYERS: dict[str, Layer] = {layer.name: layer for layer in (
    _areas("district", "districts (区)", 0, 22, 50),
    _areas("town", "towns and subdistricts (镇/街道)", 7, 22, 200),
    _areas("village", "villages and communities (村/社区)", 9, 22, 1000),
    _areas("grid", "grids (网格)", 11, 22, 3000),
    _labels(),
    Layer("cameras", "Sharp Eyes cameras (points)", 13, 22, 5000,
          {"id": "String", "industry": "String", "device_type": "String", "heading_deg": "Number",
           "fov_deg": "Number", "range_m": "Number"}, dynamic=True, sql=f"""
        SELECT c.position AS geom, c.id, c.industry, c.device_type, c.heading_deg, c.fov_deg, c.range_m
          FROM cameras c WHERE c.position && {BOX} ORDER BY c.id"""),
    Layer("camera_fov", "cameras' field-of-view sectors", 16, 22, 5000, {"id": "String"}, dynamic=True, sql=f"""
        SELECT c.fov AS geom, c.id FROM cameras c WHERE c.fov && {BOX} ORDER BY c.id"""),
    Layer("mediators", "mediators (no personal data)", 12, 22, 2000,
          {"id": "Number", "employment": "String", "organisation_id": "Number", "on_duty": "Boolean"},
          dynamic=True, sql=f"""
        SELECT m.position AS geom, m.id, m.employment, m.organisation_id, m.on_duty
          FROM mediators m WHERE m.position && {BOX} ORDER BY m.id"""),
    Layer("incidents", "incidents as points, high zoom only (no personal data)", 15, 22, 5000,
          {"id": "Number", "category": "String", "severity": "String", "status": "String", "open": "Boolean",
           "due": "Number"}, dynamic=True, filters=INCIDENT_FILTERS, sql=f"""
        SELECT i.position AS geom, i.id, i.category, i.severity, i.status, is_open(i.status) AS open,
               extract(epoch FROM i.due_at)::bigint AS due
          FROM incidents i WHERE i.position && {BOX} AND {_INCIDENT_WHERE} ORDER BY i.registered_at DESC"""),
    Layer("incident_heat", "incident counts " + _PER_CELL, 8, 14, 20000, {"h3": "String", "value": "Number"},
          dynamic=True, filters=INCIDENT_FILTERS, h3_sql=f"""
        SELECT p.cell, a.value FROM {CELLS} CROSS JOIN LATERAL (
            SELECT count(*) AS value FROM incidents i WHERE i.h3 BETWEEN p.lo AND p.hi AND {_INCIDENT_WHERE}) a
         WHERE a.value > 0"""),
    Layer("households", "households " + _PER_CELL, 8, 22, 20000, {"h3": "String", "value": "Number"}, h3_sql=f"""
        SELECT p.cell, a.value FROM {CELLS} CROSS JOIN LATERAL (
            SELECT sum(c.households) AS value FROM h3_cells c WHERE c.h3 BETWEEN p.lo AND p.hi AND {current("c")}) a
         WHERE a.value > 0"""),
    Layer("camera_coverage", "share of cells seen by a camera " + _PER_CELL, 8, 22, 20000,
          {"h3": "String", "value": "Number"}, dynamic=True, h3_sql=f"""
        SELECT p.cell, a.value FROM {CELLS} CROSS JOIN LATERAL (
            SELECT count(DISTINCT cc.h3)::float8 / (7 ^ (11 - :resolution)) AS value
              FROM camera_cells cc WHERE cc.h3 BETWEEN p.lo AND p.hi) a
         WHERE a.value > 0"""),
)}

def _plan_areas(level: str, minzoom: int, cap: int) -> Layer:
    """A draft's areas of one level (the plan id is a bound parameter)."""
    return Layer(level + "s", f"the draft's {level}s", minzoom, 22, cap,
                 {"code": "String", "name": "String", "households": "Number"}, key="code", filters=("plan",), sql=f"""
        SELECT p.geom, p.code, p.name, p.households FROM plan_areas p
         WHERE p.plan_id = :plan AND p.level = '{level}' AND p.geom && {BOX} ORDER BY p.code""")


PLAN_LAYERS: dict[str, Layer] = {layer.name: layer for layer in (
    _plan_areas("town", 7, 200), _plan_areas("village", 9, 1000), _plan_areas("grid", 11, 3000))}

MAX_LAYERS_PER_TILE = 8


def h3_resolution_for(z: int) -> int:
    """Coarser cells at lower zoom: about 8-30 pixels across on screen."""
    return max(7, min(10, z - 5))
