"""Error pages in the admin's theme (project/urls.py and CSRF_FAILURE_VIEW point here).

Django's own are bare text, and its CSRF page speaks to developers about cookies. These say what happened and
what to do, laid out like the login page. The server-error page must not fail in turn, so when the admin's
context cannot be had (the database is down, say) it answers in plain HTML.
"""
import logging

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpResponseServerError
from django.template.response import TemplateResponse

from ..middleware import NulInRequest

logger = logging.getLogger(__name__)

PLAIN_SERVER_ERROR = ("<!DOCTYPE html><title>Server error</title><h1>Server error</h1><p>Something went wrong on our "
                      "side and nothing more was done. Try again in a minute; if it keeps happening, tell an "
                      "administrator the time it happened (the server's log has the details).</p>")


def error_page(request, *, status: int, title: str, message: str, advice: str = "") -> TemplateResponse:
    context = {**admin.site.each_context(request), "title": title, "message": message, "advice": advice}
    return TemplateResponse(request, "admin/error_page.html", context, status=status).render()


def bad_request(request, exception=None):
    """A request Django would not read: most often a form past DATA_UPLOAD_MAX_MEMORY_SIZE (pasted images)."""
    if isinstance(exception, RequestDataTooBig):
        megabytes = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 1_000_000
        message = (f"What the page sent is larger than the server accepts ({megabytes:g} MB), so nothing was "
                   "saved.")
        advice = ("Go back: the page usually still holds what you typed. Shorten it (large pasted images are the "
                  "usual cause; link to the file instead) and send it again.")
    elif isinstance(exception, TooManyFieldsSent):
        message = (f"The form sent more than {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} fields, more than the server "
                   "accepts, so nothing was done.")
        advice = "Go back and send it in smaller parts (select fewer items at a time)."
    elif isinstance(exception, NulInRequest):
        message = ("The address or the form held an invisible NUL character (%00), which the server cannot store "
                   "or look up, so nothing was done.")
        advice = "Go back, remove it (in an address it reads %00) and try again."
    else:
        message = "The server could not read what the page sent, so nothing was done."
        advice = "Go back, reload the page and try again."
    return error_page(request, status=400, title="Not sent", message=message, advice=advice)


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
