"""Error pages in the admin's theme (project/urls.py and CSRF_FAILURE_VIEW point here).

Django's own are bare text, and its CSRF page speaks to developers about cookies. These say what happened and
what to do, laid out like the login page. The server-error page must not fail in turn, so when the admin's
context cannot be had (the database is down, say) it answers in plain HTML.
"""
import logging

from django.contrib import admin
from django.http import HttpResponseServerError
from django.template.response import TemplateResponse

logger = logging.getLogger(__name__)

PLAIN_SERVER_ERROR = ("<!DOCTYPE html><title>Server error</title><h1>Server error</h1><p>Something went wrong on our "
                      "side and nothing more was done. Try again in a minute; if it keeps happening, tell an "
                      "administrator the time it happened (the server's log has the details).</p>")


def error_page(request, *, status: int, title: str, message: str, advice: str = "") -> TemplateResponse:
    context = {**admin.site.each_context(request), "title": title, "message": message, "advice": advice}
    return TemplateResponse(request, "admin/error_page.html", context, status=status).render()


def page_not_found(request, exception=None):
    return error_page(request, status=404, title="Page not found",
                      message="There is nothing at this address: the page may have moved, or the item, batch or "
                              "entry it showed was deleted.",
                      advice="Start again from the dashboard, or search the list you came from.")


def permission_denied(request, exception=None):
    return error_page(request, status=403, title="Not allowed",
                      message="Your account may not do this here.",
                      advice="If your work needs it, ask an administrator for the role that allows it (editors "
                             "write and submit, approvers review, publishers push).")


def server_error(request):
    try:
        return error_page(request, status=500, title="Server error",
                          message="Something went wrong on our side and nothing more was done.",
                          advice="Try again in a minute; if it keeps happening, tell an administrator the time it "
                                 "happened (the server's log has the details).")
    except Exception:
        logger.exception("The server-error page could not be drawn; answered in plain HTML")
        return HttpResponseServerError(PLAIN_SERVER_ERROR)


def csrf_failure(request, reason=""):
    return error_page(request, status=403, title="This form has expired",
                      message="It was opened before a sign-in or sign-out, so its security token no longer "
                              "matches and nothing was saved.",
                      advice="Go back: the page usually still holds what you typed. Send it again from there; if "
                             "it is refused again, copy your text, reload the page and paste it.")
