"""Error pages in the reader's language, with the navigation where a page can have it."""

import pytest

from django.urls import reverse

from tests.contacts.conftest import make_contact

pytestmark = pytest.mark.django_db


def test_a_missing_page_says_so_in_russian_with_the_navigation(manager_client):
    response = manager_client.get("/contacts/999999/", HTTP_ACCEPT_LANGUAGE="ru")

    html = response.content.decode()
    assert response.status_code == 404
    assert 'data-error="404"' in html
    assert "Страница не найдена" in html
    assert reverse("dashboard") in html
    assert "The requested resource was not found" not in html


def test_an_actions_address_opened_by_a_get_explains_itself(manager_client):
    """GET on a POST-only view was an empty 405: a blank page."""
    contact = make_contact()

    response = manager_client.get(
        reverse("contacts:delete", args=[contact.pk]), HTTP_ACCEPT_LANGUAGE="ru"
    )

    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert 'data-error="405"' in response.content.decode()
    assert "Этот адрес — действие" in response.content.decode()


def test_the_api_keeps_its_own_answers(manager_client):
    response = manager_client.get("/api/v1/nothing-here")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert list(response.json()) == ["detail"]


def test_a_server_error_page_stands_alone_in_russian():
    """Django renders 500.html without a request context: no user, no menu."""
    from django.template.loader import render_to_string
    from django.utils import translation

    with translation.override("ru"):
        html = render_to_string("500.html")

    assert 'lang="ru"' in html
    assert "Что-то пошло не так" in html
    assert 'data-error="500"' in html
