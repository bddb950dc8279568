// No lost work: warn before leaving a page with unsaved changes, and never let another button on the page
// (Submit for review, Queue, Cancel...) act while a form is dirty. "Submit for review" saves first, then submits.
"use strict";
(function () {
  var guarded = [];
  var leaving = false;

  function state(form) {
    var parts = [];
    new FormData(form).forEach(function (value, key) {
      if (key !== "csrfmiddlewaretoken" && typeof value === "string") parts.push(key + "=" + value);
    });
    return parts.join("&");
  }

  function isDirty(form) { return form._unsavedInitial !== undefined && state(form) !== form._unsavedInitial; }

  function watched(form) {
    var method = (form.getAttribute("method") || "get").toLowerCase();
    // The changelist's action form is a selection, not typed work; forms may opt out explicitly.
    return method === "post" && form.id !== "changelist-form" && form.dataset.unsavedGuard !== "off"
      && !/\/logout\/?$/.test(form.getAttribute("action") || "");
  }

  function remember() {
    guarded = Array.prototype.filter.call(document.forms, watched);
    guarded.forEach(function (form) { if (!form._unsavedTouched) form._unsavedInitial = state(form); });
  }

  function refuse(form, text) {
    var note = form.querySelector(".unsaved-refusal") || document.createElement("p");
    note.className = "errornote sa-error unsaved-refusal";
    note.setAttribute("role", "alert");
    note.textContent = text;
    form.insertBefore(note, form.firstChild);
    note.scrollIntoView({ block: "nearest" });
  }

  // Rich-text editors and searchable selects rewrite their inputs while starting, so the state is read again
  // after them; but a form the user already changed keeps its first reading, or a quick edit would count as saved.
  // The rich-text editor fires untrusted "input" events of its own; a "change" is always somebody's choice.
  function touched(event) {
    if ((event.isTrusted || event.type === "change") && event.target.form) event.target.form._unsavedTouched = true;
  }
  document.addEventListener("input", touched, true);
  document.addEventListener("change", touched, true);
  document.addEventListener("DOMContentLoaded", remember);
  window.addEventListener("load", function () { setTimeout(remember, 300); });

  // session_guard.js held a form this guard had let go (the session had ended): the page stays, so warn again,
  // and a Save pressed later must not carry the "then submit" this guard added for the button that was held.
  document.addEventListener("session-guard:held", function (event) {
    leaving = false;
    Array.prototype.forEach.call(event.target.querySelectorAll("input[data-unsaved-guard-added]"),
      function (input) { input.remove(); });
  });

  window.addEventListener("beforeunload", function (event) {
    if (leaving || !guarded.some(isDirty)) return;
    event.preventDefault();
    event.returnValue = "";
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    // A comment typed for one review button belongs to that button only; it never blocks another one.
    var dirty = guarded.filter(function (other) {
      return other !== form && isDirty(other) && !/\/review\/\w+\/?$/.test(other.getAttribute("action") || "");
    });
    if (!dirty.length) { leaving = true; return; }
    event.preventDefault();
    var main = dirty[0];
    var transition = /\/review\/(\w+)\/?$/.exec(form.getAttribute("action") || "");
    if (transition && transition[1] === "submit") {
      // Save the edits and submit them in one go: the item page's save runs the transition after saving.
      [["_workflow_after_save", "submit"], ["_workflow_comment", (form.elements.comment || {}).value || ""],
       ["_continue", "1"]].forEach(function (pair) {
        var input = document.createElement("input");
        input.type = "hidden";
        input.name = pair[0];
        input.value = pair[1];
        input.dataset.unsavedGuardAdded = "";
        main.appendChild(input);
      });
      leaving = true;
      // A submit event of its own, so session_guard.js checks the session before the edits leave.
      if (main.requestSubmit) main.requestSubmit();
      else main.submit();
      return;
    }
    refuse(form, "This page has unsaved changes. Save them first (or reload the page to discard them), "
      + "then try again: this button acts on what is saved.");
  }, true);
})();
