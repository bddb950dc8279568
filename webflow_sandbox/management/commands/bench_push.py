"""Benchmark: push N items x 3 locales (with translations) to the local sandbox through a real qcluster worker.

Prints requests used vs the minimum the limits allow, wall time vs requests / rate limit (and 429s received), and
the worker's peak RSS. Meant for `make bench` on an empty database (it refuses a database that holds items).
"""
import os
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from stagingapp.models import Collection, DraftItem, DraftTranslation, LocaleMapping, PushBatch, Site
from stagingapp.selectors import batch_counts, batch_locales
from stagingapp.services.batches import batch_create, batch_queue
from stagingapp.services.push.bodies import item_content_fingerprint
from stagingapp.services.push.planning import plan_items
from webflow_sandbox.server import new_id


def _vm_hwm_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return 0
    return 0


def _group_pids(pgid: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getpgid(int(entry.name)) == pgid:
                    pids.append(int(entry.name))
            except (ProcessLookupError, PermissionError):
                continue
    return pids


class Command(BaseCommand):
    help = "Benchmark the push pipeline against the local Webflow sandbox with a real worker."

    def add_arguments(self, parser):
        parser.add_argument("--items", type=int, default=10_000)
        parser.add_argument("--rate", type=int, default=120, help="Sandbox (and client) limit, requests/minute.")
        parser.add_argument("--timeout", type=int, default=3600)
        parser.add_argument("--latency", type=float, default=0.0,
                            help="Seconds the sandbox waits before answering each request (a stand-in for the "
                                 "network and Webflow's own processing time).")

    def handle(self, *args, items, rate, timeout, latency, **options):
        from webflow_sandbox.server import WebflowSandbox

        if DraftItem.objects.exists():
            raise CommandError("bench_push needs an empty database (set DATABASE_URL to a scratch database).")
        sandbox = WebflowSandbox(rate_limit=rate, rate_window=60.0, retry_after=60.0, validate_requests=False)
        if latency > 0:
            sandbox.faults.add("slow", delay=latency, times=0)
        sandbox.start()
        try:
            self._run(sandbox, items, rate, timeout, latency)
        finally:
            sandbox.stop()

    def _run(self, sandbox, count, rate, timeout, latency):
        site = Site.objects.create(webflow_id=new_id(), name="Bench site")
        locales = [LocaleMapping.objects.create(site=site, tag=tag, display_name=tag, cms_locale_id=new_id(),
                                                is_primary=(i == 0))
                   for i, tag in enumerate(("en-US", "fr-FR", "de-DE"))]
        collection = Collection.objects.create(site=site, webflow_id=new_id(), name="Bench posts", fields_schema=[
            {"id": new_id(), "slug": slug, "displayName": slug.title(), "type": "PlainText", "isRequired": True,
             "isEditable": True, "validations": {"maxLength": 500}} for slug in ("name", "slug", "summary")])
        sandbox.seed_from_models(site)
        publisher = User.objects.create_user("bench-publisher", is_staff=True)
        publisher.groups.add(Group.objects.get(name="Publishers"))
        self.stdout.write(f"Creating {count} approved items with {len(locales) - 1} translations each...")
        created = DraftItem.objects.bulk_create(
            [DraftItem(collection=collection, name=f"Post {n}", slug=f"post-{n}",
                       field_data={"summary": f"Summary {n}"}) for n in range(1, count + 1)], batch_size=1000)
        DraftTranslation.objects.bulk_create(
            [DraftTranslation(item=item, locale=loc, name=f"{item.name} [{loc.tag}]",
                              field_data={"summary": f"{item.field_data['summary']} [{loc.tag}]"})
             for item in created for loc in locales[1:]], batch_size=1000)
        rows = []
        for item in DraftItem.objects.prefetch_related("translations__locale").iterator(chunk_size=1000):
            rows.append(("approved", item_content_fingerprint(item), item.pk))
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {DraftItem._meta.db_table} SET status = %s, approved_fingerprint = %s WHERE id = %s", rows)

        env = {**os.environ, "WEBFLOW_API_BASE_URL": sandbox.url, "WEBFLOW_API_TOKEN": sandbox.token,
               "WEBFLOW_RATE_LIMIT_PER_MINUTE": str(rate), "Q_WORKERS": "1", "LOG_LEVEL": "WARNING"}
        if "DATABASE_URL" not in env:
            raise CommandError("Run with DATABASE_URL set (make bench does), so the worker uses the same database.")
        settings.WEBFLOW_API_BASE_URL, settings.WEBFLOW_API_TOKEN = sandbox.url, sandbox.token
        batch = batch_create(collection=collection, item_ids=list(DraftItem.objects.values_list("pk", flat=True)),
                             mode="stage", actor=publisher)
        self.stdout.write("Pre-flight and queue...")
        queue_started = time.monotonic()
        batch = batch_queue(batch_id=batch.pk, actor=publisher)
        queue_seconds = time.monotonic() - queue_started
        plan_batch_items = [e.item for e in batch.entries.select_related("item").prefetch_related(
            "item__translations")]
        minimum = plan_items(batch, plan_batch_items, batch_locales(batch)).requests
        del plan_batch_items
        self.stdout.write(f"Queued batch #{batch.pk}: {count} items x {len(locales)} locales, minimum {minimum} "
                          f"requests at {rate}/min; starting qcluster...")
        started = time.monotonic()
        worker = subprocess.Popen([sys.executable, "manage.py", "qcluster"], cwd=settings.BASE_DIR, env=env,
                                  start_new_session=True)
        peak_kb = 0
        try:
            while True:
                for pid in _group_pids(worker.pid):
                    peak_kb = max(peak_kb, _vm_hwm_kb(pid))
                batch.refresh_from_db()
                if batch.status in PushBatch.FINISHED_STATUSES:
                    break
                if time.monotonic() - started > timeout:
                    raise CommandError(f"batch not finished after {timeout} s")
                time.sleep(0.5)
            for pid in _group_pids(worker.pid):
                peak_kb = max(peak_kb, _vm_hwm_kb(pid))
        finally:
            os.killpg(worker.pid, 9)
            worker.wait()
        finish = batch.finished_at or batch.started_at
        worker_wall = (finish - batch.started_at).total_seconds() if batch.started_at and finish else float("nan")
        requests = [r for r in sandbox.requests if r["path"].startswith(("/v2", "/beta"))]
        throttled = sum(1 for r in requests if r.get("status") == 429)
        ideal = len(requests) / rate * 60
        counts = batch_counts(batch)
        duplicates = len(sandbox.items(collection.webflow_id)) - count * len(locales)
        self.stdout.write("")
        self.stdout.write("| metric | result | target |")
        self.stdout.write("|---|---|---|")
        self.stdout.write(f"| batch | {batch.get_status_display()}: {counts['done']} done, {counts['failed']} failed, "
                          f"{duplicates} extra Webflow variants | all done, 0 extra |")
        self.stdout.write(f"| requests used / minimum | {len(requests)} / {minimum} = "
                          f"{len(requests) / minimum:.2f} | 1.00 |")
        self.stdout.write(f"| wall time (worker claim → finish) / (requests ÷ {rate}/min) | {worker_wall:.0f} s / "
                          f"{ideal:.0f} s = {worker_wall / ideal:.2f}× | ≤ 1.05× |")
        self.stdout.write(f"| 429s received | {throttled} | 0 |")
        self.stdout.write(f"| worker peak RSS (max VmHWM of the qcluster processes) | {peak_kb / 1024:.0f} MB "
                          f"| ≤ 300 MB |")
        self.stdout.write(f"| queueing: one transaction (pre-flight, {count} item moves, history and audit rows) | "
                          f"{queue_seconds:.1f} s | |")
        if latency > 0:
            self.stdout.write(f"| sandbox answer delay per request (--latency) | {latency:g} s | |")
