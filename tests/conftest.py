"""Shared fixtures: a site with three locales, a synced blog collection, and one user per role."""
import pytest

from tests import factories


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The default PBKDF2 cost is deliberate in production and just slowness here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _no_heartbeat_thread(settings):
    # In-process pushes run inside the test's transaction, which a heartbeat thread's own connection cannot see;
    # the thread has its own test (test_push_recovery) and runs in every real-worker test.
    settings.WEBFLOW_PUSH_HEARTBEAT_SECONDS = 0


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


def pytest_collection_modifyitems(items):
    """Every transactional test restores the migrated data (role groups, permissions) after its flush.

    Mixing flushes with and without serialized_rollback breaks the next restore (content types come back with new
    primary keys), so the rule is applied to all transactional tests instead of being remembered per test.
    """
    for item in items:
        marker = item.get_closest_marker("django_db")
        kwargs = dict(marker.kwargs) if marker else {}
        fixtures = getattr(item, "fixturenames", ())
        transactional = kwargs.get("transaction") or "transactional_db" in fixtures or "live_server" in fixtures
        if transactional and not kwargs.get("serialized_rollback"):
            kwargs.update(transaction=True, serialized_rollback=True)
            item.add_marker(pytest.mark.django_db(**kwargs), append=False)


@pytest.fixture
def webflow_sandbox(settings):
    """A real Webflow-like HTTP server on 127.0.0.1 (port 0) for this test, with settings pointing at it.

    Exposes .url, .token, .add_site(), .add_collection(), .seed_from_models(), .faults.add(),
    .set_rate_limit(), .items(collection_id), .requests. The client-side limit is raised so only tests that
    lower it (settings.WEBFLOW_RATE_LIMIT_PER_MINUTE / _WINDOW_SECONDS) are paced.
    """
    from webflow_sandbox import WebflowSandbox

    sandbox = WebflowSandbox(rate_limit=10_000, retry_after=1, openapi_dir=settings.WEBFLOW_OPENAPI_DIR)
    sandbox.spec()  # parse the OpenAPI file before the first request, not inside a client's read timeout
    sandbox.start()
    settings.WEBFLOW_API_BASE_URL = sandbox.url
    settings.WEBFLOW_API_TOKEN = sandbox.token
    settings.WEBFLOW_RATE_LIMIT_PER_MINUTE = 10_000
    try:
        yield sandbox
    finally:
        sandbox.stop()
