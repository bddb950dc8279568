"""A 400 for a whole request: find the items Webflow named, fail (or adopt) those, send the rest again."""
from ...models import BatchItem, WebflowItemRef
from ...webflow.errors import WebflowValidationError, first_field, items_named, says_slug_taken
from .outcomes import fail_entries, fail_refs, finish_entries
from .reconcile import adopt_late_originals, adopt_or_fail_duplicate


def isolate_invalid(run, entries: list[BatchItem], exc: WebflowValidationError) -> list[list[BatchItem]]:
    """Fail (or adopt) the items Webflow named; return the groups still to send (halves when it named none)."""
    named = items_named(exc, len(entries), [e.item.slug for e in entries])
    bad = [(entries[n.index], n) for n in named.values() if not n.duplicate_slug]
    duplicates = [entries[n.index] for n in named.values() if n.duplicate_slug]
    if not named:
        if len(entries) > 1:
            middle = len(entries) // 2
            return [entries[:middle], entries[middle:]]
        if not says_slug_taken(exc):
            fail_entries(run, entries, f"Webflow refused the item: {exc}", field=first_field(exc))
            return []
        duplicates = entries
    if bad:
        finish_entries(run, [(entry, False, f"Webflow refused the item: {n.message}", n.field) for entry, n in bad])
    adopted = [adopt_or_fail_duplicate(run, entry) for entry in duplicates]
    handled = {e.pk for e, _ in bad} | {e.pk for e in duplicates}
    rest = [e for e in entries if e.pk not in handled]
    if rest and any(adopted):
        rest = adopt_late_originals(run, rest)  # the create that made the adopted item made the others too
    return [rest] if rest else []


def split_or_fail(run, refs: list[WebflowItemRef], reason: str, exc=None) -> list[list[WebflowItemRef]]:
    """Isolate refused PATCH entries: by the index Webflow names, else by halves; single entries fail."""
    if exc is not None and len(refs) > 1:
        named = items_named(exc, len(refs))
        if named:
            fail_refs(run, [refs[i] for i in sorted(named)], reason)
            rest = [ref for i, ref in enumerate(refs) if i not in named]
            return [rest] if rest else []
    if len(refs) > 1:
        middle = len(refs) // 2
        return [refs[:middle], refs[middle:]]
    field = first_field(exc) if exc is not None else ""
    fail_refs(run, refs, f"{reason} (locale {refs[0].locale.tag})", field=field.split(".")[-1])
    return []
