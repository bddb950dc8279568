"""Domain models: Webflow sites, collections and locales, and the editors' draft items with translations."""
import hashlib
import json

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from simple_history.models import HistoricalRecords

from .audit_actions import AUDIT_ACTIONS
from .validators import SLUG_MAX_LENGTH, validate_item_slug, validate_language_tag, validate_webflow_id

PRIMARY_CONTENT_FIELDS = ("name", "slug", "field_data", "is_archived", "is_draft")


def content_hash(content) -> str:
    """sha256 of canonical JSON, so key order and whitespace never change a fingerprint."""
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


class Site(models.Model):
    webflow_id = models.CharField(
        "Webflow site ID", max_length=64, unique=True, validators=[validate_webflow_id],
        help_text="The site's ID in Webflow (Site settings → General, usually 24 hex characters).",
    )
    name = models.CharField(max_length=200)
    locales_synced_at = models.DateTimeField("locales last synced", null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Collection(models.Model):
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="collections")
    webflow_id = models.CharField(
        "Webflow collection ID", max_length=64, unique=True, validators=[validate_webflow_id]
    )
    name = models.CharField(max_length=200)
    slug = models.CharField("Webflow collection slug", max_length=200, blank=True)
    # The `fields` list exactly as GET /v2/collections/{id} returns it: slug, type, isRequired, validations...
    fields_schema = models.JSONField("field schema", default=list, blank=True, editable=False)
    schema_synced_at = models.DateTimeField("schema last synced", null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["site__name", "name"]

    def __str__(self):
        return self.name

    def field_by_slug(self) -> dict[str, dict]:
        return {field["slug"]: field for field in self.fields_schema or [] if field.get("slug")}


class LocaleMapping(models.Model):
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="locales")
    tag = models.CharField(
        "language tag", max_length=35, validators=[validate_language_tag],
        help_text="Our language tag, e.g. en-US or fr-FR (as Webflow shows it).",
    )
    cms_locale_id = models.CharField(
        "Webflow CMS locale ID", max_length=64, validators=[validate_webflow_id],
        help_text="The locale's cmsLocaleId from GET /v2/sites/{id} (not the site-locale id).",
    )
    display_name = models.CharField(max_length=200, blank=True)
    is_primary = models.BooleanField("primary locale", default=False)
    is_enabled = models.BooleanField("enabled for pushes", default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["site__name", "-is_primary", "tag"]
        verbose_name = "locale mapping"
        constraints = [
            # en-US and EN-us are the same language (BCP 47 tags ignore case), so one of them per site.
            models.UniqueConstraint(
                "site", Lower("tag"), name="uniq_localemapping_site_tag_ci",
                violation_error_message="This site already has a locale with this language tag (in any letter case).",
            ),
            models.UniqueConstraint(fields=["site", "cms_locale_id"], name="uniq_localemapping_site_cmslocale"),
            models.UniqueConstraint(
                fields=["site"], condition=Q(is_primary=True), name="uniq_localemapping_one_primary_per_site"
            ),
        ]

    def __str__(self):
        return f"{self.tag} ({self.display_name})" if self.display_name else self.tag


class DraftItem(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "In review"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        IN_BATCH = "in_batch", "In a batch"
        STAGED = "staged", "Pushed (staged)"
        LIVE = "live", "Live"
        FAILED = "failed", "Push failed"

    # No index of its own: the (collection, slug) constraint and the (collection, status) index both lead with it.
    collection = models.ForeignKey(Collection, on_delete=models.PROTECT, related_name="items", db_index=False)
    name = models.CharField(max_length=256)
    slug = models.CharField(
        max_length=SLUG_MAX_LENGTH, validators=[validate_item_slug],
        help_text="Lowercase letters, digits and dashes; unique in the collection. Suggested from the name.",
    )
    field_data = models.JSONField(
        "field values", default=dict, blank=True,
        help_text="Values keyed by the collection's field slugs (name and slug are set above).",
    )
    is_archived = models.BooleanField("send as archived", default=False)
    is_draft = models.BooleanField(
        "send as Webflow draft", default=False,
        help_text="Webflow keeps draft items out of site publishes until someone un-drafts them.",
    )
    class Removal(models.TextChoices):
        UNPUBLISH = "unpublish", "Unpublish from the live site"
        ARCHIVE = "archive", "Archive in Webflow"
        DELETE = "delete", "Delete from Webflow"

    # A requested removal is part of the reviewed content (content_snapshot), so it is approved like an edit.
    removal_kind = models.CharField("requested removal", max_length=16, choices=Removal.choices, blank=True,
                                    editable=False)
    removal_locale_ids = models.JSONField("removal locales", default=list, blank=True, editable=False,
                                          help_text="LocaleMapping ids; empty means every locale in Webflow.")
    # What the last pushed removal did ("unpublished", "archived", "deleted", "deleted in some locales").
    webflow_removal = models.CharField("removed from Webflow", max_length=64, blank=True, editable=False)
    webflow_removed_at = models.DateTimeField(null=True, blank=True, editable=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True)
    status_reason = models.TextField("status note", blank=True, help_text="Why the item is in its status.")
    approved_fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    # sha256 of the primary-locale content only; translations compare against it to know they are stale.
    source_hash = models.CharField("primary content hash", max_length=64, blank=True, editable=False)
    # Fingerprint of the content as submitted, so an ORM edit during review is caught like one after approval.
    submitted_fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        editable=False,
    )
    submitted_at = models.DateTimeField(null=True, blank=True, editable=False)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        editable=False,
    )
    reviewed_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        editable=False,
    )
    last_edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    # A push writes a history row per item, so each index here costs every item pushed. Versions are only looked
    # up by item (id) and listed by date; the copies of the item's own indexes served no query.
    history = HistoricalRecords(no_db_index=["collection", "status", "updated_at", "created_by", "last_edited_by",
                                             "reviewed_by", "submitted_by"])

    class Meta:
        ordering = ["-updated_at", "-pk"]
        verbose_name = "draft item"
        constraints = [
            models.UniqueConstraint(fields=["collection", "slug"], name="uniq_draftitem_collection_slug"),
        ]
        indexes = [models.Index(fields=["collection", "status"], name="draftitem_coll_status_idx")]
        permissions = [
            ("submit_draftitem", "Can submit draft items for review"),
            ("approve_draftitem", "Can approve or reject draft items"),
            ("unlock_draftitem", "Can unlock draft items held in review"),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        # The primary-content hash must be right whatever wrote the row (admin, import, shell), because
        # stale-translation detection compares against it in SQL; this is the one field save() maintains.
        self.source_hash = self.primary_fingerprint()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and set(update_fields) & set(PRIMARY_CONTENT_FIELDS):
            kwargs["update_fields"] = {*update_fields, "source_hash"}
        super().save(*args, **kwargs)

    def primary_content(self) -> dict:
        return {name: getattr(self, name) for name in PRIMARY_CONTENT_FIELDS}

    def primary_fingerprint(self) -> str:
        return content_hash(self.primary_content())

    def translations_by_tag(self) -> list["DraftTranslation"]:
        """The translations with their locales, in locale-tag order: one query, or none when the caller prefetched
        `translations__locale`, so the pages and checks that each read them share that one read."""
        prefetched = getattr(self, "_prefetched_objects_cache", {}).get("translations")
        if prefetched is not None and all(DraftTranslation.locale.is_cached(t) for t in prefetched):
            return sorted(prefetched, key=lambda t: (t.locale.tag, t.pk))
        return list(self.translations.select_related("locale").order_by("locale__tag", "pk"))

    def content_snapshot(self) -> dict:
        """The reviewed content: primary fields plus translations keyed by locale tag.

        One query, or none when the caller prefetched `translations__locale` (pre-flight of a 10,000-item batch
        would otherwise run 10,000 queries inside the queueing transaction).
        """
        snapshot = {
            **self.primary_content(),
            "translations": {
                t.locale.tag: {"name": t.name, "slug": t.slug, "field_data": t.field_data}
                for t in self.translations_by_tag()
            },
        }
        if self.removal_kind:  # only then, so fingerprints of items without a removal request stay as they were
            snapshot["removal"] = {"kind": self.removal_kind, "locales": sorted(self.removal_locale_ids or [])}
        return snapshot

    def fingerprint(self) -> str:
        """sha256 of name, slug, field data, flags and translations: what an approval is pinned to."""
        return content_hash(self.content_snapshot())


class DraftTranslation(models.Model):
    item = models.ForeignKey(DraftItem, on_delete=models.CASCADE, related_name="translations")
    locale = models.ForeignKey(LocaleMapping, on_delete=models.PROTECT, related_name="translations")
    name = models.CharField("translated name", max_length=256, blank=True, help_text="Empty keeps the primary name.")
    slug = models.CharField(
        "translated slug", max_length=SLUG_MAX_LENGTH, blank=True, validators=[validate_item_slug],
        help_text="Empty keeps the primary slug.",
    )
    field_data = models.JSONField(
        "translated field values", default=dict, blank=True,
        help_text="Only the fields that differ from the primary content, keyed by field slug.",
    )
    last_edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        editable=False,
    )
    # The item's primary-content hash when this translation was last written; differs from the item's
    # current source_hash once the source changed after the translation.
    source_hash = models.CharField("source content hash", max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["item", "locale__tag"]
        verbose_name = "translation"
        constraints = [
            models.UniqueConstraint(fields=["item", "locale"], name="uniq_drafttranslation_item_locale"),
        ]

    def __str__(self):
        return f"{self.item} [{self.locale.tag}]"

    def save(self, *args, **kwargs):
        # Same reason as DraftItem.save: every write path must record which source the translation followed.
        update_fields = kwargs.get("update_fields")
        if update_fields is None or set(update_fields) & {"name", "slug", "field_data"}:
            self.source_hash = (
                DraftItem.objects.filter(pk=self.item_id).values_list("source_hash", flat=True).first() or ""
            )
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "source_hash"}
        super().save(*args, **kwargs)

    @property
    def is_stale(self) -> bool:
        return self.source_hash != self.item.source_hash


