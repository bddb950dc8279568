"""Builders for pull and drift tests: items that already exist in the Webflow sandbox, edited "in the Designer"."""
import json

from webflow_sandbox.server import new_id, now_iso


def seed_webflow_items(sandbox, collection, locales, count, *, start=1, published=False, extra=None):
    """`count` items in every locale of the sandbox collection (as someone made them in Webflow); returns ids.

    Secondary locales get their own name and summary; `extra` adds fieldData keys to every variant.
    """
    ids = []
    with sandbox.state.lock:
        for n in range(start, start + count):
            item_id = new_id()
            for locale in locales:
                suffix = "" if locale.is_primary else f" [{locale.tag}]"
                variant = sandbox._new_variant(item_id, locale.cms_locale_id, {
                    "name": f"Post {n}{suffix}", "slug": f"post-{n}", "summary": f"Summary {n}{suffix}",
                    **(extra or {})}, is_draft=False, is_archived=False, published=published)
                sandbox.state.put_variant(collection.webflow_id, item_id, locale.cms_locale_id, variant)
                if published:
                    sandbox.state.live[collection.webflow_id].setdefault(item_id, {})[locale.cms_locale_id] = (
                        json.loads(json.dumps(variant)))
            ids.append(item_id)
    return ids


def edit_in_webflow(sandbox, collection, item_id, locale, **field_data):
    """Change one variant's fieldData as an edit in the Webflow Designer would (lastUpdated moves on)."""
    with sandbox.state.lock:
        variant = json.loads(json.dumps(sandbox.state.items[collection.webflow_id][item_id][locale.cms_locale_id]))
        variant["fieldData"].update(field_data)
        variant["lastUpdated"] = now_iso()
        sandbox.state.put_variant(collection.webflow_id, item_id, locale.cms_locale_id, variant)


def delete_in_webflow(sandbox, collection, item_id):
    with sandbox.state.lock:
        for variant in sandbox.state.items[collection.webflow_id].pop(item_id).values():
            sandbox.state.slug_owners.pop((collection.webflow_id, variant["cmsLocaleId"],
                                           variant["fieldData"]["slug"]), None)
        sandbox.state.live[collection.webflow_id].pop(item_id, None)
