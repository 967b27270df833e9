import pytest

from django.contrib.auth.models import Group, Permission
from django.urls import reverse

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


def test_a_user_without_a_role_is_told_on_the_dashboard_to_ask_for_one(
    client, django_user_model
):
    client.force_login(django_user_model.objects.create_user("nobody", password="x"))
    html = client.get(reverse("dashboard"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert (
        "Your account has no role yet: ask an administrator to give you one "
        "(Admin, Manager or Viewer)." in html
    )
    ru = client.get(reverse("dashboard"), HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    # The roles by the names people read (the sentence's own translation comes with
    # the catalogue).
    notice = ru.split("data-no-role>", 1)[1].split("</div>", 1)[0]
    assert all(name in notice for name in ("Администратор", "Менеджер", "Наблюдатель"))


@pytest.mark.parametrize("user_fixture", ["admin_user", "manager_user", "viewer_user"])
def test_a_user_with_a_role_gets_no_such_notice(request, client, user_fixture):
    client.force_login(request.getfixturevalue(user_fixture))
    html = client.get(reverse("dashboard"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "data-no-role" not in html
    assert "has no role yet" not in html
