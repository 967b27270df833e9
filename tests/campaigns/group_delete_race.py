"""A group deleted by one person while another saves something chosen with it: the
delete has found the group unused and is held there (until the save is done, or
2 s) while the save runs. Shared by the race tests of what holds groups."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connections
from django.test import Client
from django.urls import reverse

from contacts import services as contact_services
from contacts.models import ContactGroup


def save_while_group_deleted(
    monkeypatch: Any, deleter: Client, group: ContactGroup, save: Callable[[], Any]
) -> tuple[Any, Any]:
    """(the delete's answer, what `save` returned) with `save` run after the delete
    checked the group unused and before it deletes it."""
    checked, saved = threading.Event(), threading.Event()
    original = contact_services.group_in_use

    def checked_then_wait(group):
        users = original(group)
        checked.set()
        saved.wait(timeout=2)
        return users

    monkeypatch.setattr(contact_services, "group_in_use", checked_then_wait)
    answers: dict[str, Any] = {}

    def delete() -> None:
        try:
            answers["delete"] = deleter.post(
                reverse("contacts:group_delete", args=[group.pk])
            )
        finally:
            connections.close_all()

    deleting = threading.Thread(target=delete)
    deleting.start()
    assert checked.wait(timeout=10)
    try:
        answers["save"] = save()
    finally:
        saved.set()
        deleting.join(timeout=30)
    monkeypatch.undo()
    return answers["delete"], answers["save"]


def group_exists(group: ContactGroup) -> bool:
    return ContactGroup.objects.filter(pk=group.pk).exists()
