"""Every download is named in its reader's language (RFC 6266: `filename*` in UTF-8,
with an ASCII `filename` beside it), with what a user typed into the name made safe.
A Russian user's exports were all named in English: contacts-…, inbox-…,
campaign-12-messages, rejected-…."""

from urllib.parse import quote, unquote

import pytest

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign
from contacts.importing.runner import ImportOptions
from contacts.models import ContactGroup, ImportJob
from contacts.services import contacts_import, import_job_create
from providers.models import ProviderAccount
from smsportal.lib.downloads import attachment_disposition

pytestmark = pytest.mark.django_db

QUOTED = 'Акция "Осень"/2026\\VIP'  # quotes, slashes, a backslash


def disposition(client, url: str, language: str, **params) -> str:
    response = client.get(url, params, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200, response
    return response["Content-Disposition"]


def utf8_name(header: str) -> str:
    """The name the header gives a client that reads `filename*` (all do now)."""
    if "filename*=UTF-8''" in header:
        return unquote(header.split("filename*=UTF-8''")[1])
    return header.split('filename="')[1].rstrip('"')


def ascii_name(header: str) -> str:
    return header.split('filename="')[1].split('"')[0]


@pytest.fixture
def today() -> str:
    return timezone.localdate().isoformat()


@pytest.fixture
def campaign(db) -> Campaign:
    account = ProviderAccount.objects.create(
        name="Webcom", kind="webcom", base_url="http://127.0.0.1:9/x"
    )
    return Campaign.objects.create(name=QUOTED, account=account, text="Hi")


@pytest.mark.parametrize(
    ("url_name", "english", "russian"),
    [
        ("contacts:export", "contacts", "контакты"),
        ("contacts:stoplist_export", "stop-list", "стоп-лист"),
        ("reports:inbox_export", "replies", "ответы"),
    ],
)
def test_an_export_is_named_in_the_readers_language(
    manager_client, today, url_name, english, russian
):
    url = reverse(url_name)

    en = disposition(manager_client, url, "en", format="xlsx")
    ru = disposition(manager_client, url, "ru", format="csv-1251")

    assert en == f'attachment; filename="{english}-{today}.xlsx"'
    assert utf8_name(ru) == f"{russian}-{today}-1251.csv"
    # The fallback, for a client that reads only filename=: ASCII, transliterated.
    assert ascii_name(ru).isascii()
    assert ascii_name(ru).endswith(f"-{today}-1251.csv")


def test_a_campaigns_messages_are_named_after_it_made_safe(manager_client, campaign):
    url = reverse("reports:campaign_export", args=[campaign.pk])

    en = disposition(manager_client, url, "en", format="csv")
    ru = disposition(manager_client, url, "ru", format="csv")

    safe = "Акция _Осень__2026_VIP"
    assert utf8_name(en) == f"campaign-{campaign.pk}-{safe}-messages.csv"
    assert utf8_name(ru) == f"рассылка-{campaign.pk}-{safe}-сообщения.csv"
    assert (
        ascii_name(en) == f"campaign-{campaign.pk}-Aktsiia _Osen__2026_VIP-messages.csv"
    )
    for header in (en, ru):
        # One quoted string, nothing of the name outside it or breaking it.
        assert header.count('"') == 2
        assert "/" not in unquote(header)
        assert "\\" not in header


def test_a_groups_export_keeps_the_group_name_made_safe(manager_client, today):
    group = ContactGroup.objects.create(name=QUOTED)
    url = reverse("contacts:export")

    ru = disposition(manager_client, url, "ru", group=group.pk)

    assert utf8_name(ru) == f"Акция _Осень__2026_VIP-{today}.csv"
    assert ascii_name(ru) == f"Aktsiia _Osen__2026_VIP-{today}.csv"


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "rejected-Акция _Осень_.csv"), ("ru", "непринятые-Акция _Осень_.csv")],
)
def test_the_rejected_rows_are_named_in_the_readers_language(
    manager_client, language, expected
):
    job = import_job_create(
        upload=SimpleUploadedFile('Акция "Осень".csv', "Телефон\n123\n".encode()),
        kind="contacts",
    )
    job.options = ImportOptions().as_dict()
    job.status = ImportJob.Status.QUEUED
    job.save()
    contacts_import(job_id=job.pk)
    url = reverse("contacts:import_rejects", args=[job.pk])

    assert utf8_name(disposition(manager_client, url, language)) == expected


@pytest.mark.parametrize(
    ("url_name", "russian"),
    [
        ("contacts:import_sample", "контакты-образец-импорта.xlsx"),
        ("contacts:stoplist_import_sample", "стоп-лист-образец-импорта.xlsx"),
    ],
)
def test_an_import_sample_is_named_in_the_readers_language(
    manager_client, url_name, russian
):
    ru = disposition(manager_client, reverse(url_name), "ru", format="xlsx")

    assert utf8_name(ru) == russian


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("report.csv", 'attachment; filename="report.csv"'),
        (
            'a "b"\\c/d.csv',
            'attachment; filename="a _b__c_d.csv"',
        ),
        (
            "Отчёт\r\nX-Evil: 1.csv",
            'attachment; filename="OtchetX-Evil_ 1.csv"; '
            f"filename*=UTF-8''{quote('ОтчётX-Evil_ 1.csv', safe='')}",
        ),
        (
            "Müller 😀.csv",
            'attachment; filename="Muller _.csv"; '
            f"filename*=UTF-8''{quote('Müller 😀.csv', safe='')}",
        ),
    ],
)
def test_the_header_holds_any_name_safely(name, expected):
    assert attachment_disposition(name) == expected
