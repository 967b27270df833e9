"""Read side of contact books: querysets for pages, the API and campaigns."""

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import BigIntegerField, Exists, Func, OuterRef, QuerySet, Subquery

from contacts.filters import ContactFilterSet
from contacts.models import Contact, ContactGroup, GroupMembership, StopListEntry
from contacts.phone_search import looks_like_phone, phone_query
from smsportal.filtering import filtered
from smsportal.lib.textcheck import without_nul
from smsportal.text_search import contains_text


def contact_list(*, filters: Mapping[str, Any] | None = None) -> QuerySet[Contact]:
    """Contacts with `is_stopped`, narrowed by ContactFilterSet's filters;
    ApplicationError naming the filter when one is invalid (smsportal.filtering)."""
    queryset = Contact.objects.with_stop_flag()
    if filters:
        queryset = filtered(ContactFilterSet(filters, queryset=queryset))
    return queryset


def contacts_reachable(
    *,
    include_groups: Iterable[ContactGroup | int] | None,
    exclude_groups: Iterable[ContactGroup | int] = (),
) -> QuerySet[Contact]:
    """Contacts that may be messaged: in any included group (None: the whole book),
    in no excluded group, and not on the stop list.

    Each condition is one EXISTS / NOT EXISTS subquery, so the result has no duplicates
    and the whole expansion stays one SQL statement.
    """
    queryset = Contact.objects.all()
    if include_groups is not None:
        members = GroupMembership.objects.filter(
            contact=OuterRef("pk"), group__in=list(include_groups)
        )
        queryset = queryset.filter(Exists(members))
    exclude = list(exclude_groups)
    if exclude:
        excluded = GroupMembership.objects.filter(
            contact=OuterRef("pk"), group__in=exclude
        )
        queryset = queryset.exclude(Exists(excluded))
    stopped = StopListEntry.objects.filter(phone=OuterRef("phone"))
    return queryset.exclude(Exists(stopped))


def contact_groups_with_counts(
    queryset: QuerySet[ContactGroup] | None = None,
) -> QuerySet[ContactGroup]:
    """Groups with `member_count`.

    Counted by a subquery per group rather than a join and GROUP BY: a page counts
    only its own groups, and the paginator's count of groups drops the subquery
    (with the join it grouped every membership, 90 ms of a million, to count groups).
    COUNT(*), not COUNT(id): the id is not in the group index, so counting it read
    every membership's row from the table (10 groups, 1.3 million memberships: 99,000
    pages and 380 ms); rows alone are counted from the index (1,100 pages, 110 ms).
    """
    members = (
        GroupMembership.objects.filter(group=OuterRef("pk"))
        .order_by()
        .annotate(count=Func(template="COUNT(*)", output_field=BigIntegerField()))
        .values("count")
    )
    if queryset is None:
        queryset = ContactGroup.objects.all()
    return queryset.annotate(member_count=Subquery(members))


def stoplist_list(*, search: str = "") -> QuerySet[StopListEntry]:
    queryset = StopListEntry.objects.select_related("created_by")
    return search_stoplist(queryset, search)


def search_stoplist(
    queryset: QuerySet[StopListEntry], text: str
) -> QuerySet[StopListEntry]:
    """Entries whose phone `text` names (see contacts.phone_search), or, for other
    text, whose reason holds it («е» and «ё» alike)."""
    text = without_nul(text).strip()
    if looks_like_phone(text):
        return queryset.filter(phone_query(text))
    if text:
        return queryset.filter(contains_text("reason", text))
    return queryset


def is_stop_listed(*, phone: str) -> bool:
    return StopListEntry.objects.filter(phone=phone).exists()


@dataclass(frozen=True)
class BookSize:
    count: int
    exact: bool  # False: PostgreSQL's estimate, so the page says "about"
    # True: no estimate to trust (never analysed, or behind the count), only that the
    # book holds more than `count`; the page says "more than", never a made-up size.
    at_least: bool = False


# Counting this many rows takes milliseconds; a million-row book is estimated instead.
EXACT_COUNT_LIMIT = 100_000


def contact_book_size() -> BookSize:
    """The size of the book: counted up to EXACT_COUNT_LIMIT rows, above that from
    PostgreSQL's statistics (pg_class.reltuples), which lag behind the table; counted
    outright elsewhere (the embedded SQLite demo)."""
    if connection.vendor != "postgresql":  # no statistics to read: one exact count
        return BookSize(Contact.objects.count(), exact=True)
    counted = Contact.objects.order_by()[: EXACT_COUNT_LIMIT + 1].count()
    if counted <= EXACT_COUNT_LIMIT:
        return BookSize(counted, exact=True)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
            [Contact._meta.db_table],
        )
        row = cursor.fetchone()
    estimate = int(row[0]) if row else -1
    if estimate < counted:
        # Never analysed (-1) or stale: the book holds more than the limit, and that
        # is all that is known (an import analyses what it grew: runner.py).
        return BookSize(EXACT_COUNT_LIMIT, exact=False, at_least=True)
    return BookSize(estimate, exact=False)


def contact_id_chunks(
    contacts: QuerySet[Contact], *, after: int = 0, size: int
) -> Iterator[tuple[QuerySet[Contact], int, int]]:
    """The contacts in consecutive ranges of ids past `after`, each of at most `size`
    contacts: (the range as a queryset, how many it holds, its last id). Each range is
    found when the one before has been used, so a range's work may change what the
    queryset selects (deleting its contacts, say) without skipping any."""
    while True:
        ids_sql, params = (
            contacts.filter(pk__gt=after).order_by("pk").values("id")[:size]
        ).query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT count(*), max(chunk.id) FROM ({ids_sql}) AS chunk", params
            )
            count, last = cursor.fetchone()
        if not count:
            return
        yield contacts.filter(pk__gt=after, pk__lte=last), count, last
        after = last
