"""Pull a collection's Webflow items into drafts: python manage.py pull_collection <collection id> [--dry-run]."""
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from stagingapp.exceptions import StagingError
from stagingapp.services.audit import command_actor
from stagingapp.services.pull import collection_pull

from ._collections import collection_from_argument


class Command(BaseCommand):
    help = ("List every item of a collection in every enabled locale and create or update the drafts linked to "
            "them; items changed on both sides become conflicts for an editor to resolve.")

    def add_arguments(self, parser):
        parser.add_argument("collection_id", help="The collection's Webflow ID (or its ID in this app).")
        parser.add_argument("--dry-run", action="store_true", help="Read Webflow and report; write nothing.")
        parser.add_argument("--as", dest="username", default="", help="Username to record as the actor.")

    def handle(self, *args, **options):
        collection = collection_from_argument(options["collection_id"])
        try:
            actor, label = command_actor(options["username"] or None)
            result = collection_pull(collection_id=collection.pk, actor=actor, actor_label=label,
                                     dry_run=options["dry_run"])
        except StagingError as exc:
            raise CommandError(str(exc)) from exc
        except get_user_model().DoesNotExist as exc:
            raise CommandError(f"No user named {options['username']!r}.") from exc
        self.stdout.write(self.style.SUCCESS(result.summary()))
