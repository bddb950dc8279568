"""References between drafts pushed to the sandbox over HTTP: referenced items are created first and their Webflow
IDs substituted, a cycle is created without the reference and PATCHed, the pre-flight names what is missing, and
the preview shows the IDs (or placeholders) the worker will send."""
import pytest
from django.urls import reverse

from stagingapp.exceptions import PreflightFailed
from stagingapp.models import BatchItem, PushBatch, WebflowItemRef
from stagingapp.services.batches import batch_create, batch_queue
from stagingapp.services.push import batch_push
from stagingapp.services.push.preflight import batch_preflight_report
from stagingapp.services.push.preview import batch_preview
from tests import factories
from tests.push_support import approve, fast_passwords  # noqa: F401

PEOPLE_FIELDS = factories.BLOG_FIELDS[:2]


def no_sleep(seconds):
    """Time is the only thing mocked."""


@pytest.fixture
def people(site):
    return factories.make_collection(site, name="People", slug="people", fields_schema=PEOPLE_FIELDS)


@pytest.fixture
def posts(site, people):
    """A blog whose posts name an author (Reference to People) and related posts (MultiReference to itself)."""
    collection = factories.make_collection(site, name="Posts", slug="posts")
    collection.fields_schema = factories.BLOG_FIELDS + [
        {"id": "f" + "7" * 23, "slug": "author", "displayName": "Author", "type": "Reference", "isRequired": False,
         "isEditable": True, "validations": {"collectionId": people.webflow_id}},
        {"id": "f" + "8" * 23, "slug": "related", "displayName": "Related", "type": "MultiReference",
         "isRequired": False, "isEditable": True, "validations": {"collectionId": collection.webflow_id}},
    ]
    collection.save(update_fields=["fields_schema"])
    return collection


@pytest.fixture
def sandbox(webflow_sandbox, site, locales, people, posts):
    webflow_sandbox.seed_from_models(site)
    return webflow_sandbox


def post(posts, slug, **field_data):
    return approve(factories.make_item(posts, name=slug.title(), slug=slug,
                                       field_data={"summary": f"About {slug}", **field_data}))


def new_batch(collection, items, publisher):
    return batch_create(collection=collection, item_ids=[i.pk for i in items], mode="stage", actor=publisher)


def push_batch(collection, items, publisher):
    batch = new_batch(collection, items, publisher)
    batch_queue(batch_id=batch.pk, actor=publisher)
    return batch_push(batch_id=batch.pk, sleep=no_sleep)


def webflow_id(item) -> str:
    return WebflowItemRef.objects.filter(item=item).values_list("webflow_item_id", flat=True).first()


def variants_by_slug(sandbox, collection) -> dict[str, list[dict]]:
    result = {}
    for variant in sandbox.items(collection.webflow_id):
        result.setdefault(variant["fieldData"]["slug"], []).append(variant)
    return result


def create_order(sandbox, collection) -> list[str]:
    """The slugs of each create request in the order they were sent."""
    return [[fd["slug"] for fd in r["body"]["fieldData"]]
            for r in sandbox.requests_to(rf"/collections/{collection.webflow_id}/items/bulk", "POST")]


def test_a_post_names_an_author_pushed_from_another_collection_by_its_webflow_id_in_every_locale(
        sandbox, people, posts, locales, publisher):
    grace = approve(factories.make_item(people, name="Grace Hopper", slug="grace-hopper", field_data={}))
    assert push_batch(people, [grace], publisher).status == PushBatch.Status.SUCCEEDED
    article = post(posts, "compilers", author=f"draft:{grace.pk}")

    report = batch_preflight_report(new_batch(posts, [article], publisher))
    assert report.ok, report.problems
    [dependency] = report.dependencies
    assert (dependency.target, dependency.in_batch) == (grace, False)
    assert "already in Webflow" in str(dependency)
    PushBatch.objects.filter(status=PushBatch.Status.PENDING).delete()

    assert push_batch(posts, [article], publisher).status == PushBatch.Status.SUCCEEDED
    [compilers] = [variants_by_slug(sandbox, posts)["compilers"]]
    assert len(compilers) == len(locales)
    assert {v["fieldData"]["author"] for v in compilers} == {webflow_id(grace)}


def test_an_author_of_another_collection_that_is_not_in_webflow_is_a_preflight_error_naming_both(
        sandbox, people, posts, publisher):
    ada = factories.make_item(people, name="Ada Lovelace", slug="ada-lovelace", field_data={})
    article = post(posts, "engines", author=f"draft:{ada.pk}")
    batch = new_batch(posts, [article], publisher)

    [problem] = batch_preflight_report(batch).problems

    assert problem.item == article and problem.field == "author"
    assert "Engines" in str(problem) and "'Ada Lovelace' (ada-lovelace, People)" in str(problem)
    assert "neither in this batch nor in Webflow" in str(problem)
    with pytest.raises(PreflightFailed):
        batch_queue(batch_id=batch.pk, actor=publisher)
    assert not sandbox.requests_to(r"/items", "POST")


