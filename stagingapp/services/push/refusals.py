"""A 400 for a whole request: find the items Webflow named, fail (or adopt) those, send the rest again."""
import re

from ...models import BatchItem, WebflowItemRef
from ...webflow.errors import WebflowValidationError
from .outcomes import fail_entries, fail_refs, finish_entries
from .reconcile import adopt_or_fail_duplicate

_DUPLICATE_SLUG = re.compile(r"unique|already|duplicate", re.I)
_INDEX_IN_TEXT = re.compile(r"(?:fieldData|items)\s*(?:\[|\.)\s*(\d+)", re.I)
_QUOTED = re.compile(r"'([^']+)'|\"([^\"]+)\"")


def isolate_invalid(run, entries: list[BatchItem], exc: WebflowValidationError) -> list[list[BatchItem]]:
    """Fail (or adopt) the items Webflow named; return the groups still to send (halves when it named none)."""
    by_slug = {e.item.slug: e for e in entries}
    bad: dict[int, tuple[BatchItem, str, str]] = {}
    duplicates: list[BatchItem] = []
    for error in exc.field_errors or []:
        text = f"{error.field or ''} {error.message}"
        entry = None
        index = _INDEX_IN_TEXT.search(text)
        if index and int(index.group(1)) < len(entries):
            entry = entries[int(index.group(1))]
        if entry is None:
            for match in _QUOTED.finditer(error.message):
                value = match.group(1) or match.group(2)
                if value in by_slug:
                    entry = by_slug[value]
                    break
        if entry is None:
            continue
        field = (error.field or "").split(".")[-1].split("]")[-1] or ""
        if field.startswith("fieldData"):
            field = ""
        if field == "slug" and _DUPLICATE_SLUG.search(error.message):
            duplicates.append(entry)
        else:
            bad[entry.pk] = (entry, error.message, field)
    if not bad and not duplicates:
        if len(entries) == 1:
            field = next((e.field for e in exc.field_errors or [] if e.field), "") or ""
            if field == "slug" and _DUPLICATE_SLUG.search(str(exc)):
                duplicates.append(entries[0])
            else:
                fail_entries(run, entries, f"Webflow refused the item: {exc}", field=field)
                return []
        else:
            middle = len(entries) // 2
            return [entries[:middle], entries[middle:]]
    if bad:
        finish_entries(run, [(e, False, f"Webflow refused the item: {msg}", field) for e, msg, field in bad.values()])
    for entry in duplicates:
        adopt_or_fail_duplicate(run, entry)
    handled = set(bad) | {e.pk for e in duplicates}
    rest = [e for e in entries if e.pk not in handled]
    return [rest] if rest else []


def split_or_fail(run, refs: list[WebflowItemRef], reason: str, exc=None) -> list[list[WebflowItemRef]]:
    """Isolate refused PATCH entries: by the index Webflow names, else by halves; single entries fail."""
    if exc is not None and len(refs) > 1:
        named = set()
        for error in exc.field_errors or []:
            match = _INDEX_IN_TEXT.search(f"{error.field or ''} {error.message}")
            if match and int(match.group(1)) < len(refs):
                named.add(int(match.group(1)))
        if named:
            fail_refs(run, [refs[i] for i in sorted(named)], reason)
            rest = [ref for i, ref in enumerate(refs) if i not in named]
            return [rest] if rest else []
    if len(refs) > 1:
        middle = len(refs) // 2
        return [refs[:middle], refs[middle:]]
    field = ""
    if exc is not None:
        field = next((e.field for e in exc.field_errors or [] if e.field), "") or ""
    fail_refs(run, refs, f"{reason} (locale {refs[0].locale.tag})", field=field.split(".")[-1])
    return []
