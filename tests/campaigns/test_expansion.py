from datetime import UTC, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from campaigns import expansion
from campaigns.counts import campaign_counts
from campaigns.expansion import campaign_expand
from campaigns.models import Message
from campaigns.send_window import SendWindow
from contacts.models import StopListEntry

pytestmark = pytest.mark.django_db

MOSCOW = "Europe/Moscow"
VLADIVOSTOK = "Asia/Vladivostok"


@pytest.fixture
def python_only(monkeypatch):
    """Force the portable path (the one SQLite uses) on PostgreSQL."""
    monkeypatch.setattr(
        expansion,
        "_insert_contacts_sql",
        lambda campaign, plan, reachable, **_flags: expansion._insert_contacts_python(
            campaign, plan, reachable
        ),
    )


def test_expansion_creates_one_message_per_reachable_contact(make_group, make_campaign):
    group = make_group(
        "Clients",
        [("+79120000001", "Анна", MOSCOW), ("+79120000002", "Boris", MOSCOW)],
    )
    StopListEntry.objects.create(phone="+79120000002")
    campaign = make_campaign([group], extra_numbers="8 912 000-00-03\nnot a number")
    stats = campaign_expand(campaign=campaign)
    assert stats.as_dict() == {
        "created": 2, "stop_listed": 1, "invalid": 1, "duplicates": 0, "excluded": 0,
    }  # fmt: skip
    texts = dict(Message.objects.values_list("phone", "text"))
    assert texts == {"+79120000001": "Hello Анна!", "+79120000003": "Hello !"}


def test_a_stop_listed_member_pasted_again_is_stop_listed_once(
    make_group, make_campaign
):
    group = make_group("Clients", [("+79120000001", "A", MOSCOW)])
    StopListEntry.objects.create(phone="+79120000001")
    campaign = make_campaign([group], extra_numbers="+79120000001")

    stats = campaign_expand(campaign=campaign)

    assert stats.as_dict() == {
        "created": 0, "stop_listed": 1, "invalid": 0, "duplicates": 1, "excluded": 0,
    }  # fmt: skip


def test_running_the_expansion_again_adds_nothing(make_group, make_campaign):
    group = make_group("Clients", [("+79120000001", "Anna", MOSCOW)])
    campaign = make_campaign([group], extra_numbers="+79120000001\n+79120000005")
    first = campaign_expand(campaign=campaign)
    second = campaign_expand(campaign=campaign)
    assert first.created == 2
    assert second.created == 0
    assert Message.objects.count() == 2


def test_excluded_groups_are_left_out(make_group, make_campaign):
    clients = make_group(
        "Clients", [("+79120000001", "A", ""), ("+79120000002", "B", "")]
    )
    vip = make_group("VIP", [])
    vip.contacts.add(clients.contacts.get(phone="+79120000002"))
    campaign = make_campaign([clients])
    campaign.exclude_groups.set([vip])
    campaign_expand(campaign=campaign)
    assert list(Message.objects.values_list("phone", flat=True)) == ["+79120000001"]


def test_a_pasted_number_of_an_excluded_groups_contact_is_left_out(
    make_group, make_campaign, manager_client
):
    """The exclusion ("staff", "complained") said nothing of pasted numbers: a
    contact pasted by hand was sent to all the same."""
    from django.urls import reverse

    from campaigns.services import campaign_preview

    clients = make_group("Clients", [("+79120000001", "A", "")])
    staff = make_group("Staff", [("+79120000002", "B", "")])
    campaign = make_campaign([clients], extra_numbers="+7 912 000-00-02\n+79120000003")
    campaign.exclude_groups.set([staff])

    preview = campaign_preview(campaign=campaign)
    stats = campaign_expand(campaign=campaign)

    assert (preview.total, preview.excluded) == (2, 1)
    assert (stats.created, stats.excluded) == (2, 1)
    assert set(Message.objects.values_list("phone", flat=True)) == {
        "+79120000001", "+79120000003",
    }  # fmt: skip
    campaign.audience_stats = stats.as_dict()
    campaign.save(update_fields=["audience_stats"])
    page = manager_client.get(
        reverse("campaigns:detail", args=[campaign.pk]),
        headers={"accept-language": "ru"},
    )
    assert "1 вставленный номер из исключённой группы" in page.content.decode()


