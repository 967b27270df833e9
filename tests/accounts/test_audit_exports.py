"""Who took the contact book or a campaign's messages away, and who loaded a file in:
the audit log records exports and imports, and reads them in the reader's language."""

from datetime import UTC, datetime

import pytest

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.audit_display import detail_lines, object_type_label
from accounts.models import AuditEvent
from accounts.services import api_token_create
from campaigns.models import Campaign
from contacts.importing.runner import ImportOptions
from contacts.models import Contact, ContactGroup, ImportJob
from contacts.services import import_job_create, import_job_start
from providers.models import ProviderAccount

pytestmark = pytest.mark.django_db


@pytest.fixture
def book():
    Contact.objects.create(phone="+79123456789", first_name="Иван")


def exports() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="exported").order_by("id"))


def test_a_contact_export_is_recorded_with_its_filters(manager_client, book):
    response = manager_client.get(
        reverse("contacts:export"),
        {"format": "xlsx", "q": "Иван", "page": "2"},
        HTTP_ACCEPT_LANGUAGE="ru",
    )
    b"".join(response.streaming_content)
    # A search the filter cannot read (a NUL) is refused, never run as no search.
    refused = manager_client.get(reverse("contacts:export"), {"q": "Иван\x00"})
    assert refused.status_code == 302
    (event,) = exports()
    assert event.actor_name == "mark-manager"
    assert event.object_repr.startswith("контакты-")  # the download's own name
    assert event.object_repr.endswith(".xlsx")
    assert event.details == {"format": "xlsx", "filters": {"q": "Иван"}}  # page: not


def test_exports_from_the_api_and_the_admin_are_recorded_too(
    admin_client, django_user_model, book
):
    admin_client.get(reverse("api:contact_export"), {"format": "csv", "q": "912"})
    django_user_model.objects.filter(username="alice-admin").update(is_superuser=True)
    admin_client.post(
        reverse("admin:contacts_contact_changelist"),
        {
            "action": "export_csv",
            "_selected_action": list(Contact.objects.values_list("pk", flat=True)),
        },
    )
    assert [event.details["filters"] for event in exports()] == [
        {"q": "912"},
        {"selected": "1"},
    ]


def test_a_campaign_message_export_is_recorded_on_the_campaign(manager_client):
    account = ProviderAccount.objects.create(
        name="A", kind="smsc", base_url="http://127.0.0.1:9/smsc"
    )
    campaign = Campaign.objects.create(name="Sale", account=account, text="Hi")
    response = manager_client.get(
        reverse("reports:campaign_export", args=[campaign.pk]),
        {"format": "csv", "status": "delivered"},
    )
    b"".join(response.streaming_content)
    (event,) = exports()
    assert (event.object_type, event.object_id) == (
        "campaigns.Campaign",
        str(campaign.pk),
    )
    assert event.details == {"format": "csv", "filters": {"status": "delivered"}}


def test_starting_an_import_is_recorded(
    manager_user, django_capture_on_commit_callbacks
):
    group = ContactGroup.objects.create(name="VIP")
    upload = SimpleUploadedFile("база.csv", b"phone\n+79123456789\n")
    job = import_job_create(upload=upload, kind="contacts", user=manager_user)
    import_job_start(job=job, options=ImportOptions(group_ids=[group.pk]))
    event = AuditEvent.objects.get(action="imported")
    assert (event.object_type, event.object_repr) == ("contacts.ImportJob", "база.csv")
    assert event.details == {
        "kind": "contacts",
        "groups": [f"VIP (#{group.pk})"],
        "update": False,
    }


