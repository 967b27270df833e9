import pytest

from django.contrib.auth.models import Group, Permission

from accounts.roles import ADMIN, MANAGER, VIEWER

pytestmark = pytest.mark.django_db


def codenames(role: str) -> set[str]:
    group = Group.objects.get(name=role)
    return {
        f"{p.content_type.app_label}.{p.codename}"
        for p in group.permissions.select_related("content_type")
    }


def test_role_groups_exist_after_migrate():
    assert set(Group.objects.values_list("name", flat=True)) >= {ADMIN, MANAGER, VIEWER}


def test_admin_role_holds_every_permission():
    assert len(codenames(ADMIN)) == Permission.objects.count()


def test_viewer_role_holds_exactly_the_view_permissions_of_the_project_apps():
    expected = {
        f"{p.content_type.app_label}.{p.codename}"
        for p in Permission.objects.filter(
            content_type__app_label__in=("contacts", "campaigns", "providers"),
            codename__startswith="view_",
        ).select_related("content_type")
    }
    assert codenames(VIEWER) == expected


def test_manager_cannot_manage_users_or_tokens():
    perms = codenames(MANAGER)
    assert "auth.add_user" not in perms
    assert "accounts.add_apitoken" not in perms
