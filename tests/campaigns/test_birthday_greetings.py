"""Birthday greetings: a campaign's birthday filter, and automatic greetings that make
and launch one campaign a day to the contacts whose birthday it is."""

from collections import Counter
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from campaigns.expansion import campaign_expand
from campaigns.forms import CampaignForm, campaign_form_data
from campaigns.greeting_views import BirthdayGreetingForm
from campaigns.greetings import (
    greeting_count,
    greeting_day,
    greeting_run,
    greetings_run,
)
from campaigns.models import BirthdayGreeting, Campaign, GreetedBirthday, Message
from campaigns.services import campaign_preview, campaign_start
from contacts.models import Contact, ContactGroup, GroupMembership, StopListEntry
from providers.models import ProviderAccount, SenderName
from smsportal.celery import app
from tests.campaigns.gateway_accounts import simulated_account

pytestmark = pytest.mark.django_db

MOSCOW = ZoneInfo("Europe/Moscow")
DAY = date(2027, 3, 15)


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def at(day: date, hour: int, minute: int = 0, tz: ZoneInfo = MOSCOW) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=tz)


def people(group: ContactGroup, born: dict[str, date | None]) -> list[Contact]:
    """Contacts of `group`: phone -> birthday; named after the last digits."""
    contacts = Contact.objects.bulk_create(
        Contact(phone=phone, first_name=f"N{phone[-2:]}", birthday=birthday,
                time_zone="Europe/Moscow")
        for phone, birthday in born.items()
    )  # fmt: skip
    GroupMembership.objects.bulk_create(
        GroupMembership(contact=c, group=group) for c in contacts
    )
    return contacts


def make_greeting(account, groups=(), **fields) -> BirthdayGreeting:
    defaults = {
        "name": "Birthdays",
        "account": account,
        "sender": "SMSPORTAL",
        "text": "{first_name}, happy birthday!",
        "time_zone": "Europe/Moscow",
    }
    greeting = BirthdayGreeting.objects.create(**{**defaults, **fields})
    greeting.include_groups.set(groups)
    return greeting


# The campaign's filter --------------------------------------------------------------


def test_the_birthday_filter_limits_the_preview_and_the_messages_to_that_day(
    make_campaign,
):
    group = ContactGroup.objects.create(name="Clients")
    people(group, {
        "+79120000001": date(1990, 2, 28),
        "+79120000002": date(2000, 2, 29),  # no 29th in 2027: greeted on the 28th
        "+79120000003": date(1985, 3, 1),
        "+79120000004": None,
    })  # fmt: skip
    campaign = make_campaign([group], birthday_on=date(2027, 2, 28))

    preview = campaign_preview(campaign=campaign)
    campaign_expand(campaign=campaign)

    assert preview.total == 2
    phones = set(
        Message.objects.filter(campaign=campaign).values_list("phone", flat=True)
    )
    assert phones == {"+79120000001", "+79120000002"}


def test_in_a_leap_year_29_february_birthdays_wait_for_their_day(make_campaign):
    group = ContactGroup.objects.create(name="Clients")
    people(
        group, {"+79120000001": date(1990, 2, 28), "+79120000002": date(2000, 2, 29)}
    )

    on_28th = campaign_preview(
        campaign=make_campaign([group], birthday_on=date(2028, 2, 28))
    )
    on_29th = campaign_preview(
        campaign=make_campaign([group], birthday_on=date(2028, 2, 29))
    )

    assert (on_28th.total, on_29th.total) == (1, 1)


def test_the_birthday_filter_needs_groups_not_only_pasted_numbers(account):
    data = campaign_form_data(Campaign(account=account))
    data.update(name="B", text="Hi", sender="SMSPORTAL", extra_numbers="+79120000001",
                birthday_on="2027-03-15")  # fmt: skip

    form = CampaignForm(data, instance=Campaign())

    assert not form.is_valid()
    assert "choose groups or the whole contact book" in form.errors["birthday_on"][0]


def test_the_composer_preview_counts_only_the_chosen_days_birthdays(
    manager_client, account
):
    group = ContactGroup.objects.create(name="Clients")
    people(group, {"+79120000001": DAY.replace(year=1990), "+79120000002": None})
    data = campaign_form_data(Campaign(account=account))
    data.update(name="B", text="Hi", sender="SMSPORTAL", include_groups=[group.pk],
                birthday_on=DAY.isoformat())  # fmt: skip

    page = manager_client.post(reverse("campaigns:compose_preview"), data)

    assert page.status_code == 200
    assert page.context["preview"].total == 1


