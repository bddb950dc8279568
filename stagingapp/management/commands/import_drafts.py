"""manage.py import_drafts: the command-line twin of the admin import (same service, same rules)."""
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from ...exceptions import StagingError
from ...models import Collection
from ...services.imports import drafts_import_file


class Command(BaseCommand):
    help = (
        "Import draft items (with <tag>:<field> translation columns) from a .csv, .xlsx, .json or .jsonl file "
        "into one collection. All or nothing: any bad row means nothing is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="File to import; the format follows the extension.")
        parser.add_argument("--collection", required=True, help="The Webflow collection ID to import into.")
        parser.add_argument("--dry-run", action="store_true", help="Check and report, write nothing.")
        parser.add_argument("--as", dest="username", default="",
                            help="Record this user as the editor (created_by, history, audit).")

    def handle(self, *args, path, collection, dry_run, username, **options):
        try:
            target = Collection.objects.select_related("site").get(webflow_id=collection)
        except Collection.DoesNotExist:
            known = ", ".join(f"{c.webflow_id} ({c.name})" for c in Collection.objects.all()[:20]) or "none"
            raise CommandError(f"No collection with Webflow ID '{collection}'. Known collections: {known}.") from None
        actor = None
        if username:
            try:
                actor = get_user_model().objects.get_by_natural_key(username)
            except get_user_model().DoesNotExist:
                raise CommandError(f"No user named '{username}'.") from None
        try:
            report = drafts_import_file(path=path, collection=target, actor=actor, dry_run=dry_run)
        except (StagingError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        for problem in report.problems:
            self.stderr.write(str(problem))
        if not report.ok:
            raise CommandError(report.summary())
        self.stdout.write(self.style.SUCCESS(report.summary()))
