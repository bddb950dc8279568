"""The admin is the product's UI. Every ModelAdmin is registered here, explicitly, and only calls services."""
from django.contrib import admin

from ..models import (
    AuditEvent,
    Collection,
    DraftItem,
    DraftTranslation,
    DriftFinding,
    DriftRun,
    LocaleMapping,
    PullConflict,
    PushBatch,
    Site,
)
from .audit import AuditEventAdmin
from .batches import PushBatchAdmin
from .drift import DriftFindingAdmin, DriftRunAdmin
from .items import DraftItemAdmin, DraftTranslationAdmin
from .sites import CollectionAdmin, LocaleMappingAdmin, SiteAdmin
from .sync import PullConflictAdmin
from .themed import register_themed_admins
from .unfold_headers import headers_once_per_changelist

headers_once_per_changelist()

admin.site.site_header = "Webflow content staging"
admin.site.site_title = "Content staging"
admin.site.index_title = "Drafts, reviews and pushes"

admin.site.register(Site, SiteAdmin)
admin.site.register(Collection, CollectionAdmin)
admin.site.register(LocaleMapping, LocaleMappingAdmin)
admin.site.register(DraftItem, DraftItemAdmin)
admin.site.register(DraftTranslation, DraftTranslationAdmin)
admin.site.register(PushBatch, PushBatchAdmin)
admin.site.register(AuditEvent, AuditEventAdmin)
admin.site.register(PullConflict, PullConflictAdmin)
admin.site.register(DriftRun, DriftRunAdmin)
admin.site.register(DriftFinding, DriftFindingAdmin)
register_themed_admins()
