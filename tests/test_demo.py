"""The demo data: idempotent, realistic, reviewable, and never loaded outside DEBUG."""
import pytest
from django.core.management import CommandError, call_command

from stagingapp.models import Collection, DraftItem, DraftTranslation, LocaleMapping, Site
from stagingapp.services.workflow import item_fingerprint_matches


def test_seed_demo_refuses_to_run_without_debug(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG=True"):
        call_command("seed_demo")
    assert not DraftItem.objects.exists()


def test_seed_demo_twice_gives_one_set_of_content_in_mixed_states(db, settings, capsys):
    settings.DEBUG = True
    call_command("seed_demo")
    versions = [model.history.count() for model in (Site, Collection, LocaleMapping)]
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "already present (36 drafts)" in out and "publisher-demo" in out
    # Nothing changed, so no version with no change (each restart added one to the site, locales, collection).
    assert [model.history.count() for model in (Site, Collection, LocaleMapping)] == versions

    assert Collection.objects.get().fields_schema
    assert sorted(LocaleMapping.objects.values_list("tag", "is_primary")) == [
        ("de-DE", False), ("en-US", True), ("fr-FR", False)
    ]
    statuses = set(DraftItem.objects.values_list("status", flat=True))
    assert statuses == {"draft", "in_review", "approved", "rejected"}
    assert DraftTranslation.objects.count() > 40
    approved = DraftItem.objects.filter(status=DraftItem.Status.APPROVED)
    assert approved and all(item_fingerprint_matches(item) for item in approved)
    rejected = DraftItem.objects.filter(status=DraftItem.Status.REJECTED).first()
    assert "shorten the summary" in rejected.status_reason


def test_a_sandbox_kept_from_an_older_demo_gains_the_fields_added_since(webflow_sandbox):
    from webflow_sandbox.demo import DEMO_COLLECTION_ID, DEMO_FIELDS, DEMO_LOCALES, DEMO_SITE_ID, seed_demo

    webflow_sandbox.add_site(DEMO_SITE_ID, locales=DEMO_LOCALES)
    webflow_sandbox.add_collection(DEMO_SITE_ID, DEMO_COLLECTION_ID, fields=DEMO_FIELDS[:10])  # before related-post

    seed_demo(webflow_sandbox)
    seed_demo(webflow_sandbox)

    assert webflow_sandbox.state.collections[DEMO_COLLECTION_ID]["fields"] == DEMO_FIELDS


def test_follow_ups_link_an_approved_original_so_the_first_batch_can_be_queued(db, settings):
    from django.contrib.auth.models import User

    from stagingapp.services.batches import batch_create
    from stagingapp.services.demo import demo_seed
    from stagingapp.services.push.preflight import batch_preflight_report

    settings.DEBUG = True
    demo_seed()
    approved = DraftItem.objects.filter(status=DraftItem.Status.APPROVED)

    batch = batch_create(collection=Collection.objects.get(), item_ids=list(approved.values_list("pk", flat=True)),
                         mode="stage", actor=User.objects.get(username="publisher"))

    assert any("related-post" in item.field_data for item in approved)  # the batch links drafts to each other
    assert batch_preflight_report(batch).problems == []
