"""Message ids are our references at the gateways, kept there per account for ever:
a new installation numbers its messages from a random point (campaigns 0040)."""

import importlib
from types import SimpleNamespace

import pytest

from django.db import connection
from django.utils import timezone

from campaigns.models import Message

pytestmark = pytest.mark.django_db

MIGRATION = importlib.import_module("campaigns.migrations.0040_message_ids_start_apart")


def new_message(account) -> Message:
    return Message.objects.create(
        account=account, phone="+79120000001", text="x", channel="sms",
        planned_at=timezone.now(),
    )  # fmt: skip


def test_a_new_installation_numbers_its_messages_far_from_1(account):
    # The test database is built by the migrations, as a new installation's is.
    assert MIGRATION.LOWEST <= new_message(account).pk < MIGRATION.HIGHEST


def test_an_installation_that_has_sent_keeps_its_numbering(account):
    first = new_message(account)
    editor = SimpleNamespace(connection=connection)
    MIGRATION.start_apart(None, editor, start=first.pk + 10**6)
    assert new_message(account).pk == first.pk + 1


def test_random_starts_fall_in_the_range_and_differ():
    starts = {MIGRATION.random_start() for _ in range(50)}
    assert all(MIGRATION.LOWEST <= s < MIGRATION.HIGHEST for s in starts)
    assert len(starts) == 50
