"""The report's map and charts as SVG, drawn with matplotlib (no display, no global pyplot state).

Labels are in the language of the work in hand. Text stays text in the SVG (``svg.fonttype =
none``): the browser or WeasyPrint sets it in the CJK font installed at set-up, so Chinese
labels render and can be searched.
Names from the data (villages on the map) are drawn as plain text, never mathtext;
matplotlib escapes text, attributes and comments in the SVG, so the page can inline it.
"""
from __future__ import annotations

import io
from functools import lru_cache

import geopandas as gpd
import matplotlib
import numpy as np
import shapely
from matplotlib.figure import Figure
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.codes import area_prefix
from geo.i18n import N_, label, translate

CJK_FONTS = ["WenQuanYi Micro Hei", "Noto Sans CJK SC", "Source Han Sans SC"]
LABELLED_VILLAGES = 40   # more names than this would hide the map
_LAT0_COS = np.cos(np.radians(20.0))   # keeps a map of Haikou square on the page


@lru_cache
def cjk_font() -> str | None:
    """The first CJK font matplotlib finds, None when there is none (labels would be boxes)."""
    available = {f.name for f in matplotlib.font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in available), None)


def _figure(width: float, height: float) -> Figure:
    matplotlib.rcParams["svg.fonttype"] = "none"
    matplotlib.rcParams["font.family"] = "sans-serif"
    matplotlib.rcParams["font.sans-serif"] = [f for f in [cjk_font()] if f] + ["DejaVu Sans"]
    return Figure(figsize=(width, height), layout="constrained")


def _svg(fig: Figure) -> str:
    out = io.StringIO()
    fig.savefig(out, format="svg")
    svg = out.getvalue()
    return svg[svg.index("<svg"):]   # inline: no XML prologue or DOCTYPE


def trend(rows: list[dict]) -> str:
    """Cases registered (bars) and concluded (line) over the months."""
    fig = _figure(7.0, 2.6)
    ax = fig.subplots()
    months = [r["month"][2:] for r in rows]
    ax.bar(months, [r["registered"] for r in rows], color="#9ecae1", label=translate(N_("registered")))
    ax.plot(months, [r["concluded"] for r in rows], color="#08519c", marker="o", label=translate(N_("concluded")))
    ax.set_ylabel(translate(N_("cases")))
    ax.tick_params(axis="x", labelsize=8)
    ax.legend(frameon=False, fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    return _svg(fig)


def categories(rows: list[dict]) -> str:
    """Cases registered in the month by category, largest first."""
    shown = [r for r in rows if r["registered"]][::-1]
    fig = _figure(7.0, 0.25 * max(len(shown), 4) + 0.8)
    ax = fig.subplots()
    ax.barh([label("category", r["category"]) for r in shown], [r["registered"] for r in shown], color="#fd8d3c")
    for y, r in enumerate(shown):
        ax.text(r["registered"], y, f" {r['registered']}", va="center", fontsize=8)
    ax.set_xlabel(translate(N_("registered this month")))
    ax.tick_params(axis="y", labelsize=9)
    ax.spines[["top", "right"]].set_visible(False)
    return _svg(fig)


def area_map(session: Session, code: str, villages: list[dict], alerts: list[dict]) -> str:
    """Villages coloured by cases per 1,000 households; hotspots outlined red, repeat disputes as crosses."""
    frame = gpd.GeoDataFrame.from_postgis(
        text("""SELECT code, name, ST_SimplifyPreserveTopology(geom, 0.0002) AS geom FROM areas_now
                 WHERE level = 'village' AND code LIKE :prefix || '%'"""),
        session.connection(), geom_col="geom", params={"prefix": area_prefix(code)})
    rates = {v["code"]: v["per_1000_households"] for v in villages}
    frame["rate"] = frame["code"].map(rates).astype(float)
    fig = _figure(7.0, 6.0)
    ax = fig.subplots()
    frame.plot(ax=ax, column="rate", cmap="YlOrRd", edgecolor="#777777", linewidth=0.3, legend=True,
               missing_kwds={"color": "#eeeeee"},
               legend_kwds={"label": translate(N_("cases per 1,000 households")), "shrink": 0.6})
    hot = [shapely.geometry.shape(a["geometry"]) for a in alerts if a["kind"] == "hotspot"]
    if hot:
        gpd.GeoSeries(hot, crs=4326).boundary.plot(ax=ax, color="#d7301f", linewidth=1.6, label=translate(N_("hotspot (H3)")))
    points = [a["geometry"]["coordinates"] for a in alerts if a["kind"] == "repeat"]
    if points:
        ax.scatter([p[0] for p in points], [p[1] for p in points], marker="x", color="black", s=25, linewidths=1,
                   label=translate(N_("repeat disputes")))
    if hot or points:
        ax.legend(frameon=False, fontsize=8, loc="lower left")
    if len(frame) <= LABELLED_VILLAGES:
        for name, at in zip(frame["name"], frame.geometry.representative_point()):
            ax.annotate(name, (at.x, at.y), ha="center", va="center", fontsize=6.5, color="#333333",
                        parse_math=False)   # a name is text: no "$...$" mathtext
    ax.set_aspect(1 / _LAT0_COS)
    ax.set_axis_off()
    return _svg(fig)