def test_filters_by_a_record_keep_its_name_and_read_by_their_labels(
    manager_client, book
):
    from django.utils import translation

    group = ContactGroup.objects.create(name="Клиенты")
    account = ProviderAccount.objects.create(
        name="Основной", kind="smsc", base_url="http://127.0.0.1:9/smsc"
    )
    manager_client.get(reverse("contacts:export"), {"format": "csv", "group": group.pk})
    manager_client.get(
        reverse("reports:inbox_export"), {"account": account.pk, "q": "стоп"}
    )
    # A group that is not there is refused, not exported as the whole book.
    refused = manager_client.get(reverse("contacts:export"), {"group": "999999"})
    assert refused.status_code == 302
    group_id = group.pk
    group.delete()  # the log still says which group it was

    first, second = exports()
    assert first.details["filters"] == {"group": f"Клиенты (#{group_id})"}
    assert second.details["filters"] == {
        "account": f"Основной (#{account.pk})",
        "q": "стоп",
    }
    with translation.override("ru"):
        lines = dict(detail_lines("", second.details))
    assert (
        lines["Фильтры"] == f"Поиск: стоп; Аккаунт провайдера: Основной (#{account.pk})"
    )


def test_the_log_reads_types_fields_and_choices_in_the_readers_language(admin_client):
    from django.utils import translation

    with translation.override("ru"):
        assert object_type_label("campaigns.Campaign") == "Рассылка"
        assert object_type_label("gone.Model") == "gone.Model"
        changed = detail_lines(
            "providers.ProviderAccount", {"fields": ["password", "rate_limit"]}
        )
        imported = detail_lines(
            "contacts.ImportJob", {"kind": "stoplist", "update": True, "groups": []}
        )
    assert changed == [("Изменённые поля", "пароль, ограничение скорости отправки")]
    assert imported == [
        ("Импорт", "Стоп-лист"),
        ("Обновлять существующие контакты", "да"),
    ]


def test_the_log_page_filters_by_object_type_by_name(admin_client):
    AuditEvent.objects.create(action="created", object_type="campaigns.Campaign",
                              object_repr="Sale", details={"recipients": 3})  # fmt: skip
    AuditEvent.objects.create(
        action="login", object_type="auth.User", object_repr="ann"
    )
    response = admin_client.get(
        reverse("accounts:audit_log"),
        {"object_type": "campaigns.Campaign"},
        HTTP_ACCEPT_LANGUAGE="ru",
    )
    html = response.content.decode()
    assert '<option value="campaigns.Campaign" selected>Рассылка</option>' in html
    assert "Sale" in html
    assert ">ann<" not in html
    assert "Получатели:</span> 3" in html


def test_a_date_range_of_the_contact_page_reads_by_its_labels(manager_client, book):
    from django.utils import translation

    manager_client.get(
        reverse("contacts:export"),
        {"created_min": "2026-01-01", "created_max": "2026-02-01", "birthday": "week"},
    )
    (event,) = exports()
    with translation.override("ru"):
        lines = dict(detail_lines("", event.details))
    assert lines["Фильтры"] == (
        "День рождения: в ближайшие 7 дней; Создан с: 2026-01-01; Создан по: 2026-02-01"
    )


def test_filter_values_read_by_the_filters_own_choices(manager_client, book):
    """A yes/no filter reads "да"/"нет", a choice its label as the page offers it,
    whichever export recorded it; a value no filter offers is shown as it is."""
    from django.utils import translation

    manager_client.get(reverse("contacts:export"), {"stopped": "true"})
    manager_client.get(reverse("contacts:export"), {"stopped": "false"})
    manager_client.get(reverse("reports:inbox_export"), {"state": "opt_out"})
    with translation.override("ru"):
        filters = [dict(detail_lines("", e.details))["Фильтры"] for e in exports()]
        odd = dict(detail_lines("", {"filters": {"birthday": "someday"}}))
        several = dict(detail_lines("", {"filters": {"status": ["failed", "sent"]}}))
    assert filters == ["В стоп-листе: да", "В стоп-листе: нет", "Состояние: Отписки"]
    assert odd == {"Фильтры": "День рождения: someday"}
    assert several == {"Фильтры": "Статус: Ошибка, Отправлено"}


