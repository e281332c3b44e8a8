// My day and the calendar. Drag an item to another day (SortableJS) or, on a phone,
// pick a date: the move goes to the server, which keeps the time of day; on any
// refusal the item goes back where it was and the server's message shows.
// Texts come from the page (data- attributes) or the server, never from this file.
(function () {
  "use strict";

  function token() {
    var meta = document.querySelector("meta[name=csrf-token]");
    return meta ? meta.content : "";
  }

  // The done button answers with the sections again, also when it is refused (409,
  // 403, 404, 400): those carry the translated message, so swap them too.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (target && target.id === "my-day-sections" && event.detail.xhr.status >= 400 && event.detail.xhr.status < 500) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // Copy the feed link.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var input = document.querySelector(button.dataset.copy);
    input.select();
    var done = function () { button.textContent = button.dataset.copied; };
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(input.value).then(done, function () {});
    else { try { document.execCommand("copy"); done(); } catch (e) { /* the text stays selected */ } }
  });

  function show(text, kind) {
    var box = document.getElementById("calendar-message");
    if (!box) return;
    box.innerHTML = "";
    var item = document.createElement("div");
    item.className = "calendar-note " + (kind || "");
    item.textContent = text;
    box.appendChild(item);
  }

  // A day with nothing on it is folded away in the phone's list: keep that right.
  function markEmpty() {
    document.querySelectorAll(".cal-items").forEach(function (list) {
      var day = list.closest(".cal-day");
      if (day) day.classList.toggle("empty", !list.querySelector(".cal-item"));
    });
  }

  function move(item, date, revert) {
    var wrap = document.getElementById("calendar");
    var body = new URLSearchParams();
    body.set("date", date);
    body.set("version", item.dataset.version);
    item.classList.add("moving");
    fetch(item.dataset.moveUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": token(), Accept: "application/json" },
      body: body,
    })
      .then(function (response) {
        return response.json().then(function (data) { return { ok: response.ok, data: data }; });
      })
      .then(function (result) {
        item.classList.remove("moving");
        if (result.ok) {
          item.dataset.version = result.data.version;
          var input = item.querySelector("[data-move-date]");
          if (input) input.value = result.data.date;
          var list = document.querySelector('.cal-items[data-date="' + result.data.date + '"]');
          if (list && item.parentElement !== list) list.appendChild(item);
          if (!list) item.remove();
          markEmpty();
          show(result.data.message, "success");
        } else {
          revert();
          show(result.data.error ? result.data.error.message : wrap.dataset.networkError, "error");
        }
      })
      .catch(function () {
        item.classList.remove("moving");
        revert();
        show(wrap.dataset.networkError, "error");
      });
  }

  function placeBack(item, list, index) {
    return function () {
      var items = list.querySelectorAll(".cal-item");
      var before = items[index] && items[index] !== item ? items[index] : null;
      list.insertBefore(item, before);
      var input = item.querySelector("[data-move-date]");
      if (input) input.value = list.dataset.date;
      markEmpty();
    };
  }

  function initCalendar(root) {
    var grid = (root || document).querySelector("[data-calendar]");
    if (!grid || !window.Sortable) return;
    grid.querySelectorAll(".cal-items").forEach(function (list) {
      window.Sortable.create(list, {
        group: "calendar",
        draggable: ".cal-item.movable",
        filter: "input, label",
        preventOnFilter: false,
        forceFallback: true,
        animation: window.matchMedia("(prefers-reduced-motion: reduce)").matches ? 0 : 150,
        delay: 150,
        delayOnTouchOnly: true,
        onEnd: function (event) {
          if (event.from === event.to) return;
          move(event.item, event.to.dataset.date, placeBack(event.item, event.from, event.oldIndex));
        },
      });
    });
  }

  // The date input of each item: the way to move on a phone or with a keyboard.
  document.addEventListener("change", function (event) {
    var input = event.target.closest("[data-move-date]");
    if (!input || !input.value) return;
    var item = input.closest(".cal-item");
    var from = item.parentElement;
    if (input.value === from.dataset.date) return;
    var index = Array.prototype.indexOf.call(from.querySelectorAll(".cal-item"), item);
    move(item, input.value, placeBack(item, from, index));
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "calendar") {
      var box = document.getElementById("calendar-message");
      if (box) box.innerHTML = "";
      initCalendar(event.detail.target);
    }
  });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { initCalendar(); });
  else initCalendar();
})();
