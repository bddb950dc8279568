"""Models of Webflow as the other side: what a pull last read, pull conflicts, and drift (verify) runs.

Imported by models.py so Django registers them in the stagingapp app.
"""
from django.conf import settings
from django.db import models


class WebflowSnapshot(models.Model):
    """Webflow's copy of one item in one locale as the last pull read it: the baseline a re-pull compares with.

    `extra_field_data` holds the values the app cannot represent (unknown fields, values its schema checks refuse,
    assets that differ per locale); they are kept verbatim and sent back unchanged on every update.
    """

    item = models.ForeignKey("DraftItem", on_delete=models.CASCADE, related_name="webflow_snapshots")
    locale = models.ForeignKey("LocaleMapping", on_delete=models.PROTECT, related_name="+")
    webflow_item_id = models.CharField("Webflow item ID", max_length=64)
    field_data = models.JSONField("fieldData as read", default=dict, blank=True)
    extra_field_data = models.JSONField("kept verbatim", default=dict, blank=True)
    is_draft = models.BooleanField(default=False)
    is_archived = models.BooleanField(default=False)
    last_updated = models.DateTimeField(null=True, blank=True)
    last_published = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "Webflow snapshot"
        constraints = [models.UniqueConstraint(fields=["item", "locale"], name="uniq_webflowsnapshot_item_locale")]

    def __str__(self):
        return f"{self.webflow_item_id} [{self.locale_id}]"


class PullConflict(models.Model):
    """An item changed both here and in Webflow since the last pull: nothing is overwritten until an editor chooses."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        KEPT_OURS = "kept_ours", "Resolved: kept ours"
        TOOK_WEBFLOW = "took_webflow", "Resolved: took Webflow's"

    item = models.ForeignKey("DraftItem", on_delete=models.CASCADE, related_name="pull_conflicts")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN, db_index=True)
    # Per locale tag: {"ours": {...}, "webflow": {...}} field views, and Webflow's raw variants to apply on "take".
    versions = models.JSONField(default=dict, blank=True)
    webflow_variants = models.JSONField(default=dict, blank=True)
    detected_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-detected_at", "-pk"]
        verbose_name = "pull conflict"
        constraints = [models.UniqueConstraint(fields=["item"], condition=models.Q(status="open"),
                                               name="uniq_pullconflict_open_per_item")]

    def __str__(self):
        return f"Conflict on {self.item} ({self.get_status_display().lower()})"


class DriftRun(models.Model):
    """One comparison of Webflow (list requests only) with what was last pushed or pulled, for a collection."""

    class Trigger(models.TextChoices):
        ADMIN = "admin", "Admin action"
        COMMAND = "command", "Command"
        SCHEDULE = "schedule", "Schedule"

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    collection = models.ForeignKey("Collection", on_delete=models.CASCADE, related_name="drift_runs")
    batch = models.ForeignKey("PushBatch", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                              help_text="Set when only the items of this batch were compared.")
    trigger = models.CharField(max_length=16, choices=Trigger.choices, default=Trigger.ADMIN)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+")
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    requests = models.PositiveIntegerField("list requests", default=0)
    counts = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = "drift report"
        indexes = [models.Index(fields=["collection", "-started_at"], name="driftrun_coll_started_idx")]

    def __str__(self):
        return f"Drift report #{self.pk} {self.collection}"


class DriftFinding(models.Model):
    """One finding of a drift run for one item × locale (or one Webflow item we do not know)."""

    class Kind(models.TextChoices):
        IN_SYNC = "in_sync", "In sync"
        CHANGED = "changed", "Changed in Webflow"
        MISSING = "missing", "Missing in Webflow"
        UNKNOWN = "unknown", "Unknown to us"
        SLUG = "slug", "Slug differs"
        PUBLISHED = "published", "Published state differs"

    run = models.ForeignKey(DriftRun, on_delete=models.CASCADE, related_name="findings")
    kind = models.CharField(max_length=16, choices=Kind.choices, db_index=True)
    item = models.ForeignKey("DraftItem", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    locale = models.ForeignKey("LocaleMapping", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    webflow_item_id = models.CharField("Webflow item ID", max_length=64, blank=True)
    slug = models.CharField(max_length=256, blank=True)
    detail = models.TextField(blank=True)
    diff = models.JSONField(default=dict, blank=True, help_text="field -> {ours, webflow}")

    class Meta:
        ordering = ["run", "pk"]
        verbose_name = "drift finding"
        indexes = [models.Index(fields=["item", "kind"], name="driftfinding_item_kind_idx")]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.slug or self.webflow_item_id}"
