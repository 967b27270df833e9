"""Template tags of the page frame (templates/base.html), registered as the
`page_tags` library in settings.TEMPLATES: the project package is not an app."""

from __future__ import annotations

from django_filters import FilterSet

from django import template
from django.forms import BaseForm, BaseFormSet
from django.utils.functional import LazyObject

register = template.Library()


@register.simple_tag(takes_context=True)
def page_has_errors(context: template.Context) -> bool:
    """Whether a form of the page was sent back with errors, whatever the view named
    it (a filter set's form included): the title then starts with «Ошибка:», which
    a screen reader reads first on a page that reloaded."""
    for value in context.flatten().values():
        if isinstance(value, LazyObject):  # never evaluated for this
            continue
        if isinstance(value, FilterSet):
            value = value.form
        if isinstance(value, BaseForm) and value.is_bound and value.errors:
            return True
        if isinstance(value, BaseFormSet) and value.is_bound and not value.is_valid():
            return True
    return False
