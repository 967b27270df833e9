"""Tables page in the reader's language, for screen readers too."""

import pytest

from contacts.models import Contact

pytestmark = pytest.mark.django_db


def test_a_tables_pages_are_labelled_in_russian(manager_client):
    Contact.objects.bulk_create(Contact(phone=f"+7912{n:07d}") for n in range(60))

    page = manager_client.get("/contacts/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()

    assert 'aria-label="Страницы таблицы"' in page
    assert "Table navigation" not in page
    assert 'class="pagination' in page
