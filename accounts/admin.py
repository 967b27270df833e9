from django.contrib import admin, messages
from django.contrib.auth import admin as auth_admin
from django.contrib.auth.models import Group, User
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import formats, timezone
from django.utils.translation import gettext, gettext_lazy, ngettext, pgettext_lazy

from accounts.audit_display import object_type_choices, object_type_label
from accounts.models import ApiToken, AuditEvent
from smsportal.admin_forms import AccusativeTitles
from smsportal.admin_lookups import SecretLookupsRefused

# Django's own user and group admins, with their titles in the right case.
admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class UserAdmin(SecretLookupsRefused, AccusativeTitles, auth_admin.UserAdmin):
    accusative_name = pgettext_lazy("accusative", "user")
    delete_selected_description = pgettext_lazy("accusative", "Delete selected users")


@admin.register(Group)
class GroupAdmin(AccusativeTitles, auth_admin.GroupAdmin):
    accusative_name = pgettext_lazy("accusative", "group")


@admin.register(ApiToken)
class ApiTokenAdmin(SecretLookupsRefused, admin.ModelAdmin):
    """Tokens are listed, renamed and revoked here; never made or handed over.

    No adding: each person makes their own on the profile page (audited, the raw
    value shown once on their own screen). A token made here for someone else let
    its maker act through the API under that person's name, and its raw value went
    through the messages cookie. Whose it is and when it was revoked are fixed: a
    revoked token was brought back under another user by editing them. Revoking is
    the action below, which logs it.
    """

    list_display = [
        "name",
        "user",
        "hint",
        "scope",
        "created_at",
        "expiry",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["scope", "revoked_at"]
    search_fields = ["name", "user__username", "hint"]
    fields = [
        "user",
        "name",
        "hint",
        "scope",
        "created_at",
        "expiry",
        "last_used_at",
        "revoked_at",
    ]
    # What a token may do and until when are its maker's choice, fixed when it was
    # made: widened here, a token handed out to read could write, or live forever.
    readonly_fields = [
        "user",
        "hint",
        "scope",
        "created_at",
        "expiry",
        "last_used_at",
        "revoked_at",
    ]
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(
        description=ApiToken._meta.get_field("expires_at").verbose_name,
        ordering="expires_at",
    )
    def expiry(self, obj: ApiToken) -> str:
        """The date, or "never" rather than the admin's dash for no date."""
        if obj.expires_at is None:
            return gettext("never")
        return formats.localize(timezone.localtime(obj.expires_at))

    # Lazy: read when the page is drawn, in the reader's language (an eager one was
    # fixed at start-up in the server's).
    @admin.action(
        description=gettext_lazy("Revoke selected tokens"), permissions=["change"]
    )
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        from accounts.services import api_token_revoke

        revoked = [api_token_revoke(token=token) for token in queryset]
        done, already = revoked.count(True), revoked.count(False)
        if done:
            self.message_user(
                request,
                ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", done)
                % {"count": done},
                messages.SUCCESS,
            )
        if already:
            self.message_user(
                request,
                ngettext(
                    "%(count)d token was already revoked.",
                    "%(count)d tokens were already revoked.",
                    already,
                )
                % {"count": already},
                messages.INFO,
            )


class ObjectTypeFilter(admin.SimpleListFilter):
    """The types by name ("Имя отправителя"), as the dashboard's log offers them; the
    same query-string key as a plain field filter (?object_type=auth.User)."""

    title = AuditEvent._meta.get_field("object_type").verbose_name
    parameter_name = "object_type"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, str]]:
        return object_type_choices()

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value():
            return queryset.filter(object_type=self.value())
        return queryset


@admin.register(AuditEvent)
class AuditEventAdmin(SecretLookupsRefused, admin.ModelAdmin):
    """Read only: the log is never edited."""

    list_display = [
        "at",
        "actor_name",
        "action",
        "object_type_name",
        "object_repr",
        "ip",
    ]
    list_filter = ["action", ObjectTypeFilter]
    search_fields = ["actor_name", "object_repr", "object_id"]
    date_hierarchy = "at"

    @admin.display(
        description=AuditEvent._meta.get_field("object_type").verbose_name,
        ordering="object_type",
    )
    def object_type_name(self, obj: AuditEvent) -> str:
        """The model's name in the reader's language; the label of one gone since."""
        if not obj.object_type:  # a failed login names no record
            return self.get_empty_value_display()
        return object_type_label(obj.object_type)

    readonly_fields = ["object_type_name"]

    def get_fields(self, request: HttpRequest, obj=None) -> list[str]:
        """The record's type by name in its place, not the label («auth.User»)."""
        fields = [
            f for f in super().get_fields(request, obj) if f != "object_type_name"
        ]
        return ["object_type_name" if f == "object_type" else f for f in fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
