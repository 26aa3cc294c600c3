"""Map pages built with folium, drawing the service's own vector tiles and GeoJSON.

Everything a page loads comes from this service: Leaflet and Leaflet.VectorGrid are
installed from the npm registry at set-up (web/package.json) and served under
/vendor. The basemap is a choice (none by default, so the maps work offline); on an
Amap basemap the overlays are asked for in GCJ-02, or they would sit 500 m off.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from html import escape
from urllib.parse import urlencode, urlsplit

import folium

from geo.areas.service import LABEL_ZOOMS
from geo.auth.keys import Principal
from geo.auth.roles import PUBLIC_LAYERS, Role
from geo.codes import HAIKOU_TIME
from geo.crs import Datum
from geo.incidents.statuses import OPEN, STATUSES
from geo.errors import Invalid, NotFound
from geo.catalogue import VOCABULARIES
from geo.i18n import N_, current, label, translate, words
from geo.settings import get_settings

VENDOR_JS = [("leaflet", "/vendor/leaflet/leaflet.js"),
             ("vectorgrid", "/vendor/vectorgrid/Leaflet.VectorGrid.bundled.min.js")]
VENDOR_CSS = [("leaflet_css", "/vendor/leaflet/leaflet.css"), ("map_css", "/static/map.css")]


@dataclass(frozen=True)
class Basemap:
    url: str
    attribution: str
    datum: Datum
    needs_key: bool = False


BASEMAPS = {
    "none": None,
    "osm": Basemap("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "© OpenStreetMap contributors", Datum.WGS84),
    "tianditu": Basemap("https://t0.tianditu.gov.cn/DataServer?T=vec_w&x={x}&y={y}&l={z}&tk={key}",
                        "© 天地图 Tianditu", Datum.WGS84, needs_key=True),
    "amap": Basemap("https://webrd01.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",
                    "© 高德地图 Amap", Datum.GCJ02),
}
EMBED_VIEWS = {"overview": N_("Haikou: villages and communities by households"),
               "area": N_("A town or village and its grids"),
               "heat": N_("Where cases come from: incident heat")}

# The overlays: a name in the layer control, the tile layers, and a Leaflet style per layer.
_LINES = {"districts": ("#7a0177", 2.5), "towns": ("#c51b8a", 1.5), "villages": ("#f768a1", 0.8), "grids": ("#969696", 0.5)}
_POINTS = {"cameras": "#33a02c", "mediators": "#1f78b4"}
# Colour ramps: the value at the dark end (more is as dark), and what the numbers count.
_RAMP = ("#ffffb2", "#bd0026")
_RAMPS = {"incident_heat": (30, N_("incidents per H3 cell")), "villages_fill": (8000, N_("households per village"))}
# Incidents by status: open ones warm (overdue ones ringed in black), concluded ones cool and hidden by default.
STATUS_COLOURS = {"registered": "#fd8d3c", "accepted": "#fdae6b", "mediating": "#e31a1c", "escalated": "#7a0177",
                  "refused": "#bdbdbd", "agreement": "#31a354", "terminated": "#969696", "follow_up": "#74c476",
                  "confirmation_requested": "#6baed6", "archived": "#d9d9d9", "referred": "#2171b5"}

LEAFLET_WORDS = (N_("Zoom in"), N_("Zoom out"), N_("Layers"), N_("Close"))   # Leaflet's own (see /static/words.js)
# The words map.js shows, in the page's language (sent in its config; values fill the braces).
MAP_WORDS = (N_("name or code"), N_("Search"), N_("not found"), N_("nothing is named “{name}”"), N_("also: {names}"),
             N_("full-time mediators: {with_full_time}/{villages} villages ({share}; target 100 %)"),
             N_("{cameras} cameras; {without} of {grids} grids without one"),
             N_("days to conclusion: median {median}, p90 {p90}"), N_("open cases overdue: {overdue}/{open} ({share})"),
             N_("hotspot {cell}"), N_("recent {recent}, expected {expected} (×{ratio}), q {q}"),
             N_("repeat dispute: {category} ×{cases}"), N_("Alerts"), N_("Legend"), N_("hotspot"),
             N_("repeat dispute"), N_("data as of {moment}"), *LEAFLET_WORDS)

# The words planner.js shows (its HTML is api/templates/planner.html).
PLANNER_WORDS = (N_("{households} households"), N_("Click a grid (shift-click adds more)."), N_("valid"),
                 N_("{errors} errors"), N_("{errors} errors, {warnings} warnings ({scope})"), N_("error"), N_("warning"),
                 N_("repair (make_valid)"),
                 N_("{added} added, {removed} removed, {changed} changed; reassigned: {incidents_reassigned} open "
                    "incidents, {cameras_reassigned} cameras, {mediators_reassigned} mediators"),
                 N_("Plan {id} · scope {scope} · on generation {base_generation} · {status} · {edits_applied} edits"),
                 N_("draft"), N_("published"), N_("discarded"), N_("refused: {reason}"), N_("select {n} grids first"),
                 N_("select a grid first"), N_("draw the line; double-click to finish"),
                 N_("draw the polygon; click the first point to close"), N_("Paint cells"), N_("Stop painting"),
                 N_("click cells to give them to {grid}"), N_("boundary redrawn"), N_("grid added"), N_("area split"),
                 N_("grids merged"), N_("grid removed"), N_("village divided into balanced grids"),
                 N_("shape repaired"), N_("cells painted"), N_("undone"), N_("redone"),
                 N_("generation {generation} published"),
                 N_("published as generation {generation}: these boundaries are in force now"),
                 N_("cannot open plan {plan}: {reason}"), N_("Click to start the shape."),
                 N_("Click to go on drawing the shape."), N_("Click the first point to close the shape."),
                 N_("Click to start the line."), N_("Click to go on drawing the line."),
                 N_("Click the last point again to finish the line."), N_("A boundary may not cross itself."),
                 N_("stale: another generation was published since its base; open a new draft on the current one"),
                 N_("a draft: submit it for review; another planner approves it before it is published"),
                 N_("a draft: review is optional here"),
                 N_("submitted: waiting for another planner or an admin to approve it or send it back"),
                 N_("approved: it may be published"), N_("submitted"), N_("approved"), N_("sent back"),
                 N_("submitted for review"),
                 N_("sent back: a draft again"), N_("Publish plan {id} as the boundaries in force? {changes}"),
                 N_("stale"), N_("no draft is open"), N_("target of village {village}:"), N_("target set"),
                 N_("{code}: {before} → {after} households"), N_("this plan"), N_("in force"), N_("plan {id}"),
                 N_("Rebase onto the generation in force"), N_("rebased onto the generation in force"),
                 *LEAFLET_WORDS)

# The rows of a plan comparison (geo.planning.balance.MEASURES), as the planner page names them.
MEASURE_NAMES = {"grids": N_("grids"), "households_min": N_("fewest households in a grid"),
                 "households_max": N_("most households in a grid"), "households_spread": N_("spread (most − fewest)"),
                 "out_of_range": N_("grids out of their range"), "polsby_popper_mean": N_("Polsby-Popper, mean"),
                 "polsby_popper_least": N_("Polsby-Popper, least"), "reock_mean": N_("Reock, mean"),
                 "reock_least": N_("Reock, least"), "in_pieces": N_("grids in more than one piece"),
                 "cut_edges": N_("cut edges between H3 cells"), "incidents_reassigned": N_("open incidents reassigned"),
                 "cameras_reassigned": N_("cameras reassigned"), "mediators_reassigned": N_("mediators reassigned")}

# The words of /static/page.js, which every workbench page loads.
PAGE_WORDS = (N_("agreement"), N_("note"), N_("Go to {status}"), *LEAFLET_WORDS)
# The words of a case card, on the dispatcher's and the mediator's page.
CARD_WORDS = (N_("Case {id}: {category}"), N_("place"), N_("status"), N_("stage"), N_("due by"), N_("deadline"),
              N_("registered"), N_("description"), N_("reporter"), N_("saved: {status}"), N_("parties"),
              N_("applicant"), N_("respondent"), N_("other"))
# The words dispatch.js shows (its HTML is api/templates/dispatch.html).
DISPATCH_WORDS = (*PAGE_WORDS, *CARD_WORDS, N_("{hours} h"), N_("{days} d"), N_("nothing is named “{name}”"),
                  N_("area: {name} ({code})"), N_("severity"), N_("responsible level"), N_("mediator"),
                  N_("Reassign"), N_("Dispatch"), N_("reason for choosing {name}"), N_("Extend"),
                  N_("days"), N_("the parties' agreement"), N_("the time it happened cannot be in the future"),
                  N_("registered as case {id}"), N_("live"), N_("proposed no. 1: {why}"),
                  N_("the {shown} nearest their deadline of {total}"), N_("{name}: now click the exact place on the map"),
                  N_("live: case {id} {action}"), N_("reconnecting…"), N_("handling this case"), N_("source"),
                  N_("photo or document"), N_("file {name} kept with the case"))
# The words field.js shows (api/templates/field.html).
FIELD_WORDS = (*PAGE_WORDS, N_("online"), N_("no signal: reports wait on this phone"), N_("{count} waiting"),
               N_("check-in"), N_("Remove"), N_("nothing waits"), N_("as seen {when}"),
               N_("this phone cannot tell where it is"), N_("tap the map for the place first, or use where you are"),
               N_("report kept; sending"), N_("report kept on this phone: it is sent when there is a signal"),
               N_("check-in kept"), N_("case {id} is registered; a photo was not kept: {reason}"))
# The words mediator.js shows (api/templates/mediator.html).
MEDIATOR_WORDS = (*PAGE_WORDS, *CARD_WORDS, N_("{count} cases still running"), N_("no case is waiting for you"),
                  N_("Accept the case"), N_("handed back: the dispatchers choose another mediator"), N_("Hand back"),
                  N_("why you cannot take it"), N_("due {when}"))
# How an agreement was made (People's Mediation Law arts. 28-29), as the card offers it.
AGREEMENT_FORMS = {"written": N_("written agreement"), "oral": N_("oral agreement")}
DATUMS = {"wgs84": N_("WGS-84 (GPS)"), "gcj02": N_("GCJ-02 (AMap, Tencent)"), "bd09": N_("BD-09 (Baidu)")}

# What a tile's properties are called in a popup, and the vocabularies of the coded ones.
PROPERTY_NAMES = {"code": N_("code"), "name": N_("name"), "kind": N_("kind"), "households": N_("households"),
                  "id": N_("number"), "industry": N_("industry"), "device_type": N_("device type"),
                  "heading_deg": N_("heading (°)"), "fov_deg": N_("field of view (°)"), "range_m": N_("range (m)"),
                  "employment": N_("employment"), "organisation_id": N_("organisation"), "on_duty": N_("on duty"),
                  "category": N_("category"), "severity": N_("severity"), "status": N_("status"), "h3": N_("H3 cell"),
                  "value": N_("value"), "open": N_("open"), "due": N_("due by")}
CODED_PROPERTIES = ("kind", "employment", "category", "severity", "status")


def _popup_words() -> dict:
    """Property names and the labels of coded values, in the page's language, for its popups."""
    return {"names": {key: translate(name) for key, name in PROPERTY_NAMES.items()},
            "values": {key: {code: label(key, code) for code in VOCABULARIES[key]} for key in CODED_PROPERTIES},
            "yes": translate(N_("yes")), "no": translate(N_("no"))}


