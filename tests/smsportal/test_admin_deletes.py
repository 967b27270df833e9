"""Django's delete pages in Russian write the model's name as it is ("Удаление
аккаунт провайдера", "удалить группа"): here it is in the accusative, as the admin's
other titles put it (AccusativeTitles), and a record that protected objects keep is
said to be kept by them, not by a lack of rights."""

import pytest

from django.contrib.auth.models import User
from django.db.models import ProtectedError
from django.urls import reverse

from campaigns.models import BirthdayGreeting, Campaign, Reply
from contacts.models import ContactGroup
from providers.base import DeliveryStatus
from providers.models import ProviderAccount
from tests.campaigns.conftest import add_messages

pytestmark = pytest.mark.django_db

RU = {"HTTP_ACCEPT_LANGUAGE": "ru"}


@pytest.fixture
def root(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", password="x"))
    return client


def title(page: str) -> str:
    return page.split("<title>", 1)[1].split(" | ", 1)[0]


def bulk_delete(client, changelist: str, *pks: int) -> str:
    response = client.post(
        reverse(changelist),
        {"action": "delete_selected", "_selected_action": list(pks)},
        **RU,
    )
    return response.content.decode()


@pytest.mark.parametrize(
    ("make", "url", "sentence"),
    [
        (lambda: ContactGroup.objects.create(name="Клиенты"),
         "admin:contacts_contactgroup_delete",
         "Вы уверены, что хотите удалить группу «Клиенты»?"),
        (lambda: User.objects.create_user("ann"),
         "admin:auth_user_delete",
         "Вы уверены, что хотите удалить пользователя «ann»?"),
        (lambda: ProviderAccount.objects.create(
            name="Запасной", kind="smsc", base_url="http://127.0.0.1:9/smsc"),
         "admin:providers_provideraccount_delete",
         "Вы уверены, что хотите удалить аккаунт провайдера «Запасной»?"),
    ],
)  # fmt: skip
def test_the_delete_page_names_the_record_in_the_accusative(root, make, url, sentence):
    record = make()

    page = root.get(reverse(url, args=[record.pk]), **RU).content.decode()

    assert sentence in page
    assert title(page) == "Удалить"
    assert 'name="post"' in page  # the confirmation, nothing refused


def test_a_bulk_delete_says_what_it_deletes_whatever_the_case(root):
    ann, bob = User.objects.create_user("ann"), User.objects.create_user("bob")

    page = bulk_delete(root, "admin:auth_user_changelist", ann.pk, bob.pk)

    assert "Вы уверены, что хотите удалить выбранные объекты (пользователи: 2)?" in page
    assert "удалить пользователи" not in page


@pytest.fixture
def account_with_history():
    account = ProviderAccount.objects.create(
        name="Основной", kind="smsc", base_url="http://127.0.0.1:9/smsc"
    )
    campaign = Campaign.objects.create(
        name="Sale", account=account, text="Hi", state=Campaign.State.COMPLETED
    )
    add_messages(campaign, [DeliveryStatus.DELIVERED, DeliveryStatus.FAILED])
    return account


def test_an_account_that_sent_messages_says_so_and_offers_deactivating(
    root, account_with_history
):
    """Its campaigns and messages keep it (PROTECT): the page said the superuser
    lacked rights to delete "сообщение рассылка", and listed every message."""
    url = reverse(
        "admin:providers_provideraccount_delete", args=[account_with_history.pk]
    )

    page = root.get(url, **RU).content.decode()
    refused = root.post(url, {"post": "yes"}, **RU)

    assert title(page) == "Не удаётся удалить аккаунт провайдера"
    assert "Нельзя удалить аккаунт провайдера «Основной»" in page
    assert "<li>Рассылки: 1</li>" in page
    assert "<li>Сообщения: 2</li>" in page
    assert "отправлялись сообщения" in page
    assert "снимите отметку «Активен»" in page
    assert "не имеет прав" not in page
    assert 'name="post"' not in page
    assert refused.status_code == 200
    assert ProviderAccount.objects.filter(pk=account_with_history.pk).exists()


def test_an_account_that_only_drafts_use_says_what_to_do(root):
    account = ProviderAccount.objects.create(
        name="Черновой", kind="smsc", base_url="http://127.0.0.1:9/smsc"
    )
    Campaign.objects.create(name="Draft", account=account, text="Hi")
    BirthdayGreeting.objects.create(
        name="ДР", account=account, text="С днём рождения!", to_whole_book=True
    )
    url = reverse("admin:providers_provideraccount_delete", args=[account.pk])

    page = root.get(url, **RU).content.decode()

    assert "<li>Рассылки: 1</li>" in page
    assert "<li>Поздравления с днём рождения: 1</li>" in page
    assert "отправлялись сообщения" not in page
    assert "снимите отметку «Активен»" in page


def test_a_bulk_delete_of_accounts_in_use_is_refused_the_same_way(
    root, account_with_history
):
    spare = ProviderAccount.objects.create(
        name="Запасной", kind="smsc", base_url="http://127.0.0.1:9/smsc"
    )

    page = bulk_delete(
        root, "admin:providers_provideraccount_changelist",
        account_with_history.pk, spare.pk,
    )  # fmt: skip

    assert title(page) == "Не удаётся удалить выбранные объекты"
    assert "<li>Сообщения: 2</li>" in page
    assert "отправлялись сообщения" in page
    assert "не имеет прав" not in page
    assert ProviderAccount.objects.count() == 2


def test_the_delete_action_names_users_in_the_accusative(root):
    page = root.get(reverse("admin:auth_user_changelist"), **RU).content.decode()

    assert (
        '<option value="delete_selected">Удалить выбранных пользователей</option>'
        in page
    )
    assert "Удалить выбранные пользователи" not in page


def test_an_account_with_replies_only_keeps_them_and_says_so(root):
    """Replies are history (opt-outs among them): they cascaded away with an account
    that had sent nothing, and the page offered "Replies: 1" for deletion."""
    account = ProviderAccount.objects.create(
        name="Входящий", kind="smsc", base_url="http://127.0.0.1:9/smsc"
    )
    Reply.objects.create(
        account=account, phone="+79161234567", text="СТОП", is_opt_out=True
    )
    url = reverse("admin:providers_provideraccount_delete", args=[account.pk])

    page = root.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    root.post(url, {"post": "yes"})

    assert "<li>Replies: 1</li>" in page
    assert (
        "Replies came in through this provider account: the inbox keeps them, "
        "opt-outs among them, so it stays."
    ) in page
    assert 'name="post"' not in page
    assert Reply.objects.filter(account=account).exists()
    with pytest.raises(ProtectedError):
        account.delete()


def test_a_groups_delete_page_names_what_links_to_it_in_words(root):
    """Django named a campaign's link to the group "Campaign_include_groups object
    (3)", under «Связь рассылка-группа»."""
    group = ContactGroup.objects.create(name="Клиенты")
    account = ProviderAccount.objects.create(
        name="Запасной", kind="smsc", base_url="http://127.0.0.1:9/smsc"
    )
    done = Campaign.objects.create(
        name="Осень", account=account, text="x", state=Campaign.State.COMPLETED
    )
    done.include_groups.add(group)

    url = reverse("admin:contacts_contactgroup_delete", args=[group.pk])
    page = root.get(url, **RU).content.decode()

    assert "Рассылка «Осень»: связь с группой" in page
    assert "<li>Рассылки, связанные с группой: 1</li>" in page
    assert "object (" not in page
