""""Request removal…" on an item that is in Webflow: a form (unpublish / archive / delete, locales) that calls
services.removal_requests; the request then goes through review like an edit and is pushed in a batch."""
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from ..exceptions import StagingError
from ..models import BatchItem, DraftItem
from ..services import removal_requests, workflow
from .lookups import object_or_404


class RemovalForm(forms.Form):
    kind = forms.ChoiceField(label=_("What should happen in Webflow"), choices=DraftItem.Removal.choices,
                             widget=forms.RadioSelect)
    locales = forms.MultipleChoiceField(
        label=_("Locales"), required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave all unticked to remove the item in every locale it has in Webflow."))
    comment = forms.CharField(label=_("Comment for the reviewer"), required=False,
                              widget=forms.Textarea(attrs={"rows": 2, "cols": 60}))

    def __init__(self, *args, locales, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["locales"].choices = [(str(loc.pk), str(loc)) for loc in locales]


def can_request_removal(item: DraftItem, actor) -> bool:
    return (workflow.can_submit(actor) and item.status in removal_requests.REQUESTABLE
            and item.webflow_refs.exists())


def deletion_refusal(item: DraftItem) -> str:
    """Why the draft may not be deleted ('' when it may): a draft in Webflow is removed through review, and one a
    batch pushed stays in that batch's record (its entry protects it)."""
    if item.webflow_refs.exists():
        return _("'%(item)s' is in Webflow: deleting the draft would leave the Webflow item there, no longer tracked "
                 "here. Use \u201cRequest removal\u2026\u201d on its page instead; the removal is reviewed, then "
                 "pushed.") % {"item": item}
    if item.batch_entries.exists():
        return _("'%(item)s' is part of a push batch's record, which keeps it.") % {"item": item}
    return ""


class RemovalAdminMixin:
    """For DraftItemAdmin: the request-removal page, what the item page says about removals, and no deleting a
    draft that is in Webflow (it would leave the Webflow item behind, untracked)."""

    def has_delete_permission(self, request, obj=None):
        # No Delete button on the item's page (the delete page says why). A bulk delete's confirmation asks this
        # for every selected draft; get_deleted_objects checks the selection in one query instead.
        if obj is not None and not getattr(request, "_selection_checked", False) and deletion_refusal(obj):
            return False
        return super().has_delete_permission(request, obj)

    def delete_view(self, request, object_id, extra_context=None):
        item = DraftItem.objects.filter(pk=object_id).first() if str(object_id).isdigit() else None
        reason = deletion_refusal(item) if item is not None and self.has_view_permission(request, item) else ""
        if reason:
            self.message_user(request, reason, messages.ERROR)
            return HttpResponseRedirect(reverse("admin:stagingapp_draftitem_change", args=[item.pk]))
        return super().delete_view(request, object_id, extra_context)

    def get_deleted_objects(self, objs, request):
        """The bulk delete's confirmation lists drafts in Webflow as protected, so none of the selection goes.
        Drafts a batch pushed are also protected by their batch entries: for a draft in Webflow those lines are
        left out, so each kept draft is named once, with what to do instead."""
        request._selection_checked = True
        try:
            deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        finally:
            request._selection_checked = False
        in_webflow = list(DraftItem.objects.filter(pk__in=[obj.pk for obj in objs], webflow_refs__isnull=False)
                          .distinct())
        # As Django's collector names an entry (BatchItem has no admin page of its own, so no link).
        entry_lines = {f"{capfirst(BatchItem._meta.verbose_name)}: {entry}" for entry in
                       BatchItem.objects.filter(item__in=in_webflow).select_related("item")}
        protected = [*(line for line in protected if str(line) not in entry_lines),
                     *(_("%(item)s: in Webflow; request its removal on its page instead") % {"item": item}
                       for item in in_webflow)]
        return deleted, counts, perms_needed, protected

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        urls = [path("<path:object_id>/request-removal/", self.admin_site.admin_view(self.request_removal_view),
                     name=f"{info[0]}_{info[1]}_request_removal"),
                path("<path:object_id>/withdraw-removal/", self.admin_site.admin_view(self.withdraw_removal_view),
                     name=f"{info[0]}_{info[1]}_withdraw_removal")]
        return urls + super().get_urls()

    def removal_context(self, request, item: DraftItem) -> dict:
        return {
            "removal_request": removal_requests.describe_removal(item),
            "removal_url": (reverse("admin:stagingapp_draftitem_request_removal", args=[item.pk])
                            if can_request_removal(item, request.user) else ""),
            "withdraw_removal_url": (reverse("admin:stagingapp_draftitem_withdraw_removal", args=[item.pk])
                                     if item.removal_kind and item.status in removal_requests.WITHDRAWABLE
                                     and workflow.can_submit(request.user) else ""),
        }

    def change_view(self, request, object_id, form_url="", extra_context=None):
        item = DraftItem.objects.filter(pk=object_id).first() if str(object_id).isdigit() else None
        extra_context = dict(extra_context or {})
        if item is not None and self.has_view_permission(request, item):
            extra_context.update(self.removal_context(request, item))
        return super().change_view(request, object_id, form_url, extra_context=extra_context)

    def request_removal_view(self, request, object_id):
        item = object_or_404(DraftItem, object_id)
        if not self.has_view_permission(request, item) or not workflow.can_submit(request.user):
            raise PermissionDenied
        change_url = reverse("admin:stagingapp_draftitem_change", args=[item.pk])
        locales = removal_requests.removal_locales(item)
        form = RemovalForm(request.POST or None, locales=locales)
        if request.method == "POST" and form.is_valid():
            try:
                removal_requests.item_request_removal(
                    item_id=item.pk, kind=form.cleaned_data["kind"], actor=request.user,
                    locale_ids=[int(pk) for pk in form.cleaned_data["locales"]],
                    comment=form.cleaned_data["comment"])
            except StagingError as exc:
                self.message_user(request, str(exc), messages.ERROR)  # the form is shown again, input kept
            else:
                self.message_user(request, _("Removal requested and submitted for review."), messages.SUCCESS)
                return HttpResponseRedirect(change_url)
        context = {**self.admin_site.each_context(request), "opts": self.opts, "original": item, "form": form,
                   "title": _("Request removal of %(item)s from Webflow") % {"item": item},
                   "header_page": _("Request removal"), "change_url": change_url, "has_refs": bool(locales)}
        return TemplateResponse(request, "admin/stagingapp/draftitem/request_removal.html", context)

    def withdraw_removal_view(self, request, object_id):
        item = object_or_404(DraftItem, object_id)
        if not self.has_view_permission(request, item):
            raise PermissionDenied
        try:
            removal_requests.item_withdraw_removal(item_id=item.pk, actor=request.user)
        except StagingError as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            self.message_user(request, _("The removal request was withdrawn; the item is a draft."), messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:stagingapp_draftitem_change", args=[item.pk]))

    withdraw_removal_view = method_decorator(require_POST)(withdraw_removal_view)