def test_a_copy_keeps_the_birthday_filter(manager_client, make_campaign):
    campaign = make_campaign(birthday_on=DAY, to_whole_book=True)

    manager_client.post(reverse("campaigns:copy", args=[campaign.pk]))

    copy = Campaign.objects.exclude(pk=campaign.pk).get()
    assert copy.birthday_on == DAY
    assert copy.greeting is None


# Automatic greetings ------------------------------------------------------------------


def test_a_greeting_greets_the_days_birthdays_once_and_the_next_days_next(simulator):
    account = simulated_account(simulator, "webcom")
    group = ContactGroup.objects.create(name="Clients")
    people(group, {
        "+79120000001": date(1990, 3, 15),
        "+79120000002": date(1991, 3, 15),
        "+79120000003": date(1992, 3, 16),
        "+79120000004": None,
    })  # fmt: skip
    greeting = make_greeting(account, [group])

    launched = greetings_run(now=at(DAY, 10, 5))
    again = greetings_run(now=at(DAY, 10, 6))  # the next tick, the same day
    first = Campaign.objects.get()
    campaign_start(campaign_id=first.pk)
    next_day = greetings_run(now=at(date(2027, 3, 16), 10, 1))

    assert (launched, again, next_day) == (1, 0, 1)
    assert first.greeting == greeting
    assert first.birthday_on == DAY
    assert first.name == "Birthdays — 15.03.2027"
    assert first.state == Campaign.State.SENDING
    sent = Counter(s.phone for s in simulator.state.submissions)
    assert sent == Counter({"79120000001": 1, "79120000002": 1})
    assert {s.text for s in simulator.state.submissions} == {
        "N01, happy birthday!",
        "N02, happy birthday!",
    }
    second = Campaign.objects.exclude(pk=first.pk).get()
    assert second.birthday_on == date(2027, 3, 16)
    greeting.refresh_from_db()
    assert greeting.last_run_on == date(2027, 3, 16)


def test_two_greetings_over_one_contact_greet_it_once_a_day(simulator):
    # Staff and clients greetings: a colleague who is a client too got both.
    account = simulated_account(simulator, "webcom")
    staff = ContactGroup.objects.create(name="Staff")
    clients = ContactGroup.objects.create(name="Clients")
    [both] = people(staff, {"+79120000001": DAY})
    people(clients, {"+79120000002": DAY})
    GroupMembership.objects.create(contact=both, group=clients)
    make_greeting(account, [staff], name="Staff", send_time=time(8))
    later = make_greeting(account, [clients], name="Clients", send_time=time(10))

    greetings_run(now=at(DAY, 8, 5))
    campaign_start(campaign_id=Campaign.objects.get().pk)
    count_after_the_first = greeting_count(later, DAY)
    greetings_run(now=at(DAY, 10, 5))
    campaign_start(campaign_id=Campaign.objects.get(greeting=later).pk)

    sent = Counter(s.phone for s in simulator.state.submissions)
    assert sent == Counter({"79120000001": 1, "79120000002": 1})
    assert count_after_the_first == 1  # the greetings page counts them so too
    # Another day the colleague is greeted again, once.
    assert greeting_count(later, date(2028, 3, 15)) == 2


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (at(DAY, 9, 59), None),  # before its send time
        (at(DAY, 10, 0), DAY),
        (at(DAY, 20, 59), DAY),  # missed the send time: still the same day
        (at(DAY, 21, 0), None),  # too late: a greeting overnight would come a day late
        # 01:30 UTC is 10:30 in Vladivostok, where the greeting's day is the 16th.
        (datetime(2027, 3, 16, 0, 30, tzinfo=UTC), date(2027, 3, 16)),
    ],
)
def test_a_greetings_day_is_its_own_zones(account, moment, expected):
    greeting = make_greeting(account, time_zone="Asia/Vladivostok")
    moscow = make_greeting(account, name="Moscow")

    day = greeting_day(greeting if moment.tzinfo is UTC else moscow, moment)

    assert day == expected


