"""Writing audit entries: the one way anything lands in the append-only history."""
from django.contrib.auth.models import AbstractBaseUser

from ..models import AuditEvent


def actor_label_for(actor: AbstractBaseUser | None, fallback: str = "system") -> str:
    return actor.get_username() if actor is not None else fallback


def audit_record(
    *,
    action: str,
    actor=None,
    actor_label: str = "",
    item=None,
    collection=None,
    locale=None,
    object_repr: str = "",
    message: str = "",
    data: dict | None = None,
    **links,
) -> AuditEvent:
    """Append one entry. `links` carries extra foreign keys other modules add to AuditEvent (e.g. batch=)."""
    if item is not None and collection is None:
        collection_id = item.collection_id
    else:
        collection_id = collection.pk if collection is not None else None
    return AuditEvent.objects.create(
        action=action,
        actor=actor,
        actor_label=actor_label or actor_label_for(actor),
        item=item,
        collection_id=collection_id,
        locale=locale,
        object_repr=(object_repr or (str(item) if item is not None else ""))[:300],
        message=message,
        data=data or {},
        **links,
    )
