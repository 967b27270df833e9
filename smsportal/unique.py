"""Saving a form whose uniqueness a concurrent request may take first.

A ModelForm checks uniqueness before it saves; two requests at once (a double click,
a script) both pass the check, and the second insert failed with IntegrityError: a
500. Saved in a savepoint, the loser's form is cleaned again, which now sees the
winner's row and says what the form always says ("... already exists").
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction


def save_unique(form: Any) -> Any | None:
    """form.save(), or None with the form's errors set when a twin got there first."""
    try:
        with transaction.atomic():
            return form.save()
    except IntegrityError:
        if form.instance._state.adding:
            form.instance.pk = None  # the failed insert may have set it
        form.full_clean()
        if form.is_valid():  # not a uniqueness the form knows: ours to fix
            raise
        return None