def test_a_day_with_no_birthdays_makes_no_campaign_and_is_done(account):
    group = ContactGroup.objects.create(name="Clients")
    people(group, {"+79120000001": date(1990, 1, 1)})
    greeting = make_greeting(account, [group])

    launched = greetings_run(now=at(DAY, 11))

    greeting.refresh_from_db()
    assert launched == 0
    assert not Campaign.objects.exists()
    assert greeting.last_run_on == DAY


def test_stop_listed_and_excluded_contacts_are_not_greeted(account):
    clients = ContactGroup.objects.create(name="Clients")
    staff = ContactGroup.objects.create(name="Staff")
    people(
        clients, {"+79120000001": date(1990, 3, 15), "+79120000002": date(1990, 3, 15)}
    )
    people(staff, {"+79120000003": date(1990, 3, 15)})
    GroupMembership.objects.create(
        contact=Contact.objects.get(phone="+79120000002"), group=staff
    )
    StopListEntry.objects.create(phone="+79120000001")
    greeting = make_greeting(account, [clients])
    greeting.exclude_groups.set([staff])

    assert greetings_run(now=at(DAY, 11)) == 0
    assert not Campaign.objects.exists()


def test_a_turned_off_greeting_sends_nothing(account):
    group = ContactGroup.objects.create(name="Clients")
    people(group, {"+79120000001": date(1990, 3, 15)})
    greeting = make_greeting(account, [group], is_active=False)

    assert greetings_run(now=at(DAY, 11)) == 0
    assert greeting_run(greeting=greeting, now=at(DAY, 11)) == []
    assert not Campaign.objects.exists()


def test_a_refused_launch_leaves_a_draft_and_the_greeting_says_why(account):
    group = ContactGroup.objects.create(name="Clients")
    people(group, {"+79120000001": date(1990, 3, 15)})
    greeting = make_greeting(account, [group], to_whole_book=True)
    account.is_active = False
    account.save()

    launched = greetings_run(now=at(DAY, 11))

    greeting.refresh_from_db()
    campaign = Campaign.objects.get()
    assert launched == 0
    assert campaign.state == Campaign.State.DRAFT
    assert campaign.to_whole_book
    assert greeting.last_error == (
        "Birthdays — 15.03.2027 was not launched: The provider account is not active."
    )
    assert greetings_run(now=at(DAY, 12)) == 0  # not retried the same day
    assert Campaign.objects.count() == 1


def test_a_birthday_is_claimed_once_and_the_database_refuses_a_second_claim(account):
    group = ContactGroup.objects.create(name="Clients")
    people(group, {"+79120000001": date(1990, 3, 15)})
    greeting = make_greeting(account, [group])

    first = greeting_run(greeting=greeting, now=at(DAY, 10))
    second = greeting_run(greeting=greeting, now=at(DAY, 10, 1))

    assert len(first) == 1
    assert second == []
    with pytest.raises(IntegrityError), transaction.atomic():
        GreetedBirthday.objects.create(phone="+79120000001", day=DAY)


def test_beat_runs_the_greetings_every_minute():
    entry = app.conf.beat_schedule["campaigns-birthday-greetings"]

    assert entry == {"task": "campaigns.birthday_greetings_run", "schedule": 60}
    # As a worker does at start (autodiscovery is lazy): alone, this test would
    # otherwise see only the tasks other tests happened to import.
    app.loader.import_default_modules()
    assert "campaigns.birthday_greetings_run" in app.tasks


# Pages --------------------------------------------------------------------------------

LIST = reverse("campaigns:greetings")
NEW = reverse("campaigns:greeting_create")


def form_data(account, group, **fields) -> dict:
    return {
        "name": "Birthdays",
        "is_active": "on",
        "account": account.pk,
        "sender": "SMSPORTAL",
        "text": "{first_name}, happy birthday!",
        "include_groups": [group.pk],
        "send_time": "10:00",
        "time_zone": "Europe/Moscow",
        **fields,
    }


