"""Shared reads: which item already holds a slug in a locale (Webflow slugs are unique per collection and locale).

In a secondary locale an item's slug is its translation's slug, or its primary slug when the translation leaves
the slug empty (or there is no translation). Two items must never end up with the same slug in one locale.
A database constraint cannot say this without copying the collection onto every translation, so the forms and
the import check it here; Webflow's own 400 on push is the last line for two editors saving at the same moment.
"""
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Count, QuerySet
from django.db.models.sql import Query

from ..models import BatchItem, DraftItem, DraftTranslation, LocaleMapping, PushBatch, WebflowItemRef
from ..schema import DRAFT_REF_RE, schema_fields
from ..statements import instances_of, select_rows


@dataclass(frozen=True)
class SlugClash:
    """Another item that already uses `slug` in `locale` (through its translation, or its primary slug)."""

    other: DraftItem
    locale: LocaleMapping
    slug: str
    via_translation: bool

    def __str__(self):
        how = "translated slug" if self.via_translation else "slug (it has no translated slug there)"
        return (f"'{self.slug}' is already the {self.locale.tag} {how} of \"{self.other.name}\" in "
                f"{self.other.collection.name}; Webflow slugs are unique per locale.")


def translation_slug_clash(*, collection, locale, slug: str, item_pk: int | None) -> SlugClash | None:
    """The other item that already uses `slug` in `locale` of `collection`, or None (also for an empty slug)."""
    if not slug:
        return None
    translation = (DraftTranslation.objects.select_related("item__collection")
                   .filter(item__collection=collection, locale=locale, slug=slug)
                   .exclude(item_id=item_pk).order_by("pk").first())
    if translation is not None:
        return SlugClash(other=translation.item, locale=locale, slug=slug, via_translation=True)
    own_slug = DraftTranslation.objects.filter(locale=locale).exclude(slug="").values("item_id")
    other = (DraftItem.objects.select_related("collection").filter(collection=collection, slug=slug)
             .exclude(pk=item_pk).exclude(pk__in=own_slug).order_by("pk").first())
    if other is not None:
        return SlugClash(other=other, locale=locale, slug=slug, via_translation=False)
    return None


def item_slug_clashes(*, collection, slug: str, item_pk: int | None) -> list[SlugClash]:
    """Other items' translated slugs equal to an item's primary slug, in locales where the item has no own slug."""
    if not slug:
        return []
    localised = (DraftTranslation.objects.filter(item_id=item_pk).exclude(slug="").values("locale_id")
                 if item_pk else DraftTranslation.objects.none().values("locale_id"))
    clashes = (DraftTranslation.objects.select_related("item__collection", "locale")
               .filter(item__collection=collection, slug=slug).exclude(item_id=item_pk)
               .exclude(locale_id__in=localised).order_by("locale__tag", "pk"))
    return [SlugClash(other=t.item, locale=t.locale, slug=slug, via_translation=True) for t in clashes]


# --- push reads -------------------------------------------------------------------------------------------


def batch_locales(batch: PushBatch) -> list[LocaleMapping]:
    """The batch's target locales, primary first; empty selection means every enabled locale of the site."""
    locales = list(batch.locales.all()) if batch.pk else []
    if not locales:
        locales = list(LocaleMapping.objects.filter(site_id=batch.collection.site_id, is_enabled=True))
    return sorted(locales, key=lambda loc: (not loc.is_primary, loc.tag))


def batch_counts(batch: PushBatch) -> dict:
    """Item counts by push status, for progress bars: pending, in_flight, sent, done, failed, cancelled, total."""
    counts = dict.fromkeys(BatchItem.Status.values, 0)
    for row in batch.entries.values("status").annotate(n=Count("pk")):
        counts[row["status"]] = row["n"]
    return with_totals(counts)


def with_totals(counts: dict) -> dict:
    """Adds `total` and `percent` (finished share) to counts by BatchItem status."""
    counts["total"] = sum(counts[s] for s in BatchItem.Status.values)
    finished = counts["done"] + counts["failed"] + counts["cancelled"]
    counts["percent"] = int(100 * finished / counts["total"]) if counts["total"] else 0
    return counts


def owed_refs_query(batch: PushBatch, excluding=(), **flags):
    """Refs this batch wrote whose item is still SENT (created, locales or publish owed), filtered by `flags`;
    `excluding`: ref pks to leave out (a PATCH for them is already on its way)."""
    query = WebflowItemRef.objects.filter(last_batch=batch, item__batch_entries__batch=batch,
                                          item__batch_entries__status=BatchItem.Status.SENT, **flags)
    return query.exclude(pk__in=list(excluding)) if excluding else query


