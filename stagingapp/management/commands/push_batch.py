"""Operator command: run one push batch in the foreground (cron, debugging, no worker) or hand it to the worker."""
import sys

from django.core.management.base import BaseCommand, CommandError

from stagingapp.models import PushBatch


class Command(BaseCommand):
    help = "Push one queued batch to Webflow. With --sync it runs here with a progress bar; otherwise it is enqueued."

    def add_arguments(self, parser):
        parser.add_argument("batch_id", type=int)
        parser.add_argument("--sync", action="store_true", help="Run in this process instead of the worker.")

    def handle(self, *args, batch_id, sync, **options):
        try:
            batch = PushBatch.objects.get(pk=batch_id)
        except PushBatch.DoesNotExist as exc:
            raise CommandError(f"No push batch with id {batch_id}.") from exc
        claimable = (PushBatch.Status.QUEUED, PushBatch.Status.RUNNING)
        if batch.status not in claimable:
            raise CommandError(f"{batch} is {batch.get_status_display().lower()}; only queued batches "
                               "(or running ones whose worker died) can be pushed. Queue it in the admin first.")
        if not sync:
            from django_q.tasks import async_task

            task_id = async_task("stagingapp.tasks.push_batch", batch.pk)
            self.stdout.write(f"{batch} handed to the worker (task {task_id}).")
            return
        from stagingapp.services.push import batch_push

        interactive = self.stdout.isatty() if hasattr(self.stdout, "isatty") else sys.stdout.isatty()
        result = batch_push(batch_id=batch.pk, progress=lambda counts: self._bar(counts, interactive))
        self.stdout.write("")
        if result is None:
            raise CommandError(f"{batch} is being pushed by another worker (its heartbeat is fresh); not started.")
        counts_line = ", ".join(f"{n} {s}" for s, n in _counts(result).items() if n)
        self.stdout.write(f"{result}: {result.get_status_display()} ({counts_line}; "
                          f"{result.requests_sent} requests).")
        if result.last_error:
            self.stdout.write(f"Stopped because: {result.last_error}")
        if result.status != PushBatch.Status.SUCCEEDED:
            self.stdout.write("Failed items and reasons are listed on the batch page in the admin.")

    def _bar(self, counts, interactive):
        width = 40
        done = counts["done"] + counts["failed"] + counts["cancelled"]
        filled = int(width * done / counts["total"]) if counts["total"] else width
        line = (f"[{'#' * filled}{'.' * (width - filled)}] {counts['percent']:3d}%  "
                f"done {counts['done']}  failed {counts['failed']}  sent {counts['sent']}  "
                f"pending {counts['pending'] + counts['in_flight']}")
        self.stdout.write(("\r" + line) if interactive else line, ending="" if interactive else "\n")
        self.stdout.flush()


def _counts(batch):
    from stagingapp.selectors import batch_counts

    counts = batch_counts(batch)
    return {key: counts[key] for key in ("done", "failed", "cancelled")}
