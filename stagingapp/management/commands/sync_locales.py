"""Mirror a Webflow site's locales into LocaleMappings: python manage.py sync_locales <site webflow id>."""
from django.core.management.base import BaseCommand, CommandError

from stagingapp.exceptions import StagingError
from stagingapp.services.sync import site_sync_locales


class Command(BaseCommand):
    help = "Read GET /v2/sites/{id} and create/update the site's locale mappings (by cmsLocaleId)."

    def add_arguments(self, parser):
        parser.add_argument("site_id", help="The site's Webflow ID (24 hex characters).")

    def handle(self, *args, **options):
        try:
            result = site_sync_locales(site_webflow_id=options["site_id"].strip(), actor=None)
        except StagingError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(result.summary()))
