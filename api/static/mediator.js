// A mediator's page: my cases still running, soonest deadline first; a case's facts, its place
// on a small map, accepting or handing it back, and each step of the mediation. The service
// keeps a mediator key to its own cases; every value reaches the page as text (page.js el()).
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var page = window.gridPage, config = page.config, t = page.t, el = page.el, clear = page.clear, api = page.api;
  var current = null, map = null, drawn = null;

  var say = page.say, failed = page.failed, fact = page.fact;

  function showList() {
    $("case").hidden = true;
    $("list").hidden = false;
    var params = {mediator_id: config.mediator.id, closed: "false", sort: "due_at", limit: 200};
    return api("GET", "/incidents?" + new URLSearchParams(params)).then(function (found) {
      $("count").textContent = found.total ? t("{count} cases still running", {count: found.total})
                                           : t("no case is waiting for you");
      var list = clear($("cases"));
      found.items.forEach(function (item) {
        list.appendChild(el("li", {}, [el("button", {type: "button", "data-id": item.id,
                                                     on: {click: function () { openCase(item.id); }}}, [
          el("span", {"class": "mark " + (item.deadline_mark || "none"), title: item.deadline_mark_label || ""}),
          el("span", {"class": "place", text: item.area_names.village + " · " + t("Case {id}: {category}",
                                             {id: item.id, category: item.category_label}) + " · " + item.status_label}),
          el("span", {"class": "due", text: item.stage_due_at ? t("due {when}", {when: page.when(item.stage_due_at)}) : ""})])]));
      });
    }).catch(failed);
  }

  function openCase(id) {
    return api("GET", "/incidents/" + id).then(function (incident) {
      current = incident;
      $("list").hidden = true;
      $("case").hidden = false;
      $("c-title").textContent = t("Case {id}: {category}", {id: incident.id, category: incident.category_label});
      var names = incident.area_names, facts = clear($("c-facts"));
      var phone = incident.reporter_phone;
      [fact(t("place"), [names.town, names.village, names.grid].join(" › ")),
       fact(t("status"), incident.status_label), fact(t("stage"), incident.stage_label),
       fact(t("due by"), incident.stage_due_at && page.when(incident.stage_due_at)),
       fact(t("deadline"), incident.deadline_mark_label), fact(t("registered"), page.when(incident.registered_at)),
       fact(t("description"), incident.description), fact(t("reporter"), incident.reporter_name),
       fact("☎", phone, phone ? "tel:" + phone : null)]
        .concat(parties(incident.parties))
        .forEach(function (pair) { pair.forEach(function (n) { facts.appendChild(n); }); });
      drawActions(incident);
      page.timeline($("c-events"), incident.events);
      drawPlace(incident);
    }).catch(failed);
  }

  // Each party by their role (申请人, 被申请人), and their phone to call.
  function parties(list) {
    return (list || []).reduce(function (pairs, party) {
      pairs.push(fact(t(party.role), party.name));
      if (party.phone) pairs.push(fact("☎", party.phone, "tel:" + party.phone));
      return pairs;
    }, []);
  }

  // The small map: the case's village outline (GET /areas/{code}) and the case's point.
  function drawPlace(incident) {
    var c = incident.position.coordinates;
    if (!map) {
      map = L.map("case-map", {attributionControl: false});
      window.gridWords.leaflet(map, t);
    }
    map.setView([c[1], c[0]], 15);
    map.invalidateSize();
    if (drawn) drawn.remove();
    drawn = L.layerGroup([L.circleMarker([c[1], c[0]], {radius: 7, color: "#d7191c", fillOpacity: 0.9})]).addTo(map);
    api("GET", "/areas/" + incident.village_code).then(function (village) {
      if (!current || current.id !== incident.id) return;   // another case is open now
      var outline = L.geoJSON(village, {style: {color: "#c51b8a", weight: 2, fill: false}});
      drawn.addLayer(outline);
      map.fitBounds(outline.getBounds(), {padding: [8, 8]});   // the whole village, the case within it
    }).catch(function () {});   // the outline is a help, the case is shown without it
  }

  function act(path, body) {   // one step at a time: no second tap until the step is answered
    return page.oneAtATime($("case"), function () {
      return api("POST", "/incidents/" + current.id + path, body).then(function (incident) {
        if (path === "/decline") {
          return showList().then(function () {
            say(t("handed back: the dispatchers choose another mediator"), true);
          });
        }
        say(t("saved: {status}", {status: incident.status_label}), true);
        return openCase(incident.id);
      }).catch(failed);
    });
  }

  function drawActions(incident) {
    var box = clear($("c-actions"));
    if (!config.mayAct) return;
    var waiting = incident.next_statuses.indexOf("accepted") >= 0;
    if (waiting) {
      box.appendChild(el("button", {type: "button", id: "accept", text: t("Accept the case"),
                                    on: {click: function () { act("/transitions", {to: "accepted"}); }}}));
      var back = el("form", {id: "decline"}, [el("fieldset", {}, [el("legend", {text: t("Hand back")}),
        page.field(t("why you cannot take it"), el("input", {name: "reason", required: "", minlength: "2", maxlength: "1000"})),
        el("button", {text: t("Hand back")})])]);
      back.addEventListener("submit", function (event) {
        event.preventDefault();
        act("/decline", {reason: new FormData(back).get("reason")});
      });
      box.appendChild(back);
    }
    var steps = incident.next_statuses.filter(function (s) { return s !== "accepted"; });   // the button above
    page.stepForms(steps, function (body) { act("/transitions", body); }).forEach(function (form) { box.appendChild(form); });
  }

  $("back").addEventListener("click", function () { say(""); showList(); });
  $("reload").addEventListener("click", function () { say(""); return current && !$("case").hidden ? openCase(current.id) : showList(); });
  showList();
})();
