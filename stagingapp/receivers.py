"""Signal receivers. STYLE.md keeps logic out of signals; these two invariants need them and stay thin.

- Approval is tied to content: any write (admin, import, shell) must send a reviewed item back to draft, and
  only a model-level hook sees a shell's ORM save. simple-history's post_create_historical_record fires for every
  save and delete of items and translations, and carries the acting user, so the hook hangs there.
- One audit history: field edits and admin logins become AuditEvent rows, so the audit browser reads one table.
- A django-q2 worker that starts plans a push recovery check: a batch whose worker just died resumes at once.
Each receiver only calls a service.
"""
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django_q.signals import post_spawn
from simple_history.signals import post_create_historical_record

from .models import DraftItem, DraftTranslation
from .services import audit, workflow


def _ip(request) -> str:
    return (request.META.get("REMOTE_ADDR") or "") if request is not None else ""


@receiver(post_create_historical_record, dispatch_uid="stagingapp.history_to_audit")
def history_to_audit(sender, instance, history_instance, history_user=None, **kwargs):
    event = audit.audit_history_record(instance=instance, history_instance=history_instance, history_user=history_user)
    if event is None:
        return
    if isinstance(instance, DraftItem) and history_instance.history_type != "-":
        reset = workflow.item_content_changed(item_id=instance.pk, actor=history_user, actor_label=event.actor_label)
        if reset is not None:
            workflow.item_sync_workflow_fields(instance=instance, source=reset)
    elif isinstance(instance, DraftTranslation):
        workflow.item_content_changed(item_id=instance.item_id, actor=history_user, actor_label=event.actor_label)


@receiver(user_logged_in, dispatch_uid="stagingapp.audit_login")
def login_to_audit(sender, request, user, **kwargs):
    audit.audit_login(user=user, ip=_ip(request))


@receiver(user_login_failed, dispatch_uid="stagingapp.audit_login_failed")
def login_failed_to_audit(sender, credentials, request=None, **kwargs):
    audit.audit_login_failed(username=str(credentials.get("username", "")), ip=_ip(request))


@receiver(user_logged_out, dispatch_uid="stagingapp.audit_logout")
def logout_to_audit(sender, request, user, **kwargs):
    if user is not None:
        audit.audit_record(action="auth.logout", actor=user, object_repr=user.get_username(), data={"ip": _ip(request)})


@receiver(post_spawn, dispatch_uid="stagingapp.push_recovery_after_start")
def push_recovery_after_start(sender, proc_name, **kwargs):
    from .services.push.recovery import recovery_check_after_start

    recovery_check_after_start()
