"""A form that sends something acts once per rendering: a double click, a second tab's
resubmission or a browser's repeated POST finds its token used and sends nothing.

The form carries a hidden random token (submission_field). Where what is sent is
stored under an idempotency key (a one-off message's client_key), the token is that
key (`key`); otherwise the view claims it right before sending (cache.add: atomic in
Redis and in the process-local cache) and gives it back if nothing was sent, so a
corrected form can be sent again.
"""

from __future__ import annotations

import re
import uuid

from django import forms
from django.core.cache import cache

ONCE_SECONDS = 24 * 60 * 60
_TOKEN = re.compile(r"[0-9a-f]{32}")


def submission_field() -> forms.CharField:
    return forms.CharField(
        widget=forms.HiddenInput, required=False, initial=lambda: uuid.uuid4().hex
    )


def key(token: str) -> str:
    """The token as an idempotency key ("" for a form without one of ours); prefixed,
    so it cannot meet an API client's own keys."""
    return f"form:{token}" if _TOKEN.fullmatch(token or "") else ""


def claim(token: str) -> bool:
    """Whether this submission is the first with `token`. A form without a token of
    ours (an old page, a script) is never taken for a repeat."""
    if not _TOKEN.fullmatch(token or ""):
        return True
    return cache.add(f"form-once:{token}", 1, timeout=ONCE_SECONDS)


def release(token: str) -> None:
    """Nothing was sent after all: the same form may be sent again."""
    if _TOKEN.fullmatch(token or ""):
        cache.delete(f"form-once:{token}")
