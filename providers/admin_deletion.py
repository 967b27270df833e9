"""Deleting provider accounts in the admin: an account in use says why it stays.

Campaigns, their messages, replies and birthday greetings keep their account
(PROTECT): the messages' history, the inbox and reports name it. Django's delete page
loaded and listed every such message (a million for a busy account) and, as the
message admin deletes nothing, blamed the superuser's rights ("не имеет прав для
удаления ... сообщение"). Here they are counted, and the page says what to do
instead: deactivate the account, as the dashboard does (it deletes no account;
"active" takes one out of use).
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import HttpRequest
from django.utils.formats import number_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from providers.models import ProviderAccount
from smsportal.admin_forms import ProtectedObjects


def account_uses(accounts: list[ProviderAccount]) -> dict[type[models.Model], int]:
    """How many records of each model keep `accounts` from being deleted, by model;
    counted, never loaded."""
    uses = {}
    # Hidden ones too: messages and greetings point at the account with no way back.
    for relation in ProviderAccount._meta.get_fields(include_hidden=True):
        if not relation.auto_created or relation.concrete:
            continue  # the account's own fields, not another model's pointing at it
        if getattr(relation, "on_delete", None) not in (
            models.PROTECT,
            models.RESTRICT,
        ):
            continue
        model = relation.related_model
        count = model._base_manager.filter(
            **{f"{relation.field.name}__in": accounts}
        ).count()
        if count:
            uses[model] = count
    return uses


def refusal_note(uses: dict[type[models.Model], int]) -> str:
    """Why the accounts stay, and that deactivating one takes it out of use."""
    from campaigns.models import Message, Reply  # campaigns builds on providers

    active = capfirst(ProviderAccount._meta.get_field("is_active").verbose_name)
    if Message in uses:
        return _(
            "Messages were sent through this provider account: their history and "
            "reports refer to it, so it stays. To stop using it, deactivate it "
            "instead: untick “%(active)s” on its page. No new campaign can use it "
            "then, and its history is kept."
        ) % {"active": active}
    if Reply in uses:
        return _(
            "Replies came in through this provider account: the inbox keeps them, "
            "opt-outs among them, so it stays. To stop using it, deactivate it "
            "instead: untick “%(active)s” on its page. No new campaign can use it "
            "then, and its replies are kept."
        ) % {"active": active}
    return _(
        "Campaigns or birthday greetings use this provider account: delete them "
        "first, or deactivate the account instead: untick “%(active)s” on its page, "
        "and no new campaign can use it."
    ) % {"active": active}


class AccountDeletion:
    """ProviderAccountAdmin's delete pages (the single and the bulk one)."""

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> tuple:
        accounts = list(objs)
        uses = account_uses(accounts)
        if not uses:
            return super().get_deleted_objects(accounts, request)
        protected = [
            f"{capfirst(model._meta.verbose_name_plural)}: "
            f"{number_format(count, force_grouping=True)}"
            for model, count in uses.items()
        ]
        return [], {}, set(), ProtectedObjects(protected, note=refusal_note(uses))
