"""The numbering plan's registry: a mobile number's zone from the region of its range."""

import io
from datetime import UTC, datetime, time, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest

from django.core.management import CommandError, call_command
from django.utils import timezone

from contacts.models import Contact, NumberRange
from contacts.numbering import (
    REGION_ZONES,
    contacts_fill_zones,
    numbering_plan_load,
    region_zone,
    zone_for_phone,
    zones_for_phones,
)
from contacts.services import contact_create, contact_update
from smsportal.exceptions import ApplicationError

pytestmark = pytest.mark.django_db

# The registry's own layout (a constructed extract, not the registry's data).
HEADER = "АВС/ DEF;От;До;Емкость;Оператор;Регион\n"
EXTRACT = HEADER + (
    '924;0000000;0999999;1000000;ПАО "Оператор";Приморский край\n'
    '924;1000000;1099999;100000;ПАО "Оператор";Хабаровский край\n'
    '924;2000000;2999999;1000000;ПАО "Оператор";Корякский округ|Камчатский край\n'
    '912;0000000;4999999;5000000;ПАО "Оператор";Свердловская обл.\n'
    '912;5000000;9999999;5000000;ПАО "Оператор";г. Москва и Московская область\n'
    '958;0000000;0999999;1000000;ООО "Связь";Российская Федерация\n'
    '958;1000000;1999999;1000000;ООО "Связь";Неведомая земля\n'
)


def load(text: str = EXTRACT, name: str = "DEF-9xx.csv", encoding: str = "cp1251"):
    return numbering_plan_load([(name, io.BytesIO(text.encode(encoding)))])


@pytest.mark.parametrize(
    ("region", "zone"),
    [
        ("Приморский край", "Asia/Vladivostok"),
        ("г. Москва и Московская область", "Europe/Moscow"),
        ("г. Санкт - Петербург и Ленинградская область", "Europe/Moscow"),
        ("Томская обл.", "Asia/Tomsk"),
        ("Омская область", "Asia/Omsk"),
        ("Ямало-Ненецкий АО", "Asia/Yekaterinburg"),
        ("Ненецкий автономный округ", "Europe/Moscow"),
        ("Сахалинская обл.", "Asia/Sakhalin"),
        ("Республика Саха /Якутия/", "Asia/Yakutsk"),
        ("Ханты - Мансийский - Югра АО", "Asia/Yekaterinburg"),
        ("Корякский округ|Камчатский край", "Asia/Kamchatka"),
        ("Коми-Пермяцкий АО", "Asia/Yekaterinburg"),
        ("Республика Коми", "Europe/Moscow"),
        ("Чукотский автономный округ", "Asia/Anadyr"),
        ("Республика Крым", "Europe/Simferopol"),
        ("Кировская обл.", "Europe/Kirov"),
        ("Удмуртская Республика", "Europe/Samara"),
        ("Республика Алтай", "Asia/Barnaul"),
        ("Кемеровская область - Кузбасс", "Asia/Novokuznetsk"),
        ("Забайкальский край", "Asia/Chita"),
        ("Российская Федерация", ""),
        ("Неведомая земля", None),
        ("", None),
    ],
)
def test_region_names_as_the_registry_writes_them(region, zone):
    assert region_zone(region) == zone


def test_every_zone_named_is_one_python_knows():
    for _stem, zone in REGION_ZONES:
        ZoneInfo(zone)


def test_loading_gives_each_range_its_zone_and_reports_what_it_could_not(db):
    result = load()
    assert (result.ranges, result.rejected) == (7, 0)
    assert dict(result.unknown_regions) == {"Неведомая земля": 1}
    zones = dict(NumberRange.objects.values_list("region", "time_zone"))
    assert zones["Приморский край"] == "Asia/Vladivostok"
    assert zones["Российская Федерация"] == ""


