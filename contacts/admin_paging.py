"""The admin's contact list, read once per page and counted no further than it pages.

Django's change list counts the filtered list (a COUNT over the search) and then reads
the page: a search no index serves (a word, a phone fragment) read a million-contact
book twice, about 2 s. Here one statement reads the ids of the list's first
COUNT_CAP + 1 rows in the list's order; how many it got is the count (exact below
the cap, "more than" the cap above it, as the templates in
templates/admin/contacts/contact/ say), and a page's rows are then fetched by their
ids. A rare word still reads the book once, as the contact page does; a common one
ends as soon as the cap is reached.
"""

from functools import cached_property

from django.contrib.admin.views.main import ChangeList
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest

# Pages of 100 up to here (as the message list's, campaigns.admin.MESSAGE_COUNT_CAP);
# beyond it a search or a filter narrows the list.
COUNT_CAP = 10_000


class FirstRowsPaginator(Paginator):
    """Pages over the first `cap` rows of a queryset, whose ids one statement reads."""

    cap = COUNT_CAP

    @cached_property
    def ids(self) -> list[int]:
        """The ids of the first cap + 1 rows, in the list's order."""
        return list(self.object_list.values_list("pk", flat=True)[: self.cap + 1])

    @property
    def capped(self) -> bool:
        """True when the list holds more rows than it counts (and pages)."""
        return len(self.ids) > self.cap

    @cached_property
    def count(self) -> int:
        return min(len(self.ids), self.cap)

    def page(self, number: int | str) -> Page:
        number = self.validate_number(number)
        first = (number - 1) * self.per_page
        return self._get_page(
            self.rows(self.ids[first : first + self.per_page]), number, self
        )

    def rows(self, ids: list[int]) -> QuerySet:
        """The list's rows of `ids`, in its order: the search read again on those
        few rows only, through the primary key."""
        return self.object_list.filter(pk__in=ids)


class FirstRowsChangeList(ChangeList):
    """A change list whose whole-list views (a single page, "show all") take their
    rows by the ids already read instead of running the search again."""

    count_capped = False

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        paginator = self.paginator
        if not isinstance(paginator, FirstRowsPaginator):
            return
        self.count_capped = paginator.capped
        # Django's own condition for listing the whole queryset (ChangeList).
        if (self.show_all and self.can_show_all) or not self.multi_page:
            self.result_list = paginator.rows(paginator.ids[: paginator.count])
