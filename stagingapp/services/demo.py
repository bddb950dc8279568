"""Demo content: a site, a collection, three locales, a few dozen drafts in mixed states, and one user per role."""
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils import timezone

from .. import demo
from ..exceptions import StagingError
from ..models import Collection, DraftItem, DraftTranslation, LocaleMapping, Site
from .workflow import items_approve, items_reject, items_submit

# Demo only: printed by `make demo`; seed_demo refuses to run outside DEBUG.
DEMO_USERS = [
    ("editor", "editor-demo", "Editors", False),
    ("editor2", "editor2-demo", "Editors", False),
    ("approver", "approver-demo", "Approvers", False),
    ("publisher", "publisher-demo", "Publishers", False),
    ("admin", "admin-demo", None, True),
]

VARIANTS = ["{title}", "Follow-up: {title}", "Q&A: {title}"]


@dataclass
class DemoSeedResult:
    users: list[tuple[str, str, str]]
    items_created: int
    items_total: int


class DemoRefused(StagingError):
    pass


def demo_seed() -> DemoSeedResult:
    """Create (or refresh) the demo site, users and content. Idempotent: items are only created once.

    Raises DemoRefused when DEBUG is off, so demo passwords never reach a production database.
    """
    if not settings.DEBUG:
        raise DemoRefused("seed_demo only runs with DEBUG=True: it creates users with published passwords.")
    with transaction.atomic():
        users = _seed_users()
        collection, locales = _seed_site()
        created = 0 if collection.items.exists() else _seed_items(collection, locales, users)
    return DemoSeedResult(
        users=[(name, password, group or "superuser") for name, password, group, _ in DEMO_USERS],
        items_created=created,
        items_total=collection.items.count(),
    )


def _seed_users() -> dict[str, User]:
    users = {}
    for username, password, group, is_superuser in DEMO_USERS:
        user, _ = User.objects.get_or_create(username=username, defaults={"email": f"{username}@demo.invalid"})
        user.is_staff, user.is_superuser = True, is_superuser
        user.set_password(password)
        user.save()
        if group:
            user.groups.add(Group.objects.get(name=group))
        users[username] = user
    return users


def _seed_site() -> tuple[Collection, dict[str, LocaleMapping]]:
    site, _ = _upsert(Site, {"webflow_id": demo.DEMO_SITE_ID}, name=demo.DEMO_SITE_NAME)
    locales = {}
    for tag, display_name, cms_locale_id, _site_locale_id, is_primary in demo.DEMO_LOCALES:
        locales[tag], _ = _upsert(LocaleMapping, {"site": site, "tag": tag}, display_name=display_name,
                                  cms_locale_id=cms_locale_id, is_primary=is_primary)
    # The demo's fields are what a schema sync would store: "last synced" moves only when they do.
    synced = Collection.objects.filter(webflow_id=demo.DEMO_COLLECTION_ID,
                                       fields_schema=demo.DEMO_FIELDS).exists()
    collection, _ = _upsert(Collection, {"webflow_id": demo.DEMO_COLLECTION_ID}, site=site,
                            name=demo.DEMO_COLLECTION_NAME, slug=demo.DEMO_COLLECTION_SLUG,
                            fields_schema=demo.DEMO_FIELDS, **({} if synced else {"schema_synced_at": timezone.now()}))
    return collection, locales


def _upsert(model, lookup: dict, **values):
    """update_or_create, but saved only when a value differs: each `make demo` used to add a version with no change
    to the site, every locale and the collection."""
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        return model.objects.create(**lookup, **values), True
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    for name in changed:
        setattr(obj, name, values[name])
    if changed:
        obj.save(update_fields=[*changed, "updated_at"])
    return obj, False


def _seed_items(collection: Collection, locales: dict[str, LocaleMapping], users: dict[str, User]) -> int:
    from ..validators import suggest_slug

    editor, editor2, approver = users["editor"], users["editor2"], users["approver"]
    n = 0
    originals: dict[int, DraftItem] = {}
    for v, variant in enumerate(VARIANTS):
        for t, (title, summary) in enumerate(demo.DEMO_TOPICS):
            author = editor if (t + v) % 2 == 0 else editor2
            name = variant.format(title=title)
            field_data = {
                "summary": summary,
                "body": f"<p>{summary}</p><p>Written for the demo of the staging app.</p>",
                "reading-minutes": 3 + (t + v) % 9,
                "featured": t % 5 == 0,
                "category": demo.CATEGORY_OPTIONS[t % len(demo.CATEGORY_OPTIONS)]["id"],
            }
            if v:
                # A follow-up or Q&A links one of the two originals the demo approves (topics 3 and 9), so the
                # first batch holds drafts that name each other: the push creates the original first and fills
                # its Webflow ID into the links.
                field_data["related-post"] = f"draft:{originals[3 if t < 6 else 9].pk}"
            item = DraftItem.objects.create(collection=collection, name=name, slug=suggest_slug(name),
                                            field_data=field_data, created_by=author, last_edited_by=author)
            originals.setdefault(t, item)
            state = (t + 2 * v) % 6
            if state != 5:  # a few items have no translations yet
                fr_title, de_title = demo.DEMO_TRANSLATED_TITLES[t]
                prefix = ["", "Suite : ", "Questions : "][v], ["", "Fortsetzung: ", "Fragen: "][v]
                for tag, translated, summary_text in (
                    ("fr-FR", prefix[0] + fr_title, demo.DEMO_TRANSLATED_SUMMARY[0]),
                    ("de-DE", prefix[1] + de_title, demo.DEMO_TRANSLATED_SUMMARY[1]),
                ):
                    DraftTranslation.objects.create(
                        item=item, locale=locales[tag], name=translated, slug=suggest_slug(translated),
                        field_data={"summary": summary_text}, last_edited_by=author,
                    )
            _advance(item, state, author, approver)
            n += 1
    return n


def _advance(item: DraftItem, state: int, author: User, approver: User) -> None:
    # Through the real review services, so approvals carry the reviewed fingerprint like any other.
    if state in (0, 1, 5):
        return
    items_submit(item_ids=[item.pk], actor=author)
    if state == 3:
        items_approve(item_ids=[item.pk], actor=approver, comment="Looks good.")
    elif state == 4:
        comment = "Please shorten the summary and check the German title."
        items_reject(item_ids=[item.pk], actor=approver, comment=comment)
