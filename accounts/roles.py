"""Roles are Django groups; their permissions are derived from the rules below.

Admin: everything. Manager: contacts and campaigns (plus viewing the rest). Viewer: read only.
The groups are created by a data migration; their permissions are re-synced after every
migrate, because permissions of later apps do not exist yet when the migration runs.
"""

from typing import Any

from django.contrib.auth.models import Group, Permission
from django.utils.translation import pgettext_lazy

ADMIN = "Admin"
MANAGER = "Manager"
VIEWER = "Viewer"
ROLES = (ADMIN, MANAGER, VIEWER)
# The groups keep their English names (code and data migrations refer to them); people
# read them in their language.
ROLE_LABELS = {
    ADMIN: pgettext_lazy("role", "Admin"),
    MANAGER: pgettext_lazy("role", "Manager"),
    VIEWER: pgettext_lazy("role", "Viewer"),
}

# Apps whose data Managers and Viewers read; accounts (tokens, audit log) is Admin-only.
READABLE_APPS = ("contacts", "campaigns", "providers")
MANAGER_WRITE_APPS = ("contacts", "campaigns")


def role_permissions(role: str) -> Any:
    """The permissions a role grants, as a queryset."""
    perms = Permission.objects.select_related("content_type")
    if role == ADMIN:
        return perms.all()
    readable = perms.filter(
        content_type__app_label__in=READABLE_APPS, codename__startswith="view_"
    )
    if role == VIEWER:
        return readable
    writable = perms.filter(content_type__app_label__in=MANAGER_WRITE_APPS)
    return readable | writable


def roles_sync_permissions(**kwargs: Any) -> None:
    """Give each role group exactly the permissions its rule grants."""
    for role in ROLES:
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.set(role_permissions(role))


def role_label(role: str) -> str:
    return str(ROLE_LABELS.get(role, role))


def user_roles(user: Any) -> list[str]:
    if not user.is_authenticated:
        return []
    names = set(user.groups.values_list("name", flat=True))
    if user.is_superuser:
        names.add(ADMIN)
    return [role for role in ROLES if role in names]
