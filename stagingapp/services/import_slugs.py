"""Slug clashes for a whole import file from a few queries: selectors.item_slug_clashes and
translation_slug_clash answered in memory for every row, instead of two queries per row and translation."""
from collections import defaultdict

from ..models import DraftItem, DraftTranslation
from ..selectors import SlugClash


class ImportSlugIndex:
    """The collection's items and translations that use any slug the file names, as they were when it was read.

    Rows of the same file are checked against each other by the import itself (row numbers), not here.
    """

    def __init__(self, *, collection, slugs: set[str], item_ids=()):
        slugs = {slug for slug in slugs if slug}
        self._translations = defaultdict(list)
        for translation in (DraftTranslation.objects.select_related("item__collection", "locale")
                            .filter(item__collection=collection, slug__in=slugs).order_by("pk")):
            self._translations[translation.slug].append(translation)
        self._items = defaultdict(list)
        for item in DraftItem.objects.select_related("collection").filter(collection=collection, slug__in=slugs
                                                                          ).order_by("pk"):
            self._items[item.slug].append(item)
        # Locales where these items (the rows' own and the ones using a slug) have a translated slug of their own.
        self._own_slug_locales = defaultdict(set)
        wanted = {*item_ids, *(item.pk for items in self._items.values() for item in items)}
        for item_id, locale_id in (DraftTranslation.objects.filter(item_id__in=wanted).exclude(slug="")
                                   .values_list("item_id", "locale_id")):
            self._own_slug_locales[item_id].add(locale_id)

    def own_slug_locales(self, item_pk: int | None) -> set[int]:
        """Locale ids where this existing item has a translated slug of its own (so its primary slug is not used)."""
        return set(self._own_slug_locales.get(item_pk, set())) if item_pk else set()

    def item_slug_clashes(self, *, slug: str, item_pk: int | None) -> list[SlugClash]:
        """As selectors.item_slug_clashes."""
        if not slug:
            return []
        own = self._own_slug_locales.get(item_pk, set()) if item_pk else set()
        clashes = [t for t in self._translations.get(slug, []) if t.item_id != item_pk and t.locale_id not in own]
        clashes.sort(key=lambda t: (t.locale.tag, t.pk))
        return [SlugClash(other=t.item, locale=t.locale, slug=slug, via_translation=True) for t in clashes]

    def translation_slug_clash(self, *, locale, slug: str, item_pk: int | None) -> SlugClash | None:
        """As selectors.translation_slug_clash."""
        if not slug:
            return None
        for translation in self._translations.get(slug, []):
            if translation.locale_id == locale.pk and translation.item_id != item_pk:
                return SlugClash(other=translation.item, locale=locale, slug=slug, via_translation=True)
        for item in self._items.get(slug, []):
            if item.pk != item_pk and locale.pk not in self._own_slug_locales.get(item.pk, set()):
                return SlugClash(other=item, locale=locale, slug=slug, via_translation=False)
        return None


class FileSlugs:
    """Slugs the rows of one file claim, per locale, so a row's primary slug and another row's translated slug
    for the same locale are caught at the check (Webflow would refuse the second as a duplicate slug).

    A row's primary slug is its slug in every locale where it has no translated slug of its own."""

    def __init__(self):
        self._primary: dict[str, tuple[int, set[int]]] = {}  # slug -> (row, locale ids with an own slug)
        self._translated: dict[str, dict[int, int]] = defaultdict(dict)  # slug -> {locale id: row}

    def translated_clash(self, *, row: int, locale, slug: str) -> str:
        """A message when an earlier row's primary slug is `slug` in `locale`, else ""."""
        first = self._primary.get(slug)
        if first is None or first[0] == row or locale.pk in first[1]:
            return ""
        return (f"the {locale.tag} slug '{slug}' is row {first[0]}'s slug, which that item also uses in "
                f"{locale.tag} (it has no {locale.tag} slug of its own); each item needs its own slug in every locale.")

    def primary_clash(self, *, row: int, slug: str, own_locales: set[int], locales) -> str:
        """A message when an earlier row uses `slug` as its translated slug in a locale where this row's primary
        slug applies, else ""."""
        for locale in locales:
            first = self._translated.get(slug, {}).get(locale.pk)
            if first is not None and first != row and locale.pk not in own_locales:
                return (f"slug '{slug}' is also row {first}'s {locale.tag} slug, and this item has no {locale.tag} "
                        "slug of its own; each item needs its own slug in every locale.")
        return ""

    def add(self, *, row: int, slug: str, own_locales: set[int], translated: dict[int, str]) -> None:
        if slug:
            self._primary.setdefault(slug, (row, own_locales))
        for locale_id, translated_slug in translated.items():
            self._translated[translated_slug].setdefault(locale_id, row)
