from django.contrib import admin, messages
from django.contrib.auth import admin as auth_admin
from django.contrib.auth.models import Group, User
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from accounts.models import ApiToken, AuditEvent, token_digest
from smsportal.admin_forms import AccusativeTitles

# Django's own user and group admins, with their titles in the right case.
admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class UserAdmin(AccusativeTitles, auth_admin.UserAdmin):
    accusative_name = pgettext_lazy("accusative", "user")


@admin.register(Group)
class GroupAdmin(AccusativeTitles, auth_admin.GroupAdmin):
    accusative_name = pgettext_lazy("accusative", "group")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "hint", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "user__username", "hint"]
    readonly_fields = ["hint", "created_at", "last_used_at"]
    fields = ["user", "name", "hint", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def save_model(self, request, obj, form, change):
        if not change:
            raw = ApiToken.generate()
            obj.hint, obj.digest = raw[:10], token_digest(raw)
            messages.warning(
                request,
                _("Copy the token now, it is not shown again: %(token)s")
                % {"token": raw},
            )
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Revoke selected tokens"))
    def revoke(self, request, queryset):
        from accounts.services import api_token_revoke

        for token in queryset:
            api_token_revoke(token=token)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read only: the log is never edited."""

    list_display = ["at", "actor_name", "action", "object_type", "object_repr", "ip"]
    list_filter = ["action", "object_type"]
    search_fields = ["actor_name", "object_repr", "object_id"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
