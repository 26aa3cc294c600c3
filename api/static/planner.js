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
  var config = JSON.parse($("planner-config").textContent);   // from the server: the index's H3 resolution
  var selected = [], painting = false, paintCells = {}, resolution = config.h3Resolution, plan = null, fitted = false;

  function status(text) { $("status").textContent = text; }
  function busy(on) { $("side").classList.toggle("busy", on); }

  function api(method, path, body) {
    var options = {method: method, headers: {"Content-Type": "application/json"}, credentials: "same-origin"};
    if (body !== undefined) options.body = JSON.stringify(body);
    return fetch(path, options).then(function (response) {
      if (response.status === 204) return null;
      return response.json().then(function (data) {
        if (!response.ok) { var error = new Error(data.detail || response.statusText); error.data = data; throw error; }
        return data;
      });
    });
  }

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
      return f ? code + " " + f.properties.name + " · " + f.properties.households + " households" : code;
    });
    $("selection").textContent = items.length ? items.join("\n") : "Click a grid (shift-click adds more).";
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
    $("report-status").textContent = report.valid ? "valid" : report.errors + " errors";
    $("report-status").dataset.edit = report.edit;
    var list = $("report");
    list.innerHTML = "";
    var summary = document.createElement("div");
    summary.textContent = report.errors + " errors, " + report.warnings + " warnings (" + report.scope + ")";
    list.appendChild(summary);
    report.problems.forEach(function (problem) {
      var row = document.createElement("div");
      row.className = "problem " + problem.severity;
      row.textContent = problem.severity + ": " + problem.message;
      if (problem.repair) {
        var fix = document.createElement("button");
        fix.textContent = "repair (make_valid)";
        fix.onclick = function (e) { e.stopPropagation(); edit({op: "repair", code: problem.repair.code}); };
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
      var c = diff.counts;
      $("diff").textContent = c.added + " added, " + c.removed + " removed, " + c.changed + " changed; reassigned: " +
        c.incidents_reassigned + " open incidents, " + c.cameras_reassigned + " cameras, " + c.mediators_reassigned + " mediators";
    });
  }

  function showPlan(summary) {
    plan = summary;
    $("plan-info").textContent = "Plan " + summary.id + " · scope " + summary.scope + " · on generation " +
      summary.base_generation + " · " + summary.status + " · " + summary.edits_applied + " edits";
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
      status("refused: " + error.message);
      if (error.data && error.data.report) showReport(error.data.report);
    }).then(function () { busy(false); });
  }

  function edit(body) {
    return run(api("POST", "/plans/" + planId + "/edits", body), body.op + " applied");
  }

  function needSelection(n) {
    if (selected.length < n) { status("select " + (n > 1 ? n + " grids" : "a grid") + " first"); return false; }
    return true;
  }

  function draw(kind, then) {
    var handler = kind === "line" ? new L.Draw.Polyline(map) : new L.Draw.Polygon(map);
    map.once(L.Draw.Event.CREATED, function (event) { then(event.layer.toGeoJSON().geometry); });
    handler.enable();
    status(kind === "line" ? "draw the line; double-click to finish" : "draw the polygon; click the first point to close");
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
    $("tool-paint").textContent = "Paint cells";
  }

  map.on("click", function (event) { if (painting) paint(event.latlng); });

  $("tool-replace").onclick = function () {
    if (needSelection(1)) draw("polygon", function (g) { edit({op: "replace", code: selected[0], geometry: g}); });
  };
  $("tool-add").onclick = function () {
    if (needSelection(1)) draw("polygon", function (g) { edit({op: "add_grid", village: selected[0].slice(0, 12), geometry: g}); });
  };
  $("tool-split").onclick = function () {
    if (needSelection(1)) draw("line", function (g) { edit({op: "split", code: selected[0], line: g}); });
  };
  $("tool-merge").onclick = function () { if (needSelection(2)) edit({op: "merge", codes: selected.slice()}); };
  $("tool-remove").onclick = function () { if (needSelection(1)) edit({op: "remove_grid", code: selected[0]}); };
  $("tool-autogrid").onclick = function () {
    if (needSelection(1)) edit({op: "autogrid", villages: [selected[0].slice(0, 12)]});
  };
  $("tool-paint").onclick = function () {
    if (painting) { stopPainting(); status(""); return; }
    if (!needSelection(1)) return;
    painting = true;
    $("tool-paint").textContent = "Stop painting";
    status("click cells to give them to " + selected[0]);
  };
  $("apply-paint").onclick = function () {
    var cells = Object.keys(paintCells), target = selected[0];
    stopPainting();
    edit({op: "paint", target: target, cells: cells});
  };
  $("undo").onclick = function () { run(api("POST", "/plans/" + planId + "/undo"), "undone"); };
  $("redo").onclick = function () { run(api("POST", "/plans/" + planId + "/redo"), "redone"); };
  $("publish").onclick = function () {
    var reason = $("accept-warnings").value.trim();
    busy(true);
    api("POST", "/plans/" + planId + "/publish", reason ? {accept_warnings: reason} : {}).then(function (result) {
      status("generation " + result.generation + " published");
      $("diff").textContent = "published as generation " + result.generation + ": these boundaries are in force now";
      window.publishedGeneration = result.generation;
    }).catch(function (error) {
      status("refused: " + error.message);
      if (error.data && error.data.report) showReport(error.data.report);
    }).then(function () {   // published, or refused because the plan changed elsewhere: show what it is now
      return api("GET", "/plans/" + planId).then(showPlan, function () {});
    }).then(function () { busy(false); });
  };
  $("open-form").onsubmit = function (event) {
    event.preventDefault();
    api("POST", "/plans", {scope: $("scope").value}).then(function (created) {
      location.search = "?plan=" + created.id;
    }).catch(function (error) { status("refused: " + error.message); });
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
      .catch(function (error) { status("cannot open plan " + planId + ": " + error.message); })
      .then(function () { busy(false); });
  } else {
    window.plannerReady = true;
  }
})();
