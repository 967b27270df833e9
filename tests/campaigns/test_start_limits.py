"""A campaign's start time: refused past a year ahead, on its field, with nothing
saved; starts stored out of range before that no longer break any page."""

import importlib
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from django.apps import apps
from django.db import DataError, connection
from django.urls import reverse
from django.utils import timezone

from campaigns.forms import DATETIME_LOCAL, CampaignForm
from campaigns.models import Campaign
from tests.campaigns.test_forms import form_data
from tests.campaigns.test_views import composer_data

pytestmark = pytest.mark.django_db

API = "/api/v1/campaigns"


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def local_in(days: float, tz: str = "Europe/Moscow") -> str:
    moment = timezone.now() + timedelta(days=days)
    return moment.astimezone(ZoneInfo(tz)).strftime(DATETIME_LOCAL)


@pytest.mark.parametrize(
    ("typed", "tz"),
    [
        ("9999-12-31T23:59", "America/Los_Angeles"),  # past Python's last instant
        ("9999-12-31T23:59", "Asia/Vladivostok"),  # no room for any zone's clock
        ("2062-01-01T10:00", "Europe/Moscow"),
        ("0001-01-01T00:00", "Europe/Moscow"),  # before Python's first instant
    ],
)
def test_a_start_out_of_range_is_an_error_on_its_field(account, typed, tz):
    form = CampaignForm(
        form_data(account, start_mode="at", start_local=typed, time_zone=tz)
    )

    assert not form.is_valid()
    assert list(form.errors) == ["start_local"]


def test_a_start_within_a_year_is_taken_and_one_past_it_is_not(account):
    inside = CampaignForm(
        form_data(account, start_mode="at", start_local=local_in(364))
    )
    beyond = CampaignForm(
        form_data(account, start_mode="at", start_local=local_in(367))
    )

    assert inside.is_valid(), inside.errors
    assert not beyond.is_valid()
    assert "within a year" in beyond.errors["start_local"][0]


def test_the_composer_saves_nothing_for_a_start_out_of_range(manager_client, account):
    response = manager_client.post(
        reverse("campaigns:create"),
        composer_data(
            account,
            start_mode="at",
            start_local="9999-12-31T23:59",
            time_zone="America/Los_Angeles",
        ),
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 200
    assert "within a year" in response.content.decode()
    assert not Campaign.objects.exists()


@pytest.mark.parametrize("tz", ["America/Los_Angeles", "Asia/Vladivostok"])
def test_the_api_refuses_a_start_out_of_range_on_start_at_and_saves_nothing(
    manager_client, account, tz
):
    body = {
        "name": "Far", "account": account.pk, "sender": account.default_sender,
        "text": "Hi", "extra_numbers": "+79120000001",
        "start_at": "9999-12-31T23:59", "time_zone": tz,
    }  # fmt: skip

    response = manager_client.post(API, body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["where"] == "start_at"
    assert not Campaign.objects.exists()


def test_an_api_draft_refused_after_saving_leaves_nothing(
    manager_client, account, monkeypatch
):
    """The answer is read back after the save: a failure there undoes the save."""

    def unreadable(campaign):
        raise DataError("timestamp too large")

    monkeypatch.setattr("campaigns.api._detail", unreadable)
    body = {
        "name": "Draft", "account": account.pk, "sender": account.default_sender,
        "text": "Hi", "extra_numbers": "+79120000001",
    }  # fmt: skip

    response = manager_client.post(API, body, content_type="application/json")

    assert response.status_code == 400
    assert not Campaign.objects.exists()


def test_launch_of_a_draft_saved_with_a_start_too_far_ahead_names_the_start(
    manager_client, make_campaign
):
    campaign = make_campaign(
        extra_numbers="+79120000001",
        start_at=datetime(2062, 1, 1, 7, 0, tzinfo=UTC),
    )

    response = manager_client.post(
        f"{API}/{campaign.pk}/launch", content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["where"] == "start_at"
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.DRAFT


def test_starts_stored_out_of_range_are_brought_back_and_every_page_reads_them(
    manager_client, make_campaign
):
    """Saved before the limit: 10000-01-01 07:59 UTC could not be read back at all,
    and 31.12.9999 in Vladivostok could not be shown in its zone."""
    unreadable = make_campaign(name="Los Angeles", time_zone="America/Los_Angeles")
    unshowable = make_campaign(
        name="Vladivostok",
        time_zone="Asia/Vladivostok",
        start_at=datetime(9999, 12, 31, 13, 59, tzinfo=UTC),
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE campaigns_campaign SET start_at = '10000-01-01 07:59+00' "
            "WHERE id = %s",
            [unreadable.pk],
        )
    migration = importlib.import_module(
        "campaigns.migrations.0024_campaign_start_in_range"
    )

    migration.bring_starts_into_range(apps, None)

    assert Campaign.objects.get(pk=unreadable.pk).start_at == migration.LAST_START
    assert Campaign.objects.get(pk=unshowable.pk).start_at == migration.LAST_START
    assert manager_client.get(reverse("campaigns:list")).status_code == 200
    assert manager_client.get(API).status_code == 200
    for campaign in (unreadable, unshowable):
        detail = reverse("campaigns:detail", args=[campaign.pk])
        assert manager_client.get(detail).status_code == 200
        preview = reverse("campaigns:preview", args=[campaign.pk])
        body = manager_client.get(preview, HTTP_ACCEPT_LANGUAGE="en")
        assert body.status_code == 200
        assert "within a year" in body.content.decode()
