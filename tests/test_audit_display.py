"""The audit history in plain words: action labels instead of codes, one Actor, times without seconds."""
import re

from django.urls import reverse

from stagingapp.models import AuditEvent


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
