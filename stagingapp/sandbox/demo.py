"""The demo's Webflow site and blog collection, shared by the sandbox (--seed-demo) and seed_demo."""
from __future__ import annotations

DEMO_SITE_ID = "64a1f0c2e4b0d1a2b3c4d5e6"
DEMO_SITE_NAME = "Demo site"
DEMO_COLLECTION_ID = "64a1f0c2e4b0d1a2b3c4d5f0"
DEMO_COLLECTION_NAME = "Blog posts"
DEMO_COLLECTION_SLUG = "blog-posts"
DEMO_LOCALES = [
    {"tag": "en-US", "cmsLocaleId": "64a1f0c2e4b0d1a2b3c4d601", "id": "64a1f0c2e4b0d1a2b3c4d611", "primary": True,
     "displayName": "English (United States)"},
    {"tag": "fr-FR", "cmsLocaleId": "64a1f0c2e4b0d1a2b3c4d602", "id": "64a1f0c2e4b0d1a2b3c4d612",
     "displayName": "French (France)", "subdirectory": "fr-fr"},
    {"tag": "de-DE", "cmsLocaleId": "64a1f0c2e4b0d1a2b3c4d603", "id": "64a1f0c2e4b0d1a2b3c4d613",
     "displayName": "German (Germany)", "subdirectory": "de-de"},
]
# Shaped like GET /v2/collections/{id} returns it (field ids are 24 hex characters like Webflow's).
BLOG_FIELDS = [
    {"id": "f" + "0" * 23, "slug": "name", "displayName": "Name", "type": "PlainText", "isRequired": True,
     "isEditable": True, "validations": {"maxLength": 256}},
    {"id": "f" + "1" * 23, "slug": "slug", "displayName": "Slug", "type": "PlainText", "isRequired": True,
     "isEditable": True, "validations": {"maxLength": 256}},
    {"id": "f" + "2" * 23, "slug": "summary", "displayName": "Summary", "type": "PlainText", "isRequired": True,
     "isEditable": True, "validations": {"maxLength": 500}},
    {"id": "f" + "3" * 23, "slug": "body", "displayName": "Body", "type": "RichText", "isRequired": False,
     "isEditable": True, "validations": None},
    {"id": "f" + "4" * 23, "slug": "reading-minutes", "displayName": "Reading minutes", "type": "Number",
     "isRequired": False, "isEditable": True,
     "validations": {"format": "integer", "allowNegative": False, "allowZero": False}},
    {"id": "f" + "5" * 23, "slug": "featured", "displayName": "Featured", "type": "Switch", "isRequired": False,
     "isEditable": True, "validations": None},
    {"id": "f" + "6" * 23, "slug": "category", "displayName": "Category", "type": "Option", "isRequired": False,
     "isEditable": True, "validations": {"options": [
         {"name": "News", "id": "a" * 24}, {"name": "Guides", "id": "b" * 24}]}},
]


def seed_demo(sandbox) -> None:
    """Give `sandbox` the demo site (three locales) and blog collection, unless a state file already has them."""
    if DEMO_SITE_ID not in sandbox.state.sites:
        sandbox.add_site(DEMO_SITE_ID, locales=DEMO_LOCALES, name=DEMO_SITE_NAME)
    if DEMO_COLLECTION_ID not in sandbox.state.collections:
        sandbox.add_collection(DEMO_SITE_ID, DEMO_COLLECTION_ID, fields=BLOG_FIELDS, name=DEMO_COLLECTION_NAME,
                               slug=DEMO_COLLECTION_SLUG)
