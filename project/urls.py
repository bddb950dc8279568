"""Root URLconf: the admin is the editors' home, so / goes there; error pages are drawn in its theme."""
from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("admin/", admin.site.urls),
]

handler400 = "stagingapp.admin.errors.bad_request"
handler403 = "stagingapp.admin.errors.permission_denied"
handler404 = "stagingapp.admin.errors.page_not_found"
handler500 = "stagingapp.admin.errors.server_error"
