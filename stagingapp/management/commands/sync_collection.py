"""Store a Webflow collection's fields as its schema: python manage.py sync_collection <collection webflow id>."""
from django.core.management.base import BaseCommand, CommandError

from stagingapp.exceptions import StagingError
from stagingapp.models import Site
from stagingapp.services.sync import collection_sync_schema


class Command(BaseCommand):
    help = "Read GET /v2/collections/{id} and store its fields in Collection.fields_schema."

    def add_arguments(self, parser):
        parser.add_argument("collection_id", help="The collection's Webflow ID.")
        parser.add_argument("--site", default="", help="Webflow site ID to create the collection under if new.")

    def handle(self, *args, **options):
        site = None
        if options["site"]:
            site = Site.objects.filter(webflow_id=options["site"].strip()).first()
            if site is None:
                raise CommandError(f"No site with Webflow ID {options['site']} here; run sync_locales for it first.")
        try:
            result = collection_sync_schema(collection_webflow_id=options["collection_id"].strip(), site=site)
        except StagingError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(result.summary()))
