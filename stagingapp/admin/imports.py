"""Import pages for draft items: upload and check, a preview with every column and inline row problems, confirm,
progress of a background import, and a template file per collection. Mixed into DraftItemAdmin.

Every page looks its upload up by token together with the user and session (services.import_jobs); nothing the
browser sends is used as a file name, a path or a format.
"""
import tablib
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from unfold.widgets import UnfoldAdminFileFieldWidget

from ..exceptions import ImportFileUnreadable, ImportNotFound
from ..models import Collection, ImportJob
from ..schema import NOT_LOCALISABLE_TYPES, schema_fields
from ..services import import_jobs
from .forms import sole_collection
from .lookups import object_or_404

TEMPLATE_FORMATS = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


class ImportUploadForm(forms.Form):
    collection = forms.ModelChoiceField(
        queryset=Collection.objects.select_related("site"),
        help_text="Rows are matched on this collection's slugs. Download its template below for the columns.")
    import_file = forms.FileField(
        label="File", required=False,
        # The theme's picker: it shows the chosen file's name (its script expects this markup on every file input).
        widget=UnfoldAdminFileFieldWidget(attrs={"accept": ".csv,.xlsx,.json,.jsonl"}),
        help_text=".csv (UTF-8, UTF-16 or Windows-1252/Latin-1), .xlsx, .json (array of objects) or .jsonl")
    # A file uploaded before (e.g. checked against the wrong collection) is kept and checked again by its token.
    job = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound and (only := sole_collection()) is not None:
            self.initial.setdefault("collection", only.pk)

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("import_file") and not cleaned.get("job"):
            self.add_error("import_file", "Choose a file to import.")
        return cleaned


def template_headers(collection) -> list[str]:
    """The columns a file for this collection may have: item columns, its fields, and its translations."""
    fields = [f for f in schema_fields(collection) if f.get("slug") not in ("name", "slug")]
    headers = ["name", "slug", *(f["slug"] for f in fields), "is_archived", "is_draft"]
    for locale in collection.site.locales.filter(is_primary=False, is_enabled=True).order_by("tag"):
        headers += [f"{locale.tag}:name", f"{locale.tag}:slug"]
        headers += [f"{locale.tag}:{f['slug']}" for f in fields if f.get("type") not in NOT_LOCALISABLE_TYPES]
    return headers


def _session_key(request) -> str:
    if request.session.session_key is None:
        request.session.save()
    return request.session.session_key


class ImportAdminMixin:
    """Import for DraftItemAdmin; only users who may add draft items may import."""

    def has_import_permission(self, request):
        return self.has_add_permission(request)

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        view = self.admin_site.admin_view
        return [
            path("import/", view(self.import_view), name="{}_{}_import".format(*info)),
            path("import/template/<str:collection_id>.<str:file_type>", view(self.import_template_view),
                 name="{}_{}_import_template".format(*info)),
            path("import/<str:token>/", view(self.import_job_view), name="{}_{}_import_job".format(*info)),
            path("import/<str:token>/confirm/", view(self.import_confirm_view),
                 name="{}_{}_import_confirm".format(*info)),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_import": self.has_import_permission(request)}
        return super().changelist_view(request, extra_context)

    def _require_import(self, request):
        if not self.has_import_permission(request):
            raise PermissionDenied

    def _render(self, request, template: str, **context):
        return TemplateResponse(request, f"admin/stagingapp/draftitem/{template}", {
            **self.admin_site.each_context(request), "opts": self.opts, "title": "Import draft items",
            "header_page": "Import",
            "collections": Collection.objects.select_related("site").order_by("name"), **context})

    def import_view(self, request):
        """GET: the upload form. POST: store the file (or reuse the one kept by token) and check it."""
        self._require_import(request)
        form = ImportUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            collection = form.cleaned_data["collection"]
            try:
                if form.cleaned_data["import_file"]:
                    job = import_jobs.import_upload(upload=form.cleaned_data["import_file"], collection=collection,
                                                    user=request.user, session_key=_session_key(request))
                else:
                    job = import_jobs.import_job_for(token=form.cleaned_data["job"], user=request.user,
                                                     session_key=_session_key(request))
                    job = import_jobs.import_check(job=job, collection=collection)
            except ImportFileUnreadable as exc:
                form.add_error("import_file", f"This file cannot be imported: {exc.reason}.")
            except ImportNotFound as exc:
                self.message_user(request, str(exc), messages.ERROR)
                return HttpResponseRedirect(reverse("admin:stagingapp_draftitem_import"))
            else:
                return HttpResponseRedirect(reverse("admin:stagingapp_draftitem_import_job", args=[job.token]))
        return self._render(request, "import.html", form=form)

    def import_job_view(self, request, token):
        """One upload: its check (preview, problems per row and field, confirm), progress, or result."""
        self._require_import(request)
        try:
            job = import_jobs.import_job_for(token=token, user=request.user, session_key=_session_key(request))
        except ImportNotFound as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:stagingapp_draftitem_import"))
        form = ImportUploadForm(initial={"collection": job.collection_id, "job": job.token})
        return self._render(request, "import_job.html", job=job, result=job.result, form=form,
                            running=job.status in (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING),
                            can_confirm=job.status == ImportJob.Status.CHECKED and not job.result.get("problem_count"))

    def import_confirm_view(self, request, token):
        """POST: import a checked upload (now, or by the worker for a big file); any other field is ignored."""
        self._require_import(request)
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:stagingapp_draftitem_import_job", args=[token]))
        try:
            job = import_jobs.import_job_for(token=token, user=request.user, session_key=_session_key(request))
            job = import_jobs.import_confirm(job=job)
        except ImportNotFound as exc:
            self.message_user(request, f"Nothing was imported. {exc}", messages.ERROR)
            return HttpResponseRedirect(reverse("admin:stagingapp_draftitem_import"))
        result = job.result
        if job.status == ImportJob.Status.DONE:
            self.message_user(request, "Import finished: {new} new, {updated} updated, {unchanged} unchanged."
                              .format(**result))
            return HttpResponseRedirect(reverse("admin:stagingapp_draftitem_changelist"))
        if job.status == ImportJob.Status.FAILED:
            self.message_user(request, result.get("error") or "Nothing was imported.", messages.ERROR)
        else:
            self.message_user(request, f"{job.rows} rows are being imported in the background; this page shows "
                                       "the progress.")
        return HttpResponseRedirect(reverse("admin:stagingapp_draftitem_import_job", args=[job.token]))

    def import_template_view(self, request, collection_id, file_type):
        """An empty file with the collection's real columns, as .csv or .xlsx."""
        self._require_import(request)
        collection = object_or_404(Collection.objects.select_related("site"), collection_id)
        if file_type not in TEMPLATE_FORMATS:
            return HttpResponse("Templates come as .csv or .xlsx.", status=404, content_type="text/plain")
        dataset = tablib.Dataset(headers=template_headers(collection))
        response = HttpResponse(dataset.export(file_type), content_type=TEMPLATE_FORMATS[file_type])
        filename = "".join(c if c.isalnum() else "-" for c in collection.name.lower()).strip("-") or "collection"
        response["Content-Disposition"] = f'attachment; filename="{filename}-import-template.{file_type}"'
        return response
