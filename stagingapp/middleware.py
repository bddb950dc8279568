"""Requests the database cannot be asked about, answered before a view sends them there.

- NUL (U+0000) in the query string or a form field is a 400. PostgreSQL takes it in no text parameter, so any list
  filter given one (?status=a%00) and many posted fields failed inside the database: a 500. No browser sends it
  from what a person types; it comes from scanners, scripts and broken links.
- An admin action's selection naming an id the model cannot have (`_selected_action=abc`, or past 64 bits) goes
  back to the list with a message. Django filtered on it as sent, which raised inside the query: a 500 for every
  action of every list, our own and those of the apps we build on.
"""
from django.contrib import messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import BadRequest, ValidationError
from django.db import models
from django.http import HttpResponseRedirect

from .db_limits import LARGEST_ID, NUL, holds_nul


class NulInRequest(BadRequest):
    """A query-string or form field (name or value) holds NUL."""


def can_be_key(pk_field, value: str) -> bool:
    """Whether `value` (as posted) could be a primary key of `pk_field`'s model."""
    try:
        key = pk_field.to_python(value)
    except (ValidationError, TypeError, ValueError):
        return False
    if isinstance(pk_field, models.IntegerField):  # the auto fields included
        return 0 < key <= LARGEST_ID
    return True


class RefuseUnreadableInput:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        # After CsrfViewMiddleware's process_view, which has read the form already.
        query = request.META.get("QUERY_STRING", "")
        if ("%00" in query or NUL in query) and holds_nul(dict(request.GET.lists())):
            raise NulInRequest("NUL in the query string")
        if request.method != "POST":
            return None
        if holds_nul(dict(request.POST.lists())):
            raise NulInRequest("NUL in a form field")
        model_admin = getattr(view_func, "model_admin", None)
        selected = request.POST.getlist(ACTION_CHECKBOX_NAME) if model_admin is not None else []
        if all(can_be_key(model_admin.opts.pk, value) for value in selected):
            return None
        messages.error(request, "The selection named an item that cannot exist, so nothing was done. Select the "
                                "items again.")
        return HttpResponseRedirect(request.get_full_path())
