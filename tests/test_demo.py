"""The demo data: idempotent, realistic, reviewable, and never loaded outside DEBUG."""
import pytest
from django.core.management import CommandError, call_command

from stagingapp.models import Collection, DraftItem, DraftTranslation, LocaleMapping
from stagingapp.services.workflow import item_fingerprint_matches


def test_seed_demo_refuses_to_run_without_debug(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG=True"):
        call_command("seed_demo")
    assert not DraftItem.objects.exists()


def test_seed_demo_twice_gives_one_set_of_content_in_mixed_states(db, settings, capsys):
    settings.DEBUG = True
    call_command("seed_demo")
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "already present (36 drafts)" in out and "publisher-demo" in out

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
