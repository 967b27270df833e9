"""Quiet hours by the zone a number itself gives: libphonenumber's data is wrong for
a few +7 codes (Kaliningrad's landlines as Bucharest, which keeps summer time;
Saratov's as Moscow, though Saratov moved to UTC+4 in 2016) and gives no zone to
Kazakhstan's mobiles, though the whole country keeps one (UTC+5) since 1 March 2024."""

from datetime import UTC, datetime, time

import pytest

from campaigns.expansion import campaign_expand
from campaigns.models import Message
from campaigns.services import campaign_preview
from contacts.phone import normalize_phone, normalize_phones
from contacts.services import contact_create

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("raw", "zone"),
    [
        ("+7 4012 55-55-55", "Europe/Kaliningrad"),
        ("8 (4012) 55-55-55", "Europe/Kaliningrad"),
        ("+7 8452 22-22-22", "Europe/Saratov"),
        ("8 701 234 56 78", "Asia/Almaty"),  # Kazakhstan's mobiles, as typed
        ("+7 747 123 45 67", "Asia/Almaty"),
        ("+7 727 250 00 00", "Asia/Almaty"),
        # Belarus keeps Moscow's offset, and libphonenumber names it Moscow.
        ("+375 29 123 45 67", "Europe/Minsk"),
        ("+375 17 200 00 00", "Europe/Minsk"),
        ("+7 495 123 45 67", "Europe/Moscow"),  # the rest as libphonenumber says
        ("+7 4152 41-00-00", "Asia/Kamchatka"),
        ("+7 912 345 67 89", ""),  # a Russian mobile: its range's, once loaded
    ],
)
def test_a_numbers_own_zone_is_the_one_its_place_keeps(raw, zone):
    assert normalize_phone(raw).time_zone == zone
    (fast,) = normalize_phones([raw])
    assert fast.time_zone == zone


def test_a_belarus_number_is_in_minsk_not_moscow():
    from django.utils import translation

    from contacts.timezones import zone_name

    zone = normalize_phone("+375 29 123 45 67").time_zone
    with translation.override("ru"):
        assert zone_name(zone) == "Минск, Беларусь"


def test_quiet_hours_keep_kaliningrad_saratov_and_kazakhstan_time(
    make_group, make_campaign
):
    # Entered as a person would: the number alone, its zone from the number.
    phones = ["8 4012 55-55-55", "8 8452 22-22-22", "8 701 234 56 78"]
    contacts = [contact_create(phone=phone) for phone in phones]
    group = make_group("G")
    group.contacts.add(*contacts)
    # 03:30 UTC on a summer day: 05:30 in Kaliningrad, 07:30 in Saratov, 08:30 in
    # Almaty; in Bucharest (summer time) 06:30, in Moscow 06:30.
    campaign = make_campaign(
        [group], respect_quiet_hours=True, time_zone="Europe/Moscow",
        window_start=time(9), window_end=time(21),
        start_at=datetime(2030, 7, 1, 3, 30, tzinfo=UTC),
    )  # fmt: skip

    assert campaign_preview(campaign=campaign).zone_unknown == 0
    campaign_expand(campaign=campaign)

    planned = dict(Message.objects.values_list("phone", "planned_at"))
    assert planned == {
        "+74012555555": datetime(2030, 7, 1, 7, 0, tzinfo=UTC),  # 09:00 UTC+2
        "+78452222222": datetime(2030, 7, 1, 5, 0, tzinfo=UTC),  # 09:00 UTC+4
        "+77012345678": datetime(2030, 7, 1, 4, 0, tzinfo=UTC),  # 09:00 UTC+5
    }


def test_each_goes_to_smsc_with_its_own_mornings_send_time(
    simulator, make_group, make_campaign, monkeypatch
):
    from django.utils import timezone

    from campaigns.dispatch import campaign_pump
    from campaigns.models import Campaign
    from tests.campaigns.gateway_accounts import simulated_account

    now = datetime(2030, 7, 1, 3, 30, tzinfo=UTC)
    monkeypatch.setattr(timezone, "now", lambda: now)
    phones = ["8 4012 55-55-55", "8 8452 22-22-22", "8 701 234 56 78"]
    group = make_group("G")
    group.contacts.add(*(contact_create(phone=phone) for phone in phones))
    campaign = make_campaign(
        [group], account=simulated_account(simulator, "smsc"),
        respect_quiet_hours=True, time_zone="Europe/Moscow",
        window_start=time(9), window_end=time(21),
    )  # fmt: skip
    campaign_expand(campaign=campaign)
    Campaign.objects.filter(pk=campaign.pk).update(state=Campaign.State.SENDING)

    assert campaign_pump(campaign_id=campaign.pk).sent == 3

    sent = {m.phone: m.send_at for m in simulator.state.messages["smsc"].values()}
    assert sent == {
        "74012555555": datetime(2030, 7, 1, 7, 0, tzinfo=UTC).timestamp(),
        "78452222222": datetime(2030, 7, 1, 5, 0, tzinfo=UTC).timestamp(),
        "77012345678": datetime(2030, 7, 1, 4, 0, tzinfo=UTC).timestamp(),
    }


def test_belarus_contacts_zoned_as_moscow_before_are_moved_to_minsk():
    from importlib import import_module

    from django.apps import apps

    from contacts.models import Contact

    migration = import_module("contacts.migrations.0020_belarus_contacts_in_minsk")
    belarus = contact_create(phone="+375291234567")
    moscow = contact_create(phone="+74951234567")
    Contact.objects.update(time_zone="Europe/Moscow")  # as libphonenumber gave them

    migration.belarus_in_minsk(apps, None)

    zones = dict(Contact.objects.values_list("pk", "time_zone"))
    assert zones == {belarus.pk: "Europe/Minsk", moscow.pk: "Europe/Moscow"}
