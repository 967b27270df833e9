"""A launch, a test send or a save made on a version of the draft someone changed
since is refused; two API updates of different fields at once both stay."""

import re

import pytest

from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from accounts.roles import MANAGER
from campaigns.models import BirthdayGreeting, Campaign, Message, MessageTemplate
from tests.campaigns.gateway_accounts import simulated_account
from tests.concurrency import both_at_once
from tests.conftest import _user_with_role
from tests.page_forms import conflict_rows, form_values

pytestmark = pytest.mark.django_db
API = "/api/v1"
State = Campaign.State


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def people(prefix: str, n: int) -> list[tuple[str, str, str]]:
    return [(f"{prefix}{i:04d}", f"Name{i}", "Europe/Moscow") for i in range(n)]


@pytest.fixture
def draft(simulator, make_group, make_campaign):
    account = simulated_account(simulator, "websms")
    return make_campaign(
        [make_group("Two", people("+7912000", 2))],
        account=account,
        text="Sale 10% for {first_name}",
    )


def patch(client, path: str, body: dict):
    return client.patch(f"{API}{path}", body, content_type="application/json")


def shown_version(html: str) -> str:
    return re.search(r'name="version" value="(\d+)"', html).group(1)


# Versions ----------------------------------------------------------------------


def test_a_save_raises_the_version_and_a_launch_does_not(draft):
    assert draft.version == 1
    draft.text = "Another"
    draft.save()
    assert draft.version == 2
    Campaign.objects.filter(pk=draft.pk).update(name="unseen")  # no save: no count
    draft.state = State.SENDING
    draft.save(update_fields=["state"])
    draft.refresh_from_db()
    assert draft.version == 2


# Launch --------------------------------------------------------------------------


def test_launch_from_a_preview_someone_changed_since_is_refused(
    manager_client, other_client, draft, make_group
):
    preview = manager_client.get(reverse("campaigns:preview", args=[draft.pk]))
    version = shown_version(preview.content.decode())
    more = make_group("Three", people("+7913000", 3))
    changed = patch(
        other_client,
        f"/campaigns/{draft.pk}",
        {"text": "Sale 90% for {first_name}", "include_groups": [more.pk]},
    )
    assert changed.status_code == 200

    response = manager_client.post(
        reverse("campaigns:launch", args=[draft.pk]), {"version": version}
    )

    assert response.status_code == 302
    assert response.url == reverse("campaigns:edit", args=[draft.pk])
    draft.refresh_from_db()
    assert draft.state == State.DRAFT
    assert draft.launched_at is None
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert message.startswith("Nothing was launched: bob-manager changed the campaign")
    assert "Check the new preview, then launch again." in message
    # The fresh preview carries the new version, and launches.
    fresh = manager_client.get(reverse("campaigns:preview", args=[draft.pk]))
    body = fresh.content.decode()
    assert "Sale 90%" in body
    assert shown_version(body) == str(draft.version) != version
    launched = manager_client.post(
        reverse("campaigns:launch", args=[draft.pk]), {"version": shown_version(body)}
    )
    assert launched.status_code == 302
    draft.refresh_from_db()
    assert draft.state == State.SENDING


def test_a_launch_without_a_version_launches_as_before(manager_client, draft):
    response = manager_client.post(reverse("campaigns:launch", args=[draft.pk]))

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.state == State.SENDING


def test_a_launch_of_a_campaign_launched_already_still_says_so(manager_client, draft):
    version = draft.version
    Campaign.objects.filter(pk=draft.pk).update(state=State.SENDING, version=9)

    response = manager_client.post(
        reverse("campaigns:launch", args=[draft.pk]), {"version": version}
    )

    assert response.url == reverse("campaigns:detail", args=[draft.pk])
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert message == "Only a draft can be launched."


def test_api_launch_with_an_old_expected_version_is_a_409(
    manager_client, other_client, draft
):
    read = manager_client.get(f"{API}/campaigns/{draft.pk}").json()
    assert read["version"] == draft.version
    patch(other_client, f"/campaigns/{draft.pk}", {"text": "Changed by B"})

    stale = manager_client.post(
        f"{API}/campaigns/{draft.pk}/launch",
        {"expected_version": read["version"]},
        content_type="application/json",
    )
    by_header = manager_client.generic(
        "POST",
        f"{API}/campaigns/{draft.pk}/launch",
        b"",
        HTTP_IF_MATCH=f'"{read["version"]}"',
    )

    assert stale.status_code == 409
    assert stale.json()["where"] == "version"
    assert "bob-manager changed the campaign" in stale.json()["detail"]
    assert by_header.status_code == 409
    draft.refresh_from_db()
    assert draft.state == State.DRAFT
    current = manager_client.post(
        f"{API}/campaigns/{draft.pk}/launch",
        {"expected_version": draft.version},
        content_type="application/json",
    )
    assert current.status_code == 200
    assert current.json()["state"] == "sending"


