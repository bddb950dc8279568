"""Shared checks for the bad-input corpus: nothing written, and what a person sees on the page."""
from django.contrib.messages import get_messages

from stagingapp.models import AuditEvent, DraftItem, DraftTranslation, LocaleMapping, PushBatch


def row_counts() -> dict[str, int]:
    """Counts of every table a bad request could half-write."""
    return {model.__name__: model.objects.count()
            for model in (DraftItem, DraftTranslation, LocaleMapping, PushBatch, AuditEvent)}


def shown_messages(response) -> list[str]:
    """The flash messages a redirected (or rendered) response carries for the person."""
    return [str(message) for message in get_messages(response.wsgi_request)]
