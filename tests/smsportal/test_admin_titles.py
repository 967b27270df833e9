"""Russian admin titles put the model in the accusative ("Выберите группу"), where
Django wrote its name as it is ("Выберите группа для изменения")."""

import pytest

from django.contrib import admin
from django.utils import translation
from django.utils.text import capfirst

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


def test_the_list_footer_counts_without_a_wrong_plural(admin_client, django_user_model):
    """The footer said "3 пользователи": Django takes the singular for 1 and the
    plural otherwise, which is not how Russian counts."""
    for name in ("anna", "boris"):
        django_user_model.objects.create_user(username=name, password="x")
    ContactGroup.objects.bulk_create(ContactGroup(name=f"G{n}") for n in range(5))

    users = admin_client.get("/admin/auth/user/", **RU).content.decode()
    groups = admin_client.get("/admin/contacts/contactgroup/", **RU).content.decode()

    assert "<span data-result-count>Пользователи: 3</span>" in users
    assert "3 пользователи" not in users
    assert "<span data-result-count>Группы: 5</span>" in groups
    assert "5 группы" not in groups


@pytest.mark.parametrize(
    "model",
    sorted(admin.site._registry, key=lambda model: model._meta.label),
    ids=lambda model: model._meta.label,
)
def test_every_list_footer_counts_the_same_way(admin_client, model):
    page = admin_client.get(
        f"/admin/{model._meta.app_label}/{model._meta.model_name}/", **RU
    ).content.decode()

    with translation.override("ru"):
        name = capfirst(str(model._meta.verbose_name_plural))
    count = model._default_manager.count()
    assert f"<span data-result-count>{name}: {count}</span>" in page
