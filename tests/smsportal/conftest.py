import pytest

from accounts.services import api_token_create


def _as_api(client, user, settings):
    """The test client as `user`'s API integration: a token, English answers."""
    settings.LANGUAGE_CODE = "en"
    _token, raw = api_token_create(user=user, name="test")
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    return client


@pytest.fixture
def admin_api(client, admin_user, settings):
    return _as_api(client, admin_user, settings)


@pytest.fixture
def manager_api(client, manager_user, settings):
    return _as_api(client, manager_user, settings)


@pytest.fixture
def viewer_api(client, viewer_user, settings):
    return _as_api(client, viewer_user, settings)