def test_a_manager_makes_edits_and_deletes_a_greeting(manager_client, manager_user,
                                                      account):  # fmt: skip
    group = ContactGroup.objects.create(name="Clients")
    SenderName.objects.create(account=account, name="SMSPORTAL", usable=True)

    created = manager_client.post(NEW, form_data(account, group))
    greeting = BirthdayGreeting.objects.get()
    edit = reverse("campaigns:greeting_edit", args=[greeting.pk])
    edited = manager_client.post(
        edit, form_data(account, group, send_time="09:30", is_active="")
    )
    greeting.refresh_from_db()
    groups = list(greeting.include_groups.all())
    listed = manager_client.get(LIST).content.decode()
    page = manager_client.get(edit)
    deleted = manager_client.post(
        reverse("campaigns:greeting_delete", args=[greeting.pk])
    )

    assert (created.status_code, created.url) == (302, LIST)
    assert greeting.created_by == manager_user
    assert groups == [group]
    assert edited.status_code == 302
    assert (greeting.send_time, greeting.is_active) == (time(9, 30), False)
    assert f'href="{edit}"' in listed
    assert "09:30" in listed
    assert page.context["today_count"] == 0
    assert deleted.status_code == 302
    assert not BirthdayGreeting.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field", "says"),
    [
        ({"include_groups": []}, "include_groups", "Choose the groups to greet"),
        ({"send_time": "21:30"}, "send_time", "Choose a time before 21:00"),
        ({"text": "Hi {frist_name}"}, "text", "Known placeholders: {first_name}"),
        ({"sender": "OTHER"}, "sender", "is not a usable sender name"),
        ({"time_zone": "Mars/Base"}, "time_zone", "Mars/Base"),
    ],
)
def test_a_greeting_is_refused_with_what_is_wrong_and_where(
    manager_client, account, fields, field, says
):
    group = ContactGroup.objects.create(name="Clients")
    SenderName.objects.create(account=account, name="SMSPORTAL", usable=True)

    page = manager_client.post(NEW, form_data(account, group, **fields))

    assert page.status_code == 200  # the form with its errors, as every other form

    assert says in " ".join(page.context["form"].errors[field])
    assert not BirthdayGreeting.objects.exists()


def test_a_group_both_greeted_and_left_out_is_refused(manager_client, account):
    """Its people were greeted by nobody, every day, and nothing said so: the day's
    campaign is made only when someone is due, so not even a refused launch."""
    clients = ContactGroup.objects.create(name="Clients")
    staff = ContactGroup.objects.create(name="Staff")
    SenderName.objects.create(account=account, name="SMSPORTAL", usable=True)

    page = manager_client.post(
        NEW,
        form_data(account, clients, include_groups=[clients.pk, staff.pk],
                  exclude_groups=[staff.pk, clients.pk]),
    )  # fmt: skip

    assert page.status_code == 200
    assert page.context["form"].errors["exclude_groups"] == [
        "“Clients”, “Staff” are both chosen and left out: choose each in one list."
    ]
    assert not BirthdayGreeting.objects.exists()


def test_a_text_the_gateway_would_cut_is_refused(manager_client):
    websms = ProviderAccount.objects.create(
        name="WEBSMS", kind="websms", base_url="http://127.0.0.1:9/websms",
        login="u", password="p", default_sender="SMSPORTAL",
    )  # fmt: skip
    group = ContactGroup.objects.create(name="Clients")

    page = manager_client.post(NEW, form_data(websms, group, sender="", text="Ж" * 700))

    assert page.status_code == 200
    assert "Too long: WEBSMS accepts at most 9 segments" in " ".join(
        page.context["form"].errors["text"]
    )


def test_the_whole_book_needs_no_groups(manager_client, account):
    group = ContactGroup.objects.create(name="Clients")

    page = manager_client.post(
        NEW, form_data(account, group, include_groups=[], to_whole_book="on")
    )

    assert page.status_code == 302
    assert BirthdayGreeting.objects.get().to_whole_book


def test_the_greetings_page_shows_todays_count_and_its_campaigns(
    manager_client, account
):
    group = ContactGroup.objects.create(name="Clients")
    greeting = make_greeting(account, [group])
    today = timezone.now().astimezone(MOSCOW).date()
    born = date(1988, 2, 29) if (today.month, today.day) == (2, 29) else today
    people(group, {"+79120000001": born.replace(year=1988)})
    campaign = Campaign.objects.create(
        name="Birthdays — 15.03.2027", account=account, text="x", greeting=greeting,
        birthday_on=DAY,
    )  # fmt: skip

    page = manager_client.get(reverse("campaigns:greeting_edit", args=[greeting.pk]))
    detail = manager_client.get(reverse("campaigns:detail", args=[campaign.pk]))

    assert page.context["today_count"] == 1
    assert list(page.context["recent_campaigns"]) == [campaign]
    assert "Only those whose birthday is on 15 March" in detail.content.decode()


