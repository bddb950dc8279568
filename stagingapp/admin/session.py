"""No lost work when the session has ended: a page asks before a form leaves whether its user is still signed in.

Without it, a Save after the session expired (or after signing out in another tab) went to the login page and
the typed text was gone. session_guard.js asks `session_status` first; when signed out it keeps the page as it
is and offers the login in a new tab, which ends on `signed_in_again`; then the same button sends the form.
"""
from django.contrib import admin
from django.http import JsonResponse
from django.template.response import TemplateResponse
from django.templatetags.static import static
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@never_cache
@require_GET
def session_status(request):
    """{"signedIn": bool, "loginUrl": ...}: whether a form sent now would reach its view (the admin's own test)."""
    signed_in = admin.site.has_permission(request)
    login_url = reverse("admin:login") + "?" + urlencode({"next": reverse("signed-in-again")})
    return JsonResponse({"signedIn": signed_in, "loginUrl": login_url})


@never_cache
def signed_in_again(request):
    """Where the login opened by session_guard.js ends: it says to go back to the page that holds the work."""
    context = {**admin.site.each_context(request), "title": "Signed in again"}
    return TemplateResponse(request, "admin/signed_in_again.html", context)


def session_guard_script(request) -> str:
    """UNFOLD["SCRIPTS"] entry: the script, told where to ask (its address carries the status URL)."""
    return static("stagingapp/session_guard.js") + "?" + urlencode({"status": reverse("session-status")})
