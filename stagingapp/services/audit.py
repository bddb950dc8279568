"""Writing audit entries: the one way anything lands in the append-only history."""
import getpass
import json
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from ..models import AuditEvent, Collection, DraftItem, DraftTranslation, LocaleMapping, Site
from .rows import insert_rows, insert_values

# Longest value kept per changed field in an edit entry; a whole collection schema would drown the history.
MAX_DIFF_VALUE_CHARS = 2000


# Historical models whose rows become audit entries, and the action prefix for each.
_HISTORY_PREFIX = {
    DraftItem: "item", DraftTranslation: "translation", LocaleMapping: "locale", Site: "site",
    Collection: "collection",
}
# Bookkeeping fields: a save that changes only these is a transition or sync (audited by its own entry), not an
# edit. Features that add bookkeeping columns (Webflow ids, push timestamps) add them here.
NOT_AN_EDIT_FIELDS = {
    "status", "status_reason", "approved_fingerprint", "submitted_fingerprint", "submitted_by", "submitted_at",
    "reviewed_by", "reviewed_at", "updated_at", "created_at", "source_hash", "last_edited_by",
    "locales_synced_at", "schema_synced_at", "webflow_removal", "webflow_removed_at",
}


def actor_label_for(actor: AbstractBaseUser | None, fallback: str = "system") -> str:
    return actor.get_username() if actor is not None else fallback


def system_actor_label() -> str:
    """Label for writes with no signed-in user (shell, scripts): names the OS account that ran them."""
    return f"system ({getpass.getuser()})"


def command_actor(username: str | None = None):
    """Actor and label for a management command: the `--as` user, else the OS user running it.

    Raises get_user_model().DoesNotExist for an unknown `--as` username.
    """
    if username:
        user = get_user_model().objects.get(username=username)
        return user, f"{user.get_username()} (command)"
    return None, f"{getpass.getuser()} (command)"


def audit_record(**fields) -> AuditEvent:
    """Append one entry; takes audit_entry()'s keyword arguments (links such as batch= included)."""
    event = audit_entry(**fields)
    event.save()
    return event


def audit_record_values(rows: list[dict]) -> None:
    """Append the entries audit_values() built, in one statement."""
    insert_values(AuditEvent, rows)


def audit_record_many(events: list[AuditEvent]) -> list[AuditEvent]:
    """Append several entries built by audit_entry() in one statement (bulk paths: a push chunk, a queued
    batch); their ids are not read back."""
    insert_rows(events)
    return events


def audit_entry(**fields) -> AuditEvent:
    """An unsaved entry with the same defaults audit_record() applies; save it with audit_record_many()."""
    return AuditEvent(**audit_values(**fields))


def audit_values(
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
) -> dict:
    """audit_entry()'s row as attname -> value, for audit_record_values() (the push writes thousands: no
    instance is built for them)."""
    if item is not None and collection is None:
        collection_id = item.collection_id
    else:
        collection_id = collection.pk if collection is not None else None
    # Ids rather than instances: assigning a related instance runs the relation's checks each time.
    return {
        "action": action,
        "actor_id": actor.pk if actor is not None else None,
        "actor_label": actor_label or actor_label_for(actor),
        "item_id": item.pk if item is not None else None,
        "collection_id": collection_id,
        "locale_id": locale.pk if locale is not None else None,
        "object_repr": (object_repr or (str(item) if item is not None else ""))[:300],
        "message": message,
        "data": data or {},
        **{name if name.endswith("_id") else f"{name}_id": getattr(value, "pk", value)
           for name, value in links.items()},
    }


def _clip(value):
    """A JSON-safe value no longer than MAX_DIFF_VALUE_CHARS when written out."""
    if isinstance(value, (bool, int, float, type(None))):
        return value
    if isinstance(value, (dict, list)):
        text = json.dumps(value, ensure_ascii=False, default=str)
        return value if len(text) <= MAX_DIFF_VALUE_CHARS else text[:MAX_DIFF_VALUE_CHARS] + "…"
    text = str(value)
    return text if len(text) <= MAX_DIFF_VALUE_CHARS else text[:MAX_DIFF_VALUE_CHARS] + "…"


