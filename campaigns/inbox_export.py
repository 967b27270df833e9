"""The inbox out to CSV or XLSX, streamed: replies under the inbox's filters, to read
through in a spreadsheet or hand to whoever answers them."""

from collections.abc import Iterator

from django.db.models import F, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from campaigns.models import Reply
from contacts.exporting import ExportFormat, table_export
from contacts.models import Contact
from contacts.timezones import zoned_header


def inbox_headers() -> list[str]:
    """The inbox page's column names, and what it shows as badges."""
    return [
        zoned_header(_("Received")),
        _("From"),
        _("Contact"),
        _("Text"),
        _("Account"),
        _("In reply to"),  # the campaign the reply most likely answers
        _("Opt-out"),
        _("Read"),
    ]


def inbox_rows(replies: QuerySet[Reply]) -> Iterator[list[object]]:
    """One row per reply, newest first."""
    yes, no = _("yes"), _("no")
    values = replies.order_by("-received_at", "-id").values_list(
        "received_at", "phone", _name("last_name"), _name("first_name"),
        _name("middle_name"), "text", "account__name", "campaign__name",
        "is_opt_out", "is_read",
    )  # fmt: skip
    for row in values.iterator(2000):
        received, phone, last, first, middle, text, account, campaign, stop, read = row
        name = " ".join(part for part in (last, first, middle) if part)
        yield [
            received, phone, name, text, account, campaign or "",
            yes if stop else no, yes if read else no,
        ]  # fmt: skip


def _name(part: str) -> Coalesce:
    """The reply's contact's `part` of the name; for a reply that came before its
    number was in the book, the contact that has the number now (asked only for
    those: COALESCE stops at the first value)."""
    now_in_book = Contact.objects.filter(phone=OuterRef("phone")).values(part)[:1]
    return Coalesce(F(f"contact__{part}"), Subquery(now_in_book))


def stream_inbox_export(
    replies: QuerySet[Reply], *, fmt: ExportFormat
) -> Iterator[bytes]:
    """The export in `fmt` as byte chunks; times in the current time zone."""
    return table_export(_("Inbox"), inbox_headers(), inbox_rows(replies), fmt=fmt)
