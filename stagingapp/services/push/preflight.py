"""Pre-flight: every reason a batch cannot be queued, plus the request estimate. Pure reads."""
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError

from ...models import DraftItem, LocaleMapping, PushBatch, WebflowItemRef
from ...schema import schema_is_synced, validate_field_data
from ...selectors import batch_locales
from ...validators import validate_item_slug
from ..overwrite_guard import overwrite_problems
from ..translations import translation_locale_problem
from .bodies import item_matches_approval
from .planning import Plan, plan_items, refs_by_item
from .references import Dependency, cycle_breaks, describe, item_draft_pks, webflow_ids
from .removals import is_removal, targeted_refs

# APPROVED items, and FAILED ones whose approved content is unchanged (a transient failure needs no new review).
QUEUEABLE_STATUSES = (DraftItem.Status.APPROVED, DraftItem.Status.FAILED)


@dataclass
class Problem:
    item: DraftItem | None
    reason: str
    field: str = ""

    def __str__(self):
        prefix = f"{self.item} ({self.item.slug})" if self.item is not None else "Batch"
        where = f" [{self.field}]" if self.field else ""
        return f"{prefix}{where}: {self.reason}"


@dataclass
class Preflight:
    problems: list[Problem]
    plan: Plan | None
    rate_per_minute: int
    dependencies: list[Dependency] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def estimate(self) -> dict:
        if self.plan is None:
            return {}
        return {
            "requests": self.plan.requests, "create_requests": self.plan.create_requests,
            "minutes": self.plan.minutes(self.rate_per_minute), "rate_per_minute": self.rate_per_minute,
            "items": self.plan.item_count, "removal_requests": len(self.plan.removals),
        }


def check_field_data(item: DraftItem, collection, locale_ids) -> list[Problem]:
    """Every value against the synced collection schema (required fields, types, unknown keys), translations too."""
    if not schema_is_synced(collection):
        return [Problem(item, "the collection's field schema has not been synced from Webflow yet")]
    problems = []
    errors = validate_field_data(collection, item.field_data or {}, name=item.name, slug=item.slug,
                                 draft_refs=True)
    for field_slug, messages in errors.items():
        problems.extend(Problem(item, message, field=field_slug) for message in messages)
    for translation in item.translations.all():
        if translation.locale_id not in locale_ids:
            continue
        errors = validate_field_data(collection, translation.field_data or {}, name=translation.name,
                                     slug=translation.slug, partial=True, draft_refs=True)
        for field_slug, messages in errors.items():
            problems.extend(Problem(item, f"{message} ({translation.locale.tag} translation)", field=field_slug)
                            for message in messages)
    return problems


