"""Birthday greetings greet each person once, on their own birthday: two greetings
built at once, eastern zones after the send time, a run that crashed before its
launch, and contacts added during the day (QA report on birthday greetings)."""

import threading
from collections import Counter
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from django.db import OperationalError, connection
from django.utils import timezone

from campaigns import expansion, greetings
from campaigns.greetings import greeting_run, greetings_run
from campaigns.models import BirthdayGreeting, Campaign, Message
from campaigns.services import campaign_launch, campaign_start
from contacts.models import Contact, ContactGroup, GroupMembership
from tests.campaigns.gateway_accounts import simulated_account

MOSCOW = ZoneInfo("Europe/Moscow")
DAY = date(2027, 3, 15)


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=MOSCOW)


class Clock:
    """timezone.now, set by the test: the runs and the send times planned from it."""

    def __init__(self, monkeypatch) -> None:
        self.now = at(DAY, 10)
        monkeypatch.setattr(timezone, "now", lambda: self.now)

    def run(self, moment: datetime) -> int:
        self.now = moment
        return greetings_run()


@pytest.fixture
def clock(monkeypatch) -> Clock:
    return Clock(monkeypatch)


def born(phones: list[str], birthday: date, zone: str = "Europe/Moscow", group=None):
    contacts = Contact.objects.bulk_create(
        Contact(phone=p, first_name="N", birthday=birthday, time_zone=zone)
        for p in phones
    )
    if group is not None:
        GroupMembership.objects.bulk_create(
            GroupMembership(contact=c, group=group) for c in contacts
        )
    return contacts


def greeting(account, name: str, groups=(), **fields) -> BirthdayGreeting:
    made = BirthdayGreeting.objects.create(
        name=name, account=account, sender="SMSPORTAL", text=f"{name}: happy birthday",
        time_zone="Europe/Moscow", to_whole_book=not groups, **fields,
    )  # fmt: skip
    made.include_groups.set(groups)
    return made


def submitted(simulator) -> Counter:
    return Counter(s.phone for s in simulator.state.submissions)


@pytest.mark.django_db(transaction=True)
def test_two_greetings_built_at_the_same_moment_greet_a_contact_in_both_once(
    simulator, monkeypatch
):
    # Staff and clients greetings at 10:00: each build used to leave out only the
    # numbers the other had committed, and two builds at once saw none.
    account = simulated_account(simulator, "webcom")
    staff = ContactGroup.objects.create(name="Staff")
    clients = ContactGroup.objects.create(name="Clients")
    phones = [f"+7912000000{i}" for i in range(6)]
    born(phones[:4], DAY.replace(year=1990), group=staff)
    both = Contact.objects.filter(phone__in=phones[2:4])
    GroupMembership.objects.bulk_create(
        GroupMembership(contact=c, group=clients) for c in both
    )
    born(phones[4:], DAY.replace(year=1991), group=clients)
    staff_greeting = greeting(account, "Staff", [staff])
    clients_greeting = greeting(account, "Clients", [clients])
    # Each build waits, its rows written and not committed, for the other's.
    both_written = threading.Barrier(2, timeout=20)
    insert = expansion._insert_contacts_sql

    def insert_then_wait(*args, **kwargs):
        created = insert(*args, **kwargs)
        both_written.wait()
        return created

    monkeypatch.setattr(expansion, "_insert_contacts_sql", insert_then_wait)
    failures = []

    def tick(greeting_of_this_worker):
        try:
            greeting_run(greeting=greeting_of_this_worker, now=at(DAY, 10, 1))
        except Exception as exc:  # noqa: BLE001 - reported below
            failures.append(exc)
        finally:
            connection.close()

    workers = [
        threading.Thread(target=tick, args=(g,))
        for g in (staff_greeting, clients_greeting)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)

    assert failures == []
    assert Campaign.objects.filter(state=Campaign.State.DRAFT).count() == 0
    sent = submitted(simulator)
    assert sent == Counter({p.lstrip("+"): 1 for p in phones})
    assert Message.objects.count() == len(phones)


@pytest.mark.django_db
def test_eastern_contacts_are_greeted_on_their_own_birthday_never_a_day_late(
    simulator, clock
):
    # A run at 16:14 Moscow (a catch-up after downtime): 23:14 in Vladivostok, 01:14
    # of the next day in Kamchatka.
    account = simulated_account(simulator, "webcom")
    today = DAY.replace(year=1990)
    tomorrow = (DAY + timedelta(days=1)).replace(year=1990)
    born(["+79120000001"], today, "Europe/Moscow")
    born(["+79120000002"], today, "Asia/Vladivostok")  # its day's 21:00 passed
    born(["+79120000003"], today, "Asia/Kamchatka")  # its day is over
    born(["+79120000004"], tomorrow, "Asia/Vladivostok")
    born(["+79120000005"], tomorrow, "Asia/Kamchatka")
    born(["+79120000006"], tomorrow, "Europe/Moscow")
    greeting(account, "Birthdays", send_time=time(10))

    late_run = clock.run(at(DAY, 16, 14))
    for campaign in Campaign.objects.all():
        campaign_start(campaign_id=campaign.pk)
    sent_at_once = submitted(simulator)
    next_day = clock.run(at(DAY + timedelta(days=1), 10, 1))
    campaign_start(campaign_id=Campaign.objects.latest("pk").pk)

    assert late_run == 2  # today's birthdays, and tomorrow's where the night began
    assert next_day == 1  # only Moscow's: the others have theirs
    messages = Message.objects.select_related("contact")
    assert sorted(m.phone for m in messages) == [
        "+79120000001",
        "+79120000004",
        "+79120000005",
        "+79120000006",
    ]
    for message in messages:
        local = message.planned_at.astimezone(ZoneInfo(message.contact.time_zone))
        birthday = message.contact.birthday
        assert (local.month, local.day) == (birthday.month, birthday.day), message
        assert time(9) <= local.time() < time(21)
    # Moscow's at once; the east's wait at the gateway for their morning.
    assert sent_at_once["79120000001"] == 1
    assert set(sent_at_once) <= {"79120000001", "79120000004", "79120000005"}


