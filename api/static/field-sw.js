// The field page's service worker (served as /field/sw.js, scope /field): the page and its
// scripts come from the network when there is one and from this copy when there is none.
// Reports made offline wait in the page's IndexedDB, not here.
"use strict";
var SHELL = "field-shell-1";
var FILES = ["/field", "/static/field.js", "/static/field.css", "/static/page.js", "/static/words.js",
             "/static/field-icon.svg", "/vendor/leaflet/leaflet.js", "/vendor/leaflet/leaflet.css"];
self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(SHELL).then(function (cache) { return cache.addAll(FILES); })
    .then(function () { return self.skipWaiting(); }));
});
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });
self.addEventListener("fetch", function (event) {
  var url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin || FILES.indexOf(url.pathname) < 0) return;
  event.respondWith(fetch(event.request).then(function (answer) {
    if (answer.ok && !answer.redirected) {
      var copy = answer.clone();
      caches.open(SHELL).then(function (cache) { cache.put(url.pathname, copy); });
    }
    return answer;
  }).catch(function () { return caches.match(url.pathname); }));
});
