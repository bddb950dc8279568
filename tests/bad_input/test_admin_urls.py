"""Malformed or unknown ids in the app's own admin URLs answer 404, never 500."""
import pytest

from tests.bad_input.support import row_counts
from tests.push_support import make_approved_items
from tests.test_batches import new_batch

BAD_URLS = [
    "/admin/stagingapp/draftitem/abc/review/submit/",
    "/admin/stagingapp/draftitem/99999/review/approve/",
    "/admin/stagingapp/draftitem/1e9/review/reject/",
    "/admin/stagingapp/draftitem/abc/changes-since-approval/",
    "/admin/stagingapp/draftitem/99999/changes-since-approval/",
    "/admin/stagingapp/pushbatch/abc/change/",
    "/admin/stagingapp/pushbatch/99999/change/",
    "/admin/stagingapp/pushbatch/99999/progress/",
    "/admin/stagingapp/pushbatch/99999/do/queue/",
    "/admin/stagingapp/pushbatch/99999/do/cancel/",
    "/admin/stagingapp/pushbatch/99999/do/retry/",
]


@pytest.mark.parametrize("url", BAD_URLS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_malformed_or_unknown_id_in_an_app_url_is_a_404(client, superuser, collection, url, method):
    client.force_login(superuser)
    before = row_counts()
    response = getattr(client, method)(url)
    if method == "get" and ("/review/" in url or "/do/" in url):
        assert response.status_code in (404, 405)  # POST-only views may refuse the method first
    else:
        assert response.status_code == 404
    assert row_counts() == before


def test_an_unknown_verb_on_a_real_batch_is_refused_without_change(client, collection, publisher):
    batch = new_batch(collection, make_approved_items(collection, 1), publisher)
    client.force_login(publisher)
    response = client.post(f"/admin/stagingapp/pushbatch/{batch.pk}/do/explode/")
    assert response.status_code == 405
    batch.refresh_from_db()
    assert batch.status == "pending"
