"""Items of the batch that already exist in Webflow are updated (PATCH per locale), never created again."""
from django.db import transaction

from ...models import BatchItem, WebflowItemRef
from .lease import beat


def prepare_updates(run) -> None:
    """Pending entries whose item has Webflow refs owe a full PATCH in every batch locale; they become SENT."""
    # Only the entries to update are loaded (the creates are read page by page later, see pending.create_chunks).
    # Removal entries are settled by removals.remove_all before this step; the filter keeps them out regardless.
    pending = [e for e in run.entries(BatchItem.Status.PENDING, item__webflow_refs__isnull=False,
                                      item__removal_kind="")
               if e.item.webflow_refs.all()]
    if not pending:
        return
    with transaction.atomic():
        beat(run)
        for entry in pending:
            refs = {ref.locale_id: ref for ref in entry.item.webflow_refs.all()}
            webflow_id = next(iter(refs.values())).webflow_item_id
            published = any(ref.is_published for ref in refs.values())
            for loc in run.locales:
                WebflowItemRef.objects.update_or_create(
                    item=entry.item, locale=loc,
                    defaults={"webflow_item_id": webflow_id, "cms_locale_id": loc.cms_locale_id,
                              "is_published": published, "needs_patch": True,
                              "needs_publish": run.live and not published, "last_batch": run.batch},
                )
            entry.status = BatchItem.Status.SENT
            entry.update_existing = True
            entry.save(update_fields=["status", "update_existing", "updated_at"])
    run.forget_updated_items()
