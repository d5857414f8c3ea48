// The handover form: show the cash counted beside the expected as over or short.
(function () {
  var counted = document.getElementById("cash_counted");
  var expected = document.getElementById("cash-expected");
  var out = document.getElementById("over-short");
  if (!counted || !expected || !out) { return; }
  function cents(text) {
    var clean = String(text || "").replace(/[\s,，¥￥元]/g, "");
    if (!/^\d+(\.\d{1,2})?$/.test(clean)) { return null; }
    var parts = clean.split(".");
    return parseInt(parts[0], 10) * 100 + parseInt(((parts[1] || "") + "00").slice(0, 2), 10);
  }
  function show() {
    var c = cents(counted.value), e = cents(expected.dataset.expected);
    if (c === null || e === null) { out.textContent = ""; return; }
    var d = c - e;
    var text = d === 0 ? out.dataset.match : (d > 0 ? out.dataset.over : out.dataset.short) +
      " " + (Math.abs(d) / 100).toFixed(2);
    out.textContent = text;
    out.className = "small mb-2 " + (d === 0 ? "text-success" : d > 0 ? "text-info" : "text-danger");
  }
  counted.addEventListener("input", show);
  show();
})();
