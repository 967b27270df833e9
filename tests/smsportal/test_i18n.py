import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


def test_language_falls_back_to_russian(client, viewer_user):
    client.force_login(viewer_user)
    html = client.get(reverse("dashboard"), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert '<html lang="ru">' in html
    assert "Панель" in html


def test_language_follows_the_browser(client, viewer_user):
    client.force_login(viewer_user)
    html = client.get(reverse("dashboard"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en">' in html
    assert "Dashboard" in html


def test_labels_a_screen_reader_reads_are_in_the_readers_language(client, manager_user):
    client.force_login(manager_user)
    page = client.post(
        reverse("contacts:stoplist"),
        {"phone": "+79161234567"},
        HTTP_ACCEPT_LANGUAGE="ru",
        follow=True,
    ).content.decode()

    assert 'aria-label="Закрыть"' in page  # the message's close button
    assert 'aria-label="Close"' not in page


def test_language_switcher_sets_the_language(client, viewer_user):
    client.force_login(viewer_user)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = client.get(reverse("dashboard"), HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert '<html lang="en">' in html


SOURCE_DIRS = ("smsportal", "accounts", "contacts", "campaigns", "providers", "templates",
               "locale")  # fmt: skip


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="gettext is not installed")
def test_russian_catalogue_is_complete(tmp_path):
    """Every string in code and templates has a Russian translation, none fuzzy.

    makemessages writes into the catalogue beside the sources it reads, so it runs on
    a copy of the sources: the real catalogue is never touched by the test.
    """
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "samples")
    for name in SOURCE_DIRS:
        shutil.copytree(ROOT / name, tmp_path / name, ignore=ignore)
    shutil.copy(ROOT / "manage.py", tmp_path / "manage.py")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "smsportal.settings",
           "SMSPORTAL_LOCALE_DIR": str(tmp_path / "locale"),
           "SMSPORTAL_VAR_DIR": str(tmp_path / "var")}  # fmt: skip
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "ru", "--no-obsolete"],
        cwd=tmp_path, env=env, check=True, capture_output=True,
    )  # fmt: skip
    po = (tmp_path / "locale/ru/LC_MESSAGES/django.po").read_text()
    entries = po.split("\n\n")[1:]  # the first entry is the header
    missing = [e for e in entries if "#, fuzzy" in e or _has_empty_msgstr(e)]
    assert not missing, "untranslated or fuzzy:\n" + "\n\n".join(missing[:20])


def _has_empty_msgstr(entry: str) -> bool:
    lines = entry.strip().splitlines()
    for index, line in enumerate(lines):
        if line.startswith("msgstr") and line.endswith('""'):
            following = lines[index + 1] if index + 1 < len(lines) else ""
            if not following.startswith('"'):
                return True
    return False


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="gettext is not installed")
@pytest.mark.parametrize("language", ["ru", "en"])
def test_catalogue_compiles_cleanly(language):
    """msgfmt --check: placeholders match, plural forms agree with the header."""
    po = ROOT / f"locale/{language}/LC_MESSAGES/django.po"
    result = subprocess.run(
        ["msgfmt", "--check", "-o", os.devnull, str(po)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_russian_words_agree_with_what_they_describe():
    from django.utils import translation

    from accounts.models import AuditEvent

    with translation.override("ru"):
        # The audit log's action column speaks of campaigns, contacts and tokens at
        # once: nouns, where participles took one gender ("Запущена", "Импортирован").
        actions = {str(label) for label in AuditEvent.Action.labels}
        assert {"Создание", "Запуск", "Импорт", "Отмена"} <= actions
        # A campaign (рассылка) is feminine, a contact masculine, a count of new rows
        # neuter: one English "Created", three Russian words.
        assert translation.pgettext("campaign", "Created") == "Создана"
        from campaigns.tables import CampaignTable

        # The heading also names the zone of its times.
        header = CampaignTable([]).columns["created_at"].header
        assert str(header).startswith("Создана (")
        assert translation.gettext("Created") == "Создан"
        assert (
            translation.pgettext("import: rows that became new records", "Created")
            == "Создано"
        )


def test_large_counts_and_sums_are_grouped_as_the_reader_writes_them(
    manager_client, manager_user
):
    from contacts.models import ImportJob

    job = ImportJob.objects.create(
        original_name="book.csv",
        status=ImportJob.Status.DONE,
        created_by=manager_user,
        report={"rows": 1050000, "created": 1000000, "invalid": 50000},
    )
    url = reverse("contacts:import_detail", args=[job.pk])
    russian = manager_client.get(url, HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    english = manager_client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<td>1\xa0050\xa0000</td>" in russian
    assert "<td>50\xa0000</td>" in russian
    assert "<td>1,050,000</td>" in english


def test_the_book_size_is_grouped_and_agrees_with_its_number(manager_client):
    from contacts.models import Contact

    Contact.objects.bulk_create(Contact(phone=f"+7912{i:07d}") for i in range(1234))
    page = manager_client.get(
        reverse("contacts:list"), HTTP_ACCEPT_LANGUAGE="ru"
    ).content.decode()
    assert "в книге 1\xa0234 контакта" in page


def test_a_group_is_created_feminine_and_its_size_is_grouped(admin_client):
    from contacts.models import Contact, ContactGroup, GroupMembership

    group = ContactGroup.objects.create(name="Клиенты")
    contacts = Contact.objects.bulk_create(
        Contact(phone=f"+7912{i:07d}") for i in range(1234)
    )
    GroupMembership.objects.bulk_create(
        GroupMembership(contact=c, group=group) for c in contacts
    )

    page = admin_client.get(
        reverse("contacts:group_list"), HTTP_ACCEPT_LANGUAGE="ru"
    ).content.decode()
    admin = admin_client.get(
        reverse("admin:contacts_contactgroup_changelist"), HTTP_ACCEPT_LANGUAGE="ru"
    ).content.decode()

    assert "Создана" in page
    assert "Создан<" not in page
    assert "<td >1\xa0234</td>" in page.replace('class="member_count"', "")
    assert "1\xa0234" in admin
