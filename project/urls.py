"""Root URLconf: the admin is the editors' home, so / goes there; error pages are drawn in its theme."""
from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

from stagingapp.admin.session import session_status, signed_in_again

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    # Before the admin's own URLs (its catch-all would answer them); see stagingapp/admin/session.py.
    path("admin/session/", session_status, name="session-status"),
    path("admin/signed-in/", admin.site.admin_view(signed_in_again), name="signed-in-again"),
    path("admin/", admin.site.urls),
]

handler400 = "stagingapp.admin.errors.bad_request"
handler403 = "stagingapp.admin.errors.permission_denied"
handler404 = "stagingapp.admin.errors.page_not_found"
handler500 = "stagingapp.admin.errors.server_error"
