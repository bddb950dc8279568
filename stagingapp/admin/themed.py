"""The admins of the apps we build on (users and groups, the task queue, login lockout), drawn in the theme.

Their stock ModelAdmins render unfold's templates with Django's plain widgets: the user page showed text inputs with
no border (an empty First name looked like no field at all) and dates as bare text. Re-registered here on unfold's
ModelAdmin, which swaps in its widgets; the users' forms come from unfold.forms, as its documentation prescribes.
"""
from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django_q.admin import FailAdmin, QueueAdmin, ScheduleAdmin, TaskAdmin
from django_q.models import Failure, OrmQ, Schedule, Success
from unfold.admin import ModelAdmin
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm
from unfold.widgets import UnfoldAdminCheckboxSelectMultipleWidget

# What each role group (migrations 0002, 0005, 0009, 0016) lets its members do, beside its tick on a user's page.
ROLE_DESCRIPTIONS = {
    "Editors": "write drafts and translations, import them, and submit them for review",
    "Approvers": "approve or reject what others submitted (never their own edits)",
    "Publishers": "batch approved items, push them to Webflow, pull from and verify against Webflow",
}


class ThemedUserAdmin(UserAdmin, ModelAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    change_password_form = AdminPasswordChangeForm
    # Roles are a few groups: a tick each, with what the role does, instead of Django's two-list chooser.
    filter_horizontal = ("user_permissions",)
    list_display = ("username", "email", "first_name", "last_name", "roles", "is_active")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description="Roles")
    def roles(self, user):
        return ", ".join(sorted(group.name for group in user.groups.all())) or "—"

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name != "groups":
            return super().formfield_for_manytomany(db_field, request, **kwargs)
        kwargs["widget"] = UnfoldAdminCheckboxSelectMultipleWidget
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        field.label = "Roles (groups)"
        field.help_text = "A user may hold several roles; each adds what it allows."
        field.label_from_instance = role_label
        return field


def role_label(group: Group) -> str:
    description = ROLE_DESCRIPTIONS.get(group.name)
    return f"{group.name}: {description}" if description else group.name


class OutOfRangeDatesAreInvalidFilters:
    """Django's date drill-down (axes' logs have one) turns ?attempt_time__year=99999999999999999999 into a date
    and catches only ValueError: the OverflowError was a 500. It is now the list's usual "invalid filter"."""

    def get_changelist_instance(self, request):
        try:
            return super().get_changelist_instance(request)
        except OverflowError as exc:
            raise IncorrectLookupParameters(str(exc)) from exc


def in_the_theme(stock_admin: type) -> type:
    """The app's own admin class (its lists, filters and actions) on unfold's ModelAdmin."""
    return type(f"Themed{stock_admin.__name__}", (OutOfRangeDatesAreInvalidFilters, stock_admin, ModelAdmin),
                {"__module__": __name__})


def register_themed_admins() -> None:
    admins = {User: ThemedUserAdmin, Group: in_the_theme(GroupAdmin), Schedule: in_the_theme(ScheduleAdmin),
              Success: in_the_theme(TaskAdmin), Failure: in_the_theme(FailAdmin), OrmQ: in_the_theme(QueueAdmin),
              AccessAttempt: in_the_theme(AccessAttemptAdmin), AccessLog: in_the_theme(AccessLogAdmin),
              AccessFailureLog: in_the_theme(AccessFailureLogAdmin)}
    for model, model_admin in admins.items():
        # Only where the app registered it: django-q lists its queue with the ORM broker only, axes its logs only
        # while AXES_ENABLE_ADMIN is on.
        if admin.site.is_registered(model):
            admin.site.unregister(model)
            admin.site.register(model, model_admin)
