"""Shared fixtures: a site with three locales, a synced blog collection, and one user per role."""
import pytest

from tests import factories


@pytest.fixture
def site(db):
    return factories.make_site()


@pytest.fixture
def locales(site):
    return factories.make_locales(site)


@pytest.fixture
def collection(site, locales):
    return factories.make_collection(site)


@pytest.fixture
def editor(db):
    return factories.make_user("editor", "Editors")


@pytest.fixture
def approver(db):
    return factories.make_user("approver", "Approvers")


@pytest.fixture
def publisher(db):
    return factories.make_user("publisher", "Publishers")


@pytest.fixture
def superuser(db):
    return factories.make_user("root", superuser=True)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Real hashers take ~0.3 s per user on purpose; tests create many users and need no such protection.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
