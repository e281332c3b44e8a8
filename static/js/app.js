// Small behaviours for the shell. Everything else is HTMX attributes in the templates.
(function () {
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-toggle-sidebar]");
    if (toggle) {
      document.getElementById("sidebar").classList.toggle("open");
      return;
    }
    // Export links follow the filters and sort of the list as it is now (HTMX
    // updates the results and the address, not the links in the page head).
    var exportLink = event.target.closest("a[data-export]");
    if (exportLink) {
      var params = new URLSearchParams(window.location.search);
      ["page", "per_page", "columns"].forEach(function (key) { params.delete(key); });
      params.set("format", exportLink.dataset.export);
      exportLink.href = exportLink.href.split("?")[0] + "?" + params.toString();
    }
    var pick = event.target.closest("[data-pick-id]");
    if (pick) {
      var picker = pick.closest("[data-picker]");
      picker.querySelector("[data-picker-value]").value = pick.dataset.pickId;
      picker.querySelector("[data-picker-text]").value = pick.dataset.pickLabel;
      picker.querySelector("[data-picker-options]").innerHTML = "";
      return;
    }
    var all = event.target.closest("[data-check-all]");
    if (all) {
      document.querySelectorAll("input[name=ids]").forEach(function (box) { box.checked = all.checked; });
    }
    if (!event.target.closest("[data-picker]")) {
      document.querySelectorAll("[data-picker-options]").forEach(function (box) { box.innerHTML = ""; });
    }
    if (!event.target.closest(".search-box")) {
      var dropdown = document.getElementById("search-dropdown");
      if (dropdown) dropdown.innerHTML = "";
    }
  });
  // Emptying a record picker's text clears its choice.
  document.addEventListener("input", function (event) {
    var text = event.target.closest("[data-picker-text]");
    if (text && !text.value) text.closest("[data-picker]").querySelector("[data-picker-value]").value = "";
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) event.preventDefault();
    if (form.id === "bulk-form") {
      var checked = form.querySelectorAll("input[name=ids]:checked").length;
      var selectAll = form.querySelector("input[name=select_all]:checked");
      if (!checked && !selectAll) { event.preventDefault(); window.alert(form.dataset.empty); }
    }
  });
  // HTMX sends the CSRF token with every request it makes.
  document.addEventListener("htmx:configRequest", function (event) {
    var token = document.querySelector("meta[name=csrf-token]");
    if (token) event.detail.headers["X-CSRFToken"] = token.content;
  });
  window.crmChart = function (id, option) {
    var el = document.getElementById(id);
    if (!el || !window.echarts) return;
    var chart = window.echarts.init(el);
    if (window.matchMedia("(prefers-reduced-motion: reduce)").matches) option.animation = false;
    chart.setOption(option);
    window.addEventListener("resize", function () { chart.resize(); });
  };
})();