def _symbol(layer: str, only: str | None) -> dict:
    """How the legend draws an overlay: a line, a point, a colour ramp with its numbers, or
    incidents' colours by status (``only`` the open or the concluded ones)."""
    if layer in _LINES:
        return {"line": _LINES[layer][0], "width": _LINES[layer][1]}
    if layer in _POINTS:
        return {"point": _POINTS[layer]}
    if layer in _RAMPS:
        top, counts = _RAMPS[layer]
        return {"ramp": _RAMP, "top": top, "counts": translate(counts)}
    shown = [status for status in STATUSES if (status in OPEN) == (only == "open")]
    return {"statuses": [{"color": STATUS_COLOURS[status], "text": label("status", status)} for status in shown],
            "overdue": translate(N_("overdue (ringed)")) if only == "open" else None}


def _overlays(view: str) -> list[dict]:
    """The overlays of a view: a title in the page's language, the tile layers, shown or not,
    and the legend's symbol."""
    def overlay(title: str, layers: str, on: bool, fill: str | None = None, only: str | None = None) -> dict:
        return {"title": translate(title), "layers": layers, "on": on, "fill": fill, "only": only,
                "symbol": _symbol(fill or layers, only)}
    if view == "map":
        return [overlay(N_("Districts"), "districts", True), overlay(N_("Towns"), "towns", True),
                overlay(N_("Villages"), "villages", False), overlay(N_("Grids"), "grids", False),
                overlay(N_("Incident heat (H3)"), "incident_heat", False),
                overlay(N_("Incidents: open"), "incidents", False, only="open"),
                overlay(N_("Incidents: concluded"), "incidents", False, only="concluded"),
                overlay(N_("Mediators"), "mediators", False), overlay(N_("Cameras (Sharp Eyes)"), "cameras", False)]
    if view == "overview":
        return [overlay(N_("Villages by households"), "villages", True, fill="villages_fill"),
                overlay(N_("Districts"), "districts", True)]
    if view == "area":
        return [overlay(N_("Grids"), "grids", True), overlay(N_("Villages"), "villages", True)]
    return [overlay(N_("Incident heat (H3)"), "incident_heat", True), overlay(N_("Towns"), "towns", True)]