def items_owing(item_ids) -> set[int]:
    """Of these items, those with a Webflow ref still owed a PATCH or a publish (one plain SELECT of their refs,
    whose flags are read as the driver gives them: 0/1 or False/True, only their truth matters)."""
    rows = select_rows(WebflowItemRef, ("item_id", "needs_patch", "needs_publish"), item_id=list(item_ids))
    return {item_id for _, item_id, needs_patch, needs_publish in rows if needs_patch or needs_publish}


def owed_refs(batch: PushBatch, limit: int | None = None, excluding=(), locales: dict | None = None,
              reads: "ItemReads | None" = None, **flags) -> list[WebflowItemRef]:
    """The owed refs with what a PATCH body needs (item, collection, translations), in item and locale order.

    Each item is read once (not once per locale through a join) and shares the batch's collection; `locales`
    (site_locales(), kept by the caller) saves reading the site's locales each time: a chunk's refs cost three
    queries and one decode of each item."""
    refs = owed_ref_rows(batch, limit, excluding, flags)
    if locales is None:
        locales = site_locales(batch.collection.site_id)
    items = items_with_translations({ref.item_id for ref in refs}, batch.collection, locales, reads)
    for ref in refs:
        WebflowItemRef.item.field.set_cached_value(ref, items[ref.item_id])
        WebflowItemRef.locale.field.set_cached_value(ref, locales.get(ref.locale_id) or ref.locale)
    return refs


def owed_ref_rows(batch: PushBatch, limit: int | None, excluding, flags: dict) -> list[WebflowItemRef]:
    """owed_refs_query(batch, excluding, **flags) in item and locale order (`limit` of them), with OWED_REF_FIELDS
    only, as one plain SELECT of the same conditions: compiling that joined QuerySet cost more per PATCH than
    SQLite took to run it. (A batch has one entry per item, so its join is the EXISTS below.)"""
    db = connections[DEFAULT_DB_ALIAS]
    quote, refs, entries = db.ops.quote_name, WebflowItemRef._meta, BatchItem._meta
    fields = [refs.pk] + [refs.get_field(name) for name in OWED_REF_FIELDS]

    def ref_column(name: str) -> str:
        return f"r.{quote(refs.get_field(name).column)}"

    conditions = [f"{ref_column('last_batch')} = %s"]
    params: list = [batch.pk]
    for name, value in flags.items():
        if isinstance(value, bool):  # as the ORM writes them, so the partial indexes apply
            conditions.append(ref_column(name) if value else f"NOT {ref_column(name)}")
        else:
            conditions.append(f"{ref_column(name)} = %s")
            params.append(value)
    conditions.append(
        f"EXISTS (SELECT 1 FROM {quote(entries.db_table)} e WHERE e.{quote(entries.get_field('batch').column)} = %s "
        f"AND e.{quote(entries.get_field('item').column)} = {ref_column('item')} "
        f"AND e.{quote(entries.get_field('status').column)} = %s)")
    params += [batch.pk, BatchItem.Status.SENT.value]
    excluding = list(excluding)
    if excluding:
        conditions.append(f"r.{quote(refs.pk.column)} NOT IN ({', '.join(['%s'] * len(excluding))})")
        params += excluding
    sql = (f"SELECT {', '.join(f'r.{quote(f.column)}' for f in fields)} FROM {quote(refs.db_table)} r "
           f"WHERE {' AND '.join(conditions)} ORDER BY {ref_column('item')}, {ref_column('locale')}")
    if limit:
        sql += " LIMIT %s"
        params.append(limit)
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return instances_of(WebflowItemRef, OWED_REF_FIELDS, rows)


# What building and checking a request body reads (content, flags, approval pin); the rest (who, when) stays in
# the database: on the push path converting those dates and user ids was a third of the cost of a read.
PUSHED_ITEM_FIELDS = ("collection_id", "name", "slug", "field_data", "is_archived", "is_draft", "removal_kind",
                      "removal_locale_ids", "status", "approved_fingerprint")
PUSHED_TRANSLATION_FIELDS = ("item_id", "locale_id", "name", "slug", "field_data")
# What a PATCH or publish of an owed ref reads: where it goes and what it owes (its dates stay unread).
OWED_REF_FIELDS = ("item_id", "locale_id", "webflow_item_id", "cms_locale_id", "slug", "removal", "is_published",
                   "is_draft", "needs_patch", "needs_publish")


def site_locales(site_id: int) -> dict[int, LocaleMapping]:
    """Every locale mapping of the site by pk (a handful of rows), for attaching to rows read without a join."""
    return LocaleMapping.objects.filter(site_id=site_id).in_bulk()


