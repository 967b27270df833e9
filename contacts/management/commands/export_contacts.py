import shutil
import sys

from django.core.management.base import BaseCommand, CommandError

from contacts import exporting, selectors
from contacts.models import ContactGroup


class Command(BaseCommand):
    help = "Export contacts (all, or of a group) to CSV or XLSX."

    def add_arguments(self, parser):
        parser.add_argument(
            "--group", metavar="NAME", help="only the contacts of this group"
        )
        parser.add_argument(
            "-o", "--output", metavar="PATH", help="file to write (default: stdout)"
        )
        parser.add_argument(
            "--format", default="csv", choices=list(exporting.FORMATS),
            help="csv: UTF-8 with BOM; csv-1251: Windows-1251 with ';'; xlsx: Excel",
        )  # fmt: skip

    def handle(self, *args, group, output, format, **options):
        filters = {}
        if group:
            found = ContactGroup.objects.filter(name=group).first()
            if found is None:
                raise CommandError(f"No group named {group!r}")
            filters["group"] = found.pk
        contacts = selectors.contact_list(filters=filters)
        fmt = exporting.FORMATS[format]
        if output is None and fmt.key == "xlsx":
            raise CommandError("XLSX needs a file: add -o PATH")
        with exporting.export_to_file(contacts, fmt=fmt) as data:
            if output is None:
                shutil.copyfileobj(data, sys.stdout.buffer)
                return
            with open(output, "wb") as out:
                shutil.copyfileobj(data, out)
        self.stderr.write(f"Exported to {output}")
