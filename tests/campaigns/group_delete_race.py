"""A group deleted by one person while another saves something chosen with it: the
delete has found the group unused and is held there (until the save is done, or
2 s) while the save runs. Shared by the race tests of what holds groups."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.test import Client
from django.urls import reverse

from contacts import services as contact_services
from contacts.models import ContactGroup
from tests.races import meanwhile


def save_while_group_deleted(
    monkeypatch: Any, deleter: Client, group: ContactGroup, save: Callable[[], Any]
) -> tuple[Any, Any]:
    """(the delete's answer, what `save` returned) with `save` run after the delete
    checked the group unused and before it deletes it."""
    return meanwhile(
        monkeypatch,
        (contact_services, "group_in_use"),
        lambda: deleter.post(reverse("contacts:group_delete", args=[group.pk])),
        save,
    )


def group_exists(group: ContactGroup) -> bool:
    return ContactGroup.objects.filter(pk=group.pk).exists()
