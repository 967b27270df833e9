"""Prove the counts tables equal a GROUP BY over the messages; exit 1 where not."""

from django.core.management.base import BaseCommand, CommandError

from campaigns.counts import counts_mismatches, counts_squash, traffic_mismatches


class Command(BaseCommand):
    help = (
        "Squash the campaign status counts and the hourly traffic, then compare both "
        "with a GROUP BY over the messages table; exits non-zero and lists every "
        "mismatch."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--no-squash",
            action="store_true",
            help="Compare without folding the delta rows first.",
        )

    def handle(self, *args, **options) -> None:
        if not options["no_squash"]:
            folded = counts_squash()
            self.stdout.write(f"squashed: {folded} count rows")
        mismatches = counts_mismatches()
        traffic = traffic_mismatches()
        if not mismatches and not traffic:
            self.stdout.write(self.style.SUCCESS("counts match the messages table"))
            return
        if mismatches:
            self.stderr.write("campaign  status        counted       kept")
        for campaign_id, status, counted, kept in mismatches:
            self.stderr.write(f"{campaign_id:>8}  {status:<12} {counted:>8} {kept:>10}")
        if traffic:
            self.stderr.write(
                "hour (UTC)                 status        counted       kept"
            )
        for hour, status, counted, kept in traffic:
            self.stderr.write(
                f"{hour:%Y-%m-%d %H:%M}           {status:<12} {counted:>8} {kept:>10}"
            )
        raise CommandError(
            f"{len(mismatches) + len(traffic)} count(s) differ from the messages table"
        )
