import pytest

from accounts.services import api_token_create


@pytest.fixture
def manager_api(client, manager_user, settings):
    """The test client as a manager's API integration: a token, English answers."""
    settings.LANGUAGE_CODE = "en"
    _token, raw = api_token_create(user=manager_user, name="test")
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    return client
