import pytest

from django.core.cache import cache
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def test_repeated_failures_lock_the_login_even_with_the_right_password(
    client, viewer_user
):
    for _ in range(5):
        client.post(reverse("login"), {"username": "vera-viewer", "password": "nope"})
    response = client.post(
        reverse("login"), {"username": "vera-viewer", "password": "secret-pass-123"}
    )
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_few_failures_do_not_lock(client, viewer_user):
    for _ in range(3):
        client.post(reverse("login"), {"username": "vera-viewer", "password": "nope"})
    response = client.post(
        reverse("login"), {"username": "vera-viewer", "password": "secret-pass-123"}
    )
    assert response.status_code == 302
