"""A table with nothing to show says so, instead of a bare header row."""

import pytest

from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("page", "query", "text"),
    [
        # Searched or filtered: nothing matches it (tests/campaigns/test_nothing_matches).
        ("contacts:list", "?q=nobody", "Под фильтр ничего не подходит."),
        ("contacts:group_list", "", "Групп пока нет."),
        ("contacts:stoplist", "?q=79990000000", "Под фильтр ничего не подходит."),
        ("contacts:import", "", "Импортов пока нет."),
        ("accounts:audit_log", "?object_repr=nothing-like-this", "События не найдены."),
    ],
)
def test_an_empty_table_says_why_it_is_empty(admin_client, page, query, text):
    response = admin_client.get(reverse(page) + query, HTTP_ACCEPT_LANGUAGE="ru")

    assert response.status_code == 200
    assert text in response.content.decode()
