"""Builders for push tests: approved items with translations, and batches ready to queue."""
import pytest
from django.db import connection

from stagingapp.models import DraftItem
from stagingapp.services.push.bodies import item_content_fingerprint
from tests import factories


def approve(item: DraftItem) -> DraftItem:
    """Put an item in the approved state pinned to its current content (what the review workflow does)."""
    item.refresh_from_db()
    fingerprint = item_content_fingerprint(item)
    DraftItem.objects.filter(pk=item.pk).update(status=DraftItem.Status.APPROVED, approved_fingerprint=fingerprint)
    item.refresh_from_db()
    return item


def make_approved_items(collection, count, *, locales=(), start=1, **kwargs):
    """`count` approved items; every locale in `locales` gets a translated name and summary."""
    items = DraftItem.objects.bulk_create([
        DraftItem(collection=collection, name=f"Post {n}", slug=f"post-{n}",
                  field_data={"summary": f"Summary {n}"}, **kwargs)
        for n in range(start, start + count)
    ])
    from stagingapp.models import DraftTranslation

    DraftTranslation.objects.bulk_create([
        DraftTranslation(item=item, locale=locale, name=f"{item.name} [{locale.tag}]",
                         field_data={"summary": f"{item.field_data['summary']} [{locale.tag}]"})
        for item in items for locale in locales
    ])
    fresh = list(DraftItem.objects.filter(pk__in=[i.pk for i in items]).prefetch_related("translations__locale"))
    rows = [(DraftItem.Status.APPROVED.value, item_content_fingerprint(item), item.pk) for item in fresh]
    with connection.cursor() as cursor:  # one prepared UPDATE for all rows; bulk_update's CASE is slow here
        cursor.executemany(
            f"UPDATE {DraftItem._meta.db_table} SET status = %s, approved_fingerprint = %s WHERE id = %s", rows)
    return list(DraftItem.objects.filter(pk__in=[i.pk for i in items]).prefetch_related("translations")
                .order_by("pk"))


__all__ = ["approve", "make_approved_items", "factories"]


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """User fixtures hash a password; the fastest hasher keeps push tests about pushing."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
