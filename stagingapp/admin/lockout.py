"""The page a locked-out login gets (django-axes' AXES_LOCKOUT_CALLABLE): axes' own figures, inside the admin's
theme. Axes' default rendering has only those figures, so the theme's colours, icon and styles were missing."""
from axes.helpers import get_cool_off, get_failure_limit
from django.conf import settings
from django.contrib import admin
from django.template.response import TemplateResponse


def locked_out_response(request, original_response=None, credentials=None):
    context = {**admin.site.each_context(request), "failure_limit": get_failure_limit(request, credentials),
               "cooloff_timedelta": get_cool_off(request)}
    return TemplateResponse(request, "admin/locked_out.html", context,
                            status=settings.AXES_HTTP_RESPONSE_CODE).render()
