"""Django admin helpers shared by the apps' admins."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable

from django import forms
from django.contrib.admin.options import TO_FIELD_VAR
from django.contrib.admin.utils import unquote
from django.http import HttpRequest
from django.utils.translation import gettext as _


class ViewOnlyPlainForm:
    """For a user who may only view: the admin's plain form, not the app's checking
    one. Django shows every field read-only and gives the form none, and a form that
    styles or guards its fields in __init__ failed with a KeyError: a 500 page."""

    def get_form(self, request: HttpRequest, obj=None, change: bool = False, **kwargs):
        if obj is not None and not self.has_change_permission(request, obj):
            kwargs["form"] = forms.ModelForm
        return super().get_form(request, obj, change, **kwargs)


class ProtectedObjects(list):
    """What keeps records from being deleted, as a delete page lists it, with a `note`
    saying why and what to do instead (the page shows it under the list). A
    ModelAdmin's get_deleted_objects returns it as its `protected` part.

    `themselves`: the items are the chosen records, each kept by a rule of its own
    (a campaign that is sending, a name the gateway lists), not other records that
    point at them: the page says they cannot be deleted, where Django's sentence
    called a campaign a "protected related object" of itself."""

    def __init__(
        self, items: Iterable[str], note: str = "", themselves: bool = False
    ) -> None:
        super().__init__(items)
        self.note = note
        self.themselves = themselves


class AccusativeTitles:
    """Russian puts what "Выберите ...", "Добавить ..." and "удалить ..." act on in the
    accusative; Django's admin writes the model's verbose name as it is: "Выберите
    группа для изменения", "Добавить рассылка", "удалить пользователь". A ModelAdmin
    that names `accusative_name` (pgettext_lazy("accusative", ...)) gets its titles,
    its Add button and its delete page's sentences (templates/admin/
    delete_confirmation.html) from it; without one, the verbose name is the
    accusative too (as for "аккаунт провайдера").
    """

    accusative_name = None
    # Django's "Удалить выбранные %(verbose_name_plural)s" is right for things
    # ("выбранные группы"), not for people: "Удалить выбранных пользователей".
    delete_selected_description = None

    def changelist_view(self, request: HttpRequest, extra_context=None):
        if self.accusative_name is not None and "_popup" not in request.GET:
            title = (
                _("Select %s to change")
                if self.has_change_permission(request)
                else _("Select %s to view")
            )
            extra_context = {
                "title": title % self.accusative_name,
                "add_name": self.accusative_name,
                **(extra_context or {}),
            }
        return super().changelist_view(request, extra_context)

    def changeform_view(
        self, request: HttpRequest, object_id=None, form_url="", extra_context=None
    ):
        if self.accusative_name is not None:
            if object_id is None:
                title = _("Add %s")
            elif self.has_change_permission(
                request, self._shown_object(request, object_id)
            ):
                title = _("Change %s")
            else:
                title = _("View %s")
            extra_context = {
                "title": title % self.accusative_name,
                "add_name": self.accusative_name,
                **(extra_context or {}),
            }
        return super().changeform_view(request, object_id, form_url, extra_context)

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        if self.delete_selected_description and "delete_selected" in actions:
            func, name, _description = actions["delete_selected"]
            actions[name] = (func, name, self.delete_selected_description)
        return actions

    def render_delete_form(self, request: HttpRequest, context: dict):
        name = self.accusative_name or self.opts.verbose_name
        context["delete_name"] = name
        if context.get("perms_lacking") or context.get("protected"):
            context["title"] = _("Cannot delete %s") % name
        return super().render_delete_form(request, context)

    def _shown_object(self, request: HttpRequest, object_id: str):
        """The object the page shows, as Django's own view finds it: whether it may be
        changed is the object's to say (a launched campaign is read-only, and its
        page has no Save button), not the model's."""
        to_field = request.POST.get(TO_FIELD_VAR, request.GET.get(TO_FIELD_VAR))
        if to_field and not self.to_field_allowed(request, to_field):
            return None  # Django's view refuses it, whatever the title
        return self.get_object(request, unquote(object_id), to_field)


class InlineAddText:
    """For a ModelAdmin with inlines: an inline's `add_another_text` replaces Django's
    "Add another %(verbose_name)s" under it, which Russian reads "Добавить еще один
    Группа" (the name in the nominative, after a masculine "один")."""

    def get_inline_formsets(self, request, formsets, inline_instances, obj=None):
        wrapped = super().get_inline_formsets(request, formsets, inline_instances, obj)
        for inline_formset in wrapped:
            text = getattr(inline_formset.opts, "add_another_text", None)
            if text is not None:
                inline_formset.inline_formset_data = _with_add_text(
                    inline_formset.inline_formset_data, text
                )
        return wrapped


def _with_add_text(data: Callable[[], str], text) -> Callable[[], str]:
    def inline_formset_data() -> str:
        payload = json.loads(data())
        payload["options"]["addText"] = str(text)
        return json.dumps(payload)

    return inline_formset_data
