"""App config for the staging app."""
from django.apps import AppConfig


class StagingAppConfig(AppConfig):
    name = "stagingapp"
    verbose_name = "Webflow content staging"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import receivers  # noqa: F401  (connects the audit and approval-reset receivers)
