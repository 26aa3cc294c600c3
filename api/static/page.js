// What the workbench pages (/dispatch, /mediator, /planner) share: their config, elements made
// with text only (never markup from data), the JSON API with the page's session cookie, times
// in the reader's locale, and the forms of the mediation lifecycle's steps.
window.gridPage = (function () {
  "use strict";
  var config = JSON.parse(document.getElementById("page-config").textContent);
  var t = window.gridWords(config.words);

  function el(tag, attributes, children) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) {
      if (name === "text") node.textContent = attributes[name];
      else if (name === "on") Object.keys(attributes.on).forEach(function (e) { node.addEventListener(e, attributes.on[e]); });
      else node.setAttribute(name, attributes[name]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }

  // A problem's detail names its field already, in the page's language: it is the error's message.
  function api(method, path, body, headers) {
    var options = {method: method, credentials: "same-origin", headers: Object.assign({"Accept": "application/json"}, headers)};
    if (body instanceof FormData) options.body = body;   // a file: the browser writes the multipart form
    else if (body !== undefined) { options.body = JSON.stringify(body); options.headers["Content-Type"] = "application/json"; }
    return fetch(path, options).then(function (response) {
      if (response.status === 204) return null;
      return response.json().then(function (data) {
        if (!response.ok) { var error = new Error(data.detail || response.statusText); error.data = data; throw error; }
        return data;
      });
    });
  }

  var lang = document.documentElement.lang;
  var locale = navigator.language.indexOf(lang.slice(0, 2)) === 0 ? navigator.language : lang;
  function when(iso) { return iso ? new Date(iso).toLocaleString(locale) : "—"; }
  // A select's options from [{code, label}] (the page's config), ``chosen`` selected if given.
  function options(select, items, chosen) {
    items.forEach(function (item) { select.appendChild(el("option", {value: item.code, text: item.label})); });
    if (chosen !== undefined) select.value = chosen;
  }
  function field(label, input) { return el("label", {}, [el("span", {text: label + " "}), input]); }
  // A fact of a case card: its term and value ("—" when it has none), a link when ``href`` is given.
  function fact(term, value, href) {
    var dd = el("dd");
    if (value == null || value === "") dd.textContent = "—";
    else if (href) dd.appendChild(el("a", {href: href, text: String(value)}));
    else dd.textContent = String(value);
    return [el("dt", {text: term}), dd];
  }
  // The page's #message: what was saved (ok), or what went wrong (a problem's detail names its field).
  function say(text, ok) {
    var message = document.getElementById("message");
    message.textContent = text || "";
    message.className = ok ? "ok" : "";
  }
  function failed(error) { say(error.message); }
  // While ``box`` saves, it dims and is inert: no click, tap or key reaches it (Enter twice
  // would send a step twice; a CSS pointer-events rule stops only the mouse).
  function busy(box, on) { box.classList.toggle("busy", on); box.inert = on; }
  // ``work()``, unless ``box`` is busy with a step already: each step is sent once.
  function oneAtATime(box, work) {
    if (box.inert) return Promise.resolve();
    busy(box, true);
    return work().then(function (answer) { busy(box, false); return answer; },
                       function (error) { busy(box, false); throw error; });
  }

  // One form per step of ``statuses`` (those open to a case), with the fields the law asks of it
  // (an agreement's form, a termination's routes) and a note; ``send(body)`` posts it to /transitions.
  function stepForms(statuses, send) {
    return statuses.map(function (to) {
      var extra = [], form = el("form", {"data-to": to});
      if (to === "agreement") {
        var select = el("select", {name: "agreement_form"});
        config.agreement_forms.forEach(function (f) { select.appendChild(el("option", {value: f.code, text: f.label})); });
        extra.push(field(t("agreement"), select));
      }
      if (to === "terminated") {
        config.routes.forEach(function (r) {
          extra.push(field(r.label, el("input", {type: "checkbox", name: "routes", value: r.code})));
        });
      }
      extra.push(field(t("note"), el("input", {name: "note", maxlength: "2000"})));
      form.appendChild(el("fieldset", {}, [el("legend", {text: config.statuses[to]})].concat(extra)
        .concat([el("button", {text: t("Go to {status}", {status: config.statuses[to]})})])));
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var data = new FormData(form), body = {to: to};
        if (data.get("note")) body.note = data.get("note");
        if (data.get("agreement_form")) body.agreement_form = data.get("agreement_form");
        if (to === "terminated") body.routes = data.getAll("routes");
        send(body);
      });
      return form;
    });
  }

  // The case's events, oldest first: when, what, the step, who, the note.
  function timeline(list, events) {
    clear(list);
    (events || []).forEach(function (e) {
      var step = e.to_status ? (config.statuses[e.from_status] || "") + " → " + config.statuses[e.to_status] : "";
      list.appendChild(el("li", {text: when(e.at) + " · " + (config.actions[e.action] || e.action) + " " + step
                                       + " · " + e.actor + (e.note ? " · " + e.note : "")}));
    });
  }

  return {config: config, t: t, el: el, clear: clear, api: api, when: when, field: field, fact: fact, say: say,
          options: options,
          failed: failed, busy: busy, oneAtATime: oneAtATime, stepForms: stepForms, timeline: timeline};
})();
