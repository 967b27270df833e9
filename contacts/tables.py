import django_tables2 as tables

from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from contacts.models import Contact, ContactGroup, ImportJob, StopListEntry
from smsportal.tables import BaseTable, NameLinksToEdit


class ContactTable(BaseTable):
    selection = tables.CheckBoxColumn(
        accessor="pk",
        attrs={
            # The page's rows only: "all under the filter" is a box of its own.
            "th__input": {
                "class": "form-check-input js-select-all",
                "aria-label": _("Select all contacts on this page"),
            },
            # Named by the contact's number: a row of unnamed boxes says nothing.
            "td__input": {
                "class": "form-check-input js-select-row",
                "form": "bulk-form",
                "name": "ids",
                "aria-label": lambda record: (
                    _("Select %(phone)s") % {"phone": record.phone}
                ),
            },
        },
        orderable=False,
    )
    phone = tables.Column(
        verbose_name=_("Phone"), linkify=("contacts:detail", [tables.A("pk")])
    )
    # A person's last, first and middle names: "ФИО", not a group's "Название".
    name = tables.Column(
        verbose_name=_("Full name"),
        accessor="full_name",
        order_by=("last_name", "first_name"),
    )
    is_stopped = tables.Column(verbose_name=_("Stop list"), orderable=False)
    # Ids grow with creation time and are indexed: sorting a million rows stays cheap.
    created_at = tables.DateTimeColumn(verbose_name=_("Created"), order_by=("id",))

    class Meta(BaseTable.Meta):
        empty_text = _("No contacts found.")
        model = Contact
        fields = ("selection", "phone", "name", "email", "is_stopped", "created_at")

    def render_is_stopped(self, value: bool) -> str:
        if value:
            return format_html(
                '<span class="badge text-bg-danger">{}</span>', _("stopped")
            )
        return ""


class ContactGroupTable(NameLinksToEdit, BaseTable):
    # A viewer reaches the members by the "Contacts" button instead.
    edit_url = "contacts:group_edit"
    # A long name without spaces wraps instead of widening a phone's page (app.css).
    name = tables.Column(
        verbose_name=_("Name"), attrs={"td": {"class": "wrap-anywhere"}}
    )
    member_count = tables.Column(verbose_name=_("Contacts"))
    members = tables.TemplateColumn(
        template_name="contacts/_group_links.html", verbose_name="", orderable=False
    )

    class Meta(BaseTable.Meta):
        empty_text = _("No groups yet.")
        model = ContactGroup
        fields = ("name", "description", "member_count", "created_at", "members")

    def render_member_count(self, value: int) -> str:
        return intcomma(value)  # "1 000 000" in Russian, "1,000,000" in English


class StopListTable(BaseTable):
    remove = tables.TemplateColumn(
        template_name="contacts/_stoplist_remove.html", verbose_name="", orderable=False
    )

    class Meta(BaseTable.Meta):
        empty_text = _("No numbers found.")
        model = StopListEntry
        fields = ("phone", "reason", "source", "created_by", "created_at", "remove")


class ImportJobTable(BaseTable):
    original_name = tables.Column(
        verbose_name=_("File"), linkify=("contacts:import_detail", [tables.A("pk")])
    )

    # An upload left at the column step can be dropped here (uploads a day old go
    # by themselves: contacts.tasks.import_uploads_expire).
    discard = tables.TemplateColumn(
        template_name="contacts/_import_discard.html",
        verbose_name=_("Actions"),  # a column without a name is read as unnamed
        orderable=False,
    )

    class Meta(BaseTable.Meta):
        empty_text = _("No imports yet.")
        model = ImportJob
        fields = ("created_at", "original_name", "kind", "status", "created_by")
        # The latest few, newest first: headers that sort would only promise sorting.
        orderable = False