def test_after_the_run_the_greetings_page_still_counts_the_days_birthdays(
    manager_client, account
):
    """The page said «Today 0 contacts have a birthday» once the day's campaign had
    greeted them: it counted only those still to greet."""
    group = ContactGroup.objects.create(name="Clients")
    greeting = make_greeting(account, [group])
    today = timezone.now().astimezone(MOSCOW).date()
    born = date(1988, 2, 29) if (today.month, today.day) == (2, 29) else today
    people(group, {
        "+79120000001": born.replace(year=1988),
        "+79120000002": born.replace(year=1990),
    })  # fmt: skip
    greeting_run(greeting=greeting, now=at(today, 10))
    Contact.objects.create(phone="+79120000003", birthday=born.replace(year=1999))
    GroupMembership.objects.create(
        contact=Contact.objects.get(phone="+79120000003"), group=group
    )

    page = manager_client.get(reverse("campaigns:greeting_edit", args=[greeting.pk]))

    said = " ".join(page.content.decode().split())
    assert (
        f"Today ({today.day} {today:%B}) 3 contacts to greet have a birthday." in said
    )
    assert "Not greeted yet: 1." in said


def test_a_viewer_reads_greetings_but_cannot_make_them(viewer_client, account):
    greeting = make_greeting(account)
    campaign = Campaign.objects.create(
        name="B", account=account, text="x", greeting=greeting, birthday_on=DAY
    )

    listed = viewer_client.get(LIST)
    refused = viewer_client.get(NEW)
    detail = viewer_client.get(reverse("campaigns:detail", args=[campaign.pk]))

    assert listed.status_code == 200
    assert "Birthdays" in listed.content.decode()
    assert refused.status_code == 403
    # The campaign names its greeting, without a link to a form the viewer may not open.
    assert ": Birthdays</div>" in detail.content.decode()
    edit = reverse("campaigns:greeting_edit", args=[greeting.pk])
    assert edit not in detail.content.decode()


def test_the_api_takes_the_birthday_filter_and_names_the_greeting(
    manager_client, account
):
    group = ContactGroup.objects.create(name="Clients")
    people(group, {"+79120000001": date(1990, 3, 15), "+79120000002": None})
    greeting = make_greeting(account, [group])
    [made] = greeting_run(greeting=greeting, now=at(DAY, 10))

    created = manager_client.post(
        "/api/v1/campaigns",
        {"name": "API", "account": account.pk, "sender": "SMSPORTAL", "text": "Hi",
         "include_groups": [group.pk], "birthday_on": "2027-03-15"},
        content_type="application/json",
    )  # fmt: skip
    preview = manager_client.post(
        f"/api/v1/campaigns/{created.json()['id']}/preview",
        content_type="application/json",
    )
    shown = manager_client.get(f"/api/v1/campaigns/{made.pk}").json()

    assert created.status_code == 201, created.content
    assert created.json()["birthday_on"] == "2027-03-15"
    assert created.json()["greeting"] is None
    assert preview.json()["total"] == 1
    assert (shown["greeting"], shown["birthday_on"]) == (greeting.pk, "2027-03-15")


def test_the_demo_greeting_is_off_until_turned_on(settings, tmp_path, manager_client):
    """It used to send right after load_demo: a campaign and a lower balance the
    newcomer never asked for."""
    import io

    from campaigns import demo as campaigns_demo
    from contacts import demo as contacts_demo
    from providers import demo as providers_demo

    settings.VAR_DIR = tmp_path
    for module in (providers_demo, contacts_demo, campaigns_demo):
        module.load(stdout=io.StringIO())
    greeting = BirthdayGreeting.objects.get()
    noon = datetime.combine(
        timezone.localdate(), time(12), ZoneInfo(greeting.time_zone)
    )

    assert not greeting.is_active
    assert greetings_run(now=noon) == 0
    assert not Campaign.objects.exists()
    page = manager_client.get(reverse("campaigns:greetings"), HTTP_ACCEPT_LANGUAGE="en")
    assert "tick “Active” and save" in page.content.decode()


def test_the_demo_greets_a_contact_born_on_the_day_it_was_loaded(settings, tmp_path):
    import io

    from campaigns import demo as campaigns_demo
    from contacts import demo as contacts_demo
    from providers import demo as providers_demo

    settings.VAR_DIR = tmp_path
    for module in (providers_demo, contacts_demo, campaigns_demo, campaigns_demo):
        module.load(stdout=io.StringIO())  # the greeting twice: nothing new

    greeting = BirthdayGreeting.objects.get()
    form = BirthdayGreetingForm(
        {**form_data(greeting.account, greeting.include_groups.get()),
         "name": "Demo 2", "sender": greeting.sender, "text": greeting.text},
    )  # fmt: skip
    assert form.is_valid(), form.errors
    assert greeting_count(greeting, timezone.localdate()) == 1


