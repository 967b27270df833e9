"""The site's icon: linked from every page and served at /favicon.ico, from our files."""

import pytest

from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.urls import reverse

ICON = "img/favicon.svg"


@pytest.mark.django_db
def test_pages_link_the_icon(client):
    page = client.get(reverse("login")).content.decode()
    assert f'<link rel="icon" href="{static(ICON)}" type="image/svg+xml">' in page


def test_the_icon_is_a_static_svg():
    path = finders.find(ICON)
    assert path, ICON
    with open(path, encoding="utf-8") as icon:
        assert icon.read().lstrip().startswith("<svg")


@pytest.mark.django_db
def test_favicon_ico_leads_to_the_icon_without_logging_in(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response.url == static(ICON)
