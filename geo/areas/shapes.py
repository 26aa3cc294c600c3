"""Simplified area shapes per zoom band, made as coverages so neighbours keep shared edges.

Each level (district, town, village, grid) is simplified as a whole with
``shapely.coverage_simplify``, so the simplified neighbours still meet exactly and no
sliver opens between them on a low-zoom map. Bands above the last use the stored
boundary itself.
"""
from __future__ import annotations

import numpy as np
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

# (band, highest zoom it serves, tolerance in metres)
BANDS = ((0, 9, 200.0), (1, 11, 50.0), (2, 13, 12.0))
_M_PER_DEG = 111_320.0


def band_for_zoom(z: int) -> int | None:
    """The simplified band a zoom reads, or None for the full boundary."""
    for band, top, _ in BANDS:
        if z <= top:
            return band
    return None


def rebuild(session: Session, generation: int, only: list[int] | None = None) -> int:
    """Recompute the bands for every area of ``generation`` (or only the rows ``only``,
    simplified together with the neighbours they touch); returns the rows written."""
    near = "" if only is None else """AND (id = ANY(:only) OR EXISTS (SELECT 1 FROM areas o WHERE o.id = ANY(:only)
        AND o.level = areas.level AND ST_Intersects(o.geom, areas.geom)))"""
    rows = session.execute(text(f"""SELECT id, level, ST_AsBinary(geom) FROM areas
        WHERE in_force(generation_low, generation_high, :g) {near} ORDER BY level, code"""),
                           {"g": generation, "only": only}).all()
    ids = np.array([r[0] for r in rows])
    levels = np.array([r[1] for r in rows])
    geoms = shapely.from_wkb(np.array([r[2] for r in rows], dtype=object))
    writing = np.ones(len(ids), dtype=bool) if only is None else np.isin(ids, only)
    session.execute(text("DELETE FROM area_shapes WHERE area_id = ANY(:ids)"), {"ids": ids[writing].tolist()})
    written = 0
    for level in np.unique(levels):
        members = levels == level
        for band, _, tolerance_m in BANDS:
            simple = shapely.coverage_simplify(geoms[members], tolerance_m / _M_PER_DEG)[writing[members]]
            session.execute(text("""INSERT INTO area_shapes (area_id, band, geom)
                SELECT unnest(CAST(:ids AS bigint[])), :band,
                       ST_Multi(ST_SetSRID(ST_GeomFromWKB(unnest(CAST(:wkb AS bytea[]))), 4326))"""),
                            {"ids": ids[members & writing].tolist(), "band": band, "wkb": list(shapely.to_wkb(simple))})
            written += int((members & writing).sum())
    return written
