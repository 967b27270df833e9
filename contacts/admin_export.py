"""The admin contact list's export links carry its search and filters over to the
contact export (contacts.views.contacts_export), which reads ContactFilterSet's."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.http import QueryDict
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

# The admin's own paging, sorting and popup parameters narrow no contact.
NOT_FILTERS = {"o", "p", "all", "_popup", "_to_field", "e"}
# Passed as they are: the same names and values in both.
SAME = {"q", "group"}
CREATED_SINCE, CREATED_UNTIL = "created_at__gte", "created_at__lt"


@dataclass
class ExportQuery:
    """The export's query string, or the admin filters it cannot apply."""

    query: str = ""
    unsupported: list[str] = field(default_factory=list)


def _day(value: str, *, until: bool) -> date | None:
    """A day of DateFieldListFilter's bound (a date or an aware midnight); the upper
    bound is exclusive, the export's last day inclusive."""
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is None:
            return None
        return day - timedelta(days=1) if until else day
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    if until:
        moment -= timedelta(microseconds=1)
    return moment.date() if isinstance(moment, datetime) else None


def admin_export_query(params: QueryDict) -> ExportQuery:
    """The contact export's parameters for the admin change list's `params`."""
    out = QueryDict(mutable=True)
    unsupported: list[str] = []
    for name in params:
        value = params.get(name, "")
        if name in NOT_FILTERS or value == "":
            continue
        if name in SAME:
            out[name] = value
        elif name in (CREATED_SINCE, CREATED_UNTIL):
            day = _day(value, until=name == CREATED_UNTIL)
            if day is None:
                unsupported.append(name)
            else:
                out["created_min" if name == CREATED_SINCE else "created_max"] = (
                    day.isoformat()
                )
        else:
            unsupported.append(name)
    return ExportQuery(query=out.urlencode(), unsupported=unsupported)
