// The dispatcher's workbench: the queue by group, the case card with the proposed mediators
// and the lifecycle, registration by a map click, live through GET /events. Every value from
// the service reaches the page as text (el() below), never as markup.
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var page = window.gridPage, config = page.config, t = page.t, el = page.el, clear = page.clear, api = page.api,
      when = page.when;
  var map = L.map("map").setView([20.0, 110.33], 11);
  window.gridWords.leaflet(map, t);
  // The towns and villages under the cases, from the service's own tiles (no basemap from outside).
  L.vectorGrid.protobuf("/tiles/towns,villages/{z}/{x}/{y}.mvt", {
    interactive: false, maxNativeZoom: 18, fetchOptions: {credentials: "same-origin"},
    vectorTileLayerStyles: {towns: {color: "#c51b8a", weight: 1.5, fill: false},
                            villages: {color: "#f768a1", weight: 0.6, fill: false}}}).addTo(map);
  var caseLayer = L.layerGroup().addTo(map), mediatorLayer = L.layerGroup().addTo(map), pin = null;
  var PAGE = 200, MOST = 1000;   // a group's cases are drawn 200 at a time, at most 1,000 (the API's limit)
  // card: the case drawn on the card; cardId: the case last asked for (drawn once its answer comes).
  var state = {group: "overdue", items: [], current: -1, card: null, cardId: null, proposed: [], registerKey: null,
               limit: PAGE};
  var COLOURS = {overdue: "#d7191c", due_soon: "#fdbb2d", unassigned: "#7a0177", "new": "#fd8d3c",
                 in_mediation: "#2b83ba", follow_up: "#74c476", police: "#2171b5", closed: "#999"};

  var say = page.say, failed = page.failed, fact = page.fact;
  function age(iso) {
    var hours = Math.max(0, (Date.now() - new Date(iso).getTime()) / 3.6e6);
    return hours < 48 ? t("{hours} h", {hours: Math.round(hours)}) : t("{days} d", {days: Math.round(hours / 24)});
  }

  // Filters: an area by name or code (through /search), a category, a responsible level.
  var options = page.options;
  options($("f-category"), config.categories);
  options($("f-level"), config.levels);
  options($("f-status"), config.statusOrder.map(function (code) { return {code: code, label: config.statuses[code]}; }));
  options($("r-category"), config.categories);
  options($("r-severity"), config.severities);
  options($("f-source"), config.sources);
  options($("r-source"), config.sources);
  $("r-source").querySelector("option[value=walk_in]").defaultSelected = true;   // the API's default, kept by reset()
  $("r-severity").querySelector("option[value=general]").defaultSelected = true;   // as Open311 files them
  options($("r-crs"), config.datums);
  var filters = {};
  // A key kept to an area: its cases only, whatever the filter says (the service keeps to them).
  function ownArea() { return config.area ? t("area: {name} ({code})", config.area) : ""; }
  $("filter-status").textContent = ownArea();
  function areaOf(text) {
    text = text.trim();
    if (!text) return Promise.resolve(null);
    if (/^\d{6,15}$/.test(text)) {
      $("filter-status").textContent = t("area: {name} ({code})", {name: text, code: text});
      return Promise.resolve(text);
    }
    return api("GET", "/search?" + new URLSearchParams({q: text, limit: 1})).then(function (found) {
      var hit = found.items ? found.items[0] : found[0];
      if (!hit) throw new Error(t("nothing is named “{name}”", {name: text}));
      $("filter-status").textContent = t("area: {name} ({code})", {name: hit.name, code: hit.code});
      return hit.code;
    });
  }
  $("filters").addEventListener("submit", function (event) {
    event.preventDefault();
    areaOf($("f-area").value).then(function (area) {
      filters = {area: area, category: $("f-category").value || null, level: $("f-level").value || null,
                 status: $("f-status").value || null, mediator_id: $("f-mediator").value || null,
                 source: $("f-source").value || null};
      state.limit = PAGE;
      if (!area) $("filter-status").textContent = ownArea();
      refresh();
    }).catch(function (error) {   // the old area's cases would look like the answer: show none
      $("filter-status").textContent = error.message;
      clear($("groups"));
      clear($("cases"));
      caseLayer.clearLayers();
    });
  });
  function query(extra) {
    var params = new URLSearchParams();
    Object.keys(filters).forEach(function (k) { if (filters[k]) params.set(k, filters[k]); });
    Object.keys(extra || {}).forEach(function (k) { params.set(k, extra[k]); });
    return params.toString();
  }

  // The queue: counts per group, the chosen group's cases by deadline, on the map too.
  function refresh() {
    return Promise.all([api("GET", "/incidents/groups?" + query()),
                        api("GET", "/incidents?" + query({group: state.group, sort: "due_at", limit: state.limit}))])
      .then(function (answers) {
        var shown = answers[1].items.length, total = answers[1].total;
        drawGroups(answers[0]);
        drawCases(answers[1].items);
        $("shown").textContent = total > shown ? t("the {shown} nearest their deadline of {total}",
                                                   {shown: shown, total: total}) : "";
        $("more").hidden = !(total > shown && state.limit < MOST);
      })
      .catch(failed);
  }
  $("more").addEventListener("click", function () { state.limit = Math.min(MOST, state.limit + PAGE); refresh(); });
  function drawGroups(groups) {
    var bar = clear($("groups"));
    groups.items.forEach(function (g) {
      bar.appendChild(el("button", {type: "button", role: "tab", "data-group": g.group,
                                    "aria-selected": String(g.group === state.group),
                                    text: g.label + " " + g.count,
                                    on: {click: function () {
                                      state.group = g.group; state.current = -1; state.limit = PAGE; refresh(); }}}));
    });
  }
  function drawCases(items) {
    var keep = state.current >= 0 && state.items[state.current] ? state.items[state.current].id : null;
    state.items = items;
    state.current = items.findIndex(function (i) { return i.id === keep; });
    var list = clear($("cases"));
    caseLayer.clearLayers();
    items.forEach(function (item, n) {
      list.appendChild(el("li", {"data-id": item.id, on: {click: function () { select(n, true); }}}, [
        el("span", {"class": "mark " + (item.deadline_mark || "none"), title: item.deadline_mark_label || ""}),
        el("span", {"class": "place", text: item.area_names.village + " · " + item.category_label + " · " +
                                             item.source_label}),
        el("span", {"class": "age", text: age(item.registered_at)})]));
      var c = item.position.coordinates;
      L.circleMarker([c[1], c[0]], {radius: 5, color: COLOURS[item.group] || "#333", weight: 1, fillOpacity: 0.8})
        .on("click", function () { select(n, true); }).addTo(caseLayer);
    });
    highlight();
  }
  function highlight() {
    Array.prototype.forEach.call($("cases").children, function (li, n) {
      li.classList.toggle("current", n === state.current);
      if (n === state.current) li.scrollIntoView({block: "nearest"});
    });
  }
  function select(n, open) {
    if (n < 0 || n >= state.items.length) return;
    state.current = n;
    highlight();
    if (open) openCard(state.items[n].id);
  }

  // The case card: facts with names, the rule, the mediators proposed and passed over, the steps.
  // Only the answers to the latest card asked for are drawn: a slower answer for a case shown
  // before (or an older state of this one) would put another case's mediators on this card.
  var cardAsked = 0;
  function openCard(id) {
    $("register").hidden = true;
    var asked = ++cardAsked;
    if (state.cardId !== id) {   // another case: the last one's mediators are not its own
      state.cardId = id;
      state.proposed = [];
      clear($("c-proposed"));
      clear($("c-passed"));
      mediatorLayer.clearLayers();
    }
    return api("GET", "/incidents/" + id).then(function (incident) {
      if (asked !== cardAsked) return;
      state.card = incident;
      var c = incident.position.coordinates;
      map.setView([c[1], c[0]], Math.max(map.getZoom(), 14));
      drawCard(incident);
      drawFiles(incident.id);
      var near = {lon: c[0], lat: c[1], category: incident.category, k: 5, excluded: true};
      return api("GET", "/mediators/nearest?" + new URLSearchParams(near)).then(function (found) {
        if (asked === cardAsked) drawMediators(found);
      });
    }).catch(failed);
  }
  // The case's photos and documents, each a download (the service keeps a photo's position to those who may see it).
  function drawFiles(id) {
    return api("GET", "/incidents/" + id + "/attachments").then(function (found) {
      if (state.cardId !== id) return;
      var list = clear($("c-files"));
      found.items.forEach(function (file) {
        list.appendChild(el("li", {}, [el("a", {href: "/incidents/" + id + "/attachments/" + file.id, text: file.filename}),
                                       el("span", {text: " · " + Math.ceil(file.size / 1024) + " KiB · " + when(file.created_at)})]));
      });
      if (!found.items.length) list.appendChild(el("li", {text: "—"}));
    }).catch(failed);
  }
  if ($("c-upload")) $("c-upload").addEventListener("submit", function (event) {
    event.preventDefault();
    var id = state.cardId, form = new FormData();
    form.append("file", $("c-file").files[0]);
    $("c-upload-send").disabled = true;
    api("POST", "/incidents/" + id + "/attachments", form).then(function (file) {
      say(t("file {name} kept with the case", {name: file.filename}), true);
      $("c-upload").reset();
      return drawFiles(id);
    }).catch(failed).then(function () { $("c-upload-send").disabled = false; });
  });
  function drawCard(incident) {
    $("card").hidden = false;
    $("c-title").textContent = t("Case {id}: {category}", {id: incident.id, category: incident.category_label});
    var names = incident.area_names, facts = clear($("c-facts"));
    [[t("place"), [names.district, names.town, names.village, names.grid].join(" › ")],
     [t("status"), incident.status_label], [t("severity"), incident.severity_label],
     [t("responsible level"), incident.responsible_level_label],
     [t("mediator"), incident.mediator_name ? incident.mediator_name + " #" + incident.mediator_id
                                              + (incident.mediator_phone ? " · " + incident.mediator_phone : "") : null],
     [t("stage"), incident.stage_label], [t("due by"), when(incident.stage_due_at)],
     [t("deadline"), incident.deadline_mark_label], [t("registered"), when(incident.registered_at)],
     [t("source"), incident.source_label + (incident.source_ref ? " · " + incident.source_ref : "")],
     [t("description"), incident.description],
     [t("reporter"), incident.reporter_name ? incident.reporter_name + " " + (incident.reporter_phone || "") : null],
     [t("parties"), (incident.parties || []).map(function (p) {
       return t(p.role) + " " + p.name + (p.phone ? " " + p.phone : ""); }).join("；") || null]]
      .forEach(function (pair) { fact(pair[0], pair[1]).forEach(function (n) { facts.appendChild(n); }); });
    if (incident.media_url && /^https?:\/\//.test(incident.media_url))   // a photo the filer pointed to (Open311)
      fact(t("photo or document"), incident.media_url, incident.media_url).forEach(function (n) { facts.appendChild(n); });
    $("c-rule").textContent = incident.responsible_rule_label;
    drawActions(incident);
    page.timeline($("c-events"), incident.events);
  }
  function drawMediators(near) {
    state.proposed = near.results;
    var proposed = clear($("c-proposed")), passed = clear($("c-passed"));
    mediatorLayer.clearLayers();
    near.results.forEach(function (m) {
      proposed.appendChild(el("li", {}, [
        el("span", {text: m.name + (m.phone ? " · " + m.phone : "") + " — " + m.why + " "}),
        m.id === state.card.mediator_id ? el("b", {text: t("handling this case")})
          : config.mayAct ? el("button", {type: "button", text: state.card.mediator_id ? t("Reassign") : t("Dispatch"),
                                          on: {click: function () { dispatchTo(m); }}}) : null]));
      if (m.position) {
        var c = m.position.coordinates;
        L.marker([c[1], c[0]], {title: m.name}).addTo(mediatorLayer);
      }
    });
    (near.excluded || []).forEach(function (m) {
      passed.appendChild(el("li", {text: m.name + ": " + m.reasons.join("; ")}));
    });
  }
  // One step at a time: the card takes no second click until the step is answered, then it is
  // drawn again whole (the mediators too: who handles the case has changed).
  function act(path, body) {
    return page.oneAtATime($("card"), function () {
      return api("POST", "/incidents/" + state.card.id + path, body).then(function (incident) {
        say(t("saved: {status}", {status: incident.status_label}), true);
        refresh();
        return openCard(incident.id);
      }).catch(failed);
    });
  }
  function dispatchTo(mediator) {   // the mediator shown, by id: the card's list is what the dispatcher chose from
    if (!state.card.mediator_id && mediator === state.proposed[0]) {
      return act("/dispatch", {mode: "manual", mediator_id: mediator.id, reason: t("proposed no. 1: {why}", {why: mediator.why})});
    }
    var reason = window.prompt(t("reason for choosing {name}", {name: mediator.name}));
    if (reason) return act("/dispatch", {mode: "manual", mediator_id: mediator.id, reason: reason});
  }
  var field = page.field;
  function drawActions(incident) {
    var box = clear($("c-actions"));
    if (!config.mayAct) return;   // a reader sees the case, not the steps
    page.stepForms(incident.next_statuses, function (body) { act("/transitions", body); })
      .forEach(function (form) { box.appendChild(form); });
    if (incident.stage && incident.category !== "public_safety") {
      var extend = el("form", {}, [el("fieldset", {}, [el("legend", {text: t("Extend")}),
        field(t("days"), el("input", {name: "days", type: "number", min: "1", max: "90", required: "", value: "15"})),
        field(t("the parties' agreement"), el("input", {name: "agreement", required: "", minlength: "3"})),
        el("button", {text: t("Extend")})])]);
      extend.addEventListener("submit", function (event) {
        event.preventDefault();
        var data = new FormData(extend);
        act("/extend", {days: Number(data.get("days")), agreement: data.get("agreement")});
      });
      box.appendChild(extend);
    }
  }

  // Registration: a map click gives the place; one Idempotency-Key per form, kept across retries.
  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }
  function openRegister() {
    $("card").hidden = true;
    $("register").hidden = false;
    state.registerKey = uuid();
    var now = new Date(Date.now() - new Date().getTimezoneOffset() * 60000).toISOString().slice(0, 16);
    $("r-occurred").value = now;
    $("r-occurred").max = now;
    $("r-lon").focus();
  }
  if (config.mayAct) $("new-case").addEventListener("click", openRegister);
  // A place search takes the map there; the click on the map gives the exact point.
  function findPlace() {
    var q = $("r-place").value.trim(), list = clear($("r-places"));
    if (!q) return;
    api("GET", "/search?" + new URLSearchParams({q: q, limit: 8})).then(function (found) {
      if (!found.items.length) { say(t("nothing is named “{name}”", {name: q})); return; }
      found.items.forEach(function (place) {
        list.appendChild(el("li", {}, [el("button", {type: "button", text: place.name + (place.within.length
            ? "（" + place.within.join(" › ") + "）" : ""), on: {click: function () {
          var b = place.bbox;
          map.fitBounds([[b[1], b[0]], [b[3], b[2]]]);
          clear(list);
          say(t("{name}: now click the exact place on the map", {name: place.name}), true);
        }}})]));
      });
    }).catch(failed);
  }
  $("r-find").addEventListener("click", findPlace);
  $("r-place").addEventListener("keydown", function (event) {
    if (event.key === "Enter") { event.preventDefault(); findPlace(); }
  });
  $("r-cancel").addEventListener("click", function () { $("register").hidden = true; });
  map.on("click", function (event) {
    if ($("register").hidden) return;
    $("r-crs").value = "wgs84";
    $("r-lon").value = event.latlng.lng.toFixed(6);
    $("r-lat").value = event.latlng.lat.toFixed(6);
    if (pin) pin.remove();
    pin = L.marker(event.latlng).addTo(map);
  });
  // A refused registration: the problem's field as the form labels it, and the cursor in it.
  var FORM_FIELDS = {lon: "r-lon", lat: "r-lat", category: "r-category", severity: "r-severity",
                     occurred_at: "r-occurred", description: "r-description", reporter_name: "r-reporter",
                     reporter_phone: "r-phone", source: "r-source", source_ref: "r-source-ref"};
  function refusedRegistration(error) {
    var field = error.data && error.data.field, input = field && FORM_FIELDS[field] && $(FORM_FIELDS[field]);
    if (!input) { failed(error); return; }
    var detail = String(error.message);
    if (detail.indexOf(field + ": ") === 0) detail = detail.slice(field.length + 2);
    say(input.closest("label").firstChild.textContent.trim() + ": " + detail);
    input.focus();
  }
  $("register").addEventListener("submit", function (event) {
    event.preventDefault();
    var occurred = new Date($("r-occurred").value);
    if (occurred > new Date()) { say(t("the time it happened cannot be in the future")); return; }
    var body = {lon: Number($("r-lon").value), lat: Number($("r-lat").value), category: $("r-category").value,
                severity: $("r-severity").value, description: $("r-description").value, occurred_at: occurred.toISOString()};
    body.source = $("r-source").value;
    if ($("r-source-ref").value.trim()) body.source_ref = $("r-source-ref").value.trim();
    if (config.referenceNeeded[body.source] && !body.source_ref) {
      say(config.referenceNeeded[body.source]);
      $("r-source-ref").focus();
      return;
    }
    if ($("r-reporter").value) body.reporter_name = $("r-reporter").value;
    if ($("r-phone").value) body.reporter_phone = $("r-phone").value;
    var parties = [["applicant", "r-applicant"], ["respondent", "r-respondent"]].filter(function (p) {
      return $(p[1]).value.trim(); }).map(function (p) {
      var party = {role: p[0], name: $(p[1]).value.trim()};
      if ($(p[1] + "-phone").value) party.phone = $(p[1] + "-phone").value;
      return party;
    });
    if (parties.length) body.parties = parties;
    $("r-submit").disabled = true;
    api("POST", "/incidents?" + new URLSearchParams({crs: $("r-crs").value, dispatch: "false"}), body,
        {"Idempotency-Key": state.registerKey})
      .then(function (incident) {
        say(t("registered as case {id}", {id: incident.id}), true);
        state.registerKey = null;
        $("register").reset();
        $("register").hidden = true;
        if (pin) { pin.remove(); pin = null; }
        state.group = incident.group;
        return refresh().then(function () { openCard(incident.id); });
      })
      .catch(refusedRegistration)
      .then(function () { $("r-submit").disabled = false; });
  });

  // Keyboard: j/k move through the queue, Enter opens, d dispatches the proposed mediator, n registers.
  document.addEventListener("keydown", function (event) {
    var typing = /^(INPUT|TEXTAREA|SELECT|BUTTON|A)$/.test(event.target.tagName);   // their own keys
    if (typing || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "j") select(Math.min(state.current + 1, state.items.length - 1), false);
    else if (event.key === "k") select(Math.max(state.current - 1, 0), false);
    else if (event.key === "Enter" && state.current >= 0) select(state.current, true);
    else if (event.key === "d" && config.mayAct && state.card && !state.card.mediator_id && state.proposed[0]) {
      dispatchTo(state.proposed[0]);
    }
    else if (event.key === "n" && config.mayAct) openRegister();
    else return;
    event.preventDefault();
  });

  // Live: every change anywhere moves the queue; the open card follows its case.
  var pending = null, cardChanged = false;
  function live() {
    var source = new EventSource("/events");
    source.addEventListener("ready", function () { $("live").textContent = t("live"); });
    source.addEventListener("reset", function () { $("live").textContent = t("live"); refresh(); });
    source.addEventListener("incident", function (message) {
      var event = JSON.parse(message.data);
      $("live").textContent = t("live: case {id} {action}", {id: event.incident_id, action: event.action_label});
      if (state.cardId === event.incident_id) cardChanged = true;
      clearTimeout(pending);
      pending = setTimeout(function () {
        pending = null;
        refresh();
        if (cardChanged) openCard(state.cardId);   // the card asked for last, even if not drawn yet
        cardChanged = false;
      }, 300);
    });
    source.onerror = function () { $("live").textContent = t("reconnecting…"); };
  }
  live();
  refresh();
})();
