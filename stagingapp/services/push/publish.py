"""Publishing the items of a live batch; only what Webflow lists as published counts as live."""
import re

from django.db import transaction
from django.utils import timezone

from ...models import BatchItem, WebflowItemRef
from ...selectors import owed_refs
from ...webflow.errors import WebflowAuthError, WebflowError, WebflowForbidden, WebflowNotFound, WebflowRateLimited
from .lease import beat, nap
from .outcomes import fail_refs, settle_sent
from .planning import MAX_ITEMS_PER_PUBLISH
from .policy import Action, Step, StopBatch, decide, wait_rate_limit

_HEX_ID = re.compile(r"\b[0-9a-fA-F]{24}\b")


def publish_all(run) -> None:
    """Publish created/updated items of a live batch, 100 items a request."""
    if not run.live:
        return
    # An item has at most one ref per batch locale: a page one item longer than a request always holds the
    # first request's items whole, and memory stays flat in the batch size.
    page = (MAX_ITEMS_PER_PUBLISH + 1) * max(1, len(run.locales))
    while True:
        refs = owed_refs(run.batch, locales=run.site_locales, reads=run.item_reads, limit=page, needs_publish=True,
                         needs_patch=False)
        if not refs:
            return
        per_item: dict[int, list[WebflowItemRef]] = {}
        for ref in refs:
            per_item.setdefault(ref.item_id, []).append(ref)
        item_ids = list(per_item)[:MAX_ITEMS_PER_PUBLISH]
        send_publish(run, {item_id: per_item[item_id] for item_id in item_ids})


def send_publish(run, per_item: dict[int, list[WebflowItemRef]]) -> None:
    body = [{"id": refs[0].webflow_item_id, "cmsLocaleIds": [r.cms_locale_id for r in refs]}
            for refs in per_item.values()]
    attempt = 0
    while True:
        beat(run)
        run.request_info.update(items=list(per_item), step=Step.PUBLISH.value)
        try:
            result = run.client.publish_items(run.collection_id, items=body)
            break
        except WebflowRateLimited as exc:
            wait_rate_limit(run, exc)
            continue
        except WebflowError as exc:
            attempt += 1
            decision = decide(exc, step=Step.PUBLISH, attempt=attempt, collection_id=run.collection_id,
                              jitter=run.jitter)
            if decision.action in (Action.REFUSE, Action.STOP) and not isinstance(
                    exc, (WebflowAuthError, WebflowForbidden, WebflowNotFound)):
                fail_refs(run, [r for refs in per_item.values() for r in refs],
                          f"Webflow did not publish the item: {exc}")
            if decision.action is Action.STOP:
                raise StopBatch(decision.message) from exc
            if decision.action is Action.REFUSE:
                return
            nap(run, decision.seconds)
    record_published(run, per_item, result)


def record_published(run, per_item: dict[int, list[WebflowItemRef]], result) -> None:
    """Mark what Webflow listed as published; the rest fails with the error Webflow gave for it."""
    published = set(result.published_item_ids)
    errors_by_id: dict[str, str] = {}
    for error in result.errors:
        for webflow_id in _HEX_ID.findall(error):
            errors_by_id.setdefault(webflow_id, error)
    failed = []
    with transaction.atomic():
        beat(run)
        now = timezone.now()
        done_pks = []
        for refs in per_item.values():
            webflow_id = refs[0].webflow_item_id
            if webflow_id in published and webflow_id not in errors_by_id:
                done_pks += [r.pk for r in refs]
            else:
                failed.append(refs)
        if done_pks:
            WebflowItemRef.objects.filter(pk__in=done_pks).update(
                is_published=True, is_draft=False, last_published=now, needs_publish=False)
            WebflowItemRef.objects.filter(pk__in=done_pks, removal="unpublished").update(removal="")
        entries = list(run.batch.entries.filter(item_id__in=list(per_item), status=BatchItem.Status.SENT)
                       .select_related("item"))
        settle_sent(run, entries)
    for refs in failed:
        webflow_id = refs[0].webflow_item_id
        reason = errors_by_id.get(webflow_id) or (
            result.errors[0] if len(per_item) == 1 and result.errors
            else "Webflow did not list the item as published")
        fail_refs(run, refs, f"Created/updated in Webflow as {webflow_id} but not published: {reason}")
    run.report_progress()
