"""Times the admin's searches at scale on PostgreSQL: audit history search and the item list (search, status filter).

Fills the database once (set-based INSERTs: --items draft items, --events audit entries) unless it already holds
that many, then renders each page with Django's test client and prints the median of --runs renders. A benchmark
for a scratch database (never a real one): it writes rows and needs DEBUG=True.
"""
import statistics
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from ...models import AuditEvent, Collection, DraftItem, Site

PAGES = [
    ("audit search, common word", "/admin/stagingapp/auditevent/?q=summary"),
    ("audit search, rare word", "/admin/stagingapp/auditevent/?q=post-99917"),
    ("audit list, no search", "/admin/stagingapp/auditevent/"),
    ("item search, common word", "/admin/stagingapp/draftitem/?q=launch"),
    ("item search, one slug", "/admin/stagingapp/draftitem/?q=post-99917"),
    ("item list, status filter", "/admin/stagingapp/draftitem/?status__exact=in_review"),
]


class Command(BaseCommand):
    help = "Median render time of the admin's audit and item searches at 1M audit entries / 100k items."

    def add_arguments(self, parser):
        parser.add_argument("--items", type=int, default=100_000)
        parser.add_argument("--events", type=int, default=1_000_000)
        parser.add_argument("--runs", type=int, default=3)

    def handle(self, *args, items, events, runs, **options):
        if connection.vendor != "postgresql" or not settings.DEBUG:
            raise CommandError("Run on a scratch PostgreSQL database with DEBUG=True.")
        self.fill(items, events)
        user = get_user_model().objects.filter(username="bench-admin").first() or \
            get_user_model().objects.create_superuser("bench-admin", "bench@example.invalid", "bench-admin")
        client = Client(HTTP_HOST="localhost")
        client.force_login(user)
        for label, url in PAGES:
            client.get(url)  # warm caches
            times, queries = [], 0
            for _ in range(runs):
                with CaptureQueriesContext(connection) as captured:
                    start = time.perf_counter()
                    assert client.get(url).status_code == 200
                    times.append(time.perf_counter() - start)
                queries = len(captured)
            self.stdout.write(f"{label:28} {statistics.median(times):6.3f} s  {queries:3d} queries  {url}")

    def fill(self, items: int, events: int):
        site, _ = Site.objects.get_or_create(webflow_id="b" * 24, defaults={"name": "Bench site"})
        collection, _ = Collection.objects.get_or_create(webflow_id="c" * 24, defaults={"site": site, "name": "Bench"})
        with connection.cursor() as cursor:
            missing = items - DraftItem.objects.count()
            if missing > 0:
                start = DraftItem.objects.count() + 1
                cursor.execute("""
                    INSERT INTO stagingapp_draftitem (collection_id, name, slug, field_data, is_archived, is_draft,
                        status, status_reason, approved_fingerprint, source_hash, submitted_fingerprint, created_at,
                        updated_at)
                    SELECT %s, 'Post ' || g || ' on ' || (ARRAY['launch', 'pricing', 'release', 'hiring'])[1 + g %% 4],
                        'post-' || g, '{"summary": "A summary"}'::jsonb, false, false,
                        (ARRAY['draft', 'in_review', 'approved', 'rejected', 'staged'])[1 + g %% 5], '', '', '', '',
                        now(), now() - g * interval '1 second'
                    FROM generate_series(%s, %s) g""", [collection.pk, start, start + missing - 1])
            missing = events - AuditEvent.objects.count()
            if missing > 0:
                cursor.execute("""
                    INSERT INTO stagingapp_auditevent (created_at, actor_label, action, object_repr, message, data)
                    SELECT now() - g * interval '1 second', (ARRAY['editor', 'approver', 'worker'])[1 + g %% 3],
                        (ARRAY['item.edit', 'item.submit', 'item.approve', 'push.request'])[1 + g %% 4],
                        'Post ' || (g %% 100000) || ' (post-' || (g %% 100000) || ')',
                        'Changed the summary and body of post ' || g, '{}'::jsonb
                    FROM generate_series(1, %s) g""", [missing])
            cursor.execute("ANALYZE stagingapp_draftitem; ANALYZE stagingapp_auditevent")
