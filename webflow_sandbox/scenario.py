"""What bench_push and soak share: a scratch site with approved items, qcluster workers and their memory.

Django is needed here (models, services); the sandbox itself (server.py, cli.py) never imports this module.
"""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.db import connection

from stagingapp.models import Collection, DraftItem, DraftTranslation, LocaleMapping, Site
from stagingapp.services.push.bodies import item_content_fingerprint

from .server import new_id

TAGS = ("en-US", "fr-FR", "de-DE")


def make_site(sandbox, *, name: str) -> tuple[Collection, list[LocaleMapping], User]:
    """A site with three locales and a three-field collection, mirrored into `sandbox`, and a publisher."""
    site = Site.objects.create(webflow_id=new_id(), name=name)
    locales = [LocaleMapping.objects.create(site=site, tag=tag, display_name=tag, cms_locale_id=new_id(),
                                            is_primary=(index == 0)) for index, tag in enumerate(TAGS)]
    collection = Collection.objects.create(site=site, webflow_id=new_id(), name=f"{name} posts", fields_schema=[
        {"id": new_id(), "slug": slug, "displayName": slug.title(), "type": "PlainText", "isRequired": True,
         "isEditable": True, "validations": {"maxLength": 500}} for slug in ("name", "slug", "summary")])
    sandbox.seed_from_models(site)
    publisher, _ = User.objects.get_or_create(username="scenario-publisher", defaults={"is_staff": True})
    publisher.groups.add(Group.objects.get(name="Publishers"))
    return collection, locales, publisher


def make_approved_items(collection: Collection, locales: list[LocaleMapping], count: int, *,
                        prefix: str = "post") -> list[int]:
    """`count` approved items with a translation per secondary locale, written in bulk; their ids."""
    created = DraftItem.objects.bulk_create(
        [DraftItem(collection=collection, name=f"{prefix.title()} {n}", slug=f"{prefix}-{n}",
                   field_data={"summary": f"Summary {n}"}) for n in range(1, count + 1)], batch_size=1000)
    DraftTranslation.objects.bulk_create(
        [DraftTranslation(item=item, locale=loc, name=f"{item.name} [{loc.tag}]",
                          field_data={"summary": f"{item.field_data['summary']} [{loc.tag}]"})
         for item in created for loc in locales[1:]], batch_size=1000)
    ids = [item.pk for item in created]
    rows = [("approved", item_content_fingerprint(item), item.pk) for item in
            DraftItem.objects.filter(pk__in=ids).prefetch_related("translations__locale").iterator(chunk_size=1000)]
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {DraftItem._meta.db_table} SET status = %s, approved_fingerprint = %s WHERE id = %s", rows)
    return ids


def worker_env(sandbox, **extra: str) -> dict:
    if "DATABASE_URL" not in os.environ:
        raise RuntimeError("set DATABASE_URL (make bench / make soak do), so the workers use the same database")
    # The workers run as in production (DEBUG off: no query log, whose SQLite quoting costs a query per query),
    # with this process's key (django-q signs each queued task with it) and e-mail kept in memory. The scheduled
    # drift check is off: on a fresh database it is due as soon as items are linked, and its list pages (no
    # push.request entries of their own) would count as the push's requests in the bench and the soak.
    return {**os.environ, "WEBFLOW_API_BASE_URL": sandbox.url, "WEBFLOW_API_TOKEN": sandbox.token,
            "LOG_LEVEL": "WARNING", "DEBUG": "False", "SECRET_KEY": settings.SECRET_KEY,
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "WEBFLOW_VERIFY_INTERVAL_MINUTES": "0", **extra}


def start_worker(env: dict, log=None) -> subprocess.Popen:
    """A `manage.py qcluster` in its own process group (so it can be SIGKILLed whole)."""
    return subprocess.Popen([sys.executable, "manage.py", "qcluster"], cwd=settings.BASE_DIR, env=env,
                            start_new_session=True, stdout=log, stderr=subprocess.STDOUT if log else None)


def kill_worker(worker: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(worker.pid, sig)
    worker.wait()


def vm_hwm_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return 0
    return 0


def group_pids(pgid: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getpgid(int(entry.name)) == pgid:
                    pids.append(int(entry.name))
            except (ProcessLookupError, PermissionError):
                continue
    return pids


def group_peak_kb(worker: subprocess.Popen) -> int:
    return max([vm_hwm_kb(pid) for pid in group_pids(worker.pid)] or [0])
