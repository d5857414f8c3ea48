/* The payment form: the amount follows the ticked bills, with their running total; cash shows
 * the change for what was handed over, the other methods ask for the transaction number; a
 * payment short of the bills to pay is flagged as partial. Amounts are counted in fen
 * (integers) so that no floating-point rounding shows. The server checks everything again;
 * without script the form still works, only without these aids. */
(function () {
  "use strict";

  var form = document.getElementById("payment-form");
  if (!form) {
    return;
  }
  var amount = document.getElementById("amount");
  var method = document.getElementById("method");
  var purpose = document.getElementById("purpose");
  var tendered = document.getElementById("tendered");
  var ticks = Array.prototype.slice.call(form.querySelectorAll("input.line-tick"));
  var tickAll = document.getElementById("tick-all");
  var referenceMethods = (form.getAttribute("data-reference-methods") || "").split(" ");
  var totalDue = toFen(form.getAttribute("data-total-due"));

  function toFen(text) {
    var clean = String(text || "").replace(/[\s,，¥￥元]/g, "");
    if (!/^\d+(\.\d{0,2})?$/.test(clean)) {
      return null;
    }
    var parts = clean.split(".");
    var fen = (parts[1] || "").concat("00").slice(0, 2);
    return parseInt(parts[0], 10) * 100 + parseInt(fen, 10);
  }

  function toText(fen) {
    var yuan = Math.floor(fen / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return yuan + "." + ("0" + (fen % 100)).slice(-2);
  }

  function show(id, visible) {
    var el = document.getElementById(id);
    if (el) {
      el.classList.toggle("d-none", !visible);
    }
    return el;
  }

  function setText(id, text) {
    var el = document.getElementById(id);
    if (el) {
      el.textContent = text;
    }
  }

  function tickedFen() {
    return ticks.reduce(function (sum, box) {
      return box.checked ? sum + toFen(box.getAttribute("data-total")) : sum;
    }, 0);
  }

  /* what this payment is meant to settle: the ticked bills, or all of them when none is */
  function targetFen() {
    var anyTicked = ticks.some(function (box) { return box.checked; });
    return anyTicked ? tickedFen() : totalDue;
  }

  function refresh() {
    var paid = toFen(amount.value);
    var bills = purpose.value === "bills";
    setText("ticked-total", toText(tickedFen()));
    var target = targetFen();
    var partial = bills && paid !== null && paid > 0 && paid < target;
    var extra = bills && paid !== null && target > 0 && paid > target;
    if (partial) {
      setText("partial-short", toText(target - paid));
      setText("partial-owed", toText(Math.max(totalDue - paid, 0)));
    }
    if (extra) {
      setText("overpay-extra", toText(paid - target));
    }
    show("partial-warning", partial);
    show("overpay-note", extra);

    var cash = method.value === "cash";
    show("cash-fields", cash);
    show("reference-field", referenceMethods.indexOf(method.value) !== -1);
    var given = toFen(tendered.value);
    var change = cash && given !== null && paid !== null ? given - paid : null;
    setText("change", change !== null && change >= 0 ? toText(change) : "—");
    show("tendered-short", change !== null && change < 0);

    ticks.forEach(function (box) { box.disabled = !bills; });
    if (tickAll) {
      tickAll.disabled = !bills;
      tickAll.checked = ticks.length > 0 && ticks.every(function (box) { return box.checked; });
    }
  }

  function ticksChanged() {
    var target = targetFen();
    amount.value = target > 0 ? toText(target).replace(/,/g, "") : "";
    refresh();
  }

  ticks.forEach(function (box) { box.addEventListener("change", ticksChanged); });
  if (tickAll) {
    tickAll.addEventListener("change", function () {
      ticks.forEach(function (box) { box.checked = tickAll.checked; });
      ticksChanged();
    });
  }
  [amount, tendered].forEach(function (el) { el.addEventListener("input", refresh); });
  [method, purpose].forEach(function (el) { el.addEventListener("change", refresh); });
  refresh();
})();
