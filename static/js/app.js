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
    var remove = event.target.closest("[data-picker-remove]");
    if (remove) {
      remove.closest(".picker-chip").remove();
      return;
    }
    var pick = event.target.closest("[data-pick-id]");
    if (pick && pick.closest("[data-picker][data-multi]")) {
      // A multiple picker: the chosen record becomes a chip holding its id.
      var multi = pick.closest("[data-picker]");
      var chips = multi.querySelector("[data-picker-chips]");
      var taken = chips.querySelector("input[value='" + pick.dataset.pickId + "']");
      if (!taken) {
        var chip = document.createElement("span");
        chip.className = "tag picker-chip";
        var hidden = document.createElement("input");
        hidden.type = "hidden";
        hidden.name = multi.dataset.name;
        hidden.value = pick.dataset.pickId;
        var button = document.createElement("button");
        button.type = "button";
        button.className = "picker-remove";
        button.setAttribute("data-picker-remove", "");
        button.setAttribute("aria-label", multi.dataset.removeLabel || "×");
        button.textContent = "×";
        chip.appendChild(hidden);
        chip.appendChild(document.createTextNode(pick.dataset.pickLabel + " "));
        chip.appendChild(button);
        chips.appendChild(chip);
      }
      multi.querySelector("[data-picker-text]").value = "";
      multi.querySelector("[data-picker-options]").innerHTML = "";
      return;
    }
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
    if (text && !text.value) {
      var single = text.closest("[data-picker]").querySelector("[data-picker-value]");
      if (single) single.value = "";
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
  // A form field marked data-show-when="kind=call,meeting" is shown only while the
  // field named "kind" of the same form has one of those values (hidden fields are
  // still posted; the services ignore what does not belong to the chosen value).
  function applyShowWhen(form) {
    form.querySelectorAll("[data-show-when]").forEach(function (input) {
      var rule = input.dataset.showWhen.split("=");
      var control = form.elements[rule[0]];
      if (!control) return;
      var shown = rule[1].split(",").indexOf(control.value) !== -1;
      var box = input.closest(".field") || input;
      box.hidden = !shown;
    });
  }
  function initShowWhen(root) {
    root.querySelectorAll("form").forEach(function (form) {
      if (form.querySelector("[data-show-when]")) applyShowWhen(form);
    });
  }
  document.addEventListener("change", function (event) {
    var form = event.target.form;
    if (form && form.querySelector("[data-show-when]")) applyShowWhen(form);
  });
  document.addEventListener("DOMContentLoaded", function () { initShowWhen(document); });
  document.addEventListener("htmx:afterSwap", function (event) { initShowWhen(event.target); });
  window.crmChart = function (id, option) {
    var el = document.getElementById(id);
    if (!el || !window.echarts) return;
    var chart = window.echarts.init(el);
    if (window.matchMedia("(prefers-reduced-motion: reduce)").matches) option.animation = false;
    chart.setOption(option);
    window.addEventListener("resize", function () { chart.resize(); });
  };
})();
