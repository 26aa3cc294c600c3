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
  var $ = function (id) { return document.getElementById(id); };
  var config = window.gridPage.config;   // from the server: the H3 resolution, the words
  var t = window.gridPage.t, api = window.gridPage.api;   // the page's words, in its language; the JSON API
  window.gridWords.leaflet(map, t);
  var handlers = L.drawLocal.draw.handlers;   // Leaflet.draw's hints while drawing, in the page's language
  handlers.polygon.tooltip = {start: t("Click to start the shape."), cont: t("Click to go on drawing the shape."),
                              end: t("Click the first point to close the shape.")};
  handlers.polyline.tooltip = {start: t("Click to start the line."), cont: t("Click to go on drawing the line."),
                               end: t("Click the last point again to finish the line.")};
  handlers.polyline.error = t("A boundary may not cross itself.");
  var selected = [], painting = false, paintCells = {}, resolution = config.h3Resolution, plan = null, fitted = false;

  function status(text) { $("status").textContent = text; }
  function busy(on) { window.gridPage.busy($("side"), on); }

  function gridStyle(feature) {
    var on = selected.indexOf(feature.properties.code) >= 0;
    return {color: on ? "#0057b8" : "#555", weight: on ? 3 : 1, fillColor: on ? "#5b9bd5" : "#ddd", fillOpacity: on ? 0.35 : 0.15};
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
      if (!fitted && gridLayer.getLayers().length) { map.fitBounds(gridLayer.getBounds()); fitted = true; }
    });
  }

  function showReport(report) {
    problemLayer.clearLayers();
    $("report-status").textContent = report.valid ? t("valid") : t("{errors} errors", report);
    $("report-status").dataset.edit = report.edit;
    var list = $("report");
    list.innerHTML = "";
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

  function showPlan(summary) {
    plan = summary;
    $("plan-info").textContent = t("Plan {id} · scope {scope} · on generation {base_generation} · {status} · " +
      "{edits_applied} edits", Object.assign({}, summary, {status: t(summary.status)}));
    var draft = summary.status === "draft";
    $("undo").disabled = !draft || !summary.can_undo;
    $("redo").disabled = !draft || !summary.can_redo;
    $("publish").disabled = !draft;
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

  function paint(latlng) {
    var cell = h3.latLngToCell(latlng.lat, latlng.lng, resolution);
    if (paintCells[cell]) { paintLayer.removeLayer(paintCells[cell]); delete paintCells[cell]; }
    else { paintCells[cell] = L.polygon(h3.cellToBoundary(cell), {color: "#0057b8", weight: 1, fillOpacity: 0.5}).addTo(paintLayer); }
    var n = Object.keys(paintCells).length;
    $("paint-count").textContent = n;
    $("apply-paint").disabled = n === 0;
  }

  function stopPainting() {
    painting = false;
    paintCells = {};
    paintLayer.clearLayers();
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
  $("publish").onclick = function () {
    var reason = $("accept-warnings").value.trim();
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

  window.planner = {map: map, grids: gridLayer};
  if (planId) {
    $("open-form").style.display = "none";
    busy(true);
    Promise.all([api("GET", "/plans/" + planId), api("GET", "/plans/" + planId + "/report")]).then(function (both) {
      showPlan(both[0]);
      showReport(both[1]);
      return loadAreas().then(showDiff);
    }).then(function () { window.plannerReady = true; status(""); })
      .catch(function (error) { status(t("cannot open plan {plan}: {reason}", {plan: planId, reason: error.message})); })
      .then(function () { busy(false); });
  } else {
    window.plannerReady = true;
  }
})();