@pytest.mark.parametrize(
    ("phone", "zone"),
    [
        ("+79240000000", "Asia/Vladivostok"),  # the range's first number
        ("+79240999999", "Asia/Vladivostok"),  # its last
        ("+79241000000", "Asia/Vladivostok"),  # Khabarovsk: the same zone
        ("+79241100000", ""),  # between ranges: unallocated
        ("+79242500000", "Asia/Kamchatka"),
        ("+79124999999", "Asia/Yekaterinburg"),
        ("+79125000000", "Europe/Moscow"),
        ("+79580500000", ""),  # the whole country
        ("+79581500000", ""),  # a region not recognised
        ("+79990000000", ""),  # a code not loaded
        ("+380441234567", ""),  # not a Russian number
    ],
)
def test_numbers_are_looked_up_by_their_range(phone, zone):
    load()
    assert zone_for_phone(phone) == zone
    assert zones_for_phones([phone]).get(phone, "") == zone


def test_looking_many_up_agrees_with_one_by_one():
    load()
    phones = [f"+79{code}{n:07d}" for code in (24, 12, 58, 99) for n in
              (0, 999_999, 1_000_000, 1_099_999, 1_100_000, 2_500_000, 9_999_999)]  # fmt: skip
    many = zones_for_phones(phones)
    assert {p: zone_for_phone(p) for p in phones if zone_for_phone(p)} == many


def test_bad_rows_are_skipped_and_named_by_file_and_row():
    text = EXTRACT + "924;3000000;;0;X;Приморский край\nabc;1;2;1;X;Приморский край\n"
    result = load(text, name="DEF-9xx.csv", encoding="utf-8")
    assert (result.ranges, result.rejected) == (7, 2)
    assert result.examples[0].startswith("DEF-9xx.csv, row 9: column «До»")
    assert result.examples[1].startswith("DEF-9xx.csv, row 10: column «АВС/ DEF»")


def test_a_broken_quote_fails_the_load_naming_file_and_row_and_changes_nothing():
    load()
    broken = HEADER + '924;0000000;0999999;1;"ПАО Оператор;Приморский край\n'
    with pytest.raises(ApplicationError) as refused:
        load(broken, name="DEF-new.csv")
    assert refused.value.message.startswith("DEF-new.csv, row 2: ")
    assert "quote" in refused.value.message
    assert NumberRange.objects.count() == 7  # the earlier load stays whole


def test_an_extract_saved_from_excel_loads_too():
    import openpyxl

    book = openpyxl.Workbook()
    for line in EXTRACT.splitlines():
        book.active.append(line.split(";"))
    data = io.BytesIO()
    book.save(data)
    result = numbering_plan_load([("DEF-9xx.xlsx", io.BytesIO(data.getvalue()))])
    assert (result.ranges, result.rejected) == (7, 0)
    assert zone_for_phone("+79240000001") == "Asia/Vladivostok"


def test_a_file_without_the_registry_columns_changes_nothing():
    load()
    with pytest.raises(ApplicationError) as refused:
        load("Телефон;Имя\n79241234567;Анна\n", name="contacts.csv")
    assert "contacts.csv" in refused.value.message
    assert "«АВС/ DEF»" in refused.value.message
    assert NumberRange.objects.count() == 7


def test_contacts_without_a_zone_get_their_ranges_on_load():
    by_hand = Contact.objects.create(phone="+79240000001", time_zone="Europe/Moscow")
    mobile = Contact.objects.create(phone="+79240000002")
    unknown = Contact.objects.create(phone="+79990000002")
    landline = Contact.objects.create(phone="+74951234567", time_zone="Europe/Moscow")

    assert load().contacts_zoned == 1

    zones = dict(Contact.objects.values_list("pk", "time_zone"))
    assert zones == {
        by_hand.pk: "Europe/Moscow", mobile.pk: "Asia/Vladivostok",
        unknown.pk: "", landline.pk: "Europe/Moscow",
    }  # fmt: skip
    assert contacts_fill_zones() == 0  # nothing left to fill


