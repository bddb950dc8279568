"""The demo's Webflow site, collection schema and content: shared by seed_demo and the local sandbox."""

DEMO_TOKEN = "demo-sandbox-token"  # only ever accepted by the local sandbox
DEMO_SITE_ID = "64a1f0c2e4b0d1a2b3c4d5e6"
DEMO_SITE_NAME = "Acme Journal (demo)"
DEMO_COLLECTION_ID = "64a1f0c2e4b0d1a2b3c4d5f0"
DEMO_COLLECTION_NAME = "Blog posts"
DEMO_COLLECTION_SLUG = "blog-posts"
DEMO_LOCALES = [
    # (tag, display name, cmsLocaleId, site-locale id, primary)
    ("en-US", "English (United States)", "64a1f0c2e4b0d1a2b3c4d601", "64a1f0c2e4b0d1a2b3c4d701", True),
    ("fr-FR", "French (France)", "64a1f0c2e4b0d1a2b3c4d602", "64a1f0c2e4b0d1a2b3c4d702", False),
    ("de-DE", "German (Germany)", "64a1f0c2e4b0d1a2b3c4d603", "64a1f0c2e4b0d1a2b3c4d703", False),
]

CATEGORY_OPTIONS = [
    {"name": "News", "id": "64a1f0c2e4b0d1a2b3c4d801"},
    {"name": "Guides", "id": "64a1f0c2e4b0d1a2b3c4d802"},
    {"name": "Case studies", "id": "64a1f0c2e4b0d1a2b3c4d803"},
]


def _field(n, slug, name, type_, required=False, validations=None, help_text=""):
    return {
        "id": f"64a1f0c2e4b0d1a2b3c4d9{n:02x}", "slug": slug, "displayName": name, "type": type_,
        "isRequired": required, "isEditable": True, "helpText": help_text, "validations": validations,
    }


# Shaped exactly like the `fields` of GET /v2/collections/{id}.
DEMO_FIELDS = [
    _field(1, "name", "Name", "PlainText", True, {"maxLength": 256}),
    _field(2, "slug", "Slug", "PlainText", True, {"maxLength": 256}),
    _field(3, "summary", "Summary", "PlainText", True, {"maxLength": 500}, "One or two sentences for cards."),
    _field(4, "body", "Body", "RichText", False, None),
    _field(5, "reading-minutes", "Reading minutes", "Number", False,
           {"format": "integer", "allowNegative": False, "allowZero": False, "minValue": 1, "maxValue": 120}),
    _field(6, "featured", "Featured", "Switch"),
    _field(7, "category", "Category", "Option", False, {"options": CATEGORY_OPTIONS}),
    _field(8, "published-on", "Published on", "DateTime"),
    _field(9, "cover-image", "Cover image", "Image"),
    _field(10, "source-url", "Source link", "Link"),
    # Follow-ups and Q&As name their original post, so the demo shows drafts linked before either is in Webflow.
    _field(11, "related-post", "Related post", "Reference", False, {"collectionId": DEMO_COLLECTION_ID},
           "The post readers should see next."),
]

DEMO_TOPICS = [
    ("Shipping localized content without spreadsheets", "How our editors stage translations before they go live."),
    ("A field guide to Webflow CMS rate limits", "Sixty requests a minute goes further than you think."),
    ("Why every push needs a dry run", "Previews catch the mistakes reviews miss."),
    ("Four eyes on every change", "Approvals that are tied to the exact content reviewed."),
    ("Bulk endpoints, explained", "One request, a hundred locale variants."),
    ("What an audit trail is for", "Answering who changed what, and when, in seconds."),
    ("Designing slugs that last", "Links break when slugs change; plan them once."),
    ("Release notes: spring edition", "Everything new for content teams this season."),
    ("Case study: a newsroom in three languages", "How a small team publishes daily in EN, FR and DE."),
    ("Migrating a blog to Webflow", "Import, review, push: a weekend project."),
    ("Scheduling pushes for launch day", "Queue tonight, go live at nine."),
    ("Handling duplicate items safely", "Reconcile first, create second."),
]

# (French, German) titles for the topics above, in the same order.
DEMO_TRANSLATED_TITLES = [
    ("Publier du contenu localisé sans tableurs", "Lokalisierte Inhalte ohne Tabellen veröffentlichen"),
    ("Guide des limites de débit du CMS Webflow", "Ein Leitfaden zu den Ratenlimits des Webflow-CMS"),
    ("Pourquoi chaque envoi mérite un essai à blanc", "Warum jeder Push einen Probelauf braucht"),
    ("Quatre yeux sur chaque modification", "Vier Augen auf jeder Änderung"),
    ("Les endpoints groupés, expliqués", "Bulk-Endpunkte erklärt"),
    ("À quoi sert un journal d'audit", "Wofür ein Audit-Protokoll gut ist"),
    ("Concevoir des slugs durables", "Slugs entwerfen, die bleiben"),
    ("Notes de version : édition de printemps", "Versionshinweise: Frühjahrsausgabe"),
    ("Étude de cas : une rédaction en trois langues", "Fallstudie: eine Redaktion in drei Sprachen"),
    ("Migrer un blog vers Webflow", "Einen Blog zu Webflow migrieren"),
    ("Planifier les envois pour le jour J", "Pushes für den Starttag planen"),
    ("Gérer les doublons en toute sécurité", "Duplikate sicher behandeln"),
]
DEMO_TRANSLATED_SUMMARY = ("Résumé de l'article en français.", "Zusammenfassung des Artikels auf Deutsch.")