def test_a_campaign_message_export_reads_its_status_by_label(manager_client):
    from django.utils import translation

    account = ProviderAccount.objects.create(
        name="A", kind="smsc", base_url="http://127.0.0.1:9/smsc"
    )
    campaign = Campaign.objects.create(name="Sale", account=account, text="Hi")
    b"".join(
        manager_client.get(
            reverse("reports:campaign_export", args=[campaign.pk]),
            {"format": "csv", "status": "delivered"},
        ).streaming_content
    )
    (event,) = exports()
    with translation.override("ru"):
        lines = dict(detail_lines(event.object_type, event.details))
    assert lines["Фильтры"] == "Статус: Доставлено"


def test_formats_and_amounts_read_as_the_pages_write_them():
    from django.utils import translation

    from accounts.models import AuditEvent

    with translation.override("ru"):
        export = dict(detail_lines("", {"format": "csv-1251"}))
        launch = dict(detail_lines("campaigns.Campaign", {"estimated_cost": "7.00"}))
        unknown = dict(detail_lines("campaigns.Campaign", {"estimated_cost": "None"}))
        scheduled = dict(
            detail_lines(
                "campaigns.Campaign",
                {"estimated_cost": "14.00", "currency": "RUB",
                 "start_at": "2026-12-07T09:00:00+00:00"},
            )
        )  # fmt: skip
        event = AuditEvent(action="login", object_repr="admin", actor_name="admin")
        event.at = datetime(2026, 12, 5, 3, 45, tzinfo=UTC)
        text = str(event)

    assert export == {"Формат": "CSV (Windows-1251, точка с запятой)"}
    assert launch == {"Ориентировочная стоимость": "7,00"}
    assert unknown == {"Ориентировочная стоимость": "—"}
    # The time zone's wall clock (Moscow), as the pages write it, not UTC's.
    assert scheduled == {
        "Ориентировочная стоимость": "14,00 ₽",
        "Начало": "07.12.2026 12:00",
    }
    assert text == "2026-12-05 06:45 admin: Вход в систему admin"


def test_the_object_type_filter_names_each_type_once(admin_client, monkeypatch):
    """QA: «Группа» twice (Django's groups, which the pages call roles, and contact
    groups): each type is listed under a name of its own."""
    from django.urls import reverse

    import accounts.audit_display as display

    page = admin_client.get(
        reverse("accounts:audit_log"), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    select = page.split('name="object_type"', 1)[1].split("</select>", 1)[0]
    names = [part.split("<", 1)[0] for part in select.split('">')[1:]]

    assert len(names) == len(set(names))
    assert '<option value="auth.Group">Role' in select
    # Two models of one name, whatever they are, are told apart by their apps.
    monkeypatch.setattr(display, "OBJECT_TYPE_NAMES", {})
    groups = [n for lb, n in display.object_type_choices() if lb.endswith("Group")]
    assert len(set(groups)) == 2


def test_taking_an_imports_rejected_rows_is_recorded(
    viewer_client, viewer_user, settings, tmp_path
):
    # The rows hold people's numbers and names as much as an export does.
    settings.MEDIA_ROOT = tmp_path
    job = ImportJob.objects.create(original_name="база.csv", status="done")
    job.rejects.save("rejects.csv", ContentFile(b"phone;reason\r\n123;x\r\n"))
    token, raw = api_token_create(user=viewer_user, name="reports")

    page = viewer_client.get(reverse("contacts:import_rejects", args=[job.pk]))
    api = viewer_client.get(
        reverse("api:import_rejects", args=[job.pk]),
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )

    assert page.status_code == api.status_code == 200
    taken = [(e.actor_name, e.object_type, e.object_repr) for e in exports()]
    # Named by the file taken, which says what it holds.
    assert taken == [("vera-viewer", "contacts.ImportJob", "непринятые-база.csv")] * 2
    assert exports()[0].details == {}
    assert exports()[1].details["api_token"] == {"id": token.pk, "name": "reports"}