def _field_changes(history_instance, previous=None) -> list[dict]:
    """[{field, old, new}] between this historical row and the previous one (all fields for a creation).

    `previous` (a historical row or the model instance as it was) saves the prev_record query on bulk paths."""
    model = history_instance.instance_type
    names = [f.attname for f in model._meta.concrete_fields if f.name not in NOT_AN_EDIT_FIELDS and not f.primary_key]
    if history_instance.history_type == "+":
        return [
            {"field": name, "old": None, "new": _clip(getattr(history_instance, name))}
            for name in names if getattr(history_instance, name) not in (None, "", {}, [])
        ]
    previous = previous if previous is not None else history_instance.prev_record
    if previous is None:
        return []
    changes = []
    for name in names:
        old, new = getattr(previous, name), getattr(history_instance, name)
        if old == new:
            continue
        if isinstance(old, dict) and isinstance(new, dict):
            # JSON field values (field_data) diff key by key, so an editor sees which Webflow field changed.
            changes += [
                {"field": f"{name}.{key}", "old": _clip(old.get(key)), "new": _clip(new.get(key))}
                for key in sorted(old.keys() | new.keys()) if old.get(key) != new.get(key)
            ]
        else:
            changes.append({"field": name, "old": _clip(old), "new": _clip(new)})
    return changes


def audit_history_record(*, instance, history_instance, history_user=None) -> AuditEvent | None:
    """Mirror one django-simple-history row as an `<kind>.create|edit|delete` entry with the field diff, so one
    table holds every change. A service may set `_audit_verb`, `_audit_message` and `_audit_data` on the
    instance before saving it to name the change (`item.revert`) and add to its data. Returns None for a save
    that changed only bookkeeping fields.
    """
    event = history_audit_entry(instance=instance, history_instance=history_instance, history_user=history_user)
    if event is not None:
        event.save()
    return event


def history_audit_entry(*, instance, history_instance, history_user=None, previous=None,
                        item=None) -> AuditEvent | None:
    """The unsaved entry audit_history_record() would write (save many with audit_record_many()).

    Bulk writers pass `previous` (the instance before the change) and, for a translation, its `item`, so building
    an entry costs no query."""
    prefix = _HISTORY_PREFIX.get(type(instance))
    if prefix is None:
        return None
    verb = {"+": "create", "~": "edit", "-": "delete"}[history_instance.history_type]
    changes = _field_changes(history_instance, previous) if verb != "delete" else []
    if verb == "edit" and not changes:
        return None
    # A service may name what the save was (workflow.item_revert sets "revert"), so the entry says it.
    verb = getattr(instance, "_audit_verb", None) or verb
    links = {}
    if isinstance(instance, DraftItem):
        links = {"item": instance}
    elif isinstance(instance, DraftTranslation):
        # The item may be gone already when its deletion cascades to the translations.
        if item is None:
            item = DraftItem.objects.filter(pk=instance.item_id).only("pk", "collection_id", "name").first()
        links = {"item": item, "locale": LocaleMapping(pk=instance.locale_id)}
    elif isinstance(instance, LocaleMapping):
        links = {"locale": instance}
    elif isinstance(instance, Collection):
        links = {"collection": instance}
    return audit_entry(
        action=f"{prefix}.{verb}",
        actor=history_user,
        actor_label=actor_label_for(history_user, fallback=system_actor_label()),
        object_repr=str(instance),
        message=getattr(instance, "_audit_message", ""),
        data={"changes": changes, "history_id": history_instance.pk, "object_id": instance.pk,
              **getattr(instance, "_audit_data", {})},
        **links,
    )


def audit_login(*, user, ip: str = "") -> AuditEvent:
    """Record a successful admin login by `user` from `ip`."""
    return audit_record(action="auth.login", actor=user, object_repr=user.get_username(), data={"ip": ip})


def audit_login_failed(*, username: str, ip: str = "") -> AuditEvent:
    """Record a refused login for the typed `username` (which may not exist) from `ip`."""
    # Only the username: the credentials dict may carry the (masked) password, which has no place here.
    return audit_record(
        action="auth.login_failed", actor_label=username[:150] or "unknown", object_repr=username[:300],
        data={"ip": ip},
    )


def audit_prune(*, days: int, actor=None, actor_label: str = "") -> int:
    """Delete entries older than `days` days, then record that (and how many) in a new entry.

    Precondition: days >= 1. Returns the number deleted. Raises ValueError for days < 1.
    """
    if days < 1:
        raise ValueError("days must be at least 1")
    cutoff = timezone.now() - timedelta(days=days)
    with transaction.atomic():
        # Nothing cascades from AuditEvent, so this is one DELETE statement, not a row-by-row walk.
        deleted, _ = AuditEvent.objects.filter(created_at__lt=cutoff).delete()
        audit_record(
            action="audit.prune", actor=actor, actor_label=actor_label,
            message=f"Pruned {deleted} audit entries older than {days} days.",
            data={"deleted": deleted, "days": days, "cutoff": cutoff.isoformat()},
        )
    return deleted
