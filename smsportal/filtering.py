"""django-filter, strict: a filter the form cannot read is refused, never dropped."""

from datetime import date

from django_filters import CharFilter, DateFromToRangeFilter, FilterSet
from django_filters.fields import DateRangeField
from django_filters.widgets import RangeWidget

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import QuerySet
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from smsportal.exceptions import ApplicationError
from smsportal.lib.textcheck import without_nul
from smsportal.text_search import contains_text


def filtered(filterset: FilterSet) -> QuerySet:
    """The filterset's queryset; ApplicationError naming the first filter it cannot
    read. django-filter leaves such a filter out, so a group or an account that is
    gone, or a status there is not, would match everything: an export of the whole
    table under the user's filters, or a bulk action on all of it."""
    if filterset.is_bound and not filterset.is_valid():
        name, problems = next(iter(filterset.errors.items()))
        field = filterset.form.fields.get(name)
        label = field.label if field is not None and field.label else name
        raise ApplicationError(f"{label}: {problems[0]}", where=name)
    return filterset.qs


# The days a DayRangeField takes (see there).
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)


class DayRangeField(DateRangeField):
    """Two days, first to last, each within the years a datetime survives in any
    time zone: year 1 or 9999 leaves the calendar once the day's start is moved to
    UTC (an export under it failed mid-stream, an empty file with a 200)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for day in self.fields:
            day.validators += [
                MinValueValidator(FIRST_DAY),
                MaxValueValidator(LAST_DAY),
            ]

    def compress(self, data_list):
        if data_list and all(data_list) and data_list[0] > data_list[1]:
            # Said, not answered with an empty table that would not say why.
            raise ValidationError(
                _("The first day (%(first)s) is after the last (%(last)s).")
                % {"first": formats.date_format(data_list[0], "SHORT_DATE_FORMAT"),
                   "last": formats.date_format(data_list[1], "SHORT_DATE_FORMAT")},
                code="reversed",
            )  # fmt: skip
        return super().compress(data_list)


class DayRangeWidget(RangeWidget):
    """Two date pickers that each say which end of the range they are: the filter's
    label names the pair (a legend: see _partials/filter_form.html), and a screen
    reader heard two unnamed dates under it."""

    ends = (
        pgettext_lazy("date range", "from"),
        pgettext_lazy("date range", "until"),
    )

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        for subwidget, end in zip(
            context["widget"]["subwidgets"], self.ends, strict=True
        ):
            subwidget["attrs"]["aria-label"] = str(end)
        return context


class DayRangeFilter(DateFromToRangeFilter):
    """A from–to filter of days with a date picker each (see DayRangeField)."""

    field_class = DayRangeField

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("widget", DayRangeWidget(attrs={"type": "date"}))
        super().__init__(*args, **kwargs)


class TextSearchFilter(CharFilter):
    """A search box over one text field: holds the typed text, ignoring case and
    reading «е» and «ё» as one letter (see smsportal.text_search)."""

    def filter(self, qs: QuerySet, value: str) -> QuerySet:
        value = without_nul(value or "").strip()
        if not value:
            return qs
        return qs.filter(contains_text(self.field_name, value))
