// The quote line editor: add, remove and reorder rows, pick a product (its price for the
// quote's customer comes from the server), and preview the totals. The preview uses the
// same rule as crm/core/money.py (per-line half-up rounding) with integer arithmetic in
// minor units; the server recomputes every amount on save and never reads these.
(function () {
  "use strict";
  var DIGITS = { JPY: 0, KRW: 0, VND: 0, CLP: 0, ISK: 0, KWD: 3, BHD: 3, OMR: 3, JOD: 3, TND: 3, IQD: 3, LYD: 3 };
  function form() { return document.getElementById("quote-form"); }
  function field(name) { var f = form(); return f ? f.querySelector("[name='" + name + "']") : null; }
  function currency() { var c = field("currency"); return ((c && c.value) || "CNY").toUpperCase(); }
  function digits() { var d = DIGITS[currency()]; return d === undefined ? 2 : d; }
  // Decimal string -> [BigInt scaled by 10^scale] or null.
  function parse(text, scale) {
    text = String(text || "").trim().replace(/,/g, "");
    if (!/^\d*(\.\d*)?$/.test(text) || text === "" || text === ".") return null;
    var parts = text.split("."), frac = (parts[1] || "");
    if (frac.length > scale) return null;
    return BigInt(parts[0] || "0") * 10n ** BigInt(scale) + BigInt((frac + "0".repeat(scale)).slice(0, scale) || "0");
  }
  function roundDiv(n, d) { // half-up for non-negative n
    return (n * 2n + d) / (2n * d);
  }
  function fmt(minor) {
    var d = digits(), s = minor.toString();
    if (d === 0) return Number(s).toLocaleString("en-US");
    while (s.length <= d) s = "0" + s;
    var whole = s.slice(0, -d), frac = s.slice(-d);
    return Number(whole).toLocaleString("en-US") + "." + frac;
  }
  function lineAmounts(row) {
    var d = BigInt(digits());
    var q = parse(row.querySelector("[name='line-quantity']").value, 3);
    var p = parse(row.querySelector("[name='line-unit_price']").value, 4);
    var disc = parse(row.querySelector("[name='line-discount_percent']").value || "0", 2);
    var tax = parse(row.querySelector("[name='line-tax_rate']").value || "0", 2);
    if (q === null || p === null || disc === null || tax === null) return null;
    // gross in minor units: q(10^3) * p(10^4) -> 10^7 scale
    var gross = roundDiv(q * p * 10n ** d, 10n ** 7n);
    var discount = roundDiv(gross * disc, 10000n);
    var net = gross - discount;
    var taxAmount = roundDiv(net * tax, 10000n);
    return { gross: gross, discount: discount, net: net, tax: taxAmount, total: net + taxAmount };
  }
  function recompute() {
    var sums = { gross: 0n, discount: 0n, tax: 0n, total: 0n };
    document.querySelectorAll("#quote-lines tbody tr.line").forEach(function (row) {
      var a = lineAmounts(row);
      row.querySelector(".line-total").textContent = a ? fmt(a.total) : "—";
      if (a) Object.keys(sums).forEach(function (k) { sums[k] += a[k]; });
    });
    document.querySelectorAll("#live-totals [data-total]").forEach(function (el) {
      el.textContent = fmt(sums[el.dataset.total]) + (el.dataset.total === "total" ? " " + currency() : "");
    });
  }
  function customerQuery() {
    var params = new URLSearchParams();
    ["company", "contact", "currency", "language"].forEach(function (n) { var f = field(n); if (f && f.value) params.set(n, f.value); });
    return params;
  }
  function pick(row, item) {
    row.querySelector("[name='line-product']").value = item.id;
    row.querySelector(".product-search").value = item.sku + " " + item.description;
    row.querySelector("[name='line-description']").value = item.description;
    row.querySelector("[name='line-unit']").value = item.unit;
    row.querySelector("[name='line-tax_rate']").value = item.tax_rate;
    if (item.unit_price !== null) row.querySelector("[name='line-unit_price']").value = item.unit_price;
    row.querySelector("[name='line-discount_percent']").value = item.discount_percent;
    row.querySelector("[name='line-price_source']").value = item.price_source_label;
    row.querySelector(".product-results").innerHTML = "";
    recompute();
  }
  var timer = null;
  function search(input) {
    var row = input.closest("tr"), box = row.querySelector(".product-results"), url = form().dataset.lookup;
    if (!url) return;
    clearTimeout(timer);
    timer = setTimeout(function () {
      var params = customerQuery();
      params.set("q", input.value);
      params.set("quantity", row.querySelector("[name='line-quantity']").value || "1");
      fetch(url + "?" + params.toString(), { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : { results: [] }; })
        .then(function (data) {
          box.innerHTML = "";
          data.results.forEach(function (item) {
            var b = document.createElement("button");
            b.type = "button"; b.className = "product-option";
            b.textContent = item.sku + " · " + item.description + (item.unit_price !== null ? " · " + item.unit_price + " " + item.currency : "");
            b.addEventListener("click", function () { pick(row, item); });
            box.appendChild(b);
          });
        });
    }, 200);
  }
  function addRow() {
    var tpl = document.getElementById("line-template");
    var row = tpl.content.firstElementChild.cloneNode(true);
    document.querySelector("#quote-lines tbody").appendChild(row);
    row.querySelector(".product-search").focus();
    recompute();
  }
  document.addEventListener("DOMContentLoaded", function () {
    var f = form(); if (!f) return;
    document.getElementById("add-line").addEventListener("click", addRow);
    if (!document.querySelector("#quote-lines tbody tr.line")) addRow();
    f.addEventListener("input", function (e) {
      if (e.target.classList.contains("product-search")) { e.target.closest("tr").querySelector("[name='line-product']").value = ""; search(e.target); }
      recompute();
    });
    f.addEventListener("click", function (e) {
      var row = e.target.closest("tr.line"); if (!row) return;
      if (e.target.classList.contains("remove-line")) { row.remove(); recompute(); }
      else if (e.target.classList.contains("move-up") && row.previousElementSibling) { row.parentNode.insertBefore(row, row.previousElementSibling); }
      else if (e.target.classList.contains("move-down") && row.nextElementSibling) { row.parentNode.insertBefore(row.nextElementSibling, row); }
    });
    recompute();
  });
})();