def _labelled(view: str) -> list[str]:
    """The levels whose names a view writes on the map (each from its zoom in LABEL_ZOOMS)."""
    return {"map": ["district", "town", "village", "grid"], "overview": ["district", "village"],
            "area": ["village", "grid"], "heat": ["town"]}[view]


def page(view: str, *, nonce: str, basemap: str = "none", focus: str | None = None, filters: dict | None = None,
         alerts_as_of: str | None = None, session: str | None = None, title: str | None = None,
         data_as_of: datetime | None = None, layers: frozenset[str] | None = None) -> str:
    """The HTML of a full map (``view="map"``, with the early-warning layer as of ``alerts_as_of``,
    default now) or of an embed view. Its settings go in a JSON block that /static/map.js reads;
    folium's inline scripts carry ``nonce`` (the page's Content-Security-Policy allows no other).
    An embed page sends ``session`` as its credentials (it has no cookie in a portal's frame).
    The legend gives ``data_as_of`` in Haikou time; the overlays are those of the caller's
    tile ``layers`` (None: all)."""
    if view != "map" and view not in EMBED_VIEWS:
        raise NotFound("no map view {view}; there are {embed_views}", field="view", view=view, embed_views=sorted(EMBED_VIEWS))
    if basemap not in BASEMAPS:
        raise Invalid("basemap must be one of {basemaps}", field="basemap", basemaps=sorted(BASEMAPS))
    if view == "area" and not focus:
        raise Invalid("the area view needs ?code=", field="code")
    chosen = BASEMAPS[basemap]
    datum = chosen.datum if chosen else Datum.WGS84
    fmap = folium.Map(location=[20.02, 110.33], zoom_start=10, tiles=None, control_scale=False, max_zoom=18)
    fmap.default_js, fmap.default_css = VENDOR_JS, VENDOR_CSS
    title = title or translate(N_("Haikou grid management"))
    fmap.get_root().title = escape(title)   # folium writes it into <title> as it is; it may hold an area's name
    if chosen:
        key = get_settings().web.tianditu_key
        if chosen.needs_key and not key:
            raise Invalid("the Tianditu basemap needs GRID_TIANDITU_KEY", field="basemap")
        folium.TileLayer(chosen.url.replace("{key}", key or ""), attr=chosen.attribution, name=basemap).add_to(fmap)
    params = {k: v for k, v in (filters or {}).items() if v}
    if datum is not Datum.WGS84:
        params["crs"] = datum.value
    overlays = [o for o in _overlays(view) if layers is None or set(o["layers"].split(",")) <= layers]
    config = {"map": fmap.get_name(), "overlays": overlays, "lines": _LINES, "points": _POINTS,
              "ramp": _RAMP, "ramps": {name: top for name, (top, _) in _RAMPS.items()}, "statuses": STATUS_COLOURS,
              "open": OPEN, "labels": {"levels": _labelled(view), "zooms": LABEL_ZOOMS},
              "query": urlencode(params), "session": session, "words": words(MAP_WORDS), "popup": _popup_words(),
              "control": view == "map", "search": view == "map", "focus": focus, "title": view != "map" and title,
              "asOf": data_as_of and data_as_of.astimezone(HAIKOU_TIME).strftime("%Y-%m-%d %H:%M"),
              "alerts": view == "map" and {"as_of": alerts_as_of}}
    header = fmap.get_root().header
    header.add_child(folium.Element('<link rel="icon" href="data:,">'))
    header.add_child(folium.Element('<script src="/static/words.js" defer></script>'))
    header.add_child(folium.Element('<script src="/static/map.js" defer></script>'))
    fmap.get_root().html.add_child(folium.Element(
        f'<script type="application/json" id="map-config">{json_for_html(config)}</script>'))
    html = _INLINE_SCRIPT.sub(f'<script nonce="{nonce}"', fmap.get_root().render())
    return html.replace("<html>", f'<html lang="{current()}">', 1)


