/* The progress bar of a running job: asks the job's status every second and reloads the page
 * when the job has ended, so that the server shows its result. No inline script or style (the
 * Content-Security-Policy forbids both): widths are set here. */
(function () {
  "use strict";

  var INTERVAL = 1000;
  // as jobs/_panel.html colours them
  var BADGES = {queued: "secondary", running: "primary", done: "success", failed: "danger",
                interrupted: "warning"};

  function show(panel, data) {
    var bar = panel.querySelector(".job-bar");
    var percent = Math.max(0, Math.min(100, data.percent || 0));
    if (bar) {
      bar.style.width = percent + "%";
      bar.parentNode.setAttribute("aria-valuenow", String(percent));
    }
    var count = panel.querySelector(".job-count");
    if (count && data.total) {
      count.textContent = data.done + " / " + data.total;
    }
    var status = panel.querySelector(".job-status");
    if (status && data.label) {
      status.textContent = data.label;
      status.className = status.className.replace(/text-bg-\w+/, "text-bg-" +
        (BADGES[data.status] || "secondary"));
    }
  }

  function watch(panel) {
    var url = panel.getAttribute("data-status-url");
    var bar = panel.querySelector(".job-bar");
    if (bar) {
      bar.style.width = (bar.getAttribute("data-percent") || "0") + "%";
    }
    function poll() {
      fetch(url, {credentials: "same-origin", cache: "no-store",
                  headers: {"Accept": "application/json"}})
        .then(function (response) {
          if (!response.ok || (response.headers.get("Content-Type") || "").indexOf("json") < 0) {
            throw new Error("no status");
          }
          return response.json();
        })
        .then(function (data) {
          show(panel, data);
          if (data.ended) {
            window.location.reload();
          } else {
            window.setTimeout(poll, INTERVAL);
          }
        })
        .catch(function () { window.setTimeout(poll, INTERVAL * 5); });
    }
    window.setTimeout(poll, INTERVAL);
  }

  document.querySelectorAll(".job-panel[data-ended='0']").forEach(watch);
})();