@pytest.mark.parametrize("path", ["sql", "python"])
def test_segments_encoding_and_cost_match_the_counter(
    request, path, make_group, make_campaign
):
    if path == "python":
        request.getfixturevalue("python_only")
    names = [
        ("+79120000001", "a" * 70, ""),  # 160 GSM septets with the template: 1 part
        ("+79120000002", "a" * 71, ""),  # 161: 2 parts
        ("+79120000003", "Ж", ""),  # 91 UCS-2 units: 2 parts
        ("+79120000004", "a" * 63 + "€" * 2, ""),  # escapes at a part boundary
        ("+79120000005", "😀" * 20, ""),  # surrogate pairs across parts
        ("+79120000006", "", ""),
    ]
    group = make_group("G", names)
    campaign = make_campaign([group], text="x" * 84 + " {first_name}!!!!!")
    campaign_expand(campaign=campaign)
    from campaigns.segments import count_segments

    for message in Message.objects.all():
        info = count_segments(message.text)
        assert (message.segments, message.encoding) == (info.segments, info.encoding)
        assert message.estimated_cost == Decimal("2.50") * info.segments


@pytest.mark.parametrize("path", ["sql", "python"])
def test_quiet_hours_defer_vladivostok_but_not_moscow(
    request, path, make_group, make_campaign
):
    if path == "python":
        request.getfixturevalue("python_only")
    group = make_group(
        "G", [("+79120000001", "M", MOSCOW), ("+79240000002", "V", VLADIVOSTOK)]
    )
    # 08:00 UTC = 11:00 in Moscow, 18:00 in Vladivostok; window 09:00-17:00.
    start = datetime(2030, 3, 1, 8, 0, tzinfo=UTC)
    campaign = make_campaign(
        [group],
        start_at=start,
        respect_quiet_hours=True,
        window_start=time(9, 0),
        window_end=time(17, 0),
    )
    campaign_expand(campaign=campaign)
    planned = dict(Message.objects.values_list("phone", "planned_at"))
    assert planned["+79120000001"] == start
    # Next 09:00 in Vladivostok (UTC+10) is 23:00 UTC the same day.
    assert planned["+79240000002"] == datetime(2030, 3, 1, 23, 0, tzinfo=UTC)


@pytest.mark.parametrize("path", ["sql", "python"])
def test_spread_over_hours_paces_the_send_times(
    request, path, make_group, make_campaign
):
    if path == "python":
        request.getfixturevalue("python_only")
    group = make_group("G", [(f"+7912000000{i}", "X", MOSCOW) for i in range(4)])
    start = datetime(2030, 3, 1, 8, 0, tzinfo=UTC)
    campaign = make_campaign([group], start_at=start, spread_hours=2)
    campaign_expand(campaign=campaign)
    times = sorted(Message.objects.values_list("planned_at", flat=True))
    gaps = {(b - a).total_seconds() for a, b in zip(times, times[1:], strict=False)}
    assert times[0] == start
    assert gaps == {1800.0}


@pytest.mark.parametrize("path", ["sql", "python"])
def test_spreading_past_the_window_goes_on_next_morning_at_the_same_pace(
    request, path, make_group, make_campaign
):
    if path == "python":
        request.getfixturevalue("python_only")
    group = make_group("G", [(f"+7912000000{i}", "X", MOSCOW) for i in range(6)])
    # 17:00 Moscow, window 09:00-21:00, six recipients an hour apart over 6 hours:
    # 17, 18, 19, 20 today; the 21:00 and 22:00 ones at 09:00 and 10:00 tomorrow,
    # not both at 09:00.
    start = datetime(2030, 3, 1, 14, 0, tzinfo=UTC)
    campaign = make_campaign(
        [group], start_at=start, spread_hours=6, respect_quiet_hours=True,
        window_start=time(9), window_end=time(21),
    )  # fmt: skip
    campaign_expand(campaign=campaign)
    times = sorted(Message.objects.values_list("planned_at", flat=True))
    hours_utc = [(t.day, t.hour) for t in times]
    assert hours_utc == [(1, 14), (1, 15), (1, 16), (1, 17), (2, 6), (2, 7)]


