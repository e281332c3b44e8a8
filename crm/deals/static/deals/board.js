// The deals board: drag a card (or pick a stage in its select) to move the deal.
// Every move goes to the server's move service; won and lost ask for the reason
// first; on any error the card goes back where it was and the message shows.
// Texts come from the page (data- attributes), never from this file.
(function () {
  "use strict";

  function init() {
    var board = document.getElementById("board");
    if (!board) return;
    var token = document.querySelector("meta[name=csrf-token]").content;
    var messageBox = document.getElementById("board-message");
    var dialog = document.getElementById("close-dialog");
    // Choosing another pipeline opens its board at once.
    var pipelineSelect = document.getElementById("board-pipeline");
    if (pipelineSelect) pipelineSelect.addEventListener("change", function () { pipelineSelect.form.submit(); });
    // The filters are folded away on a phone, where they would fill the first screen.
    var moreFilters = document.getElementById("board-more-filters");
    if (moreFilters && window.matchMedia("(min-width: 700px)").matches) moreFilters.open = true;

    function show(text, kind) {
      messageBox.innerHTML = "";
      var item = document.createElement("div");
      item.className = "board-note " + (kind || "");
      item.textContent = text;
      messageBox.appendChild(item);
    }

    function askReason(kind, stageName, dealName) {
      return new Promise(function (resolve) {
        var title = document.getElementById("close-dialog-title");
        var text = document.getElementById("close-reason");
        var error = document.getElementById("close-dialog-error");
        title.textContent = kind === "won" ? dialog.dataset.titleWon : dialog.dataset.titleLost;
        document.getElementById("close-dialog-deal").textContent = dealName + " → " + stageName;
        text.value = "";
        error.hidden = true;
        function done() {
          dialog.removeEventListener("close", done);
          if (dialog.returnValue === "ok" && text.value.trim()) resolve(text.value.trim());
          else resolve(null);
        }
        dialog.addEventListener("close", done);
        dialog.returnValue = "";
        dialog.showModal();
        text.focus();
      });
    }
    // The confirm button refuses an empty reason without closing the dialog.
    document.getElementById("close-dialog-ok").addEventListener("click", function (event) {
      if (!document.getElementById("close-reason").value.trim()) {
        event.preventDefault();
        document.getElementById("close-dialog-error").hidden = false;
      }
    });

    function column(stageId) {
      return board.querySelector('.board-col[data-stage="' + stageId + '"]');
    }

    function updateHeaders(headers) {
      Object.keys(headers || {}).forEach(function (stageId) {
        var box = document.getElementById("totals-" + stageId);
        if (box) box.innerHTML = headers[stageId];
      });
    }

    function syncSelect(card, stageId) {
      var select = card.querySelector("select.card-stage");
      if (select) select.value = stageId;
    }

    // Move `card` (already placed in the target column) to stageId; `revert` puts it back.
    function move(card, stageId, revert) {
      var col = column(stageId);
      var kind = col.dataset.kind;
      var name = card.querySelector(".deal-card-name").textContent.trim();
      card.classList.add("moving");
      var reasonStep = kind === "open" ? Promise.resolve("") : askReason(kind, col.dataset.stageName, name);
      reasonStep.then(function (reason) {
        if (reason === null) {
          card.classList.remove("moving");
          revert();
          return;
        }
        var body = new URLSearchParams();
        body.set("stage", stageId);
        body.set("version", card.dataset.version);
        if (reason) body.set("reason", reason);
        var query = board.dataset.query ? "?" + board.dataset.query : "";
        fetch(card.dataset.moveUrl + query, {
          method: "POST",
          credentials: "same-origin",
          headers: { "X-CSRFToken": token, Accept: "application/json" },
          body: body,
        })
          .then(function (response) {
            return response.json().then(function (data) { return { ok: response.ok, data: data }; });
          })
          .then(function (result) {
            card.classList.remove("moving");
            if (result.ok) {
              card.dataset.version = result.data.version;
              syncSelect(card, stageId);
              updateHeaders(result.data.headers);
              show(result.data.message, "success");
            } else {
              revert();
              show(result.data.error ? result.data.error.message : board.dataset.networkError, "error");
            }
          })
          .catch(function () {
            card.classList.remove("moving");
            revert();
            show(board.dataset.networkError, "error");
          });
      });
    }

    function placeBack(card, list, index) {
      return function () {
        var cards = list.querySelectorAll(".deal-card");
        var before = cards[index] && cards[index] !== card ? cards[index] : list.querySelector(".load-more");
        list.insertBefore(card, before || null);
        syncSelect(card, list.dataset.stage);
      };
    }

    board.querySelectorAll(".board-cards").forEach(function (list) {
      window.Sortable.create(list, {
        group: "deals",
        draggable: ".deal-card",
        // Mouse and touch events rather than native drag and drop: the same on every
        // browser, and the dragged card can scroll the board sideways.
        forceFallback: true,
        filter: "select, button, input, textarea, .editing",
        preventOnFilter: false,
        animation: window.matchMedia("(prefers-reduced-motion: reduce)").matches ? 0 : 150,
        delay: 150,
        delayOnTouchOnly: true,
        onEnd: function (event) {
          if (event.from === event.to) return;
          var card = event.item;
          move(card, event.to.dataset.stage, placeBack(card, event.from, event.oldIndex));
        },
      });
    });

    // The stage select on each card: the way to move on a phone or with a keyboard.
    board.addEventListener("change", function (event) {
      var select = event.target.closest("select.card-stage");
      if (!select) return;
      var card = select.closest(".deal-card");
      var from = card.parentElement;
      var index = Array.prototype.indexOf.call(from.querySelectorAll(".deal-card"), card);
      var target = column(select.value).querySelector(".board-cards");
      target.insertBefore(card, target.firstChild);
      move(card, select.value, placeBack(card, from, index));
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
