import calendar
from collections.abc import Iterable
from datetime import date, timedelta

import django_filters

from django import forms
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from contacts.models import Contact, ContactGroup, GroupMembership, StopListEntry
from contacts.phone_search import looks_like_phone, phone_query
from contacts.search import contact_words_query
from smsportal.filtering import DayRangeFilter
from smsportal.form_style import style_fields
from smsportal.lib.textcheck import without_nul


def search_contacts(queryset: QuerySet, text: str) -> QuerySet:
    """Contacts whose phone `text` names (see contacts.phone_search), or, for other
    text, whose names or e-mail hold every word of it, «е» and «ё» alike."""
    text = without_nul(text).strip()
    if looks_like_phone(text):
        return queryset.filter(phone_query(text))
    return queryset.filter(contact_words_query(text.split()))


# The days from today each birthday choice spans (from, to), "month" aside.
_BIRTHDAY_DAYS = {"today": (0, 1), "tomorrow": (1, 2), "week": (0, 7)}


def birthday_query(choice: str, today: date | None = None) -> Q:
    """Contacts whose birthday `choice` ("today", "tomorrow", "week", "month") names,
    counted from the local date."""
    today = today or timezone.localdate()
    if choice == "month":
        return Q(birthday__month=today.month)
    start, end = _BIRTHDAY_DAYS.get(choice, (0, 0))
    return birthdays_on(today + timedelta(days=n) for n in range(start, end))


def birthdays_on(dates: Iterable[date]) -> Q:
    """Contacts born on the month and day of any of `dates`, in any year. Outside
    leap years, those born on 29 February celebrate on the 28th."""
    query = Q(pk__in=[])
    for day in dates:
        query |= Q(birthday__month=day.month, birthday__day=day.day)
        if (day.month, day.day) == (2, 28) and not calendar.isleap(day.year):
            query |= Q(birthday__month=2, birthday__day=29)
    return query


class ContactFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_search",
        widget=forms.TextInput(attrs={"placeholder": _("Phone or name")}),
    )
    group = django_filters.ModelChoiceFilter(
        label=_("Group"),
        queryset=ContactGroup.objects.all(),
        method="filter_group",
        empty_label=_("Any"),
    )
    stopped = django_filters.BooleanFilter(
        label=_("On the stop list"),
        method="filter_stopped",
        widget=forms.Select(
            choices=[("", _("Any")), ("true", _("Yes")), ("false", _("No"))]
        ),
    )
    birthday = django_filters.ChoiceFilter(
        # "День рождения: сегодня", where the field itself is a "Дата рождения".
        label=pgettext_lazy("contact filter", "Birthday"),
        method="filter_birthday",
        choices=[
            ("today", _("today")),
            ("tomorrow", _("tomorrow")),
            ("week", _("within 7 days")),
            ("month", _("this month")),
        ],
        empty_label=_("Any"),
    )
    created = DayRangeFilter(label=_("Created"), field_name="created_at")

    class Meta:
        model = Contact
        fields = ["q", "group", "stopped", "birthday", "created"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        style_fields(self.form.fields)

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return search_contacts(queryset, value)

    def filter_group(
        self, queryset: QuerySet, name: str, value: ContactGroup
    ) -> QuerySet:
        members = GroupMembership.objects.filter(contact=OuterRef("pk"), group=value)
        return queryset.filter(Exists(members))

    def filter_birthday(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(birthday_query(value))

    def filter_stopped(
        self, queryset: QuerySet, name: str, value: bool | None
    ) -> QuerySet:
        if value is None:
            return queryset
        stopped = Exists(StopListEntry.objects.filter(phone=OuterRef("phone")))
        return queryset.filter(stopped if value else ~stopped)