@pytest.mark.parametrize("path", ["sql", "python"])
def test_a_spread_started_in_quiet_hours_begins_when_the_window_opens(
    request, path, make_group, make_campaign
):
    if path == "python":
        request.getfixturevalue("python_only")
    group = make_group("G", [(f"+7924000000{i}", "X", VLADIVOSTOK) for i in range(4)])
    # 03:00 in Vladivostok; 4 recipients over 2 hours: 09:00, 09:30, 10:00, 10:30.
    start = datetime(2030, 3, 1, 17, 0, tzinfo=UTC)
    campaign = make_campaign(
        [group], start_at=start, spread_hours=2, respect_quiet_hours=True,
        window_start=time(9), window_end=time(21),
    )  # fmt: skip
    campaign_expand(campaign=campaign)
    times = sorted(Message.objects.values_list("planned_at", flat=True))
    first = datetime(2030, 3, 1, 23, 0, tzinfo=UTC)  # 09:00 on the 2nd, local
    assert [(t - first).total_seconds() for t in times] == [0, 1800, 3600, 5400]


@pytest.mark.parametrize(
    ("start_hour_utc", "spread", "window"),
    [
        (14, 6, (9, 21)),  # into the evening
        (20, 3, (9, 21)),  # started in quiet hours (23:00 Moscow)
        (3, 30, (9, 21)),  # more than two windows' worth
        (7, 5, (10, 12)),  # a window shorter than the spread
        (12, 1, (0, 23)),
        (21, 5, (22, 6)),  # overnight, started in the day in Moscow
        (2, 30, (22, 6)),  # overnight, more than three nights' worth
        (12, 7, (20, 2)),  # overnight, shorter than the spread
        (6, 3, (23, 1)),
    ],
)
def test_sql_and_python_plan_spread_send_times_alike(
    start_hour_utc, spread, window, make_group, make_campaign, monkeypatch
):
    zones = [MOSCOW, VLADIVOSTOK, "Asia/Kamchatka", "Europe/Kaliningrad", ""]
    people = [(f"+791200{i:05d}", "X", zones[i % len(zones)]) for i in range(37)]
    group = make_group("G", people)
    planned = {}
    for path in ("sql", "python"):
        if path == "python":
            monkeypatch.setattr(
                expansion, "_insert_contacts_sql",
                lambda campaign, plan, reachable, **_f: (
                    expansion._insert_contacts_python(campaign, plan, reachable)
                ),
            )  # fmt: skip
        campaign = make_campaign(
            [group], name=path,
            start_at=datetime(2030, 3, 1, start_hour_utc, 0, tzinfo=UTC),
            spread_hours=spread, respect_quiet_hours=True,
            window_start=time(window[0]), window_end=time(window[1]),
        )  # fmt: skip
        campaign_expand(campaign=campaign)
        planned[path] = dict(
            Message.objects.filter(campaign=campaign).values_list("phone", "planned_at")
        )
    assert planned["sql"].keys() == planned["python"].keys()
    apart = {
        phone: abs((planned["sql"][phone] - planned["python"][phone]).total_seconds())
        for phone in planned["sql"]
    }
    assert max(apart.values()) < 0.01, apart  # microseconds of rounding at most
    # Every message is inside its recipient's window.
    for phone, when in planned["sql"].items():
        local = when.astimezone(ZoneInfo(zones[int(phone[-5:]) % len(zones)] or MOSCOW))
        inside = SendWindow(time(window[0]), time(window[1])).contains(local.time())
        assert inside, (phone, local)


def test_counts_follow_inserts_and_status_changes(make_group, make_campaign):
    group = make_group("G", [(f"+7912000000{i}", "X", "") for i in range(3)])
    campaign = make_campaign([group])
    campaign_expand(campaign=campaign)
    Message.objects.filter(phone="+79120000000").update(status="delivered")
    counts = campaign_counts(campaign_id=campaign.pk)
    assert counts.by_status == {"pending": 2, "delivered": 1}
    assert counts.total == 3


