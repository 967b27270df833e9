"""Two people changing the same record in the admin: whoever saves second on an
older version is refused, told what changed and offered the current values with
their own typing kept, as the pages do (smsportal.admin_versions)."""

import pytest

from django.test import Client
from django.urls import reverse

from accounts.roles import MANAGER
from campaigns.models import BirthdayGreeting, Campaign, MessageTemplate
from contacts.models import Contact, ContactGroup
from tests.campaigns.gateway_accounts import simulated_account
from tests.conftest import _user_with_role
from tests.page_forms import conflict_rows, default_submit, form_values

pytestmark = pytest.mark.django_db
API = "/api/v1"


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def admin_a(django_user_model) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(django_user_model.objects.create_superuser("amy", None, "x"))
    return client


@pytest.fixture
def manager_b(django_user_model) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(_user_with_role(django_user_model, "ben", MANAGER))
    return client


@pytest.fixture
def records(simulator):
    account = simulated_account(simulator, "websms")
    return {
        "contact": Contact.objects.create(phone="+79120000001", first_name="Ivan"),
        "contactgroup": ContactGroup.objects.create(name="Clients"),
        "campaign": Campaign.objects.create(
            name="Sale",
            account=account,
            sender="SMSPORTAL",
            text="Old text",
            to_whole_book=True,
        ),  # fmt: skip
        "messagetemplate": MessageTemplate.objects.create(name="T", text="Old text"),
        "birthdaygreeting": BirthdayGreeting.objects.create(
            name="G", account=account, text="Old text", to_whole_book=True
        ),
    }


# Each: the API path B changes it by, B's change, the field A types in.
CASES = {
    "contact": ("/contacts/{}", {"first_name": "Pyotr"}, "last_name"),
    "contactgroup": ("/groups/{}", {"description": "By B"}, "name"),
    "campaign": ("/campaigns/{}", {"text": "B's text"}, "name"),
    "messagetemplate": ("/templates/{}", {"text": "B's text"}, "name"),
    "birthdaygreeting": ("/greetings/{}", {"text": "B's text"}, "name"),
}


def change_url(record) -> str:
    meta = record._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[record.pk])


@pytest.mark.parametrize("model", list(CASES))
def test_an_admin_save_over_a_newer_version_is_refused_then_saves_loaded_again(
    admin_a, manager_b, records, model
):
    record = records[model]
    path, change, typed = CASES[model]
    ((changed, value),) = change.items()
    url = change_url(record)
    data = form_values(
        admin_a.get(url).content.decode(), having=typed, replace={typed: "By A"}
    )
    assert data["version"] == "1"
    assert (
        manager_b.patch(
            API + path.format(record.pk), change, content_type="application/json"
        ).status_code
        == 200
    )

    refused = admin_a.post(url, data)

    html = refused.content.decode()
    assert refused.status_code == 200
    assert "changed this record" in html
    assert [row[2:] for row in conflict_rows(html)] == [[value, "—"]]
    # Enter in a field saves, as it does on any change form, not "Load the current
    # values" (the first button in the form otherwise).
    assert default_submit(html, having=typed) == "_save"
    record.refresh_from_db()
    assert getattr(record, changed) == value
    assert getattr(record, typed) != "By A"

    reloaded = admin_a.post(url, {**data, "reload_current": "1"})

    html = reloaded.content.decode()
    assert reloaded.status_code == 200
    assert "The form now holds the record as it is" in html
    again = form_values(html, having=typed)
    assert again[typed] == "By A"
    assert again[changed].strip() == value
    record.refresh_from_db()
    assert record.version == 2  # loading saved nothing

    assert admin_a.post(url, again).status_code == 302
    record.refresh_from_db()
    assert (getattr(record, typed), getattr(record, changed)) == ("By A", value)
    assert record.version == 3


def test_an_admin_save_at_the_current_version_saves(admin_a, records):
    group = records["contactgroup"]
    url = change_url(group)
    data = form_values(admin_a.get(url).content.decode(), having="name")

    assert admin_a.post(url, {**data, "name": "Renamed"}).status_code == 302
    group.refresh_from_db()
    assert (group.name, group.version) == ("Renamed", 2)


def test_a_draft_launched_while_its_admin_form_was_sent_is_not_saved_back(
    admin_a, records, monkeypatch
):
    from campaigns.admin import CampaignAdmin

    campaign = records["campaign"]
    url = change_url(campaign)
    data = form_values(admin_a.get(url).content.decode(), having="name")
    read = CampaignAdmin.get_object

    def read_before_the_launch(self, request, object_id, from_field=None):
        campaign = read(self, request, object_id, from_field)
        campaign.state = Campaign.State.DRAFT  # as read just before the launch
        return campaign

    monkeypatch.setattr(CampaignAdmin, "get_object", read_before_the_launch)
    Campaign.objects.filter(pk=campaign.pk).update(state=Campaign.State.SENDING)

    response = admin_a.post(url, {**data, "name": "Renamed"})

    assert response.status_code == 200
    assert "Only a draft can be changed." in response.content.decode()
    campaign.refresh_from_db()
    assert (campaign.state, campaign.name) == (Campaign.State.SENDING, "Sale")
