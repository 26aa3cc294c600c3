// The words of a page's script in the page's language. The server sends them in the page's
// config as {message: translation}; gridWords(them) is the page's t(message, values), which
// fills the braces of a message ("{count} grids") from values.
window.gridWords = function (words) {
  "use strict";
  return function t(message, values) {
    var text = (words || {})[message] || message;
    return text.replace(/\{(\w+)\}/g, function (all, name) {
      return values && values[name] !== undefined && values[name] !== null ? String(values[name]) : all;
    });
  };
};

// Leaflet's own words (zoom buttons, the layer switch) in the page's language, through t().
window.gridWords.leaflet = function (map, t) {
  "use strict";
  function name(selector, text) {
    document.querySelectorAll(selector).forEach(function (e) { e.title = text; e.setAttribute("aria-label", text); });
  }
  name(".leaflet-control-zoom-in", t("Zoom in"));
  name(".leaflet-control-zoom-out", t("Zoom out"));
  name(".leaflet-control-layers-toggle", t("Layers"));
  if (map.attributionControl) map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
  map.on("popupopen", function (e) {   // each popup's close button is made with an English label
    var close = e.popup.getElement().querySelector(".leaflet-popup-close-button");
    if (close) close.setAttribute("aria-label", t("Close"));
  });
};
