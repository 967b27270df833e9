"""Load the registry of the Russian numbering plan: the zones of mobile numbers."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from contacts.numbering import numbering_plan_load
from smsportal.exceptions import ApplicationError


class Command(BaseCommand):
    help = (
        "Replace the numbering plan's ranges with the registry's CSV files (DEF-9xx.csv "
        "for mobiles, the ABC files for landlines, from opendata.digital.gov.ru), then "
        "give contacts without a time zone the zone of their number's region."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", type=Path, help="registry CSV files")

    def handle(self, *args, paths: list[Path], **options):
        missing = [str(p) for p in paths if not p.is_file()]
        if missing:
            raise CommandError(f"no such file: {', '.join(missing)}")
        handles = [path.open("rb") for path in paths]
        try:
            load = numbering_plan_load(
                [
                    (path.name, handle)
                    for path, handle in zip(paths, handles, strict=True)
                ]
            )
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        finally:
            for handle in handles:
                handle.close()
        self.stdout.write(
            f"Ranges loaded: {load.ranges}; rows skipped: {load.rejected}; "
            f"contacts given a time zone: {load.contacts_zoned}; "
            f"moved to their range's new zone: {load.contacts_rezoned}; "
            f"waiting messages to pasted numbers moved: {load.messages_rezoned}"
        )
        for example in load.examples:
            self.stdout.write(f"  skipped: {example}")
        if load.unknown_regions:
            self.stdout.write(
                "Regions without a known time zone (their numbers keep the "
                "campaign's zone):"
            )
            for region, count in load.unknown_regions.most_common():
                self.stdout.write(f"  {region or '(blank)'}: {count} ranges")
