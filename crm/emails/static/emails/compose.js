// Choosing a template fills the subject and the body with its text (merge fields are
// filled in when the e-mail is previewed or sent). Text the user typed is replaced only
// after they confirm.
(function () {
  "use strict";
  function ready() {
    var form = document.querySelector("[data-compose]");
    var data = document.getElementById("email-templates");
    if (!form || !data) return;
    var templates = JSON.parse(data.textContent);
    var select = form.querySelector("select[name=template]");
    var subject = form.querySelector("[name=subject]");
    var body = form.querySelector("[name=body]");
    if (!select || !subject || !body) return;
    var filled = { subject: subject.value, body: body.value };
    select.addEventListener("change", function () {
      var chosen = templates[select.value];
      if (!chosen) return;
      var edited = (subject.value !== filled.subject || body.value !== filled.body) && (subject.value || body.value);
      var question = form.getAttribute("data-replace-question") || "Replace the subject and the message?";
      if (edited && !window.confirm(question)) return;
      subject.value = chosen.subject;
      body.value = chosen.body;
      filled = { subject: subject.value, body: body.value };
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();
