"""Drift report for a collection: python manage.py verify_collection <collection id>."""
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from stagingapp.exceptions import StagingError
from stagingapp.models import DriftFinding, DriftRun
from stagingapp.services.audit import command_actor
from stagingapp.services.drift import collection_verify, run_summary

from ._collections import collection_from_argument


class Command(BaseCommand):
    help = ("Re-read a collection from Webflow (list requests only) and store a drift report: in sync, changed in "
            "Webflow, missing in Webflow, unknown to us, slug differs, published state differs.")

    def add_arguments(self, parser):
        parser.add_argument("collection_id", help="The collection's Webflow ID (or its ID in this app).")
        parser.add_argument("--as", dest="username", default="", help="Username to record as the actor.")

    def handle(self, *args, **options):
        collection = collection_from_argument(options["collection_id"])
        try:
            actor, label = command_actor(options["username"] or None)
            run = collection_verify(collection_id=collection.pk, actor=actor, actor_label=label,
                                    trigger=DriftRun.Trigger.COMMAND)
        except get_user_model().DoesNotExist as exc:
            raise CommandError(f"No user named {options['username']!r}.") from exc
        except StagingError as exc:
            raise CommandError(str(exc)) from exc
        if run.status == DriftRun.Status.FAILED:
            raise CommandError(run.error)
        self.stdout.write(self.style.SUCCESS(run_summary(run)))
        for finding in run.findings.exclude(kind=DriftFinding.Kind.IN_SYNC)[:50]:
            self.stdout.write(f"  {finding.get_kind_display()}: {finding.slug or finding.webflow_item_id} "
                              f"[{finding.locale.tag if finding.locale else '-'}] {finding.detail}")
