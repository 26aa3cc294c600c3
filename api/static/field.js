// A grid worker's page: report a case (place, category, description, photos) and check in
// on patrol, with or without a signal. Each report waits in IndexedDB with its own
// Idempotency-Key until the service has it, so a report sent twice (the network died
// before the answer came) is registered once. The page itself works offline through its
// service worker (/field/sw.js).
(function () {
  "use strict";
  var page = window.gridPage, config = page.config, t = page.t, el = page.el, clear = page.clear, api = page.api,
      say = page.say, when = page.when;
  var $ = function (id) { return document.getElementById(id); };
  var place = null, marker = null, sending = false;

  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/field/sw.js", {scope: "/field"});

  var options = page.options;
  options($("f-category"), config.categories, config.categories[0].code);
  options($("f-severity"), config.severities, "general");

  // The outbox: what waits to be sent, in IndexedDB (one store, keyed by the Idempotency-Key).
  function outbox(mode, work) {
    return new Promise(function (done, failed) {
      var opened = indexedDB.open("field", 1);
      opened.onupgradeneeded = function () { opened.result.createObjectStore("outbox", {keyPath: "key"}); };
      opened.onerror = function () { failed(opened.error); };
      opened.onsuccess = function () {
        var tx = opened.result.transaction("outbox", mode), asked = work(tx.objectStore("outbox"));
        tx.oncomplete = function () { done(asked && asked.result); };
        tx.onerror = function () { failed(tx.error); };
      };
    });
  }
  function keep(item) { return outbox("readwrite", function (store) { return store.put(item); }); }
  function forget(item) { return outbox("readwrite", function (store) { return store.delete(item.key); }); }
  function waiting() {
    return outbox("readonly", function (store) { return store.getAll(); }).then(function (items) {
      return items.sort(function (a, b) { return a.made < b.made ? -1 : 1; });
    });
  }
  function newKey() {
    return crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + "-" + Math.random().toString(16).slice(2);
  }

  // Sending: one item at a time, oldest first; a network failure keeps it, a refusal marks it.
  function send(item) {
    var path = item.kind === "report" ? "/incidents" : "/patrols";
    var first = item.sent ? Promise.resolve(item.sent) :
      api("POST", path, item.body, {"Idempotency-Key": item.key}).then(function (answer) {
        item.sent = answer.id;
        return keep(item).then(function () { return answer.id; });
      });
    return first.then(function (id) { return photos(item, id); }).then(function () { return forget(item); })
      .catch(function (error) {
        if (!refusal(error)) throw error;   // no network, a busy or restarting service, a lapsed session: it waits
        item.refused = error.message;
        return keep(item);
      });
  }
  // The service said no to this item itself (a 4xx about it), not "not now" (401, 408, 429, 5xx).
  function refusal(error) {
    var status = error.data && error.data.status;
    return status >= 400 && status < 500 && [401, 408, 429].indexOf(status) < 0;
  }
  function photos(item, id) {
    if (item.kind !== "report" || item.photosSent >= item.photos.length) return Promise.resolve();
    var form = new FormData();
    var photo = item.photos[item.photosSent];
    form.append("file", photo, photo.name || "photo-" + (item.photosSent + 1));
    return api("POST", "/incidents/" + id + "/attachments", form).catch(function (error) {
      if (!refusal(error)) throw error;
      say(t("case {id} is registered; a photo was not kept: {reason}", {id: id, reason: error.message}));
    }).then(function () {   // the case is registered: a refused photo does not hold up the others
      item.photosSent += 1;
      return keep(item).then(function () { return photos(item, id); });
    });
  }
  function sendAll() {
    if (sending || !navigator.onLine) return show();
    sending = true;
    return waiting().then(function (items) {
      return items.filter(function (item) { return !item.refused; }).reduce(function (done, item) {
        return done.then(function () { return send(item); });
      }, Promise.resolve());
    }).catch(function () {}).then(function () { sending = false; return show().then(mine); });
  }

  function show() {
    var online = navigator.onLine;
    return waiting().then(function (items) {
      $("network").className = online ? "" : "offline";
      $("network").textContent = (online ? t("online") : t("no signal: reports wait on this phone")) +
        " · " + t("{count} waiting", {count: items.length});
      var list = clear($("outbox"));
      items.forEach(function (item) {
        var what = item.kind === "report" ? item.label + " · " + item.body.description : t("check-in");
        var li = el("li", {"class": item.refused ? "refused" : "", text: when(item.made) + " · " + what +
                           (item.refused ? " · " + item.refused : "")});
        if (item.refused) {
          li.appendChild(el("button", {type: "button", text: t("Remove")}));
          li.lastChild.onclick = function () { forget(item).then(show); };
        }
        list.appendChild(li);
      });
      if (!items.length) list.appendChild(el("li", {text: t("nothing waits")}));
    });
  }

  // My grid's open cases: from the service, or as last seen (kept for when there is no signal).
  function mine() {
    return api("GET", "/incidents?" + new URLSearchParams({closed: "false", limit: "50", sort: "due_at"}))
      .then(function (found) {
        localStorage.setItem("field-mine", JSON.stringify({at: new Date().toISOString(), items: found.items}));
        drawMine(found.items, null);
      }).catch(function () {
        var kept = JSON.parse(localStorage.getItem("field-mine") || "null");
        if (kept) drawMine(kept.items, kept.at);
      });
  }
  function drawMine(items, seenAt) {
    $("mine-when").textContent = seenAt ? t("as seen {when}", {when: when(seenAt)}) : "";
    var list = clear($("mine"));
    items.forEach(function (item) {
      list.appendChild(el("li", {text: item.id + " · " + item.category_label + " · " + item.status_label +
                                       " · " + item.area_names.grid}));
    });
    if (!items.length) list.appendChild(el("li", {text: "—"}));
  }

  // The place: a tap on the map of my grid, or the phone's position.
  var map = L.map("field-map", {attributionControl: false}).setView([20.02, 110.33], 13);
  window.gridWords.leaflet(map, t);
  function drawArea(outline) {
    var shape = L.geoJSON(outline, {style: {color: "#c51b8a", weight: 2, fillOpacity: 0.05}}).addTo(map);
    map.fitBounds(shape.getBounds(), {padding: [6, 6]});
  }
  api("GET", "/areas/" + config.area.code).then(function (outline) {
    localStorage.setItem("field-area", JSON.stringify(outline));
    drawArea(outline);
  }).catch(function () {
    var kept = localStorage.getItem("field-area");
    if (kept) drawArea(JSON.parse(kept));
  });
  function setPlace(lon, lat) {
    place = {lon: Number(lon.toFixed(6)), lat: Number(lat.toFixed(6))};
    if (marker) marker.remove();
    marker = L.circleMarker([lat, lon], {radius: 8, color: "#d7191c", fillOpacity: 0.9}).addTo(map);
    $("place").textContent = place.lon + ", " + place.lat;
  }
  map.on("click", function (event) { setPlace(event.latlng.lng, event.latlng.lat); });
  function locate() {
    return new Promise(function (done, failed) {
      if (!navigator.geolocation) { failed(new Error(t("this phone cannot tell where it is"))); return; }
      navigator.geolocation.getCurrentPosition(function (found) {
        done({lon: found.coords.longitude, lat: found.coords.latitude});
      }, function () { failed(new Error(t("this phone cannot tell where it is"))); },
      {enableHighAccuracy: true, timeout: 15000, maximumAge: 60000});
    });
  }
  $("here").onclick = function () {
    locate().then(function (at) { setPlace(at.lon, at.lat); map.setView([at.lat, at.lon], 16); })
      .catch(function (error) { say(error.message); });
  };

  $("report").addEventListener("submit", function (event) {
    event.preventDefault();
    if (!place) { say(t("tap the map for the place first, or use where you are")); return; }
    var item = {key: newKey(), kind: "report", made: new Date().toISOString(), photosSent: 0,
                label: $("f-category").selectedOptions[0].textContent,
                photos: Array.prototype.slice.call($("f-photos").files),
                body: {lon: place.lon, lat: place.lat, category: $("f-category").value, severity: $("f-severity").value,
                       description: $("f-description").value, occurred_at: new Date().toISOString(),
                       source: "grid_worker"}};
    keep(item).then(function () {
      say(navigator.onLine ? t("report kept; sending") : t("report kept on this phone: it is sent when there is a signal"),
          true);
      $("report").reset();
      $("f-severity").value = "general";
      place = null;
      if (marker) { marker.remove(); marker = null; }
      $("place").textContent = "";
      return sendAll();
    }).catch(function (error) { say(error.message); });
  });
  $("check-in").onclick = function () {
    locate().then(function (at) {
      return keep({key: newKey(), kind: "checkin", made: new Date().toISOString(),
                   body: {lon: at.lon, lat: at.lat, at: new Date().toISOString()}});
    }).then(function () { say(t("check-in kept"), true); return sendAll(); })
      .catch(function (error) { say(error.message); });
  };

  window.addEventListener("online", sendAll);
  window.addEventListener("offline", show);
  sendAll();
  if (!navigator.onLine) mine();   // as last seen
}());