@pytest.mark.django_db
def test_a_run_that_crashed_before_its_launch_is_greeted_by_the_next_run_once(
    simulator, monkeypatch, clock
):
    account = simulated_account(simulator, "webcom")
    born(["+79120000001", "+79120000002"], DAY.replace(year=1985))
    made = greeting(account, "Birthdays")
    lost = OperationalError("server closed the connection unexpectedly")

    def connection_lost(**kwargs):
        raise lost

    real_launch = greetings.campaign_launch
    monkeypatch.setattr(greetings, "campaign_launch", connection_lost)
    crashed = clock.run(at(DAY, 10, 5))
    monkeypatch.setattr(greetings, "campaign_launch", real_launch)
    after = [clock.run(at(DAY, h, m)) for h, m in ((10, 15), (10, 35), (15, 0))]
    [campaign] = Campaign.objects.all()
    campaign_start(campaign_id=campaign.pk)

    assert crashed == 0
    assert after == [1, 0, 0]
    assert campaign.greeting == made
    assert submitted(simulator) == Counter({"79120000001": 1, "79120000002": 1})


@pytest.mark.django_db
def test_contacts_added_during_the_day_are_greeted_on_a_later_run_once(
    simulator, clock
):
    account = simulated_account(simulator, "webcom")
    born(["+79120000001"], DAY.replace(year=1985))
    greeting(account, "Birthdays")

    morning = clock.run(at(DAY, 10, 5))
    campaign_start(campaign_id=Campaign.objects.get().pk)
    born(["+79120000002", "+79120000003"], DAY.replace(year=1999))
    later = [clock.run(at(DAY, h, 5)) for h in (12, 15, 20)]
    for campaign in Campaign.objects.filter(state=Campaign.State.SENDING):
        campaign_start(campaign_id=campaign.pk)

    assert (morning, later) == (1, [1, 0, 0])
    names = sorted(Campaign.objects.values_list("name", flat=True))
    assert names == ["Birthdays — 15.03.2027", "Birthdays — 15.03.2027 (2)"]
    assert submitted(simulator) == Counter(
        {"79120000001": 1, "79120000002": 1, "79120000003": 1}
    )


@pytest.mark.django_db
def test_a_contact_added_after_21_00_waits_for_next_year(account):
    born(["+79120000001"], DAY.replace(year=1985))
    greeting(account, "Birthdays")

    assert greetings_run(now=at(DAY, 21, 5)) == 0
    assert not Campaign.objects.exists()


@pytest.mark.django_db
def test_a_refused_draft_launched_after_its_greeting_was_deleted_greets_its_own_once(
    simulator, clock
):
    # The draft a refused launch left goes to the numbers it claimed. With its
    # greeting deleted (the form says "the campaigns it sent stay"), launching it by
    # hand read the groups' birthdays again and greeted the morning's people twice.
    account = simulated_account(simulator, "webcom")
    born(["+79120000001"], DAY.replace(year=1985))
    greeting(account, "Birthdays")
    assert clock.run(at(DAY, 10, 5)) == 1
    campaign_start(campaign_id=Campaign.objects.get().pk)
    born(["+79120000002"], DAY.replace(year=1999))
    account.is_active = False
    account.save()
    assert clock.run(at(DAY, 12, 5)) == 0
    draft = Campaign.objects.get(state=Campaign.State.DRAFT)

    BirthdayGreeting.objects.get().delete()
    account.is_active = True
    account.save()
    campaign_launch(campaign=draft)
    campaign_start(campaign_id=draft.pk)

    assert list(
        Message.objects.filter(campaign=draft).values_list("phone", flat=True)
    ) == ["+79120000002"]
    assert submitted(simulator) == Counter({"79120000001": 1, "79120000002": 1})


@pytest.mark.django_db
def test_a_contact_whose_number_changed_after_the_greeting_is_not_greeted_again(
    simulator, clock
):
    """Greeted at the morning's number, the contact gave a new one at noon: the
    afternoon's run greeted them again, at the new number (the day's ledger is by
    number). Someone whose number years ago is another's now, greeted this
    morning, is not kept from their own greeting."""
    from contacts.models import FormerPhone
    from contacts.services import contact_update

    account = simulated_account(simulator, "webcom")
    anna, _cyril = born(["+79120000001", "+79120000008"], DAY.replace(year=1985))
    greeting(account, "Birthdays")
    assert clock.run(at(DAY, 10, 5)) == 1
    campaign_start(campaign_id=Campaign.objects.get().pk)

    clock.now = at(DAY, 12)
    contact_update(contact=Contact.objects.get(pk=anna.pk), phone="+79120000009")
    (boris,) = born(["+79120000002"], DAY.replace(year=1990))
    FormerPhone.objects.create(  # Boris's until 2019, Cyril's now
        contact=boris,
        phone="+79120000008",
        replaced_at=at(DAY, 9) - timedelta(days=2900),
    )

    assert clock.run(at(DAY, 15, 5)) == 1
    for campaign in Campaign.objects.filter(state=Campaign.State.SENDING):
        campaign_start(campaign_id=campaign.pk)
    assert submitted(simulator) == Counter(
        {"79120000001": 1, "79120000008": 1, "79120000002": 1}
    )
