"""Russian admin titles put the model in the accusative ("Выберите группу"), where
Django wrote its name as it is ("Выберите группа для изменения")."""

import pytest

from campaigns.models import Campaign
from contacts.models import ContactGroup

pytestmark = pytest.mark.django_db

RU = {"HTTP_ACCEPT_LANGUAGE": "ru"}


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/admin/contacts/contactgroup/", "Выберите группу для изменения"),
        ("/admin/contacts/contactgroup/add/", "Добавить группу"),
        ("/admin/campaigns/campaign/", "Выберите рассылку для изменения"),
        ("/admin/auth/user/", "Выберите пользователя для изменения"),
        ("/admin/auth/group/add/", "Добавить группу"),
    ],
)
def test_titles_name_the_model_in_the_accusative(admin_client, url, expected):
    page = admin_client.get(url, **RU).content.decode()

    assert f"<title>{expected}" in page
    assert "группа для" not in page
    assert "Добавить группа" not in page
    assert "Добавить рассылка" not in page


def test_the_add_button_and_a_change_page_too(admin_client):
    group = ContactGroup.objects.create(name="Клиенты")

    listing = admin_client.get("/admin/contacts/contactgroup/", **RU).content.decode()
    change = admin_client.get(
        f"/admin/contacts/contactgroup/{group.pk}/change/", **RU
    ).content.decode()

    assert "Добавить группу" in listing
    assert "<title>Клиенты | Изменить группу" in change


def test_a_reader_sees_the_view_title(viewer_client):
    page = viewer_client.get("/admin/campaigns/campaign/", **RU)

    assert page.status_code == 200
    assert "<title>Выберите рассылку для просмотра" in page.content.decode()
    assert Campaign.objects.count() == 0
