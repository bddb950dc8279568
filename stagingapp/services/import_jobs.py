"""Import jobs: an upload bound to its user and session, checked (dry run), then imported now or by the worker.

The browser only ever holds a job's random token; the file's name on disk is made up here and lives in
settings.IMPORT_UPLOAD_DIR, so nothing outside that folder can be read or deleted through an import.
"""
import secrets
from datetime import timedelta
from functools import partial
from pathlib import Path

import tablib
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ..exceptions import ImportFileUnreadable, ImportNotFound
from ..models import ImportJob
from .audit import audit_record
from .import_files import check_upload_size, read_import_file
from .imports import FORMAT_BY_EXTENSION, drafts_import

PREVIEW_ROWS = 50
# Rows with problems are shown beyond the first PREVIEW_ROWS too, up to this many.
PREVIEW_PROBLEM_ROWS = 200
S = ImportJob.Status


def upload_path(job: ImportJob) -> Path:
    return Path(settings.IMPORT_UPLOAD_DIR) / job.stored_name


def _delete_file(job: ImportJob) -> None:
    if job.stored_name:
        upload_path(job).unlink(missing_ok=True)


def import_upload(*, upload, collection, user, session_key: str) -> ImportJob:
    """Store an uploaded file for this user and session, then check it (import_check) -> the job.

    Raises ImportFileUnreadable (nothing kept) for an unknown type or a file over IMPORT_MAX_FILE_BYTES.
    """
    name = Path(upload.name or "upload").name[:255]
    suffix = Path(name).suffix.lower()
    if suffix not in FORMAT_BY_EXTENSION:
        raise ImportFileUnreadable(path=name, reason=(
            f"unknown file type '{suffix or '(none)'}'; use one of {', '.join(FORMAT_BY_EXTENSION)}"))
    check_upload_size(upload.size, name=name)
    token = secrets.token_urlsafe(24)
    job = ImportJob(token=token, user=user, session_key=session_key, collection=collection, original_name=name,
                    stored_name=f"{secrets.token_hex(16)}{suffix}")
    path = upload_path(job)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("xb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    job.save()
    return import_check(job=job)


def import_job_for(*, token: str, user, session_key: str) -> ImportJob:
    """The job behind a token, only for the user and session that uploaded it; raises ImportNotFound."""
    job = ImportJob.objects.select_related("collection__site").filter(
        token=str(token)[:64], user=user, session_key=session_key or "").first()
    if job is None:
        raise ImportNotFound()
    return job


def _preview(dataset: tablib.Dataset, problems) -> dict:
    problem_rows = {p.row for p in problems if p.row}
    shown = [number for number in range(1, len(dataset) + 1)
             if number <= PREVIEW_ROWS or number in problem_rows][:PREVIEW_ROWS + PREVIEW_PROBLEM_ROWS]
    by_row: dict[int, list] = {}
    for problem in problems:
        by_row.setdefault(problem.row, []).append({"field": problem.field, "message": problem.message})
    return {
        "headers": [str(h) for h in dataset.headers or []],
        "rows": [{"number": n, "cells": ["" if v is None else str(v) for v in dataset[n - 1]],
                  "problems": by_row.get(n, [])} for n in shown],
        "file_problems": by_row.get(0, []),
    }


def import_check(*, job: ImportJob, collection=None) -> ImportJob:
    """Dry-run the job's file (into `collection` if given) and store counts, problems and a preview.

    An unreadable file is deleted at once (status FAILED, result["error"]); a file with row problems is kept so
    it can be checked again, e.g. against another collection, without uploading it again.
    """
    if job.status != S.CHECKED:
        raise ImportNotFound()
    if collection is not None:
        job.collection = collection
    try:
        dataset = read_import_file(upload_path(job), name=job.original_name)
    except (ImportFileUnreadable, OSError) as exc:
        _delete_file(job)
        job.status, job.finished_at = S.FAILED, timezone.now()
        job.result = {"error": exc.reason if isinstance(exc, ImportFileUnreadable) else
                      "The uploaded file is gone; upload it again."}
        job.save()
        return job
    report = drafts_import(collection=job.collection, dataset=dataset, actor=job.user,
                           file_name=job.original_name, dry_run=True)
    job.rows = len(dataset)
    job.result = {"new": report.new, "updated": report.updated, "unchanged": report.unchanged,
                  "problem_count": len(report.problems), **_preview(dataset, report.problems)}
    job.save()
    return job


def import_confirm(*, job: ImportJob) -> ImportJob:
    """Import a checked job without problems: now if small, else by the worker after commit (status QUEUED).

    Raises ImportNotFound if the job is not waiting for confirmation or had problems at its check.
    """
    with transaction.atomic():
        claimed = ImportJob.objects.filter(pk=job.pk, status=S.CHECKED, result__problem_count=0).update(
            status=S.QUEUED)
        if not claimed:
            raise ImportNotFound()
        job.refresh_from_db()
        if job.rows > settings.IMPORT_BACKGROUND_ROWS:
            from django_q.tasks import async_task

            transaction.on_commit(partial(async_task, "stagingapp.tasks.import_run", job.pk))
            return job
    return import_run(job_id=job.pk)


def import_run(*, job_id: int) -> ImportJob:
    """QUEUED -> RUNNING -> DONE/FAILED: import the file in chunks of IMPORT_WRITE_CHUNK_ROWS rows, each its own
    transaction (SQLite's write lock is held for one chunk at a time), then delete the file.

    The file passed its check just before; should a later chunk meet a new problem (someone changed an item
    meanwhile), the chunks before it stay imported and the result says which rows were and which were not.
    """
    if not ImportJob.objects.filter(pk=job_id, status=S.QUEUED).update(status=S.RUNNING):
        return ImportJob.objects.get(pk=job_id)
    job = ImportJob.objects.select_related("collection", "user").get(pk=job_id)
    totals = {"new": 0, "updated": 0, "unchanged": 0}
    error = ""
    try:
        dataset = read_import_file(upload_path(job), name=job.original_name)
        size = max(settings.IMPORT_WRITE_CHUNK_ROWS, 1)
        for start in range(0, len(dataset), size):
            chunk = tablib.Dataset(*dataset[start:start + size], headers=dataset.headers)
            report = drafts_import(collection=job.collection, dataset=chunk, actor=job.user,
                                   file_name=job.original_name, audit=False)
            if not report.ok:
                shown = "; ".join(f"row {p.row + start}: {p.field}: {p.message}" if p.row else str(p)
                                  for p in report.problems[:20])
                error = (f"Rows 1-{start} were imported; rows from {start + 1} on were not: {shown}"
                         if start else f"Nothing was imported: {shown}")
                break
            for key in totals:
                totals[key] += getattr(report, key)
            ImportJob.objects.filter(pk=job.pk).update(rows_done=start + len(chunk))
    except ImportFileUnreadable as exc:
        error = f"Nothing was imported: {exc.reason}"
    except OSError:
        error = "Nothing was imported: the uploaded file is gone; upload it again."
    _delete_file(job)
    job.refresh_from_db()
    job.status, job.finished_at = (S.FAILED if error else S.DONE), timezone.now()
    job.result = {**job.result, **totals, "error": error}
    job.save(update_fields=["status", "finished_at", "result"])
    if any(totals.values()):
        audit_record(
            action="item.import", actor=job.user, collection=job.collection, object_repr=job.original_name,
            message=f"Imported {job.original_name}: {totals['new']} new, {totals['updated']} updated, "
                    f"{totals['unchanged']} unchanged." + (" Stopped early: see the import's page." if error else ""),
            data={"file_name": job.original_name, "rows": job.rows, **totals, "skipped": totals["unchanged"],
                  "import_job": job.pk},
        )
    return job


def import_cleanup(*, now=None) -> int:
    """Delete uploads never confirmed (and their files) older than IMPORT_UPLOAD_MAX_AGE_HOURS, and stray files
    in IMPORT_UPLOAD_DIR no job names; returns how many files were deleted. Run by the "import cleanup" schedule.
    """
    cutoff = (now or timezone.now()) - timedelta(hours=settings.IMPORT_UPLOAD_MAX_AGE_HOURS)
    stale = ImportJob.objects.filter(created_at__lt=cutoff).exclude(status__in=[S.QUEUED, S.RUNNING])
    deleted = 0
    for job in stale.only("pk", "stored_name"):
        if job.stored_name and upload_path(job).exists():
            _delete_file(job)
            deleted += 1
    stale.filter(status__in=[S.CHECKED, S.FAILED]).delete()
    folder = Path(settings.IMPORT_UPLOAD_DIR)
    if folder.is_dir():
        known = set(ImportJob.objects.values_list("stored_name", flat=True))
        for path in folder.iterdir():
            if path.is_file() and path.name not in known and path.stat().st_mtime < cutoff.timestamp():
                path.unlink(missing_ok=True)
                deleted += 1
    return deleted