def test_a_reload_moves_the_mobiles_its_old_ranges_zoned_and_no_others():
    load()
    from_plan = contact_create(phone="+79240000001")  # Primorye, then Kamchatka
    by_hand = contact_create(phone="+79240000002", time_zone="Europe/Samara")
    kept = contact_create(phone="+79121234567")  # Sverdlovsk in both loads
    dropped = contact_create(phone="+79125550000")  # a range the new load lacks
    landline = contact_create(phone="+74951234567")  # libphonenumber's, by its code
    assert from_plan.time_zone == "Asia/Vladivostok"
    reassigned = HEADER + (
        '924;0000000;0999999;1000000;ПАО "Оператор";Камчатский край\n'
        '912;0000000;4999999;5000000;ПАО "Оператор";Свердловская обл.\n'
        '495;0000000;9999999;10000000;ПАО "Оператор";Приморский край\n'
    )

    result = load(reassigned)

    assert (result.contacts_rezoned, result.contacts_zoned) == (2, 0)
    zones = dict(Contact.objects.values_list("pk", "time_zone"))
    assert zones == {
        from_plan.pk: "Asia/Kamchatka", by_hand.pk: "Europe/Samara",
        kept.pk: "Asia/Yekaterinburg", dropped.pk: "", landline.pk: "Europe/Moscow",
    }  # fmt: skip
    assert NumberRange.objects.count() == 3  # the old ranges are gone
    assert load(reassigned).contacts_rezoned == 0  # the same file again moves nothing


def test_a_new_or_renumbered_contact_takes_the_plan_zone_unless_one_is_given():
    load()
    contact = contact_create(phone="8 924 000-00-05")
    assert contact.time_zone == "Asia/Vladivostok"
    stated = contact_create(phone="+79240000006", time_zone="МСК")
    assert stated.time_zone == "Europe/Moscow"
    moved = contact_update(contact=contact, phone="+79120000007")
    assert moved.time_zone == "Asia/Yekaterinburg"
    back = contact_update(contact=stated, time_zone="")
    assert back.time_zone == "Asia/Vladivostok"


def test_an_imported_mobile_gets_its_range_zone(do_import):
    load()
    report, _rejects = do_import(
        "Телефон;Имя;Часовой пояс\n89240000010;Анна;\n89240000011;Борис;UTC+3\n".encode(),
        kind="contacts",
    )
    assert report.created == 2
    zones = dict(Contact.objects.values_list("phone", "time_zone"))
    assert zones == {
        "+79240000010": "Asia/Vladivostok",
        "+79240000011": "Europe/Moscow",
    }


def test_quiet_hours_defer_a_vladivostok_mobile_found_by_its_range(make_campaign_here):
    from campaigns.expansion import campaign_expand
    from campaigns.models import Message

    load()
    vladivostok = contact_create(phone="+79240000020")  # no zone given
    campaign = make_campaign_here(vladivostok, extra_numbers="+79240000021")
    # 08:00 UTC: 11:00 in Moscow, 18:00 in Vladivostok; window 09:00-17:00.
    campaign_expand(campaign=campaign)
    planned = dict(Message.objects.values_list("phone", "planned_at"))
    next_morning = datetime(2030, 3, 1, 23, 0, tzinfo=UTC)  # 09:00 in Vladivostok
    assert planned == {"+79240000020": next_morning, "+79240000021": next_morning}


@pytest.fixture
def make_campaign_here(db):
    from decimal import Decimal

    from campaigns.models import Campaign
    from contacts.models import ContactGroup
    from providers.models import ProviderAccount

    def make(contact, **fields):
        group = ContactGroup.objects.create(name="G")
        contact.groups.add(group)
        account = ProviderAccount.objects.create(
            name="A", kind="webcom", base_url="http://127.0.0.1:9/webcom"
        )
        campaign = Campaign.objects.create(
            name="C", account=account, sender="S", text="Hi", time_zone="Europe/Moscow",
            start_at=datetime(2030, 3, 1, 8, 0, tzinfo=UTC), respect_quiet_hours=True,
            window_start=time(9), window_end=time(17), price_per_segment=Decimal(1),
            **fields,
        )  # fmt: skip
        campaign.include_groups.set([group])
        return campaign

    return make


def test_the_command_loads_files_and_says_what_it_did(tmp_path):
    Contact.objects.create(phone="+79240000030")
    path = tmp_path / "DEF-9xx.csv"
    path.write_bytes(EXTRACT.encode("cp1251"))
    out = StringIO()
    call_command("load_numbering_plan", str(path), stdout=out)
    text = out.getvalue()
    assert "Ranges loaded: 7; rows skipped: 0; contacts given a time zone: 1" in text
    assert "Неведомая земля: 1 ranges" in text
    with pytest.raises(CommandError, match="no such file"):
        call_command("load_numbering_plan", str(tmp_path / "missing.csv"))


