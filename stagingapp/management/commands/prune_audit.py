"""Delete audit entries older than the retention period, and record that it happened."""
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from stagingapp.services.audit import audit_prune, command_actor


class Command(BaseCommand):
    help = "Delete audit entries older than AUDIT_RETENTION_DAYS (or --days); the pruning itself is audited."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None, help="Keep this many days (default: the setting).")
        parser.add_argument("--as", dest="as_user", default=None,
                            help="Username recorded as the actor (default: the OS user running the command).")

    def handle(self, *args, days=None, as_user=None, **options):
        days = settings.AUDIT_RETENTION_DAYS if days is None else days
        if days < 1:
            raise CommandError("--days must be at least 1.")
        try:
            actor, label = command_actor(as_user)
        except get_user_model().DoesNotExist as exc:
            raise CommandError(f"No user named {as_user!r}; --as takes an existing username.") from exc
        deleted = audit_prune(days=days, actor=actor, actor_label=label)
        self.stdout.write(f"Pruned {deleted} audit entries older than {days} days.")
