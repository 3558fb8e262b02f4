// The home page's sync card follows a running sync: every two seconds, while a run is
// queued or running, the card is re-read from the server (already translated and
// formatted) and swapped in place. It stops by itself when nothing is running.
(function () {
  "use strict";
  var PERIOD = 2000;

  function card() { return document.getElementById("sync"); }

  function refresh() {
    var current = card();
    if (!current || current.getAttribute("data-syncing") !== "true") return;
    fetch(window.location.pathname, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("sync");
        if (fresh) {
          current.replaceWith(fresh);
          document.querySelectorAll("[data-stat]").forEach(function (node) {
            var twin = new DOMParser().parseFromString(html, "text/html")
              .querySelector('[data-stat="' + node.getAttribute("data-stat") + '"]');
            if (twin) node.textContent = twin.textContent;
          });
        }
      })
      .catch(function () { /* the next tick tries again */ })
      .then(function () { window.setTimeout(refresh, PERIOD); });
  }

  window.setTimeout(refresh, PERIOD);
})();
