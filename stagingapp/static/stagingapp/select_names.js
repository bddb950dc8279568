// Every searchable choice (select2: our reference inputs, Django's autocomplete fields) is named by its field's
// label. select2 names its box by the value shown ("—", or nothing, when empty), so a screen reader heard a dash
// or an unnamed box, not "Item" or "Related post" (axe: aria-input-field-name, serious). Django's two-list chooser
// (a user's groups and permissions) names its filter boxes with an aria-label on a plain <span>, which ARIA ignores
// there (axe: aria-prohibited-attr); as an image the span's label counts. The theme's scroll boxes (simplebar) are
// all regions named "scrollable content": the sidebar's and a list's are told apart (axe: landmark-unique).
"use strict";
(function () {
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

  function nameChooserFilters(chooser) {
    Array.prototype.forEach.call(chooser.querySelectorAll(".search-label-icon[aria-label]"), function (icon) {
      icon.setAttribute("role", "img");
    });
  }

  var SCROLL_BOX_NAMES = [["#nav-sidebar", "Navigation links"], ["#result_list", "Results table"]];

  function nameScrollBox(wrapper) {
    var box = wrapper.querySelector(".simplebar-content-wrapper[role=region]");
    if (!box) return;
    SCROLL_BOX_NAMES.forEach(function (pair) {
      if (wrapper.closest(pair[0]) || wrapper.querySelector(pair[0])) box.setAttribute("aria-label", pair[1]);
    });
  }

  // Whenever select2 draws a box (Django's autocomplete and our reference inputs start at different moments, and a
  // new translation adds its own): the box is inserted right after its select.
  new MutationObserver(function (changes) {
    changes.forEach(function (change) {
      Array.prototype.forEach.call(change.addedNodes, function (node) {
        if (node.classList && node.classList.contains("select2-container") && node.previousElementSibling
            && node.previousElementSibling.tagName === "SELECT") nameByLabel(node.previousElementSibling);
        if (node.classList && node.classList.contains("selector")) nameChooserFilters(node);  // drawn on "load"
        if (node.classList && node.classList.contains("simplebar-wrapper")) nameScrollBox(node);
      });
    });
  }).observe(document.documentElement, { childList: true, subtree: true });
})();
