"""MapLibre style JSON per map view, drawing the service's own tiles (no external basemap)."""
from __future__ import annotations

from geo.areas.service import LABEL_ZOOMS
from geo.errors import NotFound
from geo.i18n import N_, translate
from tiles.glyphs import FONT

VIEWS = {
    "overview": ("districts,towns,villages,labels", N_("City overview: districts, towns and villages")),
    "dispatch": ("grids,villages,incident_heat,incidents,mediators,cameras,labels",
                 N_("Dispatch: grids, incidents, mediators, cameras")),
    "coverage": ("villages,camera_coverage,cameras,camera_fov,labels", N_("Sharp Eyes camera coverage")),
}
# The levels whose names each view writes, from the level's zoom in LABEL_ZOOMS.
_LABELLED = {"overview": ("district", "town", "village"), "dispatch": ("village", "grid"), "coverage": ("village",)}
_LABEL_SIZE = {"district": 16, "town": 14, "village": 12, "grid": 11}
_LINE = {"districts": ("#7a0177", 2.5), "towns": ("#c51b8a", 1.5), "villages": ("#f768a1", 0.8), "grids": ("#969696", 0.4)}
_POINT = {"incidents": "#e31a1c", "mediators": "#1f78b4", "cameras": "#33a02c"}
_RAMP = {"incident_heat": ["#ffffb2", "#fd8d3c", "#bd0026"], "camera_coverage": ["#f7fcb9", "#78c679", "#006837"],
         "households": ["#f1eef6", "#74a9cf", "#045a8d"]}
_RAMP_TOP = {"incident_heat": 50, "camera_coverage": 1, "households": 2000}


def layers_of(view: str) -> str:
    """The comma list of layers a view draws."""
    if view not in VIEWS:
        raise NotFound("no map view {view}; there are {views}", field="view", view=view, views=sorted(VIEWS))
    return VIEWS[view][0]


def style(view: str, base_url: str, query: str) -> dict:
    """A style (version 8) for one of the VIEWS; its source is the view's TileJSON."""
    spec, title = layers_of(view), VIEWS[view][1]
    suffix = f"?{query}" if query else ""
    layers: list[dict] = [{"id": "background", "type": "background", "paint": {"background-color": "#f8f8f4"}}]
    for name in spec.split(","):
        common = {"source": "haikou", "source-layer": name}
        if name in _RAMP:
            low, mid, high = _RAMP[name]
            layers.append({"id": name, "type": "fill", **common, "paint": {
                "fill-opacity": 0.6, "fill-color": ["interpolate", ["linear"], ["get", "value"],
                                                    0, low, _RAMP_TOP[name] / 2, mid, _RAMP_TOP[name], high]}})
        elif name in _LINE:
            color, width = _LINE[name]
            layers.append({"id": f"{name}-line", "type": "line", **common,
                           "paint": {"line-color": color, "line-width": width}})
        elif name == "labels":
            layers.extend(_label_layers(view))
        elif name == "camera_fov":
            layers.append({"id": name, "type": "fill", **common, "paint": {"fill-color": "#33a02c", "fill-opacity": 0.2}})
        else:
            layers.append({"id": name, "type": "circle", **common,
                           "paint": {"circle-color": _POINT[name], "circle-radius": 3}})
    return {"version": 8, "name": translate(title), "glyphs": f"{base_url}fonts/{{fontstack}}/{{range}}.pbf",
            "sources": {"haikou": {"type": "vector", "url": f"{base_url}tiles/{spec}.json{suffix}"}},
            "layers": layers, "center": [110.33, 20.02], "zoom": 10}


def _label_layers(view: str) -> list[dict]:
    """Symbol layers writing the names of the view's levels, the coarsest last: MapLibre places
    the top layer's names first, so a district's name wins over a village's where they collide."""
    return [{"id": f"{level}-label", "type": "symbol", "source": "haikou", "source-layer": "labels",
             "minzoom": LABEL_ZOOMS[level], "filter": ["==", ["get", "level"], level],
             "layout": {"text-field": ["get", "name"], "text-font": [FONT], "text-size": _LABEL_SIZE[level],
                        "text-max-width": 8},
             "paint": {"text-color": _LINE[level + "s"][0], "text-halo-color": "#ffffff", "text-halo-width": 1.5}}
            for level in reversed(LABEL_ZOOMS) if level in _LABELLED[view]]
