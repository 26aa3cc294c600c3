"""Map pages built with folium, drawing the service's own vector tiles and GeoJSON.

Everything a page loads comes from this service: Leaflet and Leaflet.VectorGrid are
installed from the npm registry at set-up (web/package.json) and served under
/vendor. The basemap is a choice (none by default, so the maps work offline); on an
Amap basemap the overlays are asked for in GCJ-02, or they would sit 500 m off.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from html import escape
from urllib.parse import urlencode

import folium
from branca.element import MacroElement
from jinja2 import Template

from geo.crs import Datum
from geo.errors import Invalid, NotFound
from geo.settings import get_settings

VENDOR_JS = [("leaflet", "/vendor/leaflet/leaflet.js"),
             ("vectorgrid", "/vendor/vectorgrid/Leaflet.VectorGrid.bundled.min.js")]
VENDOR_CSS = [("leaflet_css", "/vendor/leaflet/leaflet.css")]


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
EMBED_VIEWS = {"overview": "City overview: villages by households",
               "area": "One town or village and its grids (?code=)",
               "heat": "Incident heat (?category=&since=&until=)"}

# The overlays: a name in the layer control, the tile layers, and a Leaflet style per layer.
_LINES = {"districts": ("#7a0177", 2.5), "towns": ("#c51b8a", 1.5), "villages": ("#f768a1", 0.8), "grids": ("#969696", 0.5)}
_POINTS = {"cameras": "#33a02c", "mediators": "#1f78b4", "incidents": "#e31a1c"}

_SCRIPT = """
(function () {
  var map = %(map)s, cfg = %(config)s;
  var query = cfg.query ? "?" + cfg.query : "";
  function ramp(v, top) { var t = Math.min(1, v / top); return "rgb(" + Math.round(255 - 66 * t) + "," +
      Math.round(255 - 255 * t) + "," + Math.round(178 - 140 * t) + ")"; }
  function styleFor(name) {
    if (cfg.lines[name]) return {weight: cfg.lines[name][1], color: cfg.lines[name][0], fill: false};
    if (cfg.points[name]) return {radius: 4, weight: 1, color: cfg.points[name], fill: true, fillOpacity: 0.8};
    if (name === "villages_fill") return function (p) {
      return {fill: true, fillOpacity: 0.6, weight: 0.5, color: "#666", fillColor: ramp(p.households, 8000)}; };
    return function (p) { return {fill: true, fillOpacity: 0.6, weight: 0, fillColor: ramp(p.value, cfg.heatTop)}; };
  }
  function tiles(names, stylesByLayer) {
    var styles = {};
    names.split(",").forEach(function (n) { styles[n] = stylesByLayer[n] || styleFor(n); });
    var layer = L.vectorGrid.protobuf("/tiles/" + names + "/{z}/{x}/{y}.mvt" + query,
        {vectorTileLayerStyles: styles, interactive: true, maxNativeZoom: 18});
    layer.on("click", function (e) {
      var rows = Object.keys(e.layer.properties).map(function (k) {
        return "<tr><th>" + k + "</th><td>" + e.layer.properties[k] + "</td></tr>"; }).join("");
      L.popup().setLatLng(e.latlng).setContent("<table>" + rows + "</table>").openOn(map);
    });
    return layer;
  }
  var overlays = {};
  cfg.overlays.forEach(function (o) {
    var styles = {};
    if (o.fill) styles[o.layers] = styleFor(o.fill);
    overlays[o.title] = tiles(o.layers, styles);
    if (o.on) overlays[o.title].addTo(map);
  });
  if (cfg.alerts) {
    // Early warning: hotspot outlines and repeat disputes, with their evidence in a popup.
    var alerts = L.geoJSON(null, {
      style: {color: "#d7301f", weight: 2, fillOpacity: 0.15},
      pointToLayer: function (f, at) { return L.circleMarker(at, {radius: 6, color: "#000", weight: 2, fillOpacity: 0}); },
      onEachFeature: function (f, layer) {
        var p = f.properties, e = p.evidence, text = p.kind === "hotspot"
          ? "热点 hotspot " + p.cell + "<br>recent " + e.recent + ", expected " + e.expected + " (×" + e.ratio + "), q " +
            e.q_value.toPrecision(2)
          : "重复纠纷 repeat: " + p.category_zh + " ×" + e.cases + "<br>" + e.first.slice(0, 10) + " – " + e.last.slice(0, 10);
        layer.bindPopup(text + "<br>" + p.village + "（" + p.town + "）");
      }});
    overlays["预警 Alerts"] = alerts;
    fetch("/warnings" + (query ? query + "&" : "?") + "format=geojson" +
          (cfg.alerts.as_of ? "&as_of=" + encodeURIComponent(cfg.alerts.as_of) : ""))
      .then(function (r) { return r.json(); })
      .then(function (fc) { alerts.addData(fc); window.alertCount = fc.features.length; });
  }
  if (cfg.control) L.control.layers(null, overlays, {collapsed: false}).addTo(map);
  var panel = null;
  function pct(x) { return x === null || x === undefined ? "-" : (x * 100).toFixed(1) + " %%"; }
  function dashboard(code) {
    if (!panel) return;
    fetch("/dashboard" + (query ? query + "&" : "?") + "lists=false&area=" + encodeURIComponent(code))
      .then(function (r) { return r.json(); }).then(function (d) {
        if (!d.area) return;
        var m = d.mediator_coverage, c = d.cameras, t = d.time_to_conclusion_days, o = d.overdue;
        panel.innerHTML = "<b>" + d.area.name + "</b><br>专职调解员 full-time mediator: " + m.with_full_time_mediator +
          "/" + m.villages + " villages (" + pct(m.share) + ", target 100 %%)<br>" + c.cameras + " cameras; " +
          c.grids_without_camera + " of " + c.grids + " grids without one<br>days to conclusion: median " +
          t.median + ", p90 " + t.p90 + "<br>open cases overdue: " + o.overdue + "/" + o.open + " (" + pct(o.share) + ")";
        window.lastDashboard = d.area.code;
      });
  }
  function show(code) {
    return fetch("/areas/" + encodeURIComponent(code) + query).then(function (r) { return r.json(); })
      .then(function (f) {
        if (f.type !== "Feature") { window.lastSearch = f.detail; return; }
        var shape = L.geoJSON(f, {style: {color: "#08519c", weight: 3, fill: false}}).addTo(map);
        map.fitBounds(shape.getBounds());
        window.lastSearch = f.properties.name;
        dashboard(code);
      });
  }
  if (cfg.search) {
    var box = L.control({position: "topleft"});
    box.onAdd = function () {
      var div = L.DomUtil.create("div", "leaflet-bar");
      div.innerHTML = '<input id="area-code" placeholder="area code 区划代码" size="16">' +
                      '<button id="area-go">go</button>';
      L.DomEvent.disableClickPropagation(div);
      div.querySelector("#area-go").onclick = function () { show(div.querySelector("#area-code").value.trim()); };
      return div;
    };
    box.addTo(map);
    var figures = L.control({position: "bottomleft"});
    figures.onAdd = function () {
      panel = L.DomUtil.create("div", "leaflet-bar");
      panel.id = "dashboard";
      panel.style.cssText = "background: white; padding: 4px 8px; font: 12px sans-serif; max-width: 340px";
      return panel;
    };
    figures.addTo(map);
    dashboard("460100");
  }
  if (cfg.focus) show(cfg.focus);
  window.haikouMap = {map: map, overlays: overlays, show: show};
})();
"""


def _overlays(view: str) -> list[dict]:
    full = [{"title": "区 Districts", "layers": "districts", "on": True},
            {"title": "镇/街道 Towns", "layers": "towns", "on": True},
            {"title": "村/社区 Villages", "layers": "villages", "on": False},
            {"title": "网格 Grids", "layers": "grids", "on": False},
            {"title": "事件热力 Incident heat (H3)", "layers": "incident_heat", "on": False},
            {"title": "事件 Incidents", "layers": "incidents", "on": False},
            {"title": "调解员 Mediators", "layers": "mediators", "on": False},
            {"title": "雪亮工程 Cameras", "layers": "cameras", "on": False}]
    if view == "map":
        return full
    if view == "overview":
        return [{"title": "村/社区 Villages by households", "layers": "villages", "fill": "villages_fill", "on": True},
                {"title": "区 Districts", "layers": "districts", "on": True}]
    if view == "area":
        return [{"title": "网格 Grids", "layers": "grids", "on": True},
                {"title": "村/社区 Villages", "layers": "villages", "on": True}]
    return [{"title": "事件热力 Incident heat (H3)", "layers": "incident_heat", "on": True},
            {"title": "镇/街道 Towns", "layers": "towns", "on": True}]


def page(view: str, *, basemap: str = "none", focus: str | None = None, filters: dict | None = None,
         alerts_as_of: str | None = None, title: str = "海口市网格化服务管理 Haikou grid management") -> str:
    """The HTML of a full map (``view="map"``, with the early-warning layer as of ``alerts_as_of``,
    default now) or of an embed view."""
    if view != "map" and view not in EMBED_VIEWS:
        raise NotFound(f"no map view {view}; there are {sorted(EMBED_VIEWS)}", field="view")
    if basemap not in BASEMAPS:
        raise Invalid(f"basemap must be one of {sorted(BASEMAPS)}", field="basemap")
    if view == "area" and not focus:
        raise Invalid("the area view needs ?code=", field="code")
    chosen = BASEMAPS[basemap]
    datum = chosen.datum if chosen else Datum.WGS84
    fmap = folium.Map(location=[20.02, 110.33], zoom_start=10, tiles=None, control_scale=True, max_zoom=18)
    fmap.default_js, fmap.default_css = VENDOR_JS, VENDOR_CSS
    fmap.get_root().title = title
    if chosen:
        key = get_settings().tianditu_key
        if chosen.needs_key and not key:
            raise Invalid("the Tianditu basemap needs GRID_TIANDITU_KEY", field="basemap")
        folium.TileLayer(chosen.url.replace("{key}", key or ""), attr=chosen.attribution, name=basemap).add_to(fmap)
    params = {k: v for k, v in (filters or {}).items() if v}
    if datum is not Datum.WGS84:
        params["crs"] = datum.value
    config = {"overlays": _overlays(view), "lines": _LINES, "points": _POINTS, "heatTop": 30,
              "query": urlencode(params),
              "control": view == "map", "search": view == "map", "focus": focus,
              "alerts": view == "map" and {"as_of": alerts_as_of}}
    script = _SCRIPT % {"map": fmap.get_name(), "config": json.dumps(config, ensure_ascii=False)}
    fmap.add_child(_Script(script))            # a child of the map: rendered after the map exists
    fmap.get_root().header.add_child(folium.Element('<link rel="icon" href="data:,">'))
    return fmap.get_root().render()


class _Script(MacroElement):
    """Raw JavaScript placed in the page's script after its parent (the map) is created."""

    _template = Template("{% macro script(this, kwargs) %}{{ this.code }}{% endmacro %}")

    def __init__(self, code: str):
        super().__init__()
        self.code = code


def snippet(base_url: str, view: str, query: str, width: int, height: int) -> str:
    """The <iframe> HTML another portal pastes to embed a view."""
    if view not in EMBED_VIEWS:
        raise NotFound(f"no map view {view}; there are {sorted(EMBED_VIEWS)}", field="view")
    src = f"{base_url}embed/{view}" + (f"?{query}" if query else "")
    return (f'<iframe src="{escape(src, quote=True)}" width="{width}" height="{height}" '
            f'style="border:0" loading="lazy" title="{escape(EMBED_VIEWS[view], quote=True)}"></iframe>')
