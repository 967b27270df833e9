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


def test_a_launched_campaign_is_titled_as_a_view(admin_client):
    """A launched campaign is history: its page has no Save button, and says so in
    its title, as Django titles what one may only view ("Просмотреть …")."""
    from providers.models import ProviderAccount

    account = ProviderAccount.objects.create(
        name="A", kind="smsc", base_url="http://127.0.0.1:9/smsc"
    )
    done = Campaign.objects.create(
        name="Sale", account=account, text="Hi", state=Campaign.State.COMPLETED
    )
    draft = Campaign.objects.create(name="Draft", account=account, text="Hi")

    launched = admin_client.get(
        f"/admin/campaigns/campaign/{done.pk}/change/", **RU
    ).content.decode()
    editable = admin_client.get(
        f"/admin/campaigns/campaign/{draft.pk}/change/", **RU
    ).content.decode()

    assert "<title>Sale | Просмотреть рассылку" in launched
    assert 'name="_save"' not in launched
    assert "<title>Draft | Изменить рассылку" in editable
    assert 'name="_save"' in editable