def test_a_related_post_outside_the_batch_and_not_in_webflow_is_a_preflight_error(sandbox, posts, publisher):
    outside = post(posts, "outside")
    article = post(posts, "inside", related=[f"draft:{outside.pk}"])

    [problem] = batch_preflight_report(new_batch(posts, [article], publisher)).problems

    assert (problem.item, problem.field) == (article, "related")
    assert "'Outside' (outside, Posts)" in str(problem) and "add it to this batch or push it first" in str(problem)


def test_referenced_posts_in_the_batch_are_created_first_and_a_multireference_gets_their_ids(
        sandbox, posts, locales, publisher, settings):
    # A body needs the ID the previous create returned, so these go one at a time whatever the in-flight setting.
    settings.WEBFLOW_PUSH_IN_FLIGHT = 4
    sandbox.set_latency(0.05)
    # Lower pks refer to higher ones, so pk order alone would create the referrer first.
    overview = post(posts, "overview")
    part_one, part_two = post(posts, "part-one"), post(posts, "part-two")
    overview.field_data["related"] = [f"draft:{part_one.pk}", f"draft:{part_two.pk}"]
    overview.save(update_fields=["field_data"])
    approve(overview)
    part_one.field_data["related"] = [f"draft:{part_two.pk}"]
    part_one.save(update_fields=["field_data"])
    approve(part_one)

    batch = push_batch(posts, [overview, part_one, part_two], publisher)

    assert batch.status == PushBatch.Status.SUCCEEDED
    assert create_order(sandbox, posts) == [["part-two"], ["part-one"], ["overview"]]
    assert sandbox.peak_in_progress == 1
    stored = variants_by_slug(sandbox, posts)
    assert {tuple(v["fieldData"]["related"]) for v in stored["overview"]} == {
        (webflow_id(part_one), webflow_id(part_two))}
    assert {tuple(v["fieldData"]["related"]) for v in stored["part-one"]} == {(webflow_id(part_two),)}
    assert all(len(stored[slug]) == len(locales) for slug in ("overview", "part-one", "part-two"))
    assert not sandbox.requests_to(rf"/collections/{posts.webflow_id}/items$", "PATCH")  # no cycle: no PATCH


def test_two_posts_that_refer_to_each_other_end_with_both_references_set_in_every_locale(
        sandbox, posts, locales, publisher):
    first, second = post(posts, "first"), post(posts, "second")
    factories.make_translation(first, locales[1], name="Premier", field_data={"summary": "À propos"})
    first.field_data["related"] = [f"draft:{second.pk}"]
    first.save(update_fields=["field_data"])
    second.field_data["related"] = [f"draft:{first.pk}"]
    second.save(update_fields=["field_data"])
    first, second = approve(first), approve(second)
    report = batch_preflight_report(new_batch(posts, [first, second], publisher))
    assert report.ok, report.problems
    assert any(d.cycle for d in report.dependencies)
    PushBatch.objects.all().delete()

    batch = push_batch(posts, [first, second], publisher)

    assert batch.status == PushBatch.Status.SUCCEEDED
    assert set(batch.entries.values_list("status", flat=True)) == {BatchItem.Status.DONE}
    [[created_first], [created_second]] = create_order(sandbox, posts)
    assert (created_first, created_second) == ("first", "second")
    first_body = sandbox.requests_to(rf"/collections/{posts.webflow_id}/items/bulk", "POST")[0]["body"]
    assert "related" not in first_body["fieldData"][0]  # second had no ID yet
    stored = variants_by_slug(sandbox, posts)
    assert len(stored["first"]) == len(stored["second"]) == len(locales)  # each created once
    assert {tuple(v["fieldData"]["related"]) for v in stored["first"]} == {(webflow_id(second),)}
    assert {tuple(v["fieldData"]["related"]) for v in stored["second"]} == {(webflow_id(first),)}
    assert {v["fieldData"]["name"] for v in stored["first"]} == {"First", "Premier"}


