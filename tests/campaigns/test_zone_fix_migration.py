"""An upgrade over libphonenumber's wrong zones (contacts 0019) puts right what the
release before stored: the contacts' zones, and the zone a campaign still sending
keeps for each pasted number's message waiting to go (campaigns 0045), which quiet
hours read when the message falls due (campaigns.quiet_hours)."""

from datetime import UTC, datetime, time

import pytest

from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from campaigns.expansion import campaign_expand
from campaigns.models import Message
from campaigns.quiet_hours import late_for_window, recipient_zones
from campaigns.sending import ClaimedMessage
from contacts.models import Contact

BEFORE = [
    ("campaigns", "0044_stoplist_sync_state_in_database"),
    ("contacts", "0018_stoplist_entries_plural"),
]
KALININGRAD, SARATOV, KAZAKH = "+74012555555", "+78452222222", "+77012345678"
# What the release before stored: libphonenumber's zone for a landline, and for a
# Kazakh mobile (no zone of its own) the campaign's.
OLD_ZONES = {KALININGRAD: "Europe/Bucharest", SARATOV: "Europe/Moscow"}


@pytest.fixture
def migrated_back():
    yield lambda: MigrationExecutor(connection).migrate(BEFORE)
    executor = MigrationExecutor(connection)  # its graph read again, as migrate does
    executor.migrate(executor.loader.graph.leaf_nodes())


def _migrate_forward() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_stored_contacts_get_their_places_zones(migrated_back):
    migrated_back()
    with connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO contacts_contact (phone, first_name, last_name, middle_name,"
            " nickname, email, time_zone, attributes, consent_source, created_at,"
            " updated_at, version) VALUES (%s, '', '', '', '', '', %s, '{}', '',"
            " now(), now(), 1)",
            [
                (KALININGRAD, "Europe/Bucharest"),
                (SARATOV, "Europe/Moscow"),
                (KAZAKH, ""),
                ("+77272500000", "Asia/Almaty"),
                ("+74955555555", "Europe/Moscow"),
                ("+79123456789", ""),
            ],
        )

    _migrate_forward()

    assert dict(Contact.objects.values_list("phone", "time_zone")) == {
        KALININGRAD: "Europe/Kaliningrad",
        SARATOV: "Europe/Saratov",
        KAZAKH: "Asia/Almaty",
        "+77272500000": "Asia/Almaty",
        "+74955555555": "Europe/Moscow",
        "+79123456789": "",
    }


@pytest.mark.django_db(transaction=True)
def test_a_sending_campaigns_pasted_numbers_keep_quiet_hours_of_their_place(
    migrated_back, make_campaign
):
    campaign = make_campaign(
        respect_quiet_hours=True, time_zone="Europe/Moscow",
        window_start=time(9), window_end=time(21),
        extra_numbers="\n".join([KALININGRAD, SARATOV, KAZAKH]),
    )  # fmt: skip
    campaign_expand(campaign=campaign)
    sent = Message.objects.get(phone=SARATOV)
    migrated_back()
    # The messages as the release before expanded them; one of them already gone.
    for phone, zone in {**OLD_ZONES, KAZAKH: "Europe/Moscow"}.items():
        Message.objects.filter(phone=phone).update(time_zone=zone)
    sent_copy = Message.objects.create(
        campaign=campaign, account_id=campaign.account_id, phone="+74012000000",
        text="x", sender="S", channel="sms", segments=1, status="delivered",
        planned_at=sent.planned_at, time_zone="Europe/Bucharest",
    )  # fmt: skip

    _migrate_forward()

    messages = list(Message.objects.filter(status="pending").order_by("phone"))
    chunk = [
        ClaimedMessage(m.id, m.phone, m.text, m.sender, m.channel, None, campaign.pk)
        for m in messages
    ]
    zones = recipient_zones(chunk)
    by_phone = {m.phone: zones[m.id] for m in messages}
    assert by_phone == {
        KALININGRAD: "Europe/Kaliningrad",
        SARATOV: "Europe/Saratov",
        KAZAKH: "Asia/Almaty",
    }
    # Resumed at 17:30 UTC on a summer day: 20:30 in Moscow, but 21:30 in Saratov
    # and 22:30 in Almaty, past their window; 19:30 in Kaliningrad.
    late = late_for_window(
        chunk, campaign, now=datetime(2030, 7, 1, 17, 30, tzinfo=UTC), zones=zones
    )
    held = {m.phone for m in messages if m.id in late}
    assert held == {SARATOV, KAZAKH}
    sent_copy.refresh_from_db()
    assert sent_copy.time_zone == "Europe/Bucharest"  # gone: left as it went
