// No lost work after signing in again elsewhere: a login gives the CSRF cookie a new secret, so a page opened
// before it (an item half edited in another tab) carries a token Django refuses, and its form would end on a 403
// with the typed text gone. The page takes the current cookie's token whenever it comes back into view and just
// before a form leaves. Only a page of this site can read the cookie, so this takes nothing from the protection.
"use strict";
(function () {
  function currentToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function refresh(root) {
    var token = currentToken();
    if (!token) return;
    (root || document).querySelectorAll("input[name=csrfmiddlewaretoken]").forEach(function (input) {
      input.value = token;
    });
  }

  document.addEventListener("submit", function (event) { refresh(event.target); }, true);
  window.addEventListener("focus", function () { refresh(); });
  document.addEventListener("visibilitychange", function () { if (!document.hidden) refresh(); });
})();
