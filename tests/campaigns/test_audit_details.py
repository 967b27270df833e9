"""A campaign's audit events read in the reader's words: a launch, a sender name
changed while paused, an unscheduled campaign, a launch undone."""

import pytest

from django.urls import reverse

from accounts.models import AuditEvent
from campaigns.models import Campaign

pytestmark = pytest.mark.django_db


def audit_page(client) -> str:
    response = client.get(reverse("accounts:audit_log"), HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 200
    return response.content.decode()


def test_a_sender_name_changed_while_paused_is_read_in_the_log(
    admin_client, make_campaign
):
    """The change's count of messages named the campaign's reverse relation, which has
    no choices: the log answered 500 to everyone once the sender was changed."""
    campaign = make_campaign(state=Campaign.State.PAUSED)
    answer = admin_client.post(
        reverse("campaigns:sender", args=[campaign.pk]),
        {"sender": "SMSPORTAL"},
        HTTP_ACCEPT_LANGUAGE="ru",
    )
    assert answer.status_code == 302
    assert AuditEvent.objects.filter(details__has_key="messages").exists()

    html = audit_page(admin_client)

    assert "Имя отправителя:</span> SMSPORTAL → SMSPORTAL" in html
    assert "Неотправленных сообщений с ним:</span> 0" in html
    assert "sender:" not in html
    assert "messages:" not in html


def test_a_launch_and_its_undo_read_in_russian(admin_client, make_campaign):
    campaign = make_campaign()
    AuditEvent.objects.create(
        action=AuditEvent.Action.LAUNCHED, object_type="campaigns.Campaign",
        object_id=str(campaign.pk), object_repr=campaign.name,
        details={"recipients": 3, "version": 2, "estimated_cost": "7.50",
                 "currency": "RUB"},
    )  # fmt: skip
    AuditEvent.objects.create(
        action=AuditEvent.Action.CHANGED, object_type="campaigns.Campaign",
        object_id=str(campaign.pk), object_repr=campaign.name,
        details={"state": ["sending", "draft"], "reason": "task queue unavailable"},
    )  # fmt: skip
    AuditEvent.objects.create(
        action=AuditEvent.Action.CHANGED, object_type="campaigns.Campaign",
        object_id=str(campaign.pk), object_repr=campaign.name,
        details={"state": ["scheduled", "draft"]},
    )  # fmt: skip

    html = audit_page(admin_client)

    assert "Версия рассылки:</span> 2" in html
    assert "Состояние:</span> Отправляется → Черновик" in html
    assert "Причина:</span> очередь задач не ответила" in html
    assert "Состояние:</span> Запланирована → Черновик" in html
    for raw in ("version:", "reason:", "task queue", "scheduled, draft"):
        assert raw not in html


def test_an_import_run_again_says_so(admin_client):
    AuditEvent.objects.create(
        action=AuditEvent.Action.IMPORTED, object_type="contacts.ImportJob",
        object_repr="book.csv", details={"kind": "contacts", "retry": True},
    )  # fmt: skip

    html = audit_page(admin_client)

    assert "Повторный запуск:</span> да" in html
    assert "retry:" not in html