@pytest.mark.parametrize("path", ["sql", "python"])
def test_escape_character_at_a_part_boundary_is_counted_exactly(
    request, path, make_group, make_campaign
):
    if path == "python":
        request.getfixturevalue("python_only")
    group = make_group("G", [("+79120000001", "a" * 100, "")])
    # 152 + 2 (€ cannot straddle parts 1 and 2) + 152 = 306 septets, but 3 parts.
    campaign = make_campaign([group], text="a" * 152 + "€" + "a" * 52 + "{first_name}")
    campaign_expand(campaign=campaign)
    message = Message.objects.get()
    assert message.segments == 3
    assert message.estimated_cost == Decimal("7.50")


@pytest.mark.parametrize("path", ["sql", "python"])
def test_custom_fields_read_the_same_on_both_paths(
    request, path, make_group, make_campaign
):
    # Numbers keep the digits they were written with; yes/no reads true/false, as
    # PostgreSQL's ->> renders them (the Python path once wrote 1234.5, True, 1e-05).
    if path == "python":
        request.getfixturevalue("python_only")
    from django.db import connection

    from contacts.models import CustomField

    for key in ("debt", "vip", "tiny", "city", "missing"):
        CustomField.objects.create(key=key, label=key)
    group = make_group("G", [("+79120000001", "A", MOSCOW)])
    with connection.cursor() as cursor:
        cursor.execute(
            """UPDATE contacts_contact SET attributes =
               '{"debt": 1234.50, "vip": true, "tiny": 1e-05, "city": "Омск"}'::jsonb"""
        )
    campaign = make_campaign([group], text="{debt}|{vip}|{tiny}|{city}|{missing}")

    campaign_expand(campaign=campaign)

    assert Message.objects.get().text == "1234.50|true|0.00001|Омск|"


@pytest.mark.parametrize("path", ["sql", "python"])
def test_number_and_date_fields_are_written_as_russians_read_them(
    request, path, make_group, make_campaign
):
    # Sent as stored, they read «визит 2026-12-20», «бонус 150.50»: the contact page
    # shows 20.12.2026 and 150,50.
    if path == "python":
        request.getfixturevalue("python_only")
    from django.db import connection

    from contacts.models import CustomField

    CustomField.objects.create(key="bonus", label="Бонус", kind="number")
    CustomField.objects.create(key="visit", label="Визит", kind="date")
    CustomField.objects.create(key="code", label="Код", kind="text")
    group = make_group("G", [("+79120000001", "A", MOSCOW)])
    with connection.cursor() as cursor:
        cursor.execute(
            """UPDATE contacts_contact SET attributes =
               '{"bonus": 150.50, "visit": "2026-12-20", "code": "1.5"}'::jsonb"""
        )
    campaign = make_campaign(
        [group], text="{bonus}|{visit}|{code}|{bonus|нет}|{visit|скоро}"
    )

    campaign_expand(campaign=campaign)

    assert Message.objects.get().text == "150,50|20.12.2026|1.5|150,50|20.12.2026"


@pytest.mark.parametrize("path", ["sql", "python"])
@pytest.mark.parametrize(
    ("kind", "text", "why"),
    [
        ("websms", "я" * 590 + "{first_name}", "at most 9 segments"),
        ("smsc", "a" * 995 + "{first_name}", "at most 1000 characters"),
    ],
)
def test_a_text_made_too_long_by_its_values_is_rejected_saying_why(
    request, path, kind, text, why, make_group, make_campaign, settings
):
    # The template alone fits; a long first name pushes one recipient over.
    from providers.models import ProviderAccount

    settings.LANGUAGE_CODE = "en"
    if path == "python":
        request.getfixturevalue("python_only")
    account = ProviderAccount.objects.create(
        name=kind, kind=kind, base_url="http://127.0.0.1:9/x", default_sender="SHOP"
    )
    group = make_group(
        "G", [("+79120000001", "Александра", MOSCOW), ("+79120000002", "Ян", MOSCOW)]
    )
    campaign = make_campaign([group], account=account, text=text)

    campaign_expand(campaign=campaign)

    long, short = Message.objects.order_by("phone")
    assert (long.status, long.reason) == ("rejected", "content_rejected")
    assert why in long.vendor_text
    assert (short.status, short.reason) == ("pending", "")
    assert campaign_counts(campaign_id=campaign.pk).by_status == {
        "rejected": 1, "pending": 1,
    }  # fmt: skip
