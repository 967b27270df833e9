"""A user deactivated (in the admin, a page, the shell) loses their API tokens."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models.signals import post_save

from accounts.services import api_tokens_revoke_for_user


def _tokens_revoked(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    # Any save of an inactive user, not only the one that deactivated them: no
    # earlier state to read, and nothing to revoke after the first (one query).
    if not created and not instance.is_active:
        api_tokens_revoke_for_user(user=instance)


post_save.connect(
    _tokens_revoked,
    sender=settings.AUTH_USER_MODEL,
    dispatch_uid="api-tokens-revoked-with-user",
)
