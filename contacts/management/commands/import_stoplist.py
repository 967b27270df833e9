from django.core.management.base import BaseCommand

from contacts.importing.runner import ImportOptions
from contacts.management.commands._importing import (
    DELIMITERS,
    add_reader_arguments,
    run,
)


class Command(BaseCommand):
    help = "Add the phone numbers of a CSV or XLSX file to the stop list."

    def add_arguments(self, parser):
        add_reader_arguments(parser)
        parser.add_argument("--reason", default="", help="reason for rows without one")

    def handle(self, *args, path, reason, encoding, delimiter, rejects, **options):
        options = ImportOptions(
            kind="stoplist",
            encoding=encoding,
            delimiter=DELIMITERS[delimiter],
            stop_reason=reason,
        )
        run(self.stdout, path=path, options=options, rejects=rejects)
