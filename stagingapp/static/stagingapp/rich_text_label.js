// The rich-text editor types into a contenteditable, not the textarea its <label> names: give it that name too,
// so a screen reader (and axe) knows which field it is.
"use strict";
(function () {
  function name(textarea) {
    var editor = textarea.closest(".prose-editor");
    var area = editor && editor.querySelector("[contenteditable]");
    if (!area || area.hasAttribute("aria-label")) return;
    var label = textarea.id && document.querySelector("label[for='" + textarea.id + "']");
    area.setAttribute("aria-label", label ? label.textContent.replace(/\s*\*?\s*$/, "").trim() : textarea.name);
  }
  document.addEventListener("prose-editor:ready", function (event) { name(event.detail.textarea); }, true);
  window.addEventListener("load", function () { document.querySelectorAll(".prose-editor textarea").forEach(name); });
})();
