// Translations on the item page: one tab per locale (stale ones marked) instead of stacked blocks.
"use strict";
(function () {
  var active = 0;

  // One container per translation form, whatever the admin theme's markup: Django's stacked inline gives each
  // form id="translations-N"; unfold puts each in a ".form-group" under "#translations-data".
  function translationForms(group) {
    var forms = [];
    group.querySelectorAll("[name^='translations-']").forEach(function (input) {
      if (!/^translations-\d+-/.test(input.name)) return;
      var form = input.closest(".inline-related[id^='translations-'], #translations-data > .form-group");
      if (form && forms.indexOf(form) < 0) forms.push(form);
    });
    return forms;
  }

  function label(form) {
    var select = form.querySelector("select[name$='-locale']");
    var text = "";
    if (select && select.selectedIndex > 0) text = select.options[select.selectedIndex].text;
    else if (!select) {
      // Read-only (an item in review, or no right to edit): the locale is a link to its mapping; else the title.
      var shown = form.querySelector(".readonly a[href*='/localemapping/']") ||
        form.querySelector(".inline_label, h3 strong");
      text = ((shown || {}).textContent || "").trim();
    }
    text = text || "New translation";
    if (form.querySelector(".stale-translation-note")) text += " (stale)";
    if (form.querySelector(".errorlist")) text += " (check errors)";
    return text;
  }

  function show(group, index) {
    var forms = translationForms(group);
    active = Math.max(0, Math.min(index, forms.length - 1));
    forms.forEach(function (form, i) { form.style.display = i === active ? "" : "none"; });
    group.querySelectorAll(".locale-tab").forEach(function (tab, i) {
      tab.setAttribute("aria-selected", i === active ? "true" : "false");
      tab.classList.toggle("selected", i === active);
    });
  }

  function build(group, select) {
    var forms = translationForms(group);
    var bar = group.querySelector(".locale-tabs");
    if (!forms.length) { if (bar) bar.remove(); return; }
    if (!bar) {
      bar = document.createElement("div");
      bar.className = "locale-tabs";
      bar.setAttribute("role", "tablist");
      bar.style.cssText = "display:flex;flex-wrap:wrap;gap:4px;margin:8px 0;";
      forms[0].parentNode.insertBefore(bar, forms[0]);
    }
    bar.textContent = "";
    forms.forEach(function (form, i) {
      var tab = document.createElement("button");
      tab.type = "button";
      tab.className = "locale-tab button";
      tab.setAttribute("role", "tab");
      tab.textContent = label(form);
      tab.addEventListener("click", function () { show(group, i); });
      bar.appendChild(tab);
    });
    var withErrors = forms.findIndex(function (form) { return form.querySelector(".errorlist"); });
    show(group, select !== undefined ? select : (withErrors >= 0 ? withErrors : active));
  }

  document.addEventListener("DOMContentLoaded", function () {
    var group = document.getElementById("translations-group");
    if (!group) return;
    build(group);
    document.addEventListener("formset:added", function (event) {
      if (event.detail && event.detail.formsetName === "translations") build(group, translationForms(group).length - 1);
    });
    document.addEventListener("formset:removed", function (event) {
      if (event.detail && event.detail.formsetName === "translations") build(group, 0);
    });
    group.addEventListener("change", function (event) {
      if (event.target.name && /-locale$/.test(event.target.name)) build(group, active);
    });
  });
})();