def test_api_launch_without_a_body_launches_as_before(manager_client, draft):
    # No body at all, as `curl -X POST` sends; and an empty object.
    response = manager_client.generic("POST", f"{API}/campaigns/{draft.pk}/launch", b"")

    assert response.status_code == 200
    assert response.json()["state"] == "sending"


def test_the_api_schema_documents_the_launch_version(manager_client):
    document = manager_client.get(f"{API}/openapi.json").json()
    schemas = document["components"]["schemas"]
    launch = document["paths"][f"{API}/campaigns/{{campaign_id}}/launch"]["post"]
    test_send = document["paths"][f"{API}/campaigns/{{campaign_id}}/test-send"]
    assert "LaunchIn" in str(launch["requestBody"])
    assert "expected_version" in schemas["LaunchIn"]["properties"]
    assert launch["requestBody"].get("required") is not True
    assert "If-Match" in [p["name"] for p in launch["parameters"]]
    assert "409" in launch["responses"]
    assert "409" in test_send["post"]["responses"]
    assert "expected_version" in schemas["TestSendIn"]["properties"]
    assert "version" in schemas["CampaignOut"]["properties"]


# Test send ---------------------------------------------------------------------


def test_a_test_send_of_a_text_changed_since_the_page_opened_sends_nothing(
    manager_client, other_client, draft, simulator
):
    page = manager_client.get(reverse("campaigns:test_send", args=[draft.pk]))
    data = form_values(
        page.content.decode(), having="phones", replace={"phones": "+79120009999"}
    )
    assert "Sale 10%" in page.content.decode()
    patch(other_client, f"/campaigns/{draft.pk}", {"text": "Sale 90% by B"})

    response = manager_client.post(
        reverse("campaigns:test_send", args=[draft.pk]), data
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert not Message.objects.filter(campaign=None).exists()
    assert simulator.state.submissions == []
    assert "Nothing was sent: bob-manager changed the campaign" in body
    assert "Sale 90% by B" in body  # the text it would send now
    again = form_values(body, having="phones")
    assert again["phones"].strip() == "+79120009999"
    assert again["version"] == str(Campaign.objects.get(pk=draft.pk).version)
    sent = manager_client.post(reverse("campaigns:test_send", args=[draft.pk]), again)
    assert sent.status_code == 200
    assert Message.objects.get(campaign=None).text == "Sale 90% by B"


# The composer ----------------------------------------------------------------


def test_saving_the_composer_over_a_newer_draft_is_refused_keeping_the_typing(
    manager_client, other_client, draft
):
    page = manager_client.get(reverse("campaigns:edit", args=[draft.pk]))
    data = form_values(
        page.content.decode(), having="name", replace={"name": "Renamed by A"}
    )
    patch(other_client, f"/campaigns/{draft.pk}", {"text": "B's new text"})

    response = manager_client.post(reverse("campaigns:edit", args=[draft.pk]), data)

    body = response.content.decode()
    assert response.status_code == 200
    assert "bob-manager changed this record" in body
    assert "“Load the current values” puts it in the form" in body
    assert 'value="Renamed by A"' in body
    draft.refresh_from_db()
    assert (draft.name, draft.text) == ("Test campaign", "B's new text")


def test_saving_the_composer_opened_at_the_current_version_saves(manager_client, draft):
    page = manager_client.get(reverse("campaigns:edit", args=[draft.pk]))
    data = form_values(page.content.decode(), having="name", replace={"name": "New"})

    response = manager_client.post(reverse("campaigns:edit", args=[draft.pk]), data)

    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.name, draft.version, draft.changed_by.username) == (
        "New",
        2,
        "mark-manager",
    )


def test_template_and_greeting_pages_refuse_a_save_over_a_newer_version(
    manager_client, other_client, draft, make_group
):
    template = MessageTemplate.objects.create(name="T", text="Hello")
    greeting = BirthdayGreeting.objects.create(
        name="G", account=draft.account, text="Happy birthday", to_whole_book=True
    )
    cases = [
        (reverse("campaigns:template_edit", args=[template.pk]), template,
         f"/templates/{template.pk}", "text"),
        (reverse("campaigns:greeting_edit", args=[greeting.pk]), greeting,
         f"/greetings/{greeting.pk}", "text"),
    ]  # fmt: skip
    for url, record, api_path, field in cases:
        name = record.name
        page = manager_client.get(url).content.decode()
        data = form_values(page, having="name", replace={"name": "A's name"})
        assert patch(other_client, api_path, {field: "B's text"}).status_code == 200

        response = manager_client.post(url, data)

        assert "changed this record" in response.content.decode(), url
        record.refresh_from_db()
        assert (record.name, record.text) == (name, "B's text"), url