class AuditEvent(models.Model):
    """One append-only history of who did what: edits, reviews, imports, pushes and Webflow's answers."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # Null actor means the system itself; actor_label keeps a readable name even for workers and commands.
    # The references below are indexed only by Meta.indexes, whose (reference, created_at) pairs serve lookups by
    # the reference alone too: a second index of each cost every write (a push writes an entry per item) for
    # nothing.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        db_index=False,
    )
    actor_label = models.CharField("actor", max_length=150, blank=True)
    action = models.CharField(max_length=64, db_index=True, help_text="Namespaced, e.g. item.approve, push.request")
    # DO_NOTHING without a database constraint: deleting an item, collection or locale must neither rewrite
    # its history (append-only) nor walk a million audit rows; the id stays as a plain reference.
    item = models.ForeignKey(
        DraftItem, on_delete=models.DO_NOTHING, null=True, blank=True, related_name="audit_events",
        db_constraint=False, db_index=False,
    )
    collection = models.ForeignKey(
        Collection, on_delete=models.DO_NOTHING, null=True, blank=True, related_name="+", db_constraint=False,
        db_index=False,
    )
    locale = models.ForeignKey(
        LocaleMapping, on_delete=models.DO_NOTHING, null=True, blank=True, related_name="+", db_constraint=False,
        db_index=False,
    )
    batch = models.ForeignKey(
        "PushBatch", on_delete=models.DO_NOTHING, null=True, blank=True, related_name="audit_events",
        db_constraint=False, db_index=False,
    )
    object_repr = models.CharField("object", max_length=300, blank=True)
    message = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "audit entry"
        verbose_name_plural = "audit history"
        indexes = [
            models.Index(fields=["action", "-created_at"], name="audit_action_created_idx"),
            models.Index(fields=["item", "-created_at"], name="audit_item_created_idx"),
            models.Index(fields=["actor", "-created_at"], name="audit_actor_created_idx"),
            models.Index(fields=["collection", "-created_at"], name="audit_collection_created_idx"),
            models.Index(fields=["batch", "-created_at"], name="audit_batch_created_idx"),
            models.Index(fields=["locale", "-created_at"], name="audit_locale_created_idx"),
        ]

    def __str__(self):
        # The entry's page title and header: what happened, to what (the time and who are the page's first rows).
        label = AUDIT_ACTIONS.get(self.action, self.action)
        return f"{label}: {self.object_repr}" if self.object_repr else label


class PushBatch(models.Model):
    """Approved items of one collection pushed to Webflow together, in one mode, to a set of locales."""

    class Mode(models.TextChoices):
        STAGE = "stage", "Stage (bulk create as staged items)"
        LIVE = "live", "Live (published immediately)"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        PARTLY_FAILED = "partly_failed", "Partly failed"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    ACTIVE_STATUSES = (Status.PENDING, Status.QUEUED, Status.RUNNING)
    FINISHED_STATUSES = (Status.SUCCEEDED, Status.PARTLY_FAILED, Status.FAILED, Status.CANCELLED)

    collection = models.ForeignKey(Collection, on_delete=models.PROTECT, related_name="batches")
    mode = models.CharField(max_length=8, choices=Mode.choices, default=Mode.STAGE)
    locales = models.ManyToManyField(
        LocaleMapping, related_name="batches", blank=True,
        help_text="Target locales; empty means every enabled locale of the site at queue time.",
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    scheduled_for = models.DateTimeField(
        null=True, blank=True, help_text="Leave empty to push as soon as the batch is queued."
    )
    queued_at = models.DateTimeField(null=True, blank=True)
    # The worker acts on behalf of this publisher: audit entries of the push name them.
    queued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The worker that holds the batch and when it last proved it is alive; a stale heartbeat lets another run resume.
    claimed_by = models.CharField(max_length=100, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    cancel_requested = models.BooleanField(default=False)
    last_error = models.TextField(blank=True)
    retry_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="retries",
        help_text="The batch whose failed items this batch pushes again.",
    )
    estimate = models.JSONField(default=dict, blank=True, help_text="Pre-flight estimate: requests and minutes.")
    # Counted before each request leaves (with the heartbeat, durably), so a worker killed meanwhile leaves it
    # counted; requests_audited grows as their history entries are written. A resumed run audits the difference.
    requests_sent = models.PositiveIntegerField(default=0)
    requests_audited = models.PositiveIntegerField(default=0)
    schedule_id = models.PositiveIntegerField(null=True, blank=True, help_text="django-q2 schedule for the run.")

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "push batch"
        verbose_name_plural = "push batches"
        permissions = [
            ("queue_pushbatch", "Can queue push batches"),
            ("cancel_pushbatch", "Can cancel push batches"),
            ("retry_pushbatch", "Can retry failed items of push batches"),
        ]

    def __str__(self):
        return f"Batch #{self.pk} {self.collection} ({self.get_mode_display().split(' (')[0].lower()})"


class PushChunk(models.Model):
    """A create request durably marked in flight before sending, so an unknown outcome is reconciled, not re-sent."""

    class Status(models.TextChoices):
        IN_FLIGHT = "in_flight", "In flight"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        RECONCILED = "reconciled", "Reconciled after an unknown outcome"

    batch = models.ForeignKey(PushBatch, on_delete=models.CASCADE, related_name="chunks")
    endpoint = models.CharField(max_length=32)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.IN_FLIGHT)
    size = models.PositiveIntegerField(default=0)
    attempts = models.PositiveIntegerField(default=0)
    detail = models.TextField(blank=True)
    # The newest WebflowItemRef row when the chunk was marked in flight: every ref up to it was written from a
    # Webflow answer that came before this request left, so its item is older than anything the request made
    # (the floor of a reconcile's window, window.webflow_floor).
    known_ref_id = models.PositiveBigIntegerField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return f"{self.endpoint} chunk #{self.pk} ({self.size} items, {self.status})"


class BatchItem(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        IN_FLIGHT = "in_flight", "In flight"
        SENT = "sent", "Sent"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    # Indexed by the (batch, item) constraint and the (batch, status) index, which serve "by batch" too.
    batch = models.ForeignKey(PushBatch, on_delete=models.CASCADE, related_name="entries", db_index=False)
    item = models.ForeignKey(DraftItem, on_delete=models.PROTECT, related_name="batch_entries")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    reason = models.TextField(blank=True)
    field = models.CharField("failing field", max_length=100, blank=True)
    approved_fingerprint = models.CharField(max_length=64, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    # Set once a create containing this item had an unknown outcome: a later duplicate slug is then our own orphan.
    outcome_unknown = models.BooleanField(default=False)
    # Re-sent after a create that got no answer and left at this time: Webflow may still apply that one and make a
    # copy; the end of the run looks for it (push/copies.py) and clears this.
    late_copy_check_from = models.DateTimeField(null=True, blank=True)
    # The item already had Webflow IDs when the run began: its PATCH carries the full text, not just translations.
    update_existing = models.BooleanField(default=False)
    chunk = models.ForeignKey(PushChunk, on_delete=models.SET_NULL, null=True, blank=True, related_name="entries")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = "batch item"
        constraints = [models.UniqueConstraint(fields=["batch", "item"], name="uniq_batchitem_batch_item")]
        indexes = [models.Index(fields=["batch", "status"], name="batchitem_batch_status_idx")]

    def __str__(self):
        return f"{self.item} in batch #{self.batch_id}"


class WebflowItemRef(models.Model):
    """What Webflow returned for one item in one locale: its IDs and timestamps, stored right after each response."""

    # Indexed by the (item, locale) constraint, which serves "by item" too.
    item = models.ForeignKey(DraftItem, on_delete=models.CASCADE, related_name="webflow_refs", db_index=False)
    locale = models.ForeignKey(LocaleMapping, on_delete=models.PROTECT, related_name="+")
    webflow_item_id = models.CharField("Webflow item ID", max_length=64, db_index=True)
    cms_locale_id = models.CharField("cmsLocaleId", max_length=64)
    slug = models.CharField("slug in Webflow", max_length=SLUG_MAX_LENGTH, blank=True)
    created_on = models.DateTimeField(null=True, blank=True)
    last_updated = models.DateTimeField(null=True, blank=True)
    last_published = models.DateTimeField(null=True, blank=True)
    is_published = models.BooleanField(default=False)
    is_draft = models.BooleanField(default=False)
    # Work still owed by the running batch: per-locale text (PATCH) and, for live batches, the publish call.
    needs_patch = models.BooleanField(default=False)
    needs_publish = models.BooleanField(default=False)
    # What a pushed removal did to this variant ("unpublished", "archived"); a deleted variant's ref is removed.
    removal = models.CharField("removal in Webflow", max_length=16, blank=True)
    last_batch = models.ForeignKey(PushBatch, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["item", "locale__tag"]
        verbose_name = "Webflow ID"
        constraints = [models.UniqueConstraint(fields=["item", "locale"], name="uniq_webflowref_item_locale")]
        # The run reads what a batch still owes once per request (selectors.owed_refs): only those rows are
        # indexed, in the order it reads them, so the read costs the same at the 100th item and the 100,000th.
        indexes = [
            models.Index(fields=["last_batch", "item", "locale"], condition=models.Q(needs_patch=True),
                         name="webflowref_owes_patch_idx"),
            models.Index(fields=["last_batch", "item", "locale"], condition=models.Q(needs_publish=True),
                         name="webflowref_owes_publish_idx"),
        ]

    def __str__(self):
        return f"{self.webflow_item_id} [{self.locale.tag}]"


class WebflowRateLimitState(models.Model):
    """The shared request budget of one Webflow token, so every worker on every machine paces together.

    `key` is an HMAC under SECRET_KEY of the API base URL and token (never the token, nor a plain hash of it).
    `hits` holds the epoch seconds of the requests answered in the current window, `pending` the
    [reservation, expiry] of requests still in flight; rows are updated under a row lock by
    stagingapp.webflow.ratelimit.
    """

    key = models.CharField(max_length=64, unique=True)
    hits = models.JSONField(default=list, blank=True)
    pending = models.JSONField(default=list, blank=True)
    server_limit = models.PositiveIntegerField(null=True, blank=True)
    blocked_until = models.FloatField(default=0.0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "Webflow rate-limit state"

    def __str__(self):
        return f"{self.key[:12]}… ({len(self.hits or [])} recent requests)"


class ImportJob(models.Model):
    """One uploaded import file, bound to the user and session that uploaded it, from check to result.

    The file sits in settings.IMPORT_UPLOAD_DIR under `stored_name`, a name the server made up; the browser only
    ever holds `token`, which is looked up together with the user and session, never used as a path.
    """

    class Status(models.TextChoices):
        CHECKED = "checked", "checked"
        QUEUED = "queued", "queued"
        RUNNING = "running", "importing"
        DONE = "done", "imported"
        FAILED = "failed", "failed"

    token = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    session_key = models.CharField(max_length=40)
    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="+")
    original_name = models.CharField(max_length=255)
    stored_name = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.CHECKED)
    rows = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    result = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "import"

    def __str__(self):
        return f"Import of {self.original_name} ({self.get_status_display()})"


from .models_sync import DriftFinding, DriftRun, PullConflict, WebflowSnapshot  # noqa: E402,F401  (registration)
