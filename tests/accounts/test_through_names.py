"""Django's many-to-many link tables are named in the reader's language, not in the
one active when the models were made (Russian: "Связи user-group" in English)."""

import pytest

from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.roles import VIEWER

pytestmark = pytest.mark.django_db


def test_the_user_delete_page_names_the_role_links_in_english(
    admin_client, django_user_model
):
    bob = django_user_model.objects.create_user("bob")
    bob.groups.add(Group.objects.get(name=VIEWER))

    page = admin_client.get(
        reverse("admin:auth_user_delete", args=[bob.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()

    assert "User-group relationships: 1" in page
    assert "Связ" not in page


def test_the_links_are_named_by_the_models_in_russian_too(
    admin_client, django_user_model
):
    bob = django_user_model.objects.create_user("bob")
    bob.groups.add(Group.objects.get(name=VIEWER))

    page = admin_client.get(
        reverse("admin:auth_user_delete", args=[bob.pk]), HTTP_ACCEPT_LANGUAGE="ru"
    ).content.decode()

    assert "Связи пользователь-группа: 1" in page
