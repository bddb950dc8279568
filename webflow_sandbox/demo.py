"""Seeding the sandbox with the demo's Webflow site and blog collection (the data lives in stagingapp/demo.py)."""
from __future__ import annotations

from stagingapp import demo

DEMO_SITE_ID = demo.DEMO_SITE_ID
DEMO_COLLECTION_ID = demo.DEMO_COLLECTION_ID
DEMO_FIELDS = demo.DEMO_FIELDS
# The site's locales in the sandbox's add_site() form.
DEMO_LOCALES = [
    {"tag": tag, "displayName": display_name, "cmsLocaleId": cms_locale_id, "id": site_locale_id,
     "primary": is_primary, "subdirectory": "" if is_primary else tag.lower()}
    for tag, display_name, cms_locale_id, site_locale_id, is_primary in demo.DEMO_LOCALES
]


def seed_demo(sandbox) -> None:
    """Give `sandbox` the demo site (three locales) and blog collection, unless its state file already has them.

    A collection kept from an older demo gains the fields added to the demo since, as a designer would add them
    in Webflow, so that what the app's demo data sends is described by Webflow's schema."""
    if DEMO_SITE_ID not in sandbox.state.sites:
        sandbox.add_site(DEMO_SITE_ID, locales=DEMO_LOCALES, name=demo.DEMO_SITE_NAME)
    if DEMO_COLLECTION_ID not in sandbox.state.collections:
        sandbox.add_collection(DEMO_SITE_ID, DEMO_COLLECTION_ID, fields=DEMO_FIELDS, name=demo.DEMO_COLLECTION_NAME,
                               slug=demo.DEMO_COLLECTION_SLUG)
        return
    with sandbox.state.lock:
        fields = sandbox.state.collections[DEMO_COLLECTION_ID]["fields"]
        known = {field["slug"] for field in fields}
        added = [dict(field) for field in DEMO_FIELDS if field["slug"] not in known]
        if added:
            fields.extend(added)
            sandbox.state.save()
