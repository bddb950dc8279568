"""Benchmark: push N items x 3 locales (with translations) to the local sandbox through real qcluster workers.

Prints requests used vs the minimum the plan needs, wall time vs requests / rate limit, 429s, duplicates, the
busiest 60-s window of the sandbox's request log and the workers' peak RSS; with --floor, the same bodies sent by
a bare `requests` loop; with --sdk, the official `webflow` SDK doing the same job. One summary row is appended
to --summary (make bench prints them as one table). Meant for an empty scratch database.
"""
import gc
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from stagingapp.models import DraftItem, PushBatch
from stagingapp.selectors import batch_locales
from stagingapp.services.batches import batch_create, batch_queue
from stagingapp.services.push.planning import plan_items

from ... import floors, scenario

NO_LIMIT = 1_000_000


def busiest_window(times: list[float], window: float = 60.0) -> int:
    times, best, start = sorted(times), 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


def request_gaps(times: list[float]) -> tuple[float, float]:
    """Median gap between consecutive requests over the first and the last tenth of the run (flat cost: equal)."""
    times = sorted(times)
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    tenth = max(1, len(gaps) // 10)

    def median(values):
        return sorted(values)[len(values) // 2] if values else float("nan")

    return median(gaps[:tenth]), median(gaps[-tenth:])


class Command(BaseCommand):
    help = "Benchmark the push pipeline against the local Webflow sandbox with real workers."

    def add_arguments(self, parser):
        parser.add_argument("--label", default="", help="scenario name for the summary row")
        parser.add_argument("--items", type=int, default=3_000)
        parser.add_argument("--rate", type=int, default=120, help="sandbox and client limit per minute (0: none)")
        parser.add_argument("--latency", type=float, default=0.0, help="seconds before each sandbox answer")
        parser.add_argument("--jitter", type=float, default=0.0, help="± seconds around --latency")
        parser.add_argument("--batches", type=int, default=1, help="split the items over this many batches")
        parser.add_argument("--workers", type=int, default=1, help="qcluster processes (one worker each)")
        parser.add_argument("--drop-rate", type=float, default=0.0,
                            help="share of bulk creates applied and then dropped without an answer")
        parser.add_argument("--fault", action="append", default=[], metavar="SPEC",
                            help="a sandbox fault as the sandbox command takes it, e.g. "
                                 "500:path=/items,times=0,probability=0.05 (repeatable)")
        parser.add_argument("--fault-seed", type=int, default=None, help="seed of the faults' probabilities")
        parser.add_argument("--floor", action="store_true", help="also replay the bodies with a bare loop")
        parser.add_argument("--sdk", action="store_true", help="also push the same items with the webflow SDK")
        parser.add_argument("--sdk-items", type=int, default=300, help="items the SDK sends one at a time")
        parser.add_argument("--summary", default="", help="file to append the summary row to")
        parser.add_argument("--timeout", type=int, default=1800)

    def handle(self, *args, **opts):
        from webflow_sandbox.faults import FaultPlan
        from webflow_sandbox.server import WebflowSandbox

        if DraftItem.objects.exists():
            raise CommandError("bench_push needs an empty database (set DATABASE_URL to a scratch database).")
        rate = opts["rate"] or NO_LIMIT
        sandbox = WebflowSandbox(rate_limit=rate, rate_window=60.0, retry_after=60.0, validate_requests=False,
                                 latency=opts["latency"], jitter=opts["jitter"])
        sandbox.faults = FaultPlan(seed=opts["fault_seed"])
        for spec in opts["fault"]:
            try:
                sandbox.faults.add(**FaultPlan.parse(spec))
            except ValueError as exc:
                raise CommandError(f"--fault {spec}: {exc}") from exc
        if opts["drop_rate"]:
            sandbox.faults.add("drop_after_commit", path=r"/items/bulk$", method="POST", times=0,
                               probability=opts["drop_rate"])
        sandbox.start()
        try:
            self._run(sandbox, rate, opts)
        finally:
            sandbox.stop()

    def _run(self, sandbox, rate, opts):
        count = opts["items"]
        collection, locales, publisher = scenario.make_site(sandbox, name="Bench")
        self.stdout.write(f"Creating {count} approved items with {len(locales) - 1} translations each...")
        ids = scenario.make_approved_items(collection, locales, count)
        settings.WEBFLOW_API_BASE_URL, settings.WEBFLOW_API_TOKEN = sandbox.url, sandbox.token
        per_batch = -(-count // opts["batches"])
        batches, minimum = [], 0
        for start in range(0, count, per_batch):
            batch = batch_create(collection=collection, item_ids=ids[start:start + per_batch], mode="stage",
                                 actor=publisher)
            batch = batch_queue(batch_id=batch.pk, actor=publisher)
            items = [e.item for e in batch.entries.select_related("item").prefetch_related("item__translations")]
            minimum += plan_items(batch, items, batch_locales(batch)).requests
            batches.append(batch.pk)
        self.stdout.write(f"Queued {len(batches)} batches: minimum {minimum} requests at "
                          f"{opts['rate'] or 'no limit'}/min; starting {opts['workers']} qcluster process(es)...")
        env = scenario.worker_env(sandbox, WEBFLOW_RATE_LIMIT_PER_MINUTE=str(rate), Q_WORKERS="1")
        # The sandbox serves the push from this process, and its full collections rescanned everything here: 50-330
        # ms each with 3,000 items, up to 3.3 s each (40 s in all) once it held the 300,000 variants of the
        # 100,000-item row, stalling the push they were measuring, and the bare loop after it. What this process
        # holds so far is frozen, and automatic collection is off until the measuring is done: this short-lived
        # process's garbage is freed by reference counting (the few cycles wait for the end).
        gc.collect()
        gc.freeze()
        gc.disable()
        try:
            self._measure(sandbox, collection, locales, batches, minimum, rate, env, opts)
        finally:
            gc.enable()

    def _measure(self, sandbox, collection, locales, batches, minimum, rate, env, opts):
        workers = [scenario.start_worker(env) for _ in range(opts["workers"])]
        started, peak_kb = time.monotonic(), 0
        try:
            while PushBatch.objects.filter(pk__in=batches).exclude(status__in=PushBatch.FINISHED_STATUSES).exists():
                peak_kb = max([peak_kb] + [scenario.group_peak_kb(worker) for worker in workers])
                if time.monotonic() - started > opts["timeout"]:
                    raise CommandError(f"batches not finished after {opts['timeout']} s")
                time.sleep(0.5)
            peak_kb = max([peak_kb] + [scenario.group_peak_kb(worker) for worker in workers])
        finally:
            for worker in workers:
                scenario.kill_worker(worker)
        self._report(sandbox, collection, locales, batches, minimum, rate, peak_kb, opts)

    def _report(self, sandbox, collection, locales, batch_ids, minimum, rate, peak_kb, opts):
        batches = list(PushBatch.objects.filter(pk__in=batch_ids))
        begun = [b.started_at for b in batches if b.started_at]
        ended = [b.finished_at for b in batches if b.finished_at]
        wall = (max(ended) - min(begun)).total_seconds() if begun and ended else float("nan")
        api = [r for r in sandbox.requests if r["path"].startswith(("/v2", "/beta"))]
        throttled = sum(1 for r in api if r.get("status") == 429)
        lookups = sum(1 for r in api if r["method"] == "GET")
        faults = sum(1 for r in api if r.get("fault") and r["fault"] != "slow")
        first_request = min(r["time"] for r in api) - min(b.started_at for b in batches).timestamp() \
            if api and begun else float("nan")
        early_gap, late_gap = request_gaps([r["time"] for r in api])
        names = [v["fieldData"]["name"].split(" [")[0] + v["cmsLocaleId"] for v in sandbox.items(collection.webflow_id)]
        duplicates = len(names) - len(set(names))
        statuses = ", ".join(sorted({b.get_status_display() for b in batches}))
        ideal = len(api) / rate * 60 if rate != NO_LIMIT else float("nan")
        rows = [
            ("batches", f"{len(batches)}: {statuses}; {duplicates} duplicate variants at the sandbox"),
            ("requests used / minimum", f"{len(api)} / {minimum} = {len(api) / minimum:.2f} ({lookups} lookups, "
                                        f"{faults} faults injected)"),
            ("wall time (first claim → last finish)", f"{wall:.1f} s"),
            ("wall / (requests ÷ rate)", f"{wall / ideal:.2f}×" if ideal == ideal else "no limit"),
            ("429s", f"{throttled} ({throttled / max(1, len(api)):.1%})"),
            ("busiest 60-s window of the sandbox log", f"{busiest_window([r['time'] for r in api])} requests"),
            ("worker peak RSS (max VmHWM over the qcluster processes)", f"{peak_kb / 1024:.0f} MB"),
            ("claim → first request", f"{first_request:.1f} s"),
            ("median gap between requests, first / last tenth of the run",
             f"{early_gap * 1000:.0f} ms / {late_gap * 1000:.0f} ms"),
        ]
        floor_text = sdk_text = ""
        if opts["floor"]:
            sent, seconds = floors.replay_floor(sandbox, collection.webflow_id)
            floor_text = f"bare loop {sent} requests in {seconds:.1f} s: push/floor = {wall / seconds:.1f}×"
            rows.append(("same bodies, bare `requests` loop, same sandbox", floor_text))
        if opts["sdk"]:
            sdk_text = self._sdk(sandbox, collection, locales, opts["sdk_items"])
            rows.append(("official webflow SDK, same items", sdk_text))
        self.stdout.write("\n| metric | result |\n|---|---|")
        for label, value in rows:
            self.stdout.write(f"| {label} | {value} |")
        timing_text = (f"first request {first_request:.1f} s after the claim; gaps {early_gap * 1000:.0f} → "
                       f"{late_gap * 1000:.0f} ms")
        if opts["summary"]:
            row = (f"| {opts['label'] or 'push'} | {opts['items']} × 3 | {opts['rate'] or 'none'} | "
                   f"{len(api)} / {minimum} ({faults} faults) | {wall:.1f} s | "
                   f"{f'{wall / ideal:.2f}×' if ideal == ideal else '–'} | {throttled} | {duplicates} | "
                   f"{busiest_window([r['time'] for r in api])} | {peak_kb / 1024:.0f} MB | "
                   f"{'; '.join(filter(None, [floor_text, sdk_text, timing_text]))} |\n")
            with Path(opts["summary"]).open("a") as handle:
                handle.write(row)

    def _sdk(self, sandbox, collection, locales, one_by_one: int) -> str:
        items = []
        for item in DraftItem.objects.filter(collection=collection).prefetch_related("translations__locale"):
            primary = {"name": item.name, "slug": item.slug, **item.field_data}
            items.append({"primary": primary, "translations": {
                t.locale.cms_locale_id: {"name": t.name, **t.field_data} for t in item.translations.all()}})
        results = floors.sdk_runs(sandbox, collection, locales, items, one_by_one=one_by_one)
        if isinstance(results, str):
            return results
        return "; ".join(f"{label}: {sent} requests, {seconds:.1f} s" for label, sent, seconds in results)
