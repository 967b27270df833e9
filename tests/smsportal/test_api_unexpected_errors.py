"""The API answers JSON even for errors of its own, and says nothing of them."""

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from smsportal import api, outage

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture(autouse=True)
def _fresh_outage_state():
    outage.forget()
    yield
    outage.forget()


def test_an_unexpected_error_is_a_json_500_without_internals(
    viewer_client, monkeypatch, caplog
):
    def broken(user):
        raise RuntimeError("password=hunter2 in /srv/smsportal/secret.py")

    monkeypatch.setattr(api, "user_roles", broken)
    response = viewer_client.get("/api/v1/me", **EN)
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["detail"].startswith("The server could not complete this request")
    assert "hunter2" not in response.content.decode()
    # Logged where Django logs its own 500s, with the traceback.
    logged = [r for r in caplog.records if r.name == "django.request"]
    assert logged
    assert logged[0].exc_info is not None


def test_the_cache_lost_under_an_api_call_is_a_json_503(viewer_client, monkeypatch):
    def lost(user):
        raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379.")

    monkeypatch.setattr(api, "user_roles", lost)
    response = viewer_client.get("/api/v1/me", **EN)
    assert response.status_code == 503
    assert "unavailable" in response.json()["detail"]
    assert "6379" not in response.content.decode()
    assert outage.CACHE in outage.seen_down()
