// Reference inputs: a select of items by name, made searchable with the admin's bundled select2 (select_names.js
// names each box by its field's label).
"use strict";
(function () {
  function init(root) {
    if (!window.django || !django.jQuery || !django.jQuery.fn.select2) return;
    django.jQuery(root).find("select.reference-select").not("[name*=__prefix__]").each(function () {
      if (!this.classList.contains("select2-hidden-accessible")) {
        django.jQuery(this).select2({ width: "min(100%, 32em)", allowClear: !this.multiple, placeholder: "—" });
      }
    });
  }
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("formset:added", function (event) { init(event.target); });
})();
