/* The work-order dashboard's charts: fetch the figures as JSON and draw them with Chart.js.
 * No inline script or style (the Content-Security-Policy forbids both); the same figures are
 * in the page's tables for printing and screen readers. */
(function () {
  "use strict";

  var root = document.getElementById("workorder-dashboard");
  if (!root) {
    return;
  }

  var OPEN_COLOUR = "#2f6fb3";
  var RESPONSE_COLOUR = "#f0883e";
  var COMPLETION_COLOUR = "#d9534f";
  var SATISFIED_COLOUR = "#3c9d5d";
  var UNSATISFIED_COLOUR = "#d9534f";
  var BAR = 36;

  function showError() {
    var box = document.getElementById("dashboard-error");
    if (box) {
      box.textContent = root.getAttribute("data-error");
      box.classList.remove("d-none");
    }
  }

  function names(rows) {
    return rows.map(function (r) { return r.name; });
  }

  function wholeNumbers() {
    return { beginAtZero: true, ticks: { precision: 0 } };
  }

  function drawOpen(data) {
    return new Chart(document.getElementById("chart-open"), {
      type: "bar",
      data: {
        labels: names(data.categories),
        datasets: [{
          label: data.labels.open,
          data: data.categories.map(function (r) { return r.open; }),
          backgroundColor: OPEN_COLOUR,
          maxBarThickness: BAR
        }]
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        scales: { y: wholeNumbers() },
        plugins: { legend: { display: false } }
      }
    });
  }

  function drawBreaches(data) {
    return new Chart(document.getElementById("chart-breaches"), {
      type: "bar",
      data: {
        labels: names(data.categories),
        datasets: [{
          label: data.labels.response,
          data: data.categories.map(function (r) { return r.response_breaches; }),
          backgroundColor: RESPONSE_COLOUR,
          maxBarThickness: BAR
        }, {
          label: data.labels.completion,
          data: data.categories.map(function (r) { return r.completion_breaches; }),
          backgroundColor: COMPLETION_COLOUR,
          maxBarThickness: BAR
        }]
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        scales: { x: { stacked: true }, y: Object.assign({ stacked: true }, wholeNumbers()) }
      }
    });
  }

  function drawSatisfaction(data) {
    var rows = data.engineers.filter(function (r) { return r.callbacks > 0; });
    return new Chart(document.getElementById("chart-satisfaction"), {
      type: "bar",
      data: {
        labels: names(rows),
        datasets: [{
          label: data.labels.satisfaction,
          data: rows.map(function (r) { return r.satisfaction; }),
          backgroundColor: rows.map(function (r) {
            return r.satisfaction !== null && r.satisfaction < 3 ? UNSATISFIED_COLOUR : SATISFIED_COLOUR;
          }),
          maxBarThickness: BAR
        }]
      },
      options: {
        indexAxis: "y",
        responsive: true,
        maintainAspectRatio: false,
        scales: { x: { min: 0, max: 5, ticks: { stepSize: 1 } } },
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              label: function (context) {
                var row = rows[context.dataIndex];
                return row.satisfaction + " (" + row.callbacks + ")";
              }
            }
          }
        }
      }
    });
  }

  if (typeof window.Chart === "undefined") {
    showError();
    return;
  }

  fetch(root.getAttribute("data-source"), {
    credentials: "same-origin",
    headers: { "Accept": "application/json" }
  })
    .then(function (response) {
      if (!response.ok) {
        throw new Error("HTTP " + response.status);
      }
      return response.json();
    })
    .then(function (data) {
      drawOpen(data);
      drawBreaches(data);
      drawSatisfaction(data);
      root.setAttribute("data-drawn", "true");
    })
    .catch(function () {
      showError();
    });
})();