def test_greetings_through_the_api(manager_client, account):
    group = ContactGroup.objects.create(name="Clients")
    api = "/api/v1/greetings"

    created = manager_client.post(
        api,
        {"name": "Birthdays", "account": account.pk, "text": "{first_name}, hi!",
         "include_groups": [group.pk], "send_time": "09:15"},
        content_type="application/json",
    )  # fmt: skip
    assert created.status_code == 201, created.content
    greeting_id = created.json()["id"]
    turned_off = manager_client.patch(
        f"{api}/{greeting_id}", {"is_active": False}, content_type="application/json"
    )
    refused = manager_client.patch(
        f"{api}/{greeting_id}", {"send_time": "22:00"}, content_type="application/json"
    )
    listed = manager_client.get(api).json()
    deleted = manager_client.delete(f"{api}/{greeting_id}")

    assert created.status_code == 201, created.content
    assert created.json()["include_groups"] == [group.pk]
    assert created.json()["send_time"] == "09:15:00"
    assert created.json()["account"] == account.pk
    assert turned_off.json()["is_active"] is False
    assert turned_off.json()["include_groups"] == [group.pk]
    assert refused.status_code == 400
    assert refused.json()["where"] == "send_time"
    assert [g["name"] for g in listed] == ["Birthdays"]
    assert deleted.status_code == 204
    assert not BirthdayGreeting.objects.exists()


def test_a_viewer_reads_greetings_in_the_api_but_cannot_make_one(
    viewer_client, account
):
    make_greeting(account)

    listed = viewer_client.get("/api/v1/greetings")
    refused = viewer_client.post(
        "/api/v1/greetings", {"name": "X"}, content_type="application/json"
    )

    assert listed.status_code == 200
    assert refused.status_code == 403


def test_without_a_sender_the_account_needs_a_default_one(manager_client, account):
    group = ContactGroup.objects.create(name="Clients")
    with_default = manager_client.post(NEW, form_data(account, group, sender=""))
    account.default_sender = ""
    account.save()

    without = manager_client.post(NEW, form_data(account, group, name="B", sender=""))

    assert with_default.status_code == 302
    assert BirthdayGreeting.objects.get().sender == ""
    assert without.status_code == 200
    assert (
        "the account has no default one" in without.context["form"].errors["sender"][0]
    )


def test_the_api_refuses_a_send_time_with_an_offset(manager_client, account):
    group = ContactGroup.objects.create(name="Clients")

    refused = manager_client.post(
        "/api/v1/greetings",
        {"name": "B", "account": account.pk, "text": "Hi", "include_groups": [group.pk],
         "send_time": "10:00+03:00"},
        content_type="application/json",
    )  # fmt: skip

    assert refused.status_code == 400
    assert refused.json()["where"] == "send_time"
    assert "without a time zone offset" in refused.json()["detail"]


def test_one_greeting_failing_keeps_neither_the_others_nor_its_next_try_away(
    account, monkeypatch
):
    from campaigns import greetings

    group = ContactGroup.objects.create(name="Clients")
    staff = ContactGroup.objects.create(name="Staff")
    people(group, {"+79120000001": date(1990, 3, 15)})
    people(staff, {"+79120000002": date(1990, 3, 15)})
    broken = make_greeting(account, [group], name="A broken")
    working = make_greeting(account, [staff], name="B working")
    real_campaign = greetings._day_campaign

    def failing_for_broken(greeting, day):
        if greeting.pk == broken.pk:
            raise RuntimeError("database hiccup")
        return real_campaign(greeting, day)

    monkeypatch.setattr(greetings, "_day_campaign", failing_for_broken)
    launched = greetings_run(now=at(DAY, 11))
    monkeypatch.setattr(greetings, "_day_campaign", real_campaign)
    retried = greetings_run(now=at(DAY, 11, 1))

    assert (launched, retried) == (1, 1)
    assert set(Campaign.objects.values_list("greeting", flat=True)) == {
        broken.pk,
        working.pk,
    }
