// Batch page: Queue confirms the saved settings (or, when the settings on the page were changed and not saved,
// says so and offers to save), and Cancel asks first. No inline script, so a strict CSP can stay on.
(function () {
  var form = document.getElementById("pushbatch_form");
  var watched = {mode: "Mode", locales: "Locales", scheduled_for_0: "Scheduled for", scheduled_for_1: "Scheduled for"};
  function values() {
    var result = {};
    if (!form) { return result; }
    Object.keys(watched).forEach(function (name) {
      var inputs = form.querySelectorAll("[name='" + name + "']");
      result[name] = Array.prototype.map.call(inputs, function (el) {
        return (el.type === "checkbox" || el.type === "radio") ? (el.checked ? el.value : "") : el.value;
      }).join(",");
    });
    return result;
  }
  var initial = values();
  var dialog = document.getElementById("queue-dialog");
  var button = document.getElementById("queue-button");
  if (dialog && button) {
    button.addEventListener("click", function () {
      var now = values(), changed = [];
      Object.keys(watched).forEach(function (name) {
        if (now[name] !== initial[name] && changed.indexOf(watched[name]) < 0) { changed.push(watched[name]); }
      });
      dialog.querySelector("[data-when=saved]").hidden = changed.length > 0;
      dialog.querySelector("[data-when=unsaved]").hidden = changed.length === 0;
      dialog.querySelector("[data-changed]").textContent = changed.join(", ");
      var modeInput = form && form.querySelector("[name=mode]");
      document.querySelector("#push-do-queue [name=page_mode]").value = modeInput ? modeInput.value : "";
      dialog.showModal();
    });
    dialog.querySelectorAll("[data-close]").forEach(function (el) {
      el.addEventListener("click", function () { dialog.close(); });
    });
  }
  document.querySelectorAll("form[data-confirm]").forEach(function (el) {
    el.addEventListener("submit", function (event) {
      // The unsaved-changes guard may already have refused this button; then there is nothing to confirm.
      if (!event.defaultPrevented && !window.confirm(el.dataset.confirm)) { event.preventDefault(); }
    });
  });
})();
