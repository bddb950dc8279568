"""The "drift verify" schedule run by a real django-q2 `qcluster` process against the sandbox."""
import pytest
from django.utils import timezone
from django_q.models import Schedule

from stagingapp.models import AuditEvent, DriftFinding, DriftRun
from stagingapp.services.pull import collection_pull
from tests import factories
from tests.sync_support import edit_in_webflow, seed_webflow_items
from tests.test_push_worker import clusters, restore_migration_data, wait_for, worker_env  # noqa: F401

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_the_drift_verify_schedule_runs_in_a_real_worker_and_stores_its_report(clusters, worker_env,  # noqa: F811
                                                                               webflow_sandbox):
    site = factories.make_site()
    locales = factories.make_locales(site)
    collection = factories.make_collection(site)
    webflow_sandbox.seed_from_models(site)
    ids = seed_webflow_items(webflow_sandbox, collection, locales, 4)
    collection_pull(collection_id=collection.pk)
    edit_in_webflow(webflow_sandbox, collection, ids[0], locales[0], summary="Designer edit")
    worker_env["WEBFLOW_VERIFY_INTERVAL_MINUTES"] = "60"
    assert Schedule.objects.filter(name="drift verify", func="stagingapp.tasks.verify_due").update(
        next_run=timezone.now()) == 1

    clusters()  # django-q2's scheduler first looks at the schedules about 30 s after the cluster starts
    wait_for(lambda: DriftRun.objects.filter(trigger=DriftRun.Trigger.SCHEDULE).exclude(
        status=DriftRun.Status.RUNNING).exists(), timeout=120,
             what="the scheduled drift report")

    run = DriftRun.objects.get(trigger=DriftRun.Trigger.SCHEDULE)
    assert run.status == DriftRun.Status.DONE, run.error
    assert run.counts == {DriftFinding.Kind.IN_SYNC: 11, DriftFinding.Kind.CHANGED: 1} and run.requests == 3
    assert AuditEvent.objects.get(action="collection.verify").data["trigger"] == "schedule"
