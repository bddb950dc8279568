"""Load the demo site, collection, locales, drafts and users (DEBUG only)."""
from django.core.management.base import BaseCommand, CommandError

from stagingapp.exceptions import StagingError
from stagingapp.services.demo import demo_seed


class Command(BaseCommand):
    help = "Create the demo site, collection, three locales, a few dozen drafts and the demo users (DEBUG only)."

    def handle(self, *args, **options):
        try:
            result = demo_seed()
        except StagingError as exc:
            raise CommandError(str(exc)) from exc
        if result.items_created:
            self.stdout.write(self.style.SUCCESS(f"Created {result.items_created} demo drafts."))
        else:
            self.stdout.write(f"Demo content already present ({result.items_total} drafts); users refreshed.")
        self.stdout.write("Demo logins (demo only):")
        for username, password, role in result.users:
            self.stdout.write(f"  {username:<10} {password:<16} {role}")
