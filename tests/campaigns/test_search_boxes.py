"""The campaign list's and the inbox's (page and API) search boxes read «е» and «ё»
as one letter (smsportal.text_search)."""

import pytest

from accounts.services import api_token_create
from tests.campaigns.report_data import make_reply

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("query", "expected"), [("елочные", 1), ("ЁЛОЧН", 1)])
def test_campaign_list(manager_client, make_campaign, query, expected):
    make_campaign(name="Ёлочные игрушки")
    make_campaign(name="Весенняя распродажа")
    response = manager_client.get("/campaigns/", {"q": query})
    assert len(response.context["table"].page.object_list) == expected


@pytest.mark.parametrize("query", ["все понятно", "ВСЁ"])
def test_inbox_page_and_api(manager_client, manager_user, account, query):
    wanted = make_reply(account, phone="+79120000001", text="Всё понятно, спасибо")
    make_reply(account, phone="+79120000002", text="Стоп")
    response = manager_client.get("/campaigns/inbox/", {"q": query})
    assert [row.record for row in response.context["table"].page.object_list] == [
        wanted
    ]
    _token, raw = api_token_create(user=manager_user, name="test")
    api = manager_client.get(
        "/api/v1/inbound", {"q": query}, HTTP_AUTHORIZATION=f"Bearer {raw}"
    )
    assert [item["id"] for item in api.json()["items"]] == [wanted.pk]
