"""Finding the collection a sync command names, by Webflow ID or by this app's ID."""
from django.core.management.base import CommandError

from stagingapp.models import Collection


def collection_from_argument(value: str) -> Collection:
    value = value.strip()
    collection = Collection.objects.filter(webflow_id=value).first()
    if collection is None and value.isdigit():
        collection = Collection.objects.filter(pk=int(value)).first()
    if collection is None:
        raise CommandError(f"No collection with Webflow ID (or ID) {value!r} here; add it and sync its fields first.")
    return collection