def batch_preflight_report(batch: PushBatch, *, items: list[DraftItem] | None = None,
                           locales: list[LocaleMapping] | None = None) -> Preflight:
    """Every reason the batch cannot be queued, plus the request estimate. Pure read: nothing is written."""
    rate = settings.WEBFLOW_RATE_LIMIT_PER_MINUTE
    if items is None:
        items = [entry.item for entry in batch.entries.select_related("item__collection").prefetch_related(
            "item__translations__locale")]
    locales = locales if locales is not None else batch_locales(batch)
    problems: list[Problem] = []
    if not items:
        problems.append(Problem(None, "the batch has no items"))
    if not locales:
        problems.append(Problem(None, "no enabled locale mapping for this site; sync locales first"))
    for loc in locales:
        if not loc.is_enabled:
            problems.append(Problem(None, f"locale {loc.tag} is not enabled for pushes"))
        if loc.site_id != batch.collection.site_id:
            problems.append(Problem(None, f"locale {loc.tag} belongs to another site"))
    seen_slugs: dict[tuple[int | None, str], DraftItem] = {}
    held = refs_by_item(items)
    taken = dict(
        WebflowItemRef.objects.filter(item__collection_id=batch.collection_id)
        .exclude(item__in=items).values_list("slug", "item__name")
    )
    locale_ids = {loc.pk for loc in locales}
    for item in items:
        if item.collection_id != batch.collection_id:
            problems.append(Problem(item, "belongs to another collection"))
            continue
        if item.status not in QUEUEABLE_STATUSES:
            problems.append(Problem(item, f"is {item.get_status_display().lower()}, not approved"))
        elif not item_matches_approval(item):
            problems.append(Problem(item, "changed since it was approved; it must be approved again"))
        if is_removal(item):  # its content is not sent: only that there is something to remove matters
            if not targeted_refs(item, list(held.get(item.pk, {}).values())):
                problems.append(Problem(item, "has a removal request but no Webflow IDs in the chosen locales",
                                        field="webflow"))
            continue
        if batch.mode == PushBatch.Mode.LIVE and item.is_draft:
            problems.append(Problem(item, "is marked 'send as Webflow draft', which cannot be pushed live",
                                    field="is_draft"))
        problems.extend(check_field_data(item, batch.collection, locale_ids))
        slugs = [(None, item.slug)]
        for translation in item.translations.all():
            problem = translation_locale_problem(item=item, locale=translation.locale)
            if problem:  # never pushed, so never silently: the publisher hears of it before queueing
                problems.append(Problem(item, f"has a {translation.locale.tag} translation that cannot be pushed: "
                                              f"{problem}; delete the translation or fix the locale"))
            if translation.locale_id in locale_ids and translation.slug:
                slugs.append((translation.locale_id, translation.slug))
        for locale_id, slug in slugs:
            try:
                validate_item_slug(slug)
            except ValidationError as exc:
                problems.append(Problem(item, " ".join(exc.messages), field="slug"))
                continue
            other = seen_slugs.get((locale_id, slug))
            if other is not None:
                problems.append(Problem(item, f"slug '{slug}' is also used by '{other}' in this batch", "slug"))
            seen_slugs[(locale_id, slug)] = item
        if item.pk not in held and item.slug in taken:
            problems.append(Problem(
                item, f"slug '{item.slug}' is already used in Webflow by '{taken[item.slug]}'", field="slug"))
    content_items = [item for item in items if not is_removal(item)]
    problems.extend(Problem(item, reason, field="webflow")
                    for item, reason in overwrite_problems(batch, content_items))
    dependencies, reference_problems = draft_dependencies(content_items)
    problems.extend(reference_problems)
    plan = plan_items(batch, items, locales) if items and locales else None
    return Preflight(problems=problems, plan=plan, rate_per_minute=rate, dependencies=dependencies)


def draft_dependencies(items: list[DraftItem]) -> tuple[list[Dependency], list[Problem]]:
    """What each item's `draft:<pk>` references need: a draft of this batch (created first) or one already in
    Webflow; a draft that is neither (or no longer exists) is a problem naming both items."""
    named = {item.pk: item_draft_pks(item) for item in items}
    pks = {pk for fields in named.values() for pks in fields.values() for pk in pks}
    if not pks:
        return [], []
    in_batch = {item.pk: item for item in items}
    in_webflow = set(webflow_ids(pks))
    others = {d.pk: d for d in DraftItem.objects.select_related("collection").filter(pk__in=pks - set(in_batch))}
    deferred, forced = cycle_breaks(items)
    dependencies, problems = [], []
    for item in items:
        for field_slug, targets in named[item.pk].items():
            for pk in targets:
                target = in_batch.get(pk) or others.get(pk)
                if pk in in_batch and pk not in in_webflow:
                    dependencies.append(Dependency(item, field_slug, target, in_batch=True,
                                                   cycle=item.pk in deferred))
                elif pk in in_webflow:
                    dependencies.append(Dependency(item, field_slug, target, in_batch=pk in in_batch))
                elif target is None:
                    problems.append(Problem(item, f"refers to {describe([pk])}, which no longer exists; choose "
                                                  "another item", field=field_slug))
                else:
                    where = ("push it first (a batch holds one collection)" if target.collection_id
                             != item.collection_id else "add it to this batch or push it first")
                    problems.append(Problem(item, f"refers to '{target}' ({target.slug}, {target.collection.name}), "
                                                  f"which is neither in this batch nor in Webflow; {where}",
                                            field=field_slug))
    for item in items:
        if item.pk in forced:
            problems.append(Problem(item, "is in a cycle of references that Webflow requires on create, so no item "
                                          "of it can be created first; make one of those fields optional in "
                                          "Webflow, or clear one of the references"))
    return dependencies, problems
