"""Versioned records in the Django admin: a save over a newer version refused.

Two people editing the same record in the admin wrote back, whoever saved second,
every field as their page had it. A versioned model's change form carries the
version it was opened at and the values (smsportal.versioning.VersionedForm); the
save compares the version under the row's lock, held by the admin's transaction to
the commit, and a stale one is refused as the pages refuse it: what changed, and
"Load the current values" keeping what was typed (smsportal.version_conflicts).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.http import HttpRequest, HttpResponse

from smsportal.version_conflicts import RELOAD, reloaded_data, version_conflict
from smsportal.versioning import (
    StaleVersion,
    VersionedForm,
    keep_unedited,
    lock_current,
)

# Marks a post made into the current values: shown again, not saved.
RELOADED = "reloaded_current"


class VersionedAdminForm(VersionedForm):
    """An admin change form that locks its record and compares the version when
    it is validated (the admin validates and saves in one transaction)."""

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        instance = self.instance
        if instance.pk is None:
            return data
        try:
            current = lock_current(
                type(instance)._default_manager,
                instance.pk,
                expected=self.opened_version,
            )
        except StaleVersion as exc:
            self.conflict = version_conflict(self, self.current_form())
            raise forms.ValidationError(exc.message) from None
        # A rule on the record as locked now (a form's `check_current`, raising
        # ValidationError): say, still a draft. Not defined here, so that this
        # mixin, first among the bases, does not hide the form's own.
        check = getattr(self, "check_current", None)
        if check is not None:
            check(current)
        # The record was read before the lock: what the form does not edit (a
        # state, a worker's fields) is saved as it is now, not as it was read.
        keep_unedited(instance, current, edited=self._meta.fields or ())
        return data

    def is_valid(self) -> bool:
        # Loaded again into the current values: shown for a look, not saved.
        return RELOADED not in self.data and super().is_valid()


class VersionedAdmin:
    """ModelAdmin mixin for a versioned model (smsportal.versioning.Versioned)."""

    def get_form(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, **kwargs)
        if issubclass(form, VersionedAdminForm):
            return form
        return type(form.__name__, (VersionedAdminForm, form), {})

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> HttpResponse:
        if object_id and request.method == "POST" and RELOAD in request.POST:
            conflict = self._reload(request, object_id)
            if conflict is not None:
                extra_context = {**(extra_context or {}), "version_conflict": conflict}
        return super().changeform_view(request, object_id, form_url, extra_context)

    def render_change_form(
        self, request: HttpRequest, context: dict, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        # A refused save's conflict is its form's; one loaded again, the post's.
        form = context["adminform"].form
        context.setdefault("version_conflict", getattr(form, "conflict", None))
        return super().render_change_form(request, context, *args, **kwargs)

    def _reload(self, request: HttpRequest, object_id: str) -> Any:
        """Put the record's current values, with what was typed, in the post; what
        was taken from whom, or None (no such record, or none to change)."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None or not self.has_change_permission(request, obj):
            return None  # the admin says why on its own
        fields = flatten_fieldsets(self.get_fieldsets(request, obj))
        form_class = self.get_form(request, obj, change=True, fields=fields)
        posted = form_class(request.POST, request.FILES, instance=obj)
        current = posted.current_form()
        post = request.POST.copy()
        for key, values in reloaded_data(posted, current).lists():
            post.setlist(key, values)
        del post[RELOAD]
        post[RELOADED] = "1"
        request.POST = post
        return version_conflict(posted, current, reloaded=True)
