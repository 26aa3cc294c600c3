// The map pages (/map and /embed/*): the service's own vector tiles and GeoJSON on a folium
// map. The page puts its settings in <script type="application/json" id="map-config">.
// Every value from the API reaches the page as text (el() below), never as HTML.
(function () {
  "use strict";
  // VectorGrid draws points as circle markers with no latlng of their own, and Leaflet asks a
  // small circle for its latlng on a click (and threw): such a marker answers from the mouse.
  var latLngOf = L.CircleMarker.prototype.getLatLng;
  Object.defineProperty(L.CircleMarker.prototype, "getLatLng", {
    configurable: true, get: function () { return this._latlng ? latLngOf : undefined; }});
  var cfg = JSON.parse(document.getElementById("map-config").textContent);
  var map = window[cfg.map];
  var query = cfg.query ? "?" + cfg.query : "";
  // An embed page has no cookie (a portal frames it): it sends its page session as a header.
  var headers = cfg.session ? {"X-API-Key": cfg.session} : {};
  function get(path) {
    return fetch(path, {headers: headers, credentials: "same-origin"}).then(function (r) { return r.json(); });
  }
  var t = window.gridWords(cfg.words);   // the page's words, in its language (/static/words.js)
  function el(tag, text, children) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    (children || []).forEach(function (child) { node.appendChild(child); });
    return node;
  }
  function lines(rows) {   // rows of text, one <div> each
    return el("div", null, rows.map(function (row) { return el("div", row); }));
  }
  function rgb(hex) { return [1, 3, 5].map(function (i) { return parseInt(hex.slice(i, i + 2), 16); }); }
  function ramp(v, top) {   // cfg.ramp's light end at 0, its dark end at top and above
    var t = Math.min(1, v / top), low = rgb(cfg.ramp[0]), high = rgb(cfg.ramp[1]);
    return "rgb(" + low.map(function (c, i) { return Math.round(c + (high[i] - c) * t); }).join(",") + ")";
  }
  var coloured = cfg.overlays.some(function (o) { return o.fill; });
  function haikouDay(moment) {   // the day in Haikou (UTC+8) of an ISO moment, as the reports count days
    return new Date(moment).toLocaleDateString("sv-SE", {timeZone: "Asia/Shanghai"});
  }
  function overdue(p) { return p.open && p.due !== undefined && p.due * 1000 < Date.now(); }
  function styleFor(name, only) {
    // Areas are filled (transparently), so that a click anywhere inside opens the popup, not only on
    // the line; on a view with a coloured fill (villages by households) the fill answers instead.
    if (cfg.lines[name]) return {weight: cfg.lines[name][1], color: cfg.lines[name][0], fill: !coloured,
                                 fillColor: cfg.lines[name][0], fillOpacity: 0};
    if (cfg.points[name]) return {radius: 4, weight: 1, color: cfg.points[name], fill: true, fillOpacity: 0.8};
    if (name === "incidents") return function (p) {   // only the open or the concluded ones; overdue ones ringed
      if ((only === "open") !== Boolean(p.open)) return [];
      var late = overdue(p);
      return {radius: late ? 6 : 4, weight: late ? 2.5 : 1, color: late ? "#000" : cfg.statuses[p.status],
              fill: true, fillColor: cfg.statuses[p.status], fillOpacity: 0.9};
    };
    if (name === "villages_fill") return function (p) {
      return {fill: true, fillOpacity: 0.6, weight: 0.5, color: "#666", fillColor: ramp(p.households, cfg.ramps[name])}; };
    return function (p) { return {fill: true, fillOpacity: 0.6, weight: 0, fillColor: ramp(p.value, cfg.ramps[name])}; };
  }
  function tiles(names, stylesByLayer, only) {
    var styles = {};
    names.split(",").forEach(function (n) { styles[n] = stylesByLayer[n] || styleFor(n, only); });
    var layer = L.vectorGrid.protobuf("/tiles/" + names + "/{z}/{x}/{y}.mvt" + query,
        {vectorTileLayerStyles: styles, interactive: true, maxNativeZoom: 18,
         fetchOptions: {headers: headers, credentials: "same-origin"}});
    layer.on("click", function (e) {   // the feature's properties under their names, coded values as labels
      var properties = e.layer.properties, words = cfg.popup || {names: {}, values: {}};
      var rows = Object.keys(properties).map(function (k) {
        var v = properties[k], coded = (words.values[k] || {})[v];
        var shown = coded !== undefined ? coded : v === true ? words.yes : v === false ? words.no
          : k === "due" ? new Date(v * 1000).toLocaleString(document.documentElement.lang) : v;
        return el("tr", null, [el("th", words.names[k] || k), el("td", shown)]);
      });
      L.popup().setLatLng(e.latlng).setContent(el("table", null, rows)).openOn(map);
    });
    return layer;
  }
  var overlays = {};
  cfg.overlays.forEach(function (o) {
    var styles = {};
    if (o.fill) styles[o.layers] = styleFor(o.fill);
    overlays[o.title] = tiles(o.layers, styles, o.only);
    overlays[o.title].symbol = o.symbol;
    if (o.on) overlays[o.title].addTo(map);
  });
  if (cfg.alerts) {
    // Early warning: hotspot outlines and repeat disputes, with their evidence in a popup.
    var alerts = L.geoJSON(null, {
      style: {color: "#d7301f", weight: 2, fillOpacity: 0.15},
      pointToLayer: function (f, at) { return L.circleMarker(at, {radius: 6, color: "#000", weight: 2, fillOpacity: 0}); },
      onEachFeature: function (f, layer) {
        var p = f.properties, e = p.evidence, text = p.kind === "hotspot"
          ? [t("hotspot {cell}", {cell: p.cell}), t("recent {recent}, expected {expected} (×{ratio}), q {q}",
             {recent: e.recent, expected: e.expected, ratio: e.ratio, q: Number(e.q_value).toPrecision(2)})]
          : [t("repeat dispute: {category} ×{cases}", {category: (cfg.popup.values.category || {})[p.category] ||
                                                            p.category, cases: e.cases}),
             haikouDay(e.first) + " – " + haikouDay(e.last)];
        layer.bindPopup(lines(text.concat([p.village + "（" + p.town + "）"])));
      }});
    overlays[t("Alerts")] = alerts;
    alerts.symbol = {alerts: true};
    get("/warnings" + (query ? query + "&" : "?") + "format=geojson" +
        (cfg.alerts.as_of ? "&as_of=" + encodeURIComponent(cfg.alerts.as_of) : ""))
      .then(function (fc) { alerts.addData(fc); window.alertCount = fc.features.length; });
  }
  L.control.scale({imperial: false}).addTo(map);
  if (cfg.control) L.control.layers(null, overlays, {collapsed: false}).addTo(map);
  if (cfg.title) {   // an embed says what it shows
    var heading = L.control({position: "topright"});
    heading.onAdd = function () {
      var div = el("div", cfg.title);
      div.id = "map-title";
      div.className = "leaflet-bar";
      div.style.cssText = "background: white; padding: 4px 10px; font: bold 14px sans-serif";
      return div;
    };
    heading.addTo(map);
  }
  legend();
  labels();
  window.gridWords.leaflet(map, t);
  var panel = null, latest = null;
  function pct(x) { return x === null || x === undefined ? "-" : (x * 100).toFixed(1) + " %"; }
  function dashboard(code) {
    if (!panel) return;
    latest = code;   // a slower answer for an earlier area must not overwrite this one
    get("/dashboard" + (query ? query + "&" : "?") + "lists=false&area=" + encodeURIComponent(code)).then(function (d) {
      if (!d.area || code !== latest) return;
      var m = d.mediator_coverage, c = d.cameras, days = d.time_to_conclusion_days, o = d.overdue;
      panel.replaceChildren(el("b", d.area.name), lines([
        t("full-time mediators: {with_full_time}/{villages} villages ({share}; target 100 %)",
          {with_full_time: m.with_full_time_mediator, villages: m.villages, share: pct(m.share)}),
        t("{cameras} cameras; {without} of {grids} grids without one",
          {cameras: c.cameras, without: c.grids_without_camera, grids: c.grids}),
        t("days to conclusion: median {median}, p90 {p90}", {median: days.median, p90: days.p90}),
        t("open cases overdue: {overdue}/{open} ({share})", {overdue: o.overdue, open: o.open, share: pct(o.share)})]));
      window.lastDashboard = d.area.code;
    });
  }
  var outline = null, message = null;   // the search box's status line (pages with a search box)
  function say(text) { if (message) message.textContent = text; }
  function show(code) {
    return get("/areas/" + encodeURIComponent(code) + query).then(function (f) {
      if (f.type !== "Feature") {   // a problem document: say why beside the box (as text)
        say(f.detail || f.title || t("not found"));
        window.lastSearch = f.detail;
        return;
      }
      if (outline) { map.removeLayer(outline); }   // one outline: the latest search's
      outline = L.geoJSON(f, {style: {color: "#08519c", weight: 3, fill: false}}).addTo(map);
      map.fitBounds(outline.getBounds());
      say("");
      window.lastSearch = f.properties.name;
      dashboard(code);
    });
  }
  function find(typed) {   // a code is shown at once; a name is searched, and the best match shown
    if (/^\d+$/.test(typed)) return show(typed);
    return get("/search?limit=5&q=" + encodeURIComponent(typed) + (query ? "&" + cfg.query : "")).then(function (found) {
      if (!found.items) { say(found.detail || found.title); window.lastSearch = found.detail; return; }
      if (!found.items.length) { say(t("nothing is named “{name}”", {name: typed})); window.lastSearch = null; return; }
      return show(found.items[0].code).then(function () {
        var others = found.items.slice(1).map(function (a) { return a.name + "（" + a.within.join(" ") + "）"; });
        if (others.length) say(t("also: {names}", {names: others.join("、")}));
      });
    });
  }
  if (cfg.search) {
    var box = L.control({position: "topleft"});
    box.onAdd = function () {
      var div = L.DomUtil.create("div", "leaflet-bar");
      var input = el("input"), go = el("button", t("Search"));
      input.id = "area-code"; input.placeholder = t("name or code"); input.size = 16;
      go.id = "area-go";
      go.addEventListener("click", function () { find(input.value.trim()); });
      input.addEventListener("keydown", function (e) { if (e.key === "Enter") { find(input.value.trim()); } });
      message = el("div", "");
      message.id = "area-message";
      message.setAttribute("role", "status");
      message.style.cssText = "background: white; color: #a50f15; font: 12px sans-serif; max-width: 260px";
      div.append(input, go, message);
      L.DomEvent.disableClickPropagation(div);
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

  // The legend: each overlay on the map with its symbol (a line, a point, a colour ramp and its
  // numbers, incidents' colours by status), and the date of the data.
  function swatch(css) { var s = el("span"); s.className = "legend-swatch"; s.style.cssText = css; return s; }
  function row(symbol, text) { var r = el("div", null, [symbol, el("span", text)]); r.className = "legend-row"; return r; }
  function entries(title, symbol) {
    if (symbol.line) return [row(swatch("border-top: " + symbol.width + "px solid " + symbol.line + "; height: 0"), title)];
    if (symbol.point) return [row(swatch("background: " + symbol.point + "; border-radius: 50%"), title)];
    if (symbol.ramp) {
      var bar = swatch("width: 120px; background: linear-gradient(to right, " + symbol.ramp.join(", ") + ")");
      var numbers = el("div", null, [el("span", "0"), el("span", String(symbol.top / 2)), el("span", "≥ " + symbol.top)]);
      numbers.className = "legend-numbers";
      return [el("div", title), row(bar, ""), numbers, el("div", symbol.counts)];
    }
    if (symbol.alerts) return [el("div", title), row(swatch("border: 2px solid #d7301f"), t("hotspot")),
                               row(swatch("border: 2px solid #000; border-radius: 50%"), t("repeat dispute"))];
    var rows = [el("div", title)].concat(symbol.statuses.map(function (s) {
      return row(swatch("background: " + s.color + "; border-radius: 50%"), s.text); }));
    if (symbol.overdue) rows.push(row(swatch("border: 2.5px solid #000; border-radius: 50%"), symbol.overdue));
    return rows;
  }
  function legend() {
    var box = L.control({position: "bottomright"});
    box.onAdd = function () {
      var div = L.DomUtil.create("div", "leaflet-bar map-legend");
      div.id = "legend";
      div.style.cssText = "background: white; padding: 4px 8px; font: 12px sans-serif; max-width: 220px; " +
        "max-height: 35vh; overflow-y: auto";   // a small screen keeps the layer switch above it clear
      function draw() {
        var shown = [el("b", t("Legend"))];
        Object.keys(overlays).forEach(function (title) {
          if (map.hasLayer(overlays[title])) shown = shown.concat(entries(title, overlays[title].symbol));
        });
        if (cfg.asOf) shown.push(el("div", t("data as of {moment}", {moment: cfg.asOf})));
        div.replaceChildren.apply(div, shown);
      }
      map.on("overlayadd overlayremove", draw);
      draw();
      return div;
    };
    box.addTo(map);
  }

  // Names on the map: the finest level of the view whose names fit at this zoom (cfg.labels).
  function drawn(level) {   // a level's lines are on the map (its overlay is switched on)
    return cfg.overlays.some(function (o) { return o.layers === level + "s" && map.hasLayer(overlays[o.title]); });
  }
  function labelLevel(zoom) {   // the finest level on the map whose names fit at this zoom, else the coarsest on it
    var shown = cfg.labels.levels.filter(drawn);
    var fitting = shown.filter(function (level) { return cfg.labels.zooms[level] <= zoom; });
    return fitting.length ? fitting[fitting.length - 1] : shown[0];
  }
  function labels() {
    var group = L.layerGroup().addTo(map), asked = 0;
    function refresh() {
      var level = labelLevel(map.getZoom()), b = map.getBounds(), mine = ++asked;
      if (!level) { group.clearLayers(); window.labelsShown = {level: null, count: 0}; return; }
      var bbox = [Math.max(b.getWest(), -180), Math.max(b.getSouth(), -90), Math.min(b.getEast(), 180),
                  Math.min(b.getNorth(), 90)].map(function (v) { return v.toFixed(5); });
      get("/areas/labels?level=" + level + "&bbox=" + bbox.join(",") + (query ? "&" + cfg.query : "")).then(function (found) {
        if (mine !== asked || !found.items) return;   // a later view's answer wins; a problem draws no names
        group.clearLayers();
        var placed = [];   // the boxes of the names written so far: the largest areas' names go first
        found.items.forEach(function (a) {
          var name = el("span", a.name);
          name.className = "area-label area-label-" + level;
          var marker = L.marker([a.lat, a.lon], {interactive: false, keyboard: false,
            icon: L.divIcon({className: "area-label-icon", html: name, iconSize: null})});
          group.addLayer(marker);
          var box = name.getBoundingClientRect();
          if (placed.some(function (p) { return box.left < p.right && p.left < box.right && box.top < p.bottom &&
                                                p.top < box.bottom; })) group.removeLayer(marker);
          else placed.push(box);
        });
        window.labelsShown = {level: level, count: placed.length};
      });
    }
    map.on("moveend overlayadd overlayremove", refresh);
    refresh();
  }
  window.haikouMap = {map: map, overlays: overlays, show: show};
})();
