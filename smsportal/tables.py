import math

import django_tables2 as tables

from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import EmptyPage, Paginator
from django.db.models import Model, QuerySet, UniqueConstraint
from django.http import QueryDict
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

# The page and the page size come from the query string (django-tables2 reads "page"
# and "per_page"), so a typed or stale URL can ask for anything: per_page=-5 failed
# the page, and page=10**20 an OFFSET beyond what PostgreSQL counts to.
MAX_PER_PAGE = 200
MAX_PAGE = 10**9


class BaseTable(tables.Table):
    """Project table: Bootstrap 5 markup, compact rows; a page past the end shows the
    last page, saying so (page_past_end: the number asked for)."""

    page_past_end: int | None = None

    class Meta:
        attrs = {"class": "table table-sm table-hover align-middle"}
        empty_text = ""

    def _order_by_with_ties_broken(self, value) -> None:
        """Sort as asked, then by the primary key: pages are read with OFFSET, and
        rows tied on the sorted column (thousands of contacts named «Иванов Иван»,
        or without an e-mail) came in another order on each page's query, so page 2
        repeated most of page 1 and others were never shown."""
        tables.Table.order_by.fset(self, value)
        queryset = getattr(self.data, "data", None)
        if not self._order_by or not isinstance(queryset, QuerySet):
            return
        ordering = queryset.query.order_by
        if queryset.query.combinator or not ordering:
            return
        if not _names_one_row(queryset.model, str(ordering[-1]).lstrip("-")):
            self.data.data = queryset.order_by(*ordering, "pk")

    order_by = tables.Table.order_by.setter(_order_by_with_ties_broken)

    def paginate(
        self,
        paginator_class: type[Paginator] = Paginator,
        per_page: int | None = None,
        page: int | str = 1,
        *args,
        **kwargs,
    ) -> "BaseTable":
        per_page = min(max(per_page or self._meta.per_page, 1), MAX_PER_PAGE)
        if isinstance(page, int):
            page = min(page, MAX_PAGE)
        try:
            return super().paginate(paginator_class, per_page, page, *args, **kwargs)
        except EmptyPage:
            if int(page) < 1:
                raise  # django-tables2's RequestConfig shows the first page
        # django-tables2 would show the paginator's last page, but LazyPaginator (the
        # big lists') knows none past the end, so "page=1998" of 1,997 showed page 1
        # under a URL still saying 1998. One count, only on this rare path.
        self.page_past_end = int(page)
        last = max(1, math.ceil(len(self.data) / per_page))
        self.page = self.paginator.page(last)
        return self


def _names_one_row(model: type[Model], name: str) -> bool:
    """Whether no two rows share a value of the field `name` (the key, or unique): a
    sort by it has no ties, and the index that serves it serves it alone (by phone
    and id, the million-contact book's page 19,000 took 1.1 s instead of 0.5 s)."""
    if name == "pk":
        return True
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return (
        field.primary_key
        or field.unique
        or any(
            isinstance(constraint, UniqueConstraint)
            and tuple(constraint.fields) == (name,)
            and constraint.condition is None
            for constraint in model._meta.constraints
        )
    )


# Query parameters that page or sort a list without narrowing it.
NOT_FILTERS = frozenset({"page", "per_page", "sort"})


def list_is_filtered(query: QueryDict) -> bool:
    """Whether a list's query string narrows it (a search or a filter with a value)."""
    return any(
        value.strip()
        for key, values in query.lists()
        if key not in NOT_FILTERS
        for value in values
    )


def nothing_matches_text(reset_url: str) -> SafeString:
    """What an empty filtered list says: not "nothing yet", which reads as if the
    list itself were empty, but that the filter matched nothing, and how to clear it."""
    return format_html(
        '<span data-nothing-matches>{} <a href="{}">{}</a></span>',
        _("Nothing matches the filter."),
        reset_url,
        _("Clear the filter"),
    )


class NothingMatchesMixin:
    """For a SingleTableMixin view: under a filter, an empty table says that nothing
    matches it (with a link to the unfiltered list) instead of its "none yet"."""

    def get_table(self, **kwargs):
        table = super().get_table(**kwargs)
        if list_is_filtered(self.request.GET):
            table.empty_text = nothing_matches_text(self.request.path)
        return table


class NameLinksToEdit:
    """Table mixin: the `name` column opens the record's edit page (the URL name in
    `edit_url`, taking the pk), a link only for those who may edit (`can_edit`);
    others read it as text."""

    edit_url = ""

    def __init__(self, *args, can_edit: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.can_edit = can_edit

    def render_name(self, value: str, record: Model) -> str:
        if not self.can_edit:
            return value
        url = reverse(self.edit_url, args=[record.pk])
        return format_html('<a href="{}">{}</a>', url, value)
