"""Small builders for test data; each returns saved objects with sensible defaults."""
import itertools

from django.contrib.auth.models import Group, User

from stagingapp.models import Collection, DraftItem, DraftTranslation, LocaleMapping, Site

_seq = itertools.count(1)

# A schema shaped like GET /v2/collections/{id} returns it.
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


def hex_id(n: int | None = None) -> str:
    return f"{n if n is not None else next(_seq):024x}"


def make_user(username: str, *groups: str, superuser: bool = False, password: str = "pw") -> User:
    user = User.objects.create_user(
        username=username, password=password, email=f"{username}@example.com",
        is_staff=True, is_superuser=superuser,
    )
    for name in groups:
        user.groups.add(Group.objects.get(name=name))
    return user


def make_site(**kwargs) -> Site:
    kwargs.setdefault("webflow_id", hex_id())
    kwargs.setdefault("name", "Demo site")
    return Site.objects.create(**kwargs)


def make_locales(site: Site, tags=("en-US", "fr-FR", "de-DE")) -> list[LocaleMapping]:
    return [
        LocaleMapping.objects.create(
            site=site, tag=tag, display_name=tag, cms_locale_id=hex_id(), is_primary=(i == 0)
        )
        for i, tag in enumerate(tags)
    ]


def make_collection(site: Site | None = None, **kwargs) -> Collection:
    kwargs.setdefault("webflow_id", hex_id())
    kwargs.setdefault("name", "Blog posts")
    kwargs.setdefault("fields_schema", BLOG_FIELDS)
    return Collection.objects.create(site=site or make_site(), **kwargs)


def make_item(collection: Collection, n: int | None = None, **kwargs) -> DraftItem:
    n = n if n is not None else next(_seq)
    kwargs.setdefault("name", f"Post {n}")
    kwargs.setdefault("slug", f"post-{n}")
    kwargs.setdefault("field_data", {"summary": f"Summary {n}"})
    return DraftItem.objects.create(collection=collection, **kwargs)


def make_translation(item: DraftItem, locale: LocaleMapping, **kwargs) -> DraftTranslation:
    kwargs.setdefault("name", f"{item.name} [{locale.tag}]")
    return DraftTranslation.objects.create(item=item, locale=locale, **kwargs)
