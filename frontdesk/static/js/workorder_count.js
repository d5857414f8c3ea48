/* The navigation bar's count of new work orders: asked for every 30 seconds, shown without
 * reloading the page. No inline script (the Content-Security-Policy forbids it). */
(function () {
  "use strict";

  var INTERVAL = 30000;
  var source = document.querySelector(".workorder-count[data-count-url]");
  if (!source || !window.fetch) {
    return;
  }
  var url = source.getAttribute("data-count-url");

  function show(count) {
    document.querySelectorAll(".workorder-count").forEach(function (badge) {
      badge.textContent = String(count);
      badge.classList.toggle("d-none", !count);
    });
  }

  function refresh() {
    if (document.hidden) {
      return;
    }
    fetch(url, {credentials: "same-origin", cache: "no-store",
                headers: {"Accept": "application/json"}})
      .then(function (response) {
        if (!response.ok || (response.headers.get("Content-Type") || "").indexOf("json") < 0) {
          throw new Error("no count");
        }
        return response.json();
      })
      .then(function (data) {
        if (typeof data.count === "number") {
          show(data.count);
        }
      })
      .catch(function () { /* logged out or offline: keep what is shown */ });
  }

  window.setInterval(refresh, INTERVAL);
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) {
      refresh();
    }
  });
}());