def test_the_preview_shows_the_ids_and_placeholders_the_worker_will_send(sandbox, people, posts, publisher):
    grace = approve(factories.make_item(people, name="Grace Hopper", slug="grace-hopper", field_data={}))
    push_batch(people, [grace], publisher)
    first, second = post(posts, "first"), post(posts, "second", author=f"draft:{grace.pk}")
    first.field_data["related"] = [f"draft:{second.pk}"]
    first.save(update_fields=["field_data"])
    second.field_data["related"] = [f"draft:{first.pk}"]
    second.save(update_fields=["field_data"])
    first, second = approve(first), approve(second)
    batch = new_batch(posts, [first, second], publisher)

    create_one, create_two, patch = batch_preview(batch, max_requests=3)

    assert [fd["slug"] for fd in create_one["body"]["fieldData"]] == ["first"]
    assert "related" not in create_one["body"]["fieldData"][0]
    [second_body] = create_two["body"]["fieldData"]
    assert second_body["author"] == webflow_id(grace)
    assert second_body["related"] == ["(first: created earlier in this batch)"]
    assert patch["method"] == "PATCH"
    assert {entry["fieldData"]["related"][0] for entry in patch["body"]["items"]} == {
        "(second: created earlier in this batch)"}

    batch_queue(batch_id=batch.pk, actor=publisher)
    batch_push(batch_id=batch.pk, sleep=no_sleep)
    sent = sandbox.requests_to(rf"/collections/{posts.webflow_id}/items/bulk", "POST")[-1]["body"]["fieldData"][0]
    assert sent == {**second_body, "related": [webflow_id(first)]}


def test_a_cycle_whose_first_create_answer_is_lost_is_adopted_not_created_twice_and_still_gets_its_reference(
        sandbox, posts, locales, publisher):
    first, second = post(posts, "first"), post(posts, "second")
    first.field_data["related"] = [f"draft:{second.pk}"]
    first.save(update_fields=["field_data"])
    second.field_data["related"] = [f"draft:{first.pk}"]
    second.save(update_fields=["field_data"])
    first, second = approve(first), approve(second)
    sandbox.faults.add("drop_after_commit", path="/items/bulk$", method="POST", times=1)

    batch = push_batch(posts, [first, second], publisher)

    assert batch.status == PushBatch.Status.SUCCEEDED
    stored = variants_by_slug(sandbox, posts)
    assert len(stored["first"]) == len(stored["second"]) == len(locales)
    assert {tuple(v["fieldData"]["related"]) for v in stored["first"]} == {(webflow_id(second),)}
    assert {tuple(v["fieldData"]["related"]) for v in stored["second"]} == {(webflow_id(first),)}


def test_the_batch_page_lists_the_dependencies_and_the_missing_reference(client, sandbox, people, posts, publisher):
    ada = factories.make_item(people, name="Ada Lovelace", slug="ada-lovelace", field_data={})
    part = post(posts, "part")
    article = post(posts, "engines", author=f"draft:{ada.pk}", related=[f"draft:{part.pk}"])
    batch = new_batch(posts, [article, part], publisher)
    client.force_login(publisher)

    html = client.get(reverse("admin:stagingapp_pushbatch_change", args=[batch.pk])).content.decode()

    assert 'id="dependencies"' in html
    assert "Engines (engines) [related] refers to Part (part, Posts): in this batch, created first" in html
    assert ("Engines (engines) [author]: refers to &#x27;Ada Lovelace&#x27; (ada-lovelace, People), which is "
            "neither in this batch nor in Webflow") in html


def with_required_previous(posts):
    """Posts gain a required Reference to another post: Webflow needs its value on create."""
    posts.fields_schema = posts.fields_schema + [
        {"id": "f" + "9" * 23, "slug": "previous", "displayName": "Previous", "type": "Reference",
         "isRequired": True, "isEditable": True, "validations": {"collectionId": posts.webflow_id}}]
    posts.save(update_fields=["fields_schema"])


def test_a_cycle_is_broken_at_the_item_whose_left_out_reference_is_optional(posts, locales, publisher):
    from stagingapp.services.push.references import create_order as order_of_creates

    with_required_previous(posts)
    first, second = post(posts, "first"), post(posts, "second")
    first.field_data["previous"] = f"draft:{second.pk}"  # required: first cannot go without it
    first.save(update_fields=["field_data"])
    # second's required value names an item already in Webflow; only its optional "related" closes the cycle.
    second.field_data.update(previous="0" * 24, related=[f"draft:{first.pk}"])
    second.save(update_fields=["field_data"])
    first, second = approve(first), approve(second)

    ordered, deferred = order_of_creates([first, second])

    assert [i.slug for i in ordered] == ["second", "first"] and deferred == {second.pk}
    report = batch_preflight_report(new_batch(posts, [first, second], publisher))
    assert not [p for p in report.problems if "cycle" in p.reason], report.problems


def test_a_cycle_through_required_references_only_is_a_preflight_problem(posts, locales, publisher):
    with_required_previous(posts)
    first, second = post(posts, "first"), post(posts, "second")
    first.field_data["previous"] = f"draft:{second.pk}"
    first.save(update_fields=["field_data"])
    second.field_data["previous"] = f"draft:{first.pk}"
    second.save(update_fields=["field_data"])
    first, second = approve(first), approve(second)

    report = batch_preflight_report(new_batch(posts, [first, second], publisher))

    cycle = [p for p in report.problems if "cycle of references that Webflow requires" in p.reason]
    assert [p.item.slug for p in cycle] == ["first"], report.problems
    assert not report.ok