# Two API updates at once ---------------------------------------------------------


@pytest.fixture
def two_clients(transactional_db, django_user_model):
    clients = []
    for name in ("amy-manager", "ben-manager"):
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(_user_with_role(django_user_model, name, MANAGER))
        clients.append(client)
    return clients


@pytest.mark.django_db(transaction=True)
def test_api_updates_of_different_fields_at_once_both_stay(
    monkeypatch, two_clients, simulator
):
    a, b = two_clients
    account = simulated_account(simulator, "websms")
    campaign = Campaign.objects.create(
        name="race", account=account, sender="SMSPORTAL", text="t0",
        extra_numbers="+79120000001",
    )  # fmt: skip
    template = MessageTemplate.objects.create(name="race", text="t0")
    greeting = BirthdayGreeting.objects.create(
        name="race", account=account, text="t0", to_whole_book=True
    )
    # Each is held after it read the record, before it saves (the modules load with
    # the API's, so they are found by name).
    cases = [
        ("campaigns.api", "_save_draft", f"/campaigns/{campaign.pk}", campaign),
        ("campaigns.templates_api", "form_saved", f"/templates/{template.pk}",
         template),
        ("campaigns.greetings_api", "form_saved", f"/greetings/{greeting.pk}",
         greeting),
    ]  # fmt: skip
    for module, hook, path, record in cases:
        codes = both_at_once(
            monkeypatch,
            module,
            hook,
            [
                lambda path=path: patch(a, path, {"name": "name by A"}),
                lambda path=path: patch(b, path, {"text": "text by B"}),
            ],
        )

        assert codes == [200, 200], path
        record.refresh_from_db()
        assert (record.name, record.text) == ("name by A", "text by B"), path
        assert record.version == 3, path


# After a refusal -----------------------------------------------------------------


def test_a_refused_composer_says_what_changed_and_loads_it_keeping_the_typing(
    manager_client, other_client, draft, make_group
):
    url = reverse("campaigns:edit", args=[draft.pk])
    first, second, third = (make_group(n, []) for n in ("First", "Second", "Third"))
    draft.include_groups.set([first])
    data = form_values(
        manager_client.get(url).content.decode(),
        having="name",
        replace={"name": "Renamed by A", "include_groups": [str(first.pk),
                                                             str(third.pk)]},
    )  # fmt: skip
    body = {"text": "B's new text", "include_groups": [first.pk, second.pk]}
    assert patch(other_client, f"/campaigns/{draft.pk}", body).status_code == 200

    refused = manager_client.post(url, data).content.decode()

    assert conflict_rows(refused) == [
        ["Text", "Sale 10% for {first_name}", "B's new text", "—"],
        ["Send to groups", "First", "First, Second", "First, Third"],
    ]
    page = manager_client.post(url, {**data, "reload_current": "1"}).content.decode()
    again = form_values(page, having="name")
    assert (again["name"], again["text"].strip()) == ("Renamed by A", "B's new text")
    # A list gets both people's additions.
    assert sorted(again["include_groups"]) == sorted(
        str(g.pk) for g in (first, second, third)
    )
    assert manager_client.post(url, again).status_code == 302
    draft.refresh_from_db()
    assert (draft.name, draft.text) == ("Renamed by A", "B's new text")
    assert set(draft.include_groups.all()) == {first, second, third}


def test_refused_template_and_greeting_pages_load_the_current_values(
    manager_client, other_client, draft
):
    template = MessageTemplate.objects.create(name="T", text="Hello")
    greeting = BirthdayGreeting.objects.create(
        name="G", account=draft.account, text="Happy birthday", to_whole_book=True
    )
    for record, path, url in (
        (template, f"/templates/{template.pk}",
         reverse("campaigns:template_edit", args=[template.pk])),
        (greeting, f"/greetings/{greeting.pk}",
         reverse("campaigns:greeting_edit", args=[greeting.pk])),
    ):  # fmt: skip
        page = manager_client.get(url).content.decode()
        data = form_values(page, having="name", replace={"name": "A's name"})
        assert patch(other_client, path, {"text": "B's text"}).status_code == 200
        refused = manager_client.post(url, data).content.decode()
        assert conflict_rows(refused)[0][1:] == [record.text, "B's text", "—"], url

        page = manager_client.post(url, {**data, "reload_current": "1"})
        again = form_values(page.content.decode(), having="name")

        assert manager_client.post(url, again).status_code == 302, url
        record.refresh_from_db()
        assert (record.name, record.text) == ("A's name", "B's text"), url
