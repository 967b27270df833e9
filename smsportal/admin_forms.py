"""Django admin helpers shared by the apps' admins."""

from __future__ import annotations

from django import forms
from django.http import HttpRequest


class ViewOnlyPlainForm:
    """For a user who may only view: the admin's plain form, not the app's checking
    one. Django shows every field read-only and gives the form none, and a form that
    styles or guards its fields in __init__ failed with a KeyError: a 500 page."""

    def get_form(self, request: HttpRequest, obj=None, change: bool = False, **kwargs):
        if obj is not None and not self.has_change_permission(request, obj):
            kwargs["form"] = forms.ModelForm
        return super().get_form(request, obj, change, **kwargs)
