"""No admin list filters by a secret field from the query string: one row for a
right prefix and none for a wrong one read a gateway's callback token to a Viewer
in some 1,300 requests (?callback_token__startswith=...)."""

import pytest

from django.apps import apps
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from accounts.services import api_token_create
from providers.models import ProviderAccount
from smsportal.admin_lookups import SECRET_FIELDS

pytestmark = pytest.mark.django_db

ACCOUNTS = reverse("admin:providers_provideraccount_changelist")


@pytest.fixture
def account(db):
    return ProviderAccount.objects.create(
        name="Shop", kind="webcom", base_url="http://127.0.0.1:9/webcom",
        login="shop-login", password="pw-secret", token="tok-secret",
    )  # fmt: skip


@pytest.mark.parametrize("who", ["viewer_client", "manager_client", "admin_client"])
@pytest.mark.parametrize(
    "field", ["callback_token", "login", "password", "token"], ids=str
)
def test_account_secrets_cannot_be_guessed_through_list_filters(
    request, account, who, field
):
    client = request.getfixturevalue(who)
    value = getattr(account, field)
    right = client.get(ACCOUNTS, {"id": account.pk, f"{field}__startswith": value[:3]})
    wrong = client.get(ACCOUNTS, {"id": account.pk, f"{field}__startswith": "~~~"})

    # Refused alike, right prefix or wrong: nothing tells one from the other.
    assert right.status_code == wrong.status_code == 400
    assert value.encode() not in right.content


def test_ordinary_filters_still_work(admin_client, account):
    response = admin_client.get(ACCOUNTS, {"id": account.pk, "name__startswith": "Sh"})

    assert response.status_code == 200
    assert response.context["cl"].result_count == 1


def test_a_token_digest_and_a_password_hash_cannot_be_guessed(
    admin_client, admin_user, viewer_user
):
    token, _raw = api_token_create(user=viewer_user, name="crm")
    tokens = reverse("admin:accounts_apitoken_changelist")
    users = reverse("admin:auth_user_changelist")

    by_digest = admin_client.get(tokens, {"digest__startswith": token.digest[:2]})
    by_hash = admin_client.get(users, {"password__startswith": "pbkdf2"})
    by_owner_hash = admin_client.get(tokens, {"user__password__startswith": "pbkdf2"})

    assert by_digest.status_code == by_hash.status_code == 400
    assert by_owner_hash.status_code == 400


def _secret_lookups(model) -> list[str]:
    """Every path from the model to a secret field, its own or a related model's."""
    paths = [f"{name}__startswith" for name in SECRET_FIELDS.get(model._meta.label, ())]
    for field in model._meta.get_fields():
        if not field.is_relation or field.related_model is None:
            continue
        secrets = SECRET_FIELDS.get(field.related_model._meta.label, ())
        paths += [f"{field.name}__{name}__startswith" for name in secrets]
    return paths


@pytest.mark.parametrize(
    "model",
    sorted(admin.site._registry, key=lambda model: model._meta.label),
    ids=lambda model: model._meta.label,
)
def test_no_admin_allows_a_secret_lookup(admin_user, model):
    """Any admin, now or added later, with a list filter through a relation too."""
    admin_user.is_superuser = True
    web_request = RequestFactory().get("/")
    web_request.user = admin_user
    model_admin = admin.site._registry[model]

    allowed = [
        lookup
        for lookup in _secret_lookups(model)
        if model_admin.lookup_allowed(lookup, "x", web_request)
    ]

    assert allowed == []


def test_the_secret_fields_exist():
    """A renamed field would leave its name here guarding nothing."""
    for label, names in SECRET_FIELDS.items():
        model = apps.get_model(label)
        for name in names:
            model._meta.get_field(name)
