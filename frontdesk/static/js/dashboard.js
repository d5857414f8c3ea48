/* The finance dashboard's charts: fetch the figures as JSON and draw them with Chart.js.
 * No inline script or style is needed (the Content-Security-Policy forbids both); the
 * same figures are in the page's table for printing and screen readers. */
(function () {
  "use strict";

  var root = document.getElementById("finance-dashboard");
  if (!root) {
    return;
  }

  var BUCKET_COLOURS = ["#f4c542", "#f0883e", "#d9534f", "#7a1f1f"];
  var RATE_COLOUR = "#2f6fb3";

  function showError() {
    var box = document.getElementById("dashboard-error");
    if (box) {
      box.textContent = root.getAttribute("data-error");
      box.classList.remove("d-none");
    }
  }

  function toNumber(text) {
    return text === null || text === undefined ? null : Number(text);
  }

  function drawCollection(data) {
    var canvas = document.getElementById("chart-collection");
    var labels = data.buildings.map(function (b) { return b.label; });
    var rates = data.buildings.map(function (b) {
      return b.rate === null ? null : toNumber(b.rate) * 100;
    });
    return new Chart(canvas, {
      type: "bar",
      data: {
        labels: labels,
        datasets: [{
          label: data.labels.rate,
          data: rates,
          backgroundColor: RATE_COLOUR
        }]
      },
      options: {
        responsive: true,
        scales: {
          y: {
            min: 0,
            max: 100,
            ticks: { callback: function (value) { return value + "%"; } }
          }
        },
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              label: function (context) {
                var building = data.buildings[context.dataIndex];
                return building.rate === null ? data.labels.no_bills : building.rate_percent;
              }
            }
          }
        }
      }
    });
  }

  function drawArrears(data) {
    var canvas = document.getElementById("chart-arrears");
    var labels = data.buildings.map(function (b) { return b.label; });
    var datasets = data.buckets.map(function (bucket, i) {
      return {
        label: bucket.label,
        data: data.buildings.map(function (b) { return toNumber(b.arrears[bucket.key]); }),
        backgroundColor: BUCKET_COLOURS[i % BUCKET_COLOURS.length]
      };
    });
    return new Chart(canvas, {
      type: "bar",
      data: { labels: labels, datasets: datasets },
      options: {
        responsive: true,
        scales: {
          x: { stacked: true },
          y: { stacked: true, beginAtZero: true, title: { display: true, text: data.labels.arrears } }
        },
        plugins: {
          tooltip: {
            callbacks: {
              label: function (context) {
                var building = data.buildings[context.dataIndex];
                var bucket = data.buckets[context.datasetIndex];
                return bucket.label + ": " + building.arrears[bucket.key];
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
      drawCollection(data);
      drawArrears(data);
      root.setAttribute("data-drawn", "true");
    })
    .catch(function () {
      showError();
    });
})();
