"""The audit history in plain words: action labels instead of codes, one Actor, times without seconds."""
import re

from django.urls import reverse

from stagingapp.models import AuditEvent
from tests import factories


def test_the_audit_list_and_entry_show_action_labels_one_actor_and_minutes(client, superuser):
    event = AuditEvent.objects.create(action="item.push_staged", actor_label="worker", object_repr="Post 1",
                                      message="Created in Webflow")
    client.force_login(superuser)

    listing = client.get(reverse("admin:stagingapp_auditevent_changelist")).content.decode()
    entry = client.get(reverse("admin:stagingapp_auditevent_change", args=[event.pk])).content.decode()

    assert '<span title="item.push_staged">Pushed (staged)</span>' in listing
    assert ">item.push_staged<" not in listing
    assert len(re.findall(r"(?i)<label[^>]*>\s*actor\s*</label>|>\s*Actor\s*<", entry)) == 1
    visible = re.sub(r"<[^>]+>", " ", listing + entry)
    assert not re.search(r"\d{2}:\d{2}:\d{2}", visible)  # minutes are enough; no seconds or microseconds
    # The entry's title and header say what happened to what, not "2026-12-07 21:05 worker item.push_staged ...".
    assert "<title> Pushed (staged): Post 1 |" in entry and "item.push_staged Post 1" not in entry


def test_every_list_writes_times_as_day_month_year_and_a_24_hour_clock(client, publisher, collection):
    from tests.factories import make_item

    make_item(collection, name="Dated post")
    client.force_login(publisher)

    page = client.get(reverse("admin:stagingapp_draftitem_changelist")).content.decode()

    assert re.search(r">\s*\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2}\s*<", page)  # "7 Dec 2026, 14:52"
    assert "a.m." not in page and "p.m." not in page


def test_the_audit_list_counts_entries_not_history(client, superuser):
    AuditEvent.objects.bulk_create([AuditEvent(action="item.edit", actor_label="editor", object_repr=f"Post {n}")
                                    for n in range(2)])
    client.force_login(superuser)

    page = client.get(reverse("admin:stagingapp_auditevent_changelist")).content.decode()

    assert re.search(rf"\b{AuditEvent.objects.count()}\s+audit entries\b", page)  # the login is one too
    assert not re.search(r"\d\s+audit history", page)


def test_every_action_the_code_records_has_a_readable_label():
    """Action codes written anywhere in the app (literal, or item.push_<removal kind>) appear in the history and its
    filter by a label, never as a bare code such as 'item.removal_request'."""
    from pathlib import Path

    import stagingapp
    from stagingapp.audit_actions import AUDIT_ACTIONS
    from stagingapp.models import DraftItem

    source = "\n".join(path.read_text() for path in Path(stagingapp.__file__).parent.rglob("*.py"))
    written = set(re.findall(r"""action=["']([a-z_]+\.[a-z_]+)["']""", source))
    written |= {f"item.push_{kind}" for kind in DraftItem.Removal.values}

    assert written > {"item.approve", "push.request"}  # the scan finds the codes
    assert written - set(AUDIT_ACTIONS) == set()


def test_the_audit_list_names_a_locale_by_its_tag_with_the_name_on_hover(client, superuser, locales):
    locale = locales[1]
    AuditEvent.objects.create(action="translation.edit", actor_label="editor", object_repr="Post 1", locale=locale)
    client.force_login(superuser)

    listing = client.get(reverse("admin:stagingapp_auditevent_changelist")).content.decode()

    cells = re.findall(r'<td class="field-locale_tag[^"]*"[^>]*>(.*?)</td>', listing, re.S)
    assert f'<span title="{locale.display_name}">{locale.tag}</span>' in cells


def test_the_translation_list_names_a_locale_the_same_way(client, superuser, collection, locales):
    locale = locales[2]
    locale.display_name = "German (Germany)"
    locale.save()
    factories.make_translation(factories.make_item(collection, name="Post 1"), locale, name="Beitrag 1")
    client.force_login(superuser)

    listing = client.get(reverse("admin:stagingapp_drafttranslation_changelist")).content.decode()

    cells = re.findall(r'<td class="field-locale_tag[^"]*"[^>]*>(.*?)</td>', listing, re.S)
    assert cells == ['<span title="German (Germany)">de-DE</span>']