class ReadTranslations(QuerySet):
    """One item's translations, already read: item.translations.all() answers from them as after
    prefetch_related. Building the filtered QuerySet per item, as prefetch_related does, cost a third of the
    push's item reads; this one is built empty and only becomes that query when something is chained on it
    (a filter, an ordering), which then reads the database as it would after prefetch_related. Even its empty
    Query is built only when something asks for it (building one per item cost as much as the item's read)."""

    _blank: dict | None = None  # the attributes of a new QuerySet, copied into each holder

    @classmethod
    def holding(cls, item_id: int, rows: list[DraftTranslation]) -> "ReadTranslations":
        if cls._blank is None:
            cls._blank = {**QuerySet(model=DraftTranslation).__dict__, "_query": None}
        rows_qs = cls.__new__(cls)
        rows_qs.__dict__.update(cls._blank)
        rows_qs.item_id, rows_qs._result_cache, rows_qs._prefetch_done = item_id, rows, True
        rows_qs._hints, rows_qs._known_related_objects = {}, {}
        return rows_qs

    @property
    def query(self):
        if self._query is None:
            self._query = Query(self.model)
        return QuerySet.query.fget(self)

    @query.setter
    def query(self, value):
        QuerySet.query.fset(self, value)

    def _chain(self):
        return DraftTranslation.objects.filter(item_id=self.item_id)._chain()


class ItemReads:
    """Items a run read lately, with the raw rows each was built from (its row, its translations' rows) and,
    once asked, its content fingerprint. items_with_translations reuses an item whose rows, read again, are
    unchanged: the approval re-check before each PATCH then costs the read, not a JSON decode, new instances and
    a fingerprint per item. Holds the newest `size` items, so memory stays flat in the batch size."""

    def __init__(self, size: int = 2000):
        self.size = size
        self._held: dict[int, tuple[tuple, tuple, DraftItem]] = {}  # insertion order: oldest first
        self._fingerprints: dict[int, str] = {}

    def reuse(self, row: tuple, translation_rows: tuple) -> DraftItem | None:
        held = self._held.get(row[0])
        if held is not None and held[0] == row and held[1] == translation_rows:
            return held[2]
        return None

    def hold(self, row: tuple, translation_rows: tuple, item: DraftItem) -> None:
        self._held.pop(row[0], None)
        self._fingerprints.pop(row[0], None)
        self._held[row[0]] = (row, translation_rows, item)
        while len(self._held) > self.size:
            oldest = next(iter(self._held))
            del self._held[oldest]
            self._fingerprints.pop(oldest, None)

    def fingerprint(self, item: DraftItem) -> str:
        """item.fingerprint(), computed once for an item held here (its content cannot change unseen)."""
        pk = item.pk
        held = self._held.get(pk)
        if held is None or held[2] is not item:
            return item.fingerprint()
        fingerprint = self._fingerprints.get(pk)
        if fingerprint is None:
            fingerprint = self._fingerprints[pk] = item.fingerprint()
        return fingerprint


def items_with_translations(item_ids, collection, locales: dict[int, LocaleMapping],
                            reads: ItemReads | None = None) -> dict[int, DraftItem]:
    """Items by pk, freshly read with their translations and each translation's locale, as
    prefetch_related("translations__locale") leaves them, in two queries (only the PUSHED_* fields).

    The items share `collection`, and the locales come from `locales` (site_locales()) instead of a second
    prefetch level: on the push path prefetch_related's per-row bookkeeping cost more than the reads. A locale
    added since `locales` was read is read then and added to it. With `reads`, an item whose rows are unchanged
    since it was read into `reads` is that same instance; the others are built and held there."""
    item_rows = select_rows(DraftItem, PUSHED_ITEM_FIELDS, pk=list(item_ids))
    rows_of: dict[int, list[tuple]] = {row[0]: [] for row in item_rows}
    for row in select_rows(DraftTranslation, PUSHED_TRANSLATION_FIELDS, item_id=list(rows_of)):
        rows_of[row[1]].append(row)  # (pk, item_id, ...)
    items: dict[int, DraftItem | None] = {}
    fresh = []
    for row in item_rows:
        items[row[0]] = reads.reuse(row, tuple(rows_of[row[0]])) if reads is not None else None
        if items[row[0]] is None:
            fresh.append(row)
    if not fresh:
        return items
    built = {item.pk: item for item in instances_of(DraftItem, PUSHED_ITEM_FIELDS, fresh)}
    by_item: dict[int, list[DraftTranslation]] = {pk: [] for pk in built}
    translations = instances_of(DraftTranslation, PUSHED_TRANSLATION_FIELDS,
                                [row for pk in built for row in rows_of[pk]])
    unknown = {t.locale_id for t in translations} - locales.keys()
    if unknown:
        locales.update(LocaleMapping.objects.in_bulk(unknown))
    # Filled as select_related fills them (the cache, not the descriptor, whose checks cost more than the read).
    locale_cache, item_cache = DraftTranslation.locale.field, DraftTranslation.item.field
    tags = {pk: locale.tag for pk, locale in locales.items()}
    translations.sort(key=lambda translation: tags[translation.locale_id])  # the model's ordering, per item
    for translation in translations:
        locale_cache.set_cached_value(translation, locales[translation.locale_id])
        by_item[translation.item_id].append(translation)
    cache_name = DraftItem.translations.rel.get_accessor_name()
    collection_cache = DraftItem.collection.field
    for row in fresh:
        pk = row[0]
        item = items[pk] = built[pk]
        collection_cache.set_cached_value(item, collection)
        item._prefetched_objects_cache = {cache_name: ReadTranslations.holding(pk, by_item[pk])}
        for translation in by_item[pk]:
            item_cache.set_cached_value(translation, item)
        if reads is not None:
            reads.hold(row, tuple(rows_of[pk]), item)
    return items


