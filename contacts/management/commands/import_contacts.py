from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from contacts.importing.fields import ATTR_PREFIX, CONTACT_FIELDS, normalize_header
from contacts.importing.runner import ImportOptions
from contacts.management.commands._importing import (
    DELIMITERS,
    add_reader_arguments,
    run,
    source_file,
)
from contacts.models import ContactGroup, CustomField
from smsportal.exceptions import ApplicationError


class Command(BaseCommand):
    help = "Import contacts from a CSV or XLSX file and print the report."

    def add_arguments(self, parser):
        add_reader_arguments(parser)
        parser.add_argument(
            "--group", action="append", default=[], metavar="NAME",
            help="add the contacts to this group (created if missing); repeatable",
        )  # fmt: skip
        parser.add_argument(
            "--map", action="append", default=[], metavar="COLUMN=FIELD",
            help="COLUMN is a header or a 1-based number; FIELD one of "
            + ", ".join(CONTACT_FIELDS) + ", attr:KEY or ignore; repeatable",
        )  # fmt: skip
        parser.add_argument(
            "--update", action="store_true", help="update existing contacts"
        )

    def handle(
        self, *args, path, group, map, update, encoding, delimiter, rejects, **options
    ):
        source_file(path)
        mapping = self._mapping(map, path, encoding, delimiter) if map else None
        groups = self._groups(group)
        options = ImportOptions(
            kind="contacts",
            encoding=encoding,
            delimiter=DELIMITERS[delimiter],
            mapping=mapping,
            group_ids=groups,
            update=update,
        )
        run(self.stdout, path=path, options=options, rejects=rejects)

    def _groups(self, names: list[str]) -> list[int]:
        """The groups' ids, made when missing. A name is checked as the group form
        checks it: a name with ";" was made and came back from an export as two
        groups, and one over 100 characters stopped the command with a traceback."""
        field = ContactGroup._meta.get_field("name")
        for name in names:
            try:
                field.clean(name, None)
            except ValidationError as exc:
                message = " ".join(exc.messages)
                raise CommandError(f"--group {name!r}: {message}") from None
        return [ContactGroup.objects.get_or_create(name=name)[0].pk for name in names]

    def _mapping(self, pairs, path, encoding, delimiter) -> list[str]:
        """The auto mapping of the file's header with the --map choices laid over it."""
        from pathlib import Path

        from contacts.importing.fields import auto_mapping
        from contacts.importing.sources import open_table

        custom = list(CustomField.objects.all())
        allowed = set(CONTACT_FIELDS) | {ATTR_PREFIX + f.key for f in custom}
        try:
            with Path(path).open("rb") as raw:
                table = open_table(
                    raw, name=path, encoding=encoding, delimiter=DELIMITERS[delimiter]
                )
                header = next(table.records, (0, []))[1]
        except (ApplicationError, OSError) as exc:
            raise CommandError(str(exc)) from None
        mapping = auto_mapping(header, kind="contacts", custom_fields=custom)
        keys = [normalize_header(h) for h in header]
        for pair in pairs:
            column, _sep, field = pair.partition("=")
            field = "" if field in ("ignore", "") else field
            if field and field not in allowed:
                raise CommandError(f"--map {pair}: unknown field {field!r}")
            if column.isdigit():
                index = int(column) - 1
                # 0 took the last column (index -1); past the end mapped nothing.
                if not 0 <= index < len(header):
                    raise CommandError(
                        f"--map {pair}: no column {column}: the header has "
                        f"{len(header)}, numbered from 1"
                    )
            elif normalize_header(column) in keys:
                index = keys.index(normalize_header(column))
            else:
                raise CommandError(f"--map {pair}: no column {column!r} in the header")
            mapping += [""] * (index + 1 - len(mapping))
            mapping = ["" if f == field else f for f in mapping]
            mapping[index] = field
        return mapping
