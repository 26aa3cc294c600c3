// The planner page: a draft's grids on a map, edits through the /plans API, the validation
// report and the diff beside it, and publishing. Everything is served by this service.
(function () {
  "use strict";
  var params = new URLSearchParams(location.search);
  var planId = params.get("plan");   // the key, if the page was opened with one, is now a session cookie
  var map = L.map("map", {preferCanvas: false}).setView([20.02, 110.33], 11);
  var gridLayer = L.geoJSON(null, {style: gridStyle, onEachFeature: bindGrid}).addTo(map);
  var villageLayer = L.geoJSON(null, {style: {color: "#c51b8a", weight: 2, fill: false}, interactive: false}).addTo(map);
  var problemLayer = L.geoJSON(null, {style: {color: "#d00", weight: 3, fillOpacity: 0.3},
                                      pointToLayer: function (f, ll) { return L.circleMarker(ll, {radius: 8, color: "#d00"}); }}).addTo(map);
  var paintLayer = L.layerGroup().addTo(map);
  var cellLayer = L.layerGroup().addTo(map);   // while painting: the village's cells, shaded by households
  var $ = function (id) { return document.getElementById(id); };
  var page = window.gridPage, config = page.config;   // config from the server: the H3 resolution, the words
  var t = page.t, api = page.api, el = page.el, clear = page.clear;   // the page's words; the JSON API; safe DOM
  window.gridWords.leaflet(map, t);
  var handlers = L.drawLocal.draw.handlers;   // Leaflet.draw's hints while drawing, in the page's language
  handlers.polygon.tooltip = {start: t("Click to start the shape."), cont: t("Click to go on drawing the shape."),
                              end: t("Click the first point to close the shape.")};
  handlers.polyline.tooltip = {start: t("Click to start the line."), cont: t("Click to go on drawing the line."),
                               end: t("Click the last point again to finish the line.")};
  handlers.polyline.error = t("A boundary may not cross itself.");
  var selected = [], painting = false, paintCells = {}, resolution = config.h3Resolution, plan = null, fitted = false;

  function status(text) { $("status").textContent = text; }
  function busy(on) { page.busy($("side"), on); }

  // Households per grid against its village's target range (the plan's, else the default).
  var BALANCE = {under: "#4575b4", in: "#1a9850", over: "#d73027"};
  ["under", "in", "over"].forEach(function (k) { $(k + "-swatch").style.background = BALANCE[k]; });
  function target(village) { return (plan && plan.household_targets[village]) || config.targets; }
  function balance(properties) {
    var range = target(properties.parent_code);
    return properties.households < range[0] ? "under" : properties.households > range[1] ? "over" : "in";
  }
  function gridStyle(feature) {
    var on = selected.indexOf(feature.properties.code) >= 0;
    return {color: on ? "#0057b8" : "#555", weight: on ? 3 : 1, fillColor: BALANCE[balance(feature.properties)],
            fillOpacity: on ? 0.45 : 0.3};
  }
  // The selected grid's village: its target range, to set on a draft.
  function showTarget() {
    var village = selected.length === 1 ? selected[0].slice(0, 12) : null;
    $("target-form").hidden = !village || !plan || plan.status !== "draft" || !config.mayEdit;
    if ($("target-form").hidden) return;
    var range = target(village);
    $("target-form").dataset.village = village;
    $("target-village").textContent = t("target of village {village}:", {village: village});
    $("target-low").value = range[0];
    $("target-high").value = range[1];
  }
  $("target-form").onsubmit = function (event) {
    event.preventDefault();
    var targets = {};
    targets[$("target-form").dataset.village] = [Number($("target-low").value), Number($("target-high").value)];
    run(api("PATCH", "/plans/" + planId, {household_targets: targets}).then(function (summary) {
      return {plan: summary};
    }), t("target set"));
  };
  // The grids outside their range, most households first; a click shows and selects one.
  function showOutOfRange() {
    var list = clear($("out-of-range")), found = [];
    gridLayer.eachLayer(function (layer) { if (balance(layer.feature.properties) !== "in") found.push(layer); });
    found.sort(function (a, b) { return b.feature.properties.households - a.feature.properties.households; });
    found.forEach(function (layer) {
      var p = layer.feature.properties, range = target(p.parent_code);
      list.appendChild(el("li", {"data-code": p.code, text: p.code + " " + p.name + " · " +
        t("{households} households", p) + " (" + range[0] + "–" + range[1] + ")", on: {click: function () {
          map.fitBounds(layer.getBounds(), {maxZoom: 17});
          selected = [p.code];
          showSelection();
        }}}));
    });
    window.outOfRange = found.length;
  }

  function bindGrid(feature, layer) {
    layer.on("click", function (event) {
      if (painting) return;   // the click bubbles to the map, which paints
      var code = feature.properties.code;
      if (event.originalEvent.shiftKey) {
        var at = selected.indexOf(code);
        if (at >= 0) selected.splice(at, 1); else selected.push(code);
      } else {
        selected = [code];
      }
      showSelection();
    });
  }

  function showSelection() {
    gridLayer.setStyle(gridStyle);
    var items = selected.map(function (code) {
      var f = findGrid(code);
      return f ? code + " " + f.properties.name + " · " + t("{households} households", f.properties) : code;
    });
    $("selection").textContent = items.length ? items.join("\n") : t("Click a grid (shift-click adds more).");
    window.plannerSelection = selected.slice();
    showTarget();
  }

  function findGrid(code) {
    var found = null;
    gridLayer.eachLayer(function (layer) { if (layer.feature.properties.code === code) found = layer.feature; });
    return found;
  }

  function loadAreas() {
    return Promise.all([api("GET", "/plans/" + planId + "/areas?level=grid"),
                        api("GET", "/plans/" + planId + "/areas?level=village")]).then(function (both) {
      gridLayer.clearLayers().addData(both[0]);
      villageLayer.clearLayers().addData(both[1]);
      selected = selected.filter(findGrid);
      showSelection();
      showOutOfRange();
      if (!fitted && gridLayer.getLayers().length) { map.fitBounds(gridLayer.getBounds()); fitted = true; }
    });
  }

  function showReport(report) {
    problemLayer.clearLayers();
    $("report-status").textContent = report.valid ? t("valid") : t("{errors} errors", report);
    $("report-status").dataset.edit = report.edit;
    var list = clear($("report"));
    var summary = document.createElement("div");
    summary.textContent = t("{errors} errors, {warnings} warnings ({scope})", report);
    list.appendChild(summary);
    report.problems.forEach(function (problem) {
      var row = document.createElement("div");
      row.className = "problem " + problem.severity;
      row.textContent = t(problem.severity) + ": " + problem.message;
      if (problem.repair) {
        var fix = document.createElement("button");
        fix.textContent = t("repair (make_valid)");
        fix.onclick = function (e) { e.stopPropagation(); edit({op: "repair", code: problem.repair.code}, t("shape repaired")); };
        row.appendChild(fix);
      }
      if (problem.geometry) {
        var shape = L.geoJSON(problem.geometry);
        problemLayer.addData(problem.geometry);
        row.onclick = function () { map.fitBounds(shape.getBounds(), {maxZoom: 18}); };
      }
      list.appendChild(row);
    });
  }

  function showDiff() {
    return api("GET", "/plans/" + planId + "/diff").then(function (diff) {
      $("diff").textContent = t("{added} added, {removed} removed, {changed} changed; reassigned: " +
        "{incidents_reassigned} open incidents, {cameras_reassigned} cameras, {mediators_reassigned} mediators", diff.counts);
    });
  }

  function planLine(summary) {
    return t("Plan {id} · scope {scope} · on generation {base_generation} · {status} · {edits_applied} edits",
             Object.assign({}, summary, {status: t(summary.status)}));
  }
  function showPlan(summary) {
    plan = summary;
    var info = clear($("plan-info"));
    info.appendChild(document.createTextNode(planLine(summary)));
    if (summary.stale) info.appendChild(el("div", {"class": "stale", text:
      t("stale: another generation was published since its base; open a new draft on the current one")}));
    if (summary.stale && summary.status === "draft" && config.mayEdit) {   // where its scope is untouched
      info.appendChild(el("button", {id: "rebase", type: "button", text: t("Rebase onto the generation in force"),
        on: {click: function () {
          run(api("POST", "/plans/" + planId + "/rebase").then(function (s) { return {plan: s}; }),
              t("rebased onto the generation in force"));
        }}}));
    }
    var state = summary.status, live = !summary.stale;
    $("editing").hidden = $("reviewing").hidden = $("publishing").hidden = !config.mayEdit;
    Array.prototype.forEach.call($("tools").querySelectorAll("button"), function (b) { b.disabled = state !== "draft"; });
    $("apply-paint").disabled = state !== "draft" || !Object.keys(paintCells).length;
    $("undo").disabled = state !== "draft" || !summary.can_undo;
    $("redo").disabled = state !== "draft" || !summary.can_redo;
    $("submit-review").disabled = state !== "draft" || !live;
    $("approve").disabled = state !== "submitted" || !live;
    $("send-back").disabled = state !== "submitted" && state !== "approved";
    $("publish").disabled = !live || !(state === "approved" || (state === "draft" && config.review === "optional"));
    $("review-state").textContent = {draft: config.review === "required" ? t("a draft: submit it for review; another "
      + "planner approves it before it is published") : t("a draft: review is optional here"),
      submitted: t("submitted: waiting for another planner or an admin to approve it or send it back"),
      approved: t("approved: it may be published"), published: t("published"), discarded: t("discarded")}[state] || "";
    var log = clear($("reviews"));
    summary.reviews.forEach(function (r) {
      log.appendChild(el("li", {text: page.when(r.at) + " · " + t(r.action === "return"
        ? "sent back" : r.action === "approve" ? "approved" : "submitted") + " · " + r.actor + (r.note ? " · " + r.note : "")}));
    });
    $("review-link").value = location.origin + "/planner?plan=" + summary.id;   // no key: each opens it with theirs
    gridLayer.setStyle(gridStyle);   // the targets are the plan's
    showOutOfRange();
    showTarget();
  }

  function refresh(answer) {
    if (answer.plan) showPlan(answer.plan);
    if (answer.report) showReport(answer.report);
    return loadAreas().then(showDiff);
  }

  function run(promise, done) {
    busy(true);
    return promise.then(function (answer) {
      return refresh(answer || {}).then(function () { status(done); });
    }).catch(function (error) {
      refused(error);
    }).then(function () { busy(false); });
  }

  function refused(error) {   // the API's reason, in the page's language (the request asked in it)
    status(t("refused: {reason}", {reason: error.message}));
    if (error.data && error.data.report) showReport(error.data.report);
  }

  function edit(body, done) {
    return run(api("POST", "/plans/" + planId + "/edits", body), done);
  }

  function needSelection(n) {
    if (selected.length < n) { status(n > 1 ? t("select {n} grids first", {n: n}) : t("select a grid first")); return false; }
    return true;
  }

  function draw(kind, then) {
    var handler = kind === "line" ? new L.Draw.Polyline(map) : new L.Draw.Polygon(map);
    map.once(L.Draw.Event.CREATED, function (event) { then(event.layer.toGeoJSON().geometry); });
    handler.enable();
    status(kind === "line" ? t("draw the line; double-click to finish") : t("draw the polygon; click the first point to close"));
  }

  // Painting: the village's cells with their households (GET /plans/{id}/cells), and the
  // grids' households as they would be if the painted cells went to the target.
  var cellInfo = {};
  function showCells(village) {
    return api("GET", "/plans/" + planId + "/cells?" + new URLSearchParams({village: village})).then(function (found) {
      cellInfo = {};
      cellLayer.clearLayers();
      var most = Math.max.apply(null, found.cells.map(function (c) { return c.households; }).concat([1]));
      found.cells.forEach(function (c) {
        cellInfo[c.h3] = c;
        L.polygon(h3.cellToBoundary(c.h3), {interactive: false, weight: 0.3, color: "#777", fillColor: "#6a3d9a",
                                             fillOpacity: 0.05 + 0.5 * c.households / most}).addTo(cellLayer);
      });
      showTotals();   // cells painted before the answer came count now
    });
  }
  function showTotals() {
    var target = selected[0], change = {};
    change[target] = 0;
    Object.keys(paintCells).forEach(function (cell) {
      var info = cellInfo[cell];
      if (!info || info.grid === target) return;
      change[target] += info.households;
      change[info.grid] = (change[info.grid] || 0) - info.households;
    });
    var lines = Object.keys(change).map(function (code) {
      var f = findGrid(code), now = f ? f.properties.households : 0;
      return t("{code}: {before} → {after} households", {code: code, before: now, after: now + change[code]});
    });
    $("paint-totals").textContent = Object.keys(paintCells).length ? lines.join("; ") : "";
  }
  function paint(latlng) {
    var cell = h3.latLngToCell(latlng.lat, latlng.lng, resolution);
    if (paintCells[cell]) { paintLayer.removeLayer(paintCells[cell]); delete paintCells[cell]; }
    else { paintCells[cell] = L.polygon(h3.cellToBoundary(cell), {color: "#0057b8", weight: 1, fillOpacity: 0.5}).addTo(paintLayer); }
    var n = Object.keys(paintCells).length;
    $("paint-count").textContent = n;
    $("apply-paint").disabled = n === 0;
    showTotals();
  }

  function stopPainting() {
    painting = false;
    paintCells = {};
    paintLayer.clearLayers();
    cellLayer.clearLayers();
    $("paint-totals").textContent = "";
    $("paint-count").textContent = "0";
    $("apply-paint").disabled = true;
    $("tool-paint").textContent = t("Paint cells");
  }

  map.on("click", function (event) { if (painting) paint(event.latlng); });

  $("tool-replace").onclick = function () {
    if (needSelection(1)) draw("polygon", function (g) { edit({op: "replace", code: selected[0], geometry: g}, t("boundary redrawn")); });
  };
  $("tool-add").onclick = function () {
    if (needSelection(1)) draw("polygon", function (g) { edit({op: "add_grid", village: selected[0].slice(0, 12), geometry: g}, t("grid added")); });
  };
  $("tool-split").onclick = function () {
    if (needSelection(1)) draw("line", function (g) { edit({op: "split", code: selected[0], line: g}, t("area split")); });
  };
  $("tool-merge").onclick = function () { if (needSelection(2)) edit({op: "merge", codes: selected.slice()}, t("grids merged")); };
  $("tool-remove").onclick = function () { if (needSelection(1)) edit({op: "remove_grid", code: selected[0]}, t("grid removed")); };
  $("tool-autogrid").onclick = function () {
    if (needSelection(1)) edit({op: "autogrid", villages: [selected[0].slice(0, 12)]}, t("village divided into balanced grids"));
  };
  $("tool-paint").onclick = function () {
    if (painting) { stopPainting(); status(""); return; }
    if (!needSelection(1)) return;
    painting = true;
    showCells(selected[0].slice(0, 12)).catch(refused);
    $("tool-paint").textContent = t("Stop painting");
    status(t("click cells to give them to {grid}", {grid: selected[0]}));
  };
  $("apply-paint").onclick = function () {
    var cells = Object.keys(paintCells), target = selected[0];
    stopPainting();
    edit({op: "paint", target: target, cells: cells}, t("cells painted"));
  };
  $("undo").onclick = function () { run(api("POST", "/plans/" + planId + "/undo"), t("undone")); };
  $("redo").onclick = function () { run(api("POST", "/plans/" + planId + "/redo"), t("redone")); };
  function review(action, done) {
    var note = $("review-note").value.trim();
    return run(api("POST", "/plans/" + planId + "/" + action, note ? {note: note} : {}).then(function (summary) {
      $("review-note").value = "";
      return {plan: summary};
    }), done);
  }
  $("submit-review").onclick = function () { review("submit", t("submitted for review")); };
  $("approve").onclick = function () { review("approve", t("approved: it may be published")); };
  $("send-back").onclick = function () { review("return", t("sent back: a draft again")); };
  $("publish").onclick = function () {
    var reason = $("accept-warnings").value.trim();
    if (!window.confirm(t("Publish plan {id} as the boundaries in force? {changes}",
                          {id: planId, changes: $("diff").textContent}))) return;
    busy(true);
    api("POST", "/plans/" + planId + "/publish", reason ? {accept_warnings: reason} : {}).then(function (result) {
      status(t("generation {generation} published", result));
      $("diff").textContent = t("published as generation {generation}: these boundaries are in force now", result);
      window.publishedGeneration = result.generation;
    }).catch(refused).then(function () {   // published, or refused because the plan changed elsewhere: show what it is now
      return api("GET", "/plans/" + planId).then(showPlan, function () {});
    }).then(function () { busy(false); });
  };
  $("open-form").onsubmit = function (event) {
    event.preventDefault();
    api("POST", "/plans", {scope: $("scope").value}).then(function (created) {
      location.search = "?plan=" + created.id;
    }).catch(refused);
  };

  // Side by side (?compare=ID or current): the other side's villages and grids on a second map
  // that moves with this one, from the service's tiles (a plan's own tiles for a plan).
  var compareWith = params.get("compare");
  if (compareWith && planId) {
    $("map2").hidden = false;
    $("compare-with").value = compareWith === "current" ? "" : compareWith;
    var other = L.map("map2", {zoomControl: false, attributionControl: false});
    window.gridWords.leaflet(other, t);
    var root = compareWith === "current" ? "/tiles/" : "/plans/" + encodeURIComponent(compareWith) + "/tiles/";
    window.compareLayer = L.vectorGrid.protobuf(root + "villages,grids/{z}/{x}/{y}.mvt", {
      interactive: false, maxNativeZoom: 18, fetchOptions: {credentials: "same-origin"},
      vectorTileLayerStyles: {villages: {color: "#c51b8a", weight: 2, fill: false},
                              grids: {color: "#555", weight: 1, fillColor: "#ddd", fillOpacity: 0.15, fill: true}}}).addTo(other);
    var title = L.control({position: "topleft"});
    title.onAdd = function () {
      return el("div", {"class": "map-title", text: compareWith === "current" ? t("in force")
                                                                   : t("plan {id}", {id: compareWith})});
    };
    title.addTo(other);
    var syncing = false;
    function follow(from, to) {
      from.on("move", function () {
        if (syncing) return;
        syncing = true;
        to.setView(from.getCenter(), from.getZoom(), {animate: false});
        syncing = false;
      });
    }
    follow(map, other);
    follow(other, map);
    map.invalidateSize();
    other.setView(map.getCenter(), map.getZoom());
    window.planner2 = other;
  }

  // The plan beside another plan or the generation in force: one row per measure, and the CSV.
  $("compare-form").onsubmit = function (event) {
    event.preventDefault();
    var query = new URLSearchParams({"with": $("compare-with").value.trim() || "current"});
    api("GET", "/plans/" + planId + "/compare?" + query).then(function (found) {
      status("");   // an earlier refusal is over
      var table = clear($("comparison"));
      table.appendChild(el("tr", {}, [el("th", {text: ""}), el("th", {text: t("this plan")}),
        el("th", {text: found["with"] === "current" ? t("in force") : t("plan {id}", {id: found["with"]})})]));
      found.rows.forEach(function (row) {
        table.appendChild(el("tr", {"data-measure": row.measure}, [el("th", {text: config.measures[row.measure] || row.measure}),
          el("td", {text: row.plan === null ? "—" : String(row.plan)}),
          el("td", {text: row.other === null ? "—" : String(row.other)})]));
      });
      $("side-by-side").href = "?" + new URLSearchParams({plan: planId, compare: query.get("with")});
      $("side-by-side").hidden = false;
      query.set("format", "csv");
      $("compare-csv").href = "/plans/" + planId + "/compare?" + query;
      $("compare-csv").hidden = false;
    }).catch(refused);
  };

  // Without a plan: the drafts (mine or all) still open, each with its base and whether it went stale.
  function showDrafts() {
    var query = new URLSearchParams($("mine").checked ? {mine: "true"} : {});
    return api("GET", "/plans?" + query).then(function (found) {
      var list = clear($("drafts"));
      found.items.filter(function (p) { return ["draft", "submitted", "approved"].indexOf(p.status) >= 0; })
        .sort(function (a, b) { return a.stale - b.stale || b.id - a.id; })   // those that can still be published first
        .forEach(function (p) {
          list.appendChild(el("li", {"data-id": p.id, "class": p.stale ? "stale" : "",
            text: planLine(p) + (p.description ? " · " + p.description : "") + (p.stale ? " · " + t("stale") : ""),
            on: {click: function () { location.search = "?plan=" + p.id; }}}));
        });
      if (!list.firstChild) list.appendChild(el("li", {text: t("no draft is open")}));
    }).catch(refused);
  }
  $("mine").onchange = showDrafts;

  window.planner = {map: map, grids: gridLayer};
  if (!config.mayEdit) $("open").disabled = true;
  if (planId) {
    $("open-form").style.display = "none";
    busy(true);
    Promise.all([api("GET", "/plans/" + planId), api("GET", "/plans/" + planId + "/report")]).then(function (both) {
      showPlan(both[0]);
      showReport(both[1]);
      return loadAreas().then(showDiff);
    }).then(function () { window.plannerReady = true; status(""); })
      .catch(function (error) { status(t("cannot open plan {plan}: {reason}", {plan: planId, reason: error.message})); })
      .then(function () { busy(false); if (compareWith) $("compare-form").requestSubmit(); });
  } else {
    showDrafts().then(function () { window.plannerReady = true; });
  }
})();