_INLINE_SCRIPT = re.compile(r"<script(?=[\s>])(?![^>]*\b(?:src|type)=)")


def json_for_html(value) -> str:
    """JSON safe inside an HTML element: no ``<``, ``>`` or ``&`` that could end it."""
    return (json.dumps(value, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("&", "\\u0026"))


def image_hosts(basemap: str) -> tuple[str, ...]:
    """The hosts a page's basemap draws from (for its Content-Security-Policy)."""
    chosen = BASEMAPS.get(basemap)
    return (urlsplit(chosen.url).scheme + "://" + urlsplit(chosen.url).netloc,) if chosen else ()


LAYER_NAMES = {"districts": N_("Districts"), "towns": N_("Towns"), "villages": N_("Villages"), "grids": N_("Grids"),
               "incident_heat": N_("Incident heat (H3)"), "households": N_("Households (H3)"),
               "camera_coverage": N_("Camera coverage (H3)"), "incidents": N_("Incidents"), "mediators": N_("Mediators"),
               "cameras": N_("Cameras (Sharp Eyes)"), "camera_fov": N_("Cameras' fields of view"),
               "labels": N_("Area names")}


def embed_scope(principal: Principal | None) -> dict:
    """What an embed key opens, in words of the page's language: the caller's key if it is an
    embed key, else what a new embed key opens by default (no origins: those the key names)."""
    embed = principal is not None and principal.role is Role.EMBED
    origins, views, layers = (principal.origins, principal.views, principal.layers) if embed else ((), None, None)
    comma = "、" if current() == "zh-CN" else ", "
    return {"origins": list(origins),
            "views": comma.join(translate(EMBED_VIEWS[v]) for v in sorted(views or EMBED_VIEWS)),
            "layers": comma.join(translate(LAYER_NAMES[name]) for name in sorted(
                PUBLIC_LAYERS if layers is None else layers, key=list(LAYER_NAMES).index))}


def snippet(src: str, view: str, width: int, height: int) -> str:
    """The <iframe> HTML another portal pastes to embed a view at ``src``."""
    if view not in EMBED_VIEWS:
        raise NotFound("no map view {view}; there are {embed_views}", field="view", view=view, embed_views=sorted(EMBED_VIEWS))
    return (f'<iframe src="{escape(src, quote=True)}" width="{width}" height="{height}" '
            f'style="border:0" loading="lazy" title="{escape(translate(EMBED_VIEWS[view]), quote=True)}"></iframe>')
