// Reference inputs: a select of items by name, made searchable with the admin's bundled select2.
"use strict";
(function () {
  // select2 names its box by the value shown ("—" when empty), so a screen reader heard a dash, not the field:
  // the box is named by the field's label first, then the value.
  function nameByLabel(select) {
    var label = select.id && document.querySelector('label[for="' + select.id + '"]');
    var box = select.nextElementSibling && select.nextElementSibling.querySelector(".select2-selection");
    if (!label || !box) return;
    if (!label.id) label.id = select.id + "-label";
    var shown = box.querySelector(".select2-selection__rendered");
    var names = label.id + (shown && shown.id ? " " + shown.id : "");
    box.setAttribute("aria-labelledby", names);
    if (shown && shown.id) shown.setAttribute("aria-labelledby", names);  // its "textbox" role needs a name too
    var search = box.querySelector(".select2-search__field");  // a multiple choice types into this
    if (search) search.setAttribute("aria-labelledby", label.id);
  }

  function init(root) {
    if (!window.django || !django.jQuery || !django.jQuery.fn.select2) return;
    django.jQuery(root).find("select.reference-select").not("[name*=__prefix__]").each(function () {
      if (!this.classList.contains("select2-hidden-accessible")) {
        django.jQuery(this).select2({ width: "min(100%, 32em)", allowClear: !this.multiple, placeholder: "—" });
        nameByLabel(this);
      }
    });
  }
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("formset:added", function (event) { init(event.target); });
})();