def test_after_an_import_only_its_own_rows_are_looked_up(do_import):
    load()
    # Left without a zone an hour ago (say, written past the services): not this
    # import's, so not looked up again.
    earlier = Contact.objects.create(
        phone="+79240000050", updated_at=timezone.now() - timedelta(hours=1)
    )
    do_import(b"phone\n89240000051\n", kind="contacts")
    zones = dict(Contact.objects.values_list("phone", "time_zone"))
    assert zones == {earlier.phone: "", "+79240000051": "Asia/Vladivostok"}


def test_a_follow_up_defers_a_parent_failure_found_by_its_range(make_campaign_here):
    # A parent's failed recipient who is no contact: its zone comes from the registry
    # in the follow-up's expansion as for a pasted number (it used to get none).
    from campaigns.expansion import campaign_expand
    from campaigns.models import Campaign, Message

    load()
    parent = make_campaign_here(contact_create(phone="+79120000070"))
    Message.objects.create(
        campaign=parent, account=parent.account, phone="+79240000071", text="Hi",
        channel="sms", planned_at=parent.start_at, status="failed",
        reason="gateway_error",
    )  # fmt: skip
    follow_up = Campaign.objects.create(
        name="Again", account=parent.account, sender="S", text="Hi", parent=parent,
        time_zone="Europe/Moscow", start_at=parent.start_at, respect_quiet_hours=True,
        window_start=time(9), window_end=time(17),
    )  # fmt: skip
    campaign_expand(campaign=follow_up)
    planned = Message.objects.get(campaign=follow_up).planned_at
    assert planned == datetime(2030, 3, 1, 23, 0, tzinfo=UTC)  # 09:00 in Vladivostok


@pytest.mark.django_db(transaction=True)
def test_two_loads_at_once_keep_one_set_of_ranges(monkeypatch):
    """A worker thought gone and the one that took its job over load at once: the
    second waits for the first to commit, then replaces its ranges (each kept the
    other's before: every range twice)."""
    import threading

    from django.db import connection

    from contacts import numbering

    load()  # the ranges in place before
    first_inserted, first_may_go_on = threading.Event(), threading.Event()
    follow = numbering.follow_new_ranges

    def first_pauses(previous: int, **where) -> int:
        if threading.current_thread().name == "first":
            first_inserted.set()
            first_may_go_on.wait(10)
        return follow(previous, **where)

    monkeypatch.setattr(numbering, "follow_new_ranges", first_pauses)
    errors = []

    def run() -> None:
        try:
            load()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    first = threading.Thread(target=run, name="first")
    second = threading.Thread(target=run, name="second")
    first.start()
    assert first_inserted.wait(10)
    second.start()
    second.join(1)  # it would have finished by now without waiting for the first
    first_may_go_on.set()
    first.join(10)
    second.join(10)

    assert errors == []
    assert NumberRange.objects.count() == EXTRACT.count("\n") - 1


def test_a_reload_moves_a_waiting_pasted_numbers_zone_too(make_campaign_here):
    """A pasted number's zone is kept on its message; a reload moved the contacts'
    and left the messages waiting in the old one, which quiet hours read when the
    message falls due late."""
    from campaigns.expansion import campaign_expand
    from campaigns.models import Message

    load()
    contact = contact_create(phone="+79120000040")
    campaign = make_campaign_here(contact, extra_numbers="+79240000041")
    campaign_expand(campaign=campaign)
    pasted = Message.objects.get(phone="+79240000041")
    assert pasted.time_zone == "Asia/Vladivostok"
    sent = Message.objects.create(  # gone already: left as it went
        campaign=campaign, account=campaign.account, phone="+79240000042", text="x",
        status="sent",
        planned_at=pasted.planned_at, time_zone="Asia/Vladivostok",
    )  # fmt: skip

    result = load(
        HEADER + '924;0000000;0999999;1000000;ПАО "Оператор";Камчатский край\n'
    )

    assert result.messages_rezoned == 1
    zones = dict(Message.objects.values_list("phone", "time_zone"))
    assert zones["+79240000041"] == "Asia/Kamchatka"
    assert zones[sent.phone] == "Asia/Vladivostok"
