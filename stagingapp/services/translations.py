"""The rules every write path applies to a translation: its locale must be one the push uses, and its item must not
be locked (in review or in a batch). The admin forms, the import and the model signals all ask here."""
from ..exceptions import ItemLocked, TranslationRefused
from .workflow import item_edit_lock_reason


def translation_locale_problem(*, item, locale) -> str | None:
    """Why `item` may not have a translation in `locale` (a sentence), or None when it may."""
    if item.collection_id and locale.site_id != item.collection.site_id:
        return (f"{locale.tag} is a locale of the site '{locale.site}', not of '{item.collection.site}', "
                "which this item belongs to")
    if locale.is_primary:
        return (f"{locale.tag} is the site's primary locale; its text is the item's own name, slug and fields, "
                "so a translation would never be pushed")
    if not locale.is_enabled:
        return (f"{locale.tag} is disabled for pushes, so this translation would never reach Webflow; enable the "
                "locale (Locale mappings) first")
    return None


def translation_ensure_allowed(*, item, locale) -> None:
    """Raises ItemLocked while the item is in review or in a batch, TranslationRefused for a locale it may not use."""
    if item.pk:
        reason = item_edit_lock_reason(item)
        if reason:
            raise ItemLocked(item=item, reason=reason)
    problem = translation_locale_problem(item=item, locale=locale)
    if problem:
        raise TranslationRefused(item=item, locale=locale, reason=problem)
