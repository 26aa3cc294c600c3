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
