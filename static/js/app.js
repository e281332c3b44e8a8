// Small behaviours for the shell. Everything else is HTMX attributes in the templates.
(function () {
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-toggle-sidebar]");
    if (toggle) {
      document.getElementById("sidebar").classList.toggle("open");
      return;
    }
    var all = event.target.closest("[data-check-all]");
    if (all) {
      document.querySelectorAll("input[name=ids]").forEach(function (box) { box.checked = all.checked; });
    }
    if (!event.target.closest(".search-box")) {
      var dropdown = document.getElementById("search-dropdown");
      if (dropdown) dropdown.innerHTML = "";
    }
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
