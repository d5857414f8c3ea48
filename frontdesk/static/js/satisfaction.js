/* The satisfaction charts: the figures come in the page (data-chart, JSON) and are drawn with
 * Chart.js as bars of the satisfaction rate (per cent). No inline script (CSP); the same figures
 * are in the page's tables. */
(function () {
  "use strict";

  var root = document.getElementById("satisfaction-charts");
  if (!root || typeof Chart === "undefined") {
    return;
  }
  var data;
  try {
    data = JSON.parse(root.getAttribute("data-chart"));
  } catch (e) {
    return;
  }
  var rateLabel = root.getAttribute("data-rate");
  var countLabel = root.getAttribute("data-count");

  Object.keys(data).forEach(function (key) {
    var canvas = document.getElementById("chart-" + key);
    var series = data[key];
    if (!canvas || !series) {
      return;
    }
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: series.labels,
        datasets: [{ label: rateLabel, data: series.rates, backgroundColor: "#2f6fb3" }]
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        scales: {
          y: { min: 0, max: 100, ticks: { callback: function (v) { return v + "%"; } } }
        },
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              label: function (ctx) {
                var rate = ctx.raw === null ? "—" : ctx.raw.toFixed(1) + "%";
                return rateLabel + " " + rate + " · " + countLabel + " " +
                  series.counts[ctx.dataIndex];
              }
            }
          }
        }
      }
    });
  });
}());
