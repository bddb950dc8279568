// No lost work when the session has ended: before a form leaves, ask the server whether this browser is still
// signed in (stagingapp/admin/session.py). A Save sent after the session expired, or after signing out in another
// tab, used to end on the login page with the typed text gone. Signed out, the form stays as it is and the page
// offers the login in a new tab; once signed in there, the same button sends it (csrf_refresh.js takes the new
// token as the page comes back into view). If the question itself fails, the form leaves as it always did.
"use strict";
(function () {
  var script = document.currentScript;
  var statusUrl = script && new URL(script.src, location.href).searchParams.get("status");
  if (!statusUrl) return;

  function path(url) { return new URL(url || location.href, location.href).pathname; }

  function guarded(form) {
    var method = (form.getAttribute("method") || "get").toLowerCase();
    var target = path(form.getAttribute("action"));
    // Signing in or out needs no session; everything else posted here does.
    return method === "post" && !/\/(login|logout)\/?$/.test(target);
  }

  function notice(form, loginUrl) {
    var note = form.querySelector(".session-ended") || document.createElement("div");
    note.className = "errornote sa-error session-ended";
    note.setAttribute("role", "alert");
    note.textContent = "You are signed out (your session ended or you signed out elsewhere), so nothing was sent. "
      + "What you typed is still here. ";
    var link = document.createElement("a");
    link.href = loginUrl;
    link.target = "_blank";
    link.rel = "noopener";
    link.textContent = "Sign in again in a new tab";
    note.appendChild(link);
    note.appendChild(document.createTextNode(", then come back and press the button again."));
    form.insertBefore(note, form.firstChild);
    note.scrollIntoView({ block: "nearest" });
  }

  // Sends what the button would have sent, without a second submit event: the other handlers (a confirmation,
  // the unsaved-changes guard) already ran for this one, and must not ask again.
  function send(form, submitter) {
    var note = form.querySelector(".session-ended");
    if (note) note.remove();
    var added = null;
    var overridden = {};
    if (submitter) {
      if (submitter.name) {
        added = document.createElement("input");
        added.type = "hidden";
        added.name = submitter.name;
        added.value = submitter.value;
        form.appendChild(added);
      }
      ["action", "method", "enctype", "target"].forEach(function (key) {
        if (submitter.hasAttribute("form" + key)) {
          overridden[key] = form.getAttribute(key);
          form.setAttribute(key, submitter.getAttribute("form" + key));
        }
      });
    }
    HTMLFormElement.prototype.submit.call(form);  // the form's entries are taken now, so they can be put back
    if (added) added.remove();
    Object.keys(overridden).forEach(function (key) {
      if (overridden[key] === null) form.removeAttribute(key);
      else form.setAttribute(key, overridden[key]);
    });
  }

  // On the window, as the event bubbles: after every other submit handler (a confirmation, the unsaved-changes
  // guard, Django's action form). A form one of them stopped is not this script's business.
  window.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || !(form instanceof HTMLFormElement) || !guarded(form)) return;
    event.preventDefault();
    if (form._sessionAsking) return;  // a second click while the first is being checked
    form._sessionAsking = true;
    var submitter = event.submitter;
    fetch(statusUrl, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .catch(function () { return null; })
      .then(function (answer) {
        form._sessionAsking = false;
        if (answer && answer.signedIn === false) {
          notice(form, answer.loginUrl);
          // The unsaved-changes guard let this form go; it is staying, so leaving the page must warn again.
          form.dispatchEvent(new CustomEvent("session-guard:held", { bubbles: true }));
        } else {
          send(form, submitter);
        }
      });
  });
})();
