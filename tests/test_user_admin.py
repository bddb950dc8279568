"""An administrator gives people their roles on the user page: one tick per role group, saying what it allows, and
the user list shows each user's roles."""
import re

from django.contrib.auth.models import Group
from django.urls import reverse

from tests import factories


def test_roles_are_ticks_that_say_what_each_role_does_and_saving_one_gives_it(client, superuser):
    person = factories.make_user("newcomer", "Editors")
    client.force_login(superuser)
    url = reverse("admin:auth_user_change", args=[person.pk])

    page = client.get(url).content.decode()

    assert 'type="checkbox" name="groups"' in page and '<select name="groups"' not in page
    assert "Approvers: approve or reject what others submitted (never their own edits)" in page
    form = client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name != "groups"}
    data.update({"username": "newcomer", "date_joined_0": "2026-12-07", "date_joined_1": "10:00:00",
                 "last_login_0": "", "last_login_1": "", "is_active": "on", "is_staff": "on",
                 "groups": [Group.objects.get(name="Approvers").pk], "user_permissions": []})
    data.pop("password", None)
    assert client.post(url, data).status_code == 302
    assert list(person.groups.values_list("name", flat=True)) == ["Approvers"]


def test_the_user_list_shows_each_users_roles(client, superuser):
    factories.make_user("both", "Editors")
    Group.objects.get(name="Publishers").user_set.add(factories.make_user("solo"))
    client.force_login(superuser)

    page = re.sub(r"\s+", " ", client.get(reverse("admin:auth_user_changelist")).content.decode())

    assert re.search(r">both<.*?>Editors<", page) and re.search(r">solo<.*?>Publishers<", page)
