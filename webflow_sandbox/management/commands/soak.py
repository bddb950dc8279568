"""Soak: many batches pushed by two qcluster workers against a sandbox that fails ~10 % of requests in every way
it can, while one worker is SIGKILLed and restarted every `--kill-every` seconds. Bounded by `--max-seconds`.

At the end it compares the database with what the sandbox holds and prints: batches finished, entries not in a
definite state, variants lost (an item and locale our database says is done that the sandbox lacks), duplicate
variants (more than one sandbox item per draft and locale), stored Webflow IDs that differ from the sandbox's.
Exit status 1 when any of those is not zero. Meant for `make soak` on an empty scratch database.
"""
import contextlib
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django_q.models import Schedule

from stagingapp.models import AuditEvent, BatchItem, DraftItem, PushBatch, WebflowItemRef
from stagingapp.services.batches import batch_create, batch_queue

from ... import scenario
from ...faults import FAULT_KINDS

# Every kind the sandbox can inject; "slow" is left out (it only costs time), "429" storms are one answer each.
SOAK_FAULTS = sorted(FAULT_KINDS - {"slow"})
READ_TIMEOUT = 3.0  # the workers' read timeout; the timeout faults wait longer than this


class Command(BaseCommand):
    help = "Soak the push: batches x items x 3 locales, random faults, a worker SIGKILLed every N seconds."

    def add_arguments(self, parser):
        parser.add_argument("--batches", type=int, default=20)
        parser.add_argument("--items", type=int, default=500, help="items per batch")
        parser.add_argument("--fault-rate", type=float, default=0.10, help="share of requests that fail")
        parser.add_argument("--kill-every", type=float, default=30.0, help="seconds between worker SIGKILLs")
        parser.add_argument("--max-seconds", type=float, default=540.0,
                            help="the whole run's budget, setup included: stop pushing when it runs out")
        parser.add_argument("--seed", type=int, default=None, help="random seed for the faults")
        parser.add_argument("--duplicate-slugs", choices=("refuse", "suffix"), default="refuse")
        parser.add_argument("--log-dir", default="", help="where the workers' logs go (default: not kept)")
        parser.add_argument("--cpu-hogs", type=int, default=0,
                            help="busy processes competing for the CPU meanwhile: slow answers and timeouts "
                                 "on a loaded machine (one on the 2-core VM found two bugs an idle run did not)")

    def handle(self, *args, batches, items, fault_rate, kill_every, max_seconds, seed, duplicate_slugs, log_dir,
               cpu_hogs, **options):
        # The report needs the late writes to land and a few seconds to compare: keep that out of the budget.
        self.deadline = time.monotonic() + max_seconds - READ_TIMEOUT - 15
        from webflow_sandbox.server import WebflowSandbox

        if DraftItem.objects.exists():
            raise CommandError("soak needs an empty database (set DATABASE_URL to a scratch database).")
        sandbox = WebflowSandbox(rate_limit=100_000, retry_after=1, validate_requests=False,
                                 duplicate_slugs=duplicate_slugs)
        sandbox.faults = type(sandbox.faults)(seed=seed)
        for kind in SOAK_FAULTS:
            sandbox.faults.add(kind, path=r"/collections/[^/]+/items", times=0, retry_after=1,
                               probability=fault_rate / len(SOAK_FAULTS), delay=READ_TIMEOUT + 1,
                               json_body=kind != "502")
        sandbox.start()
        hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(cpu_hogs)]
        try:
            self._run(sandbox, batches, items, kill_every, max_seconds, log_dir)
        finally:
            for hog in hogs:
                hog.kill()
                hog.wait()
            sandbox.stop()

    def _run(self, sandbox, batch_count, per_batch, kill_every, max_seconds, log_dir):
        collection, locales, publisher = scenario.make_site(sandbox, name="Soak")
        self.stdout.write(f"Creating {batch_count} batches x {per_batch} items x {len(locales)} locales...")
        ids = scenario.make_approved_items(collection, locales, batch_count * per_batch, prefix="soak")
        batches = []
        for start in range(0, len(ids), per_batch):
            batch = batch_create(collection=collection, item_ids=ids[start:start + per_batch], mode="stage",
                                 actor=publisher)
            batches.append(batch_queue(batch_id=batch.pk, actor=publisher).pk)
        # A killed worker's batch must come back within the run: recovery every minute, stale after 20 s.
        Schedule.objects.filter(name="push batch recovery").update(minutes=1)
        env = scenario.worker_env(sandbox, WEBFLOW_RATE_LIMIT_PER_MINUTE="100000", Q_WORKERS="1",
                                  WEBFLOW_READ_TIMEOUT_SECONDS=str(READ_TIMEOUT), WEBFLOW_PUSH_STALE_SECONDS="20",
                                  # late_commit lands 1 s after the read timeout; 3 s covers it.
                                  WEBFLOW_PUSH_LANDING_MARGIN_SECONDS="3",
                                  WEBFLOW_PUSH_BACKOFF_BASE_SECONDS="0.2", WEBFLOW_PUSH_BACKOFF_MAX_SECONDS="2")
        logs = [open(Path(log_dir) / f"soak-worker-{n}.log", "ab") if log_dir else None  # noqa: SIM115
                for n in range(2)]
        workers = [scenario.start_worker(env, logs[n]) for n in range(2)]
        started = last_kill = time.monotonic()
        kills = 0
        try:
            while time.monotonic() < self.deadline:
                unfinished = PushBatch.objects.filter(pk__in=batches).exclude(
                    status__in=PushBatch.FINISHED_STATUSES).count()
                if not unfinished:
                    break
                # The first kill comes as soon as the sandbox sees the push (looked for every 20 ms: a short
                # soak's batch can finish between two half-second looks), so even a run shorter than --kill-every
                # is hit mid-batch at least once; then one every --kill-every seconds.
                first_kill_due = not kills and (any("/items" in r["path"] for r in list(sandbox.requests))
                                                or PushBatch.objects.filter(
                                                    pk__in=batches, status=PushBatch.Status.RUNNING).exists())
                if first_kill_due or time.monotonic() - last_kill >= kill_every:
                    victim = kills % 2
                    scenario.kill_worker(workers[victim])
                    workers[victim] = scenario.start_worker(env, logs[victim])
                    kills, last_kill = kills + 1, time.monotonic()
                    self.stdout.write(f"  {time.monotonic() - started:5.0f} s: SIGKILLed worker {victim + 1} and "
                                      f"restarted it; {unfinished} batches unfinished")
                time.sleep(0.5 if kills else 0.02)
        finally:
            for worker in workers:
                worker.send_signal(signal.SIGTERM)
            for worker in workers:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    worker.wait(timeout=10)
                scenario.kill_worker(worker)  # whatever is left of it must not outlive the soak
        # Writes that land late (late_commit) must have landed before the sandbox is compared.
        time.sleep(READ_TIMEOUT + 2)
        self._report(sandbox, collection, locales, batches, kills, time.monotonic() - started)

    def _report(self, sandbox, collection, locales, batches, kills, seconds):
        statuses = Counter(PushBatch.objects.filter(pk__in=batches).values_list("status", flat=True))
        entries = Counter(BatchItem.objects.filter(batch_id__in=batches).values_list("status", flat=True))
        indefinite = sum(count for status, count in entries.items()
                         if status not in (BatchItem.Status.DONE, BatchItem.Status.FAILED))
        indefinite_in_finished = BatchItem.objects.filter(
            batch_id__in=batches, batch__status__in=PushBatch.FINISHED_STATUSES).exclude(
            status__in=(BatchItem.Status.DONE, BatchItem.Status.FAILED)).count()
        by_locale = {loc.cms_locale_id: loc for loc in locales}
        held: dict[tuple[str, str], list[str]] = {}
        for variant in sandbox.items(collection.webflow_id):
            name = variant["fieldData"]["name"].split(" [")[0]
            held.setdefault((name, variant["cmsLocaleId"]), []).append(variant["id"])
        duplicates = sum(len(ids) - 1 for ids in held.values())
        refs = {(ref.item_id, ref.cms_locale_id): ref.webflow_item_id for ref in WebflowItemRef.objects.filter(
            item__collection=collection)}
        names = dict(DraftItem.objects.filter(collection=collection).values_list("pk", "name"))
        item_by_name = {name: pk for pk, name in names.items()}
        done = BatchItem.objects.filter(batch_id__in=batches, status=BatchItem.Status.DONE).values_list(
            "item_id", flat=True)
        lost = sum(1 for item_id in done for cms in by_locale if (names[item_id], cms) not in held)
        mismatched = sum(1 for (item_id, cms), webflow_id in refs.items()
                         if webflow_id not in held.get((names[item_id], cms), []))
        unrecorded = sum(1 for (name, cms) in held if (item_by_name.get(name), cms) not in refs)
        faults = Counter(r["fault"] for r in sandbox.requests if r.get("fault"))
        answered = AuditEvent.objects.filter(action="push.request", batch_id__in=batches).count()
        unanswered = sum(entry.data.get("requests", 0) for entry in AuditEvent.objects.filter(
            action="push.unanswered", batch_id__in=batches))
        api = [r for r in sandbox.requests if r["path"].startswith(("/v2", "/beta"))]
        fault_text = ", ".join(f"{kind} {n}" for kind, n in sorted(faults.items()))
        status_text = ", ".join(f"{n} {status}" for status, n in sorted(statuses.items()))
        finished = sum(statuses[s] for s in PushBatch.FINISHED_STATUSES)
        self.stdout.write("")
        self.stdout.write("| soak figure | value | target |")
        self.stdout.write("|---|---|---|")
        rows = [
            ("batches finished", f"{finished} / {len(batches)} ({status_text})", "all"),
            ("entries in no definite state (neither done nor failed)", f"{indefinite} of {sum(entries.values())} "
                                           f"({indefinite_in_finished} in finished batches)", "0"),
            ("entries failed, each with its reason", entries[BatchItem.Status.FAILED], ""),
            ("lost (done here, missing at the sandbox)", lost, "0"),
            ("duplicates at the sandbox (extra items per draft and locale)", duplicates, "0"),
            ("stored Webflow IDs that differ from the sandbox's", mismatched, "0"),
            ("sandbox items no stored ID points to", unrecorded, "0"),
            ("requests / faults injected", f"{len(api)} / {sum(faults.values())} ({fault_text})", "~10 %"),
            ("requests in the audit history: with their answer + counted as sent by a killed worker with none "
             "recorded", f"{answered} + {unanswered} = {answered + unanswered}",
             f"{len(api)} (a request counted just before a kill may not have left)"),
            ("worker SIGKILLs / wall time", f"{kills} / {seconds:.0f} s", ""),
        ]
        for label, value, target in rows:
            self.stdout.write(f"| {label} | {value} | {target} |")
        self._audit_gap(api, batches)
        if indefinite_in_finished or lost or duplicates or mismatched:
            raise CommandError("soak found lost, duplicated or mismatched work (table above)")
        if indefinite or finished != len(batches):
            raise CommandError(f"soak: {len(batches) - finished} batches did not finish in time (table above)")

    def _audit_gap(self, api: list[dict], batches: list[int]) -> None:
        """Per kind of request (method and path with IDs left out): what the sandbox saw and what the audit
        history holds, so a gap points at the step that loses entries."""
        def kind(method: str, path: str) -> str:
            return f"{method} {re.sub(r'/[0-9a-f]{24}', '/{id}', path)}"

        seen = Counter(kind(r["method"], r["path"]) for r in api)
        audited = Counter(kind(*message.split(" ", 2)[:2]) for message in AuditEvent.objects.filter(
            action="push.request", batch_id__in=batches).values_list("message", flat=True))
        self.stdout.write("")
        self.stdout.write("| request kind | sandbox | audit history |")
        self.stdout.write("|---|---|---|")
        for name in sorted(seen.keys() | audited.keys()):
            self.stdout.write(f"| {name} | {seen[name]} | {audited[name]} |")