def drift_dashboard_summary() -> list[dict]:
    """Per collection linked to Webflow, its newest finished drift report: for the publishers' dashboard.

    [{"collection": Collection, "run": DriftRun | None, "counts": {kind: n}, "drifted": n, "open_conflicts": n}],
    collections without a report yet included (run None), most drifted first. A few queries, no Webflow call.
    """
    from django.db.models import Count, OuterRef, Q, Subquery

    from ..models import Collection, DriftFinding, DriftRun, PullConflict

    newest = (DriftRun.objects.filter(collection=OuterRef("pk"), status=DriftRun.Status.DONE)
              .order_by("-started_at", "-pk").values("pk")[:1])
    collections = (Collection.objects.filter(Q(items__webflow_refs__isnull=False) | Q(drift_runs__isnull=False))
                   .distinct().annotate(newest_run=Subquery(newest)).select_related("site"))
    runs = DriftRun.objects.in_bulk([c.newest_run for c in collections if c.newest_run])
    conflicts = dict(PullConflict.objects.filter(status=PullConflict.Status.OPEN)
                     .values_list("item__collection").annotate(n=Count("pk")))
    rows = []
    for collection in collections:
        run = runs.get(collection.newest_run)
        counts = dict(run.counts) if run else {}
        drifted = sum(n for kind, n in counts.items() if kind != DriftFinding.Kind.IN_SYNC)
        rows.append({"collection": collection, "run": run, "counts": counts, "drifted": drifted,
                     "open_conflicts": conflicts.get(collection.pk, 0)})
    return sorted(rows, key=lambda row: (-row["drifted"], -row["open_conflicts"], row["collection"].name))


def reference_labels(collection, contents) -> dict[str, str]:
    """Stored reference value -> the name to show for it, for the Reference and MultiReference values in
    `contents` (content snapshots: `field_data`, and `translations` of the same shape): `draft:<pk>` names the
    draft ("(not in Webflow yet)" until it is pushed), a Webflow item ID names the draft pushed as it. An ID no draft
    of ours was pushed as stays as it is. Three queries at most."""
    slugs = {f["slug"] for f in schema_fields(collection) if f.get("type") in ("Reference", "MultiReference")}
    values: set[str] = set()
    pending = [content for content in contents if content]
    while pending:
        content = pending.pop()
        pending.extend(t for t in (content.get("translations") or {}).values() if t)
        for slug in slugs & set(content.get("field_data") or {}):
            value = content["field_data"][slug]
            values.update(v.strip() for v in (value if isinstance(value, list) else [value]) if isinstance(v, str))
    drafts = {int(m.group(1)): value for value in values if (m := DRAFT_REF_RE.match(value))}
    # A draft pushed since it was chosen is in Webflow now (the push sends its ID for the draft:<pk> value).
    pushed = set(WebflowItemRef.objects.filter(item_id__in=drafts, locale__is_primary=True)
                 .values_list("item_id", flat=True)) if drafts else set()
    labels = {drafts[pk]: name if pk in pushed else f"{name} (not in Webflow yet)"
              for pk, name in DraftItem.objects.filter(pk__in=drafts).values_list("pk", "name")}
    webflow_ids = values - set(drafts.values())
    if webflow_ids:
        labels.update(WebflowItemRef.objects.filter(webflow_item_id__in=webflow_ids)
                      .values_list("webflow_item_id", "item__name").distinct())
    return labels
