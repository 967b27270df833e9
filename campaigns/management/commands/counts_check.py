"""Prove the counts tables equal a GROUP BY over the messages; exit 1 where not."""

from django.core.management.base import BaseCommand, CommandError

from campaigns.claim_tally import claim_mismatches
from campaigns.counts import counts_mismatches, counts_squash, traffic_mismatches
from campaigns.held_tally import held_mismatches
from campaigns.report_tallies import tallies_mismatches


class Command(BaseCommand):
    help = (
        "Squash the campaign status counts, the hourly traffic, the report "
        "tallies, the held messages' and the unanswered claims' tallies, then compare each with a GROUP BY over the messages table; exits "
        "non-zero and lists every mismatch."
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
        tallies = tallies_mismatches()
        held = held_mismatches()
        claims = claim_mismatches()
        if not (mismatches or traffic or tallies or held or claims):
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
        if tallies:
            self.stderr.write("tally       key / counted / kept")
        for tally, key, counted, kept in tallies:
            shown = " ".join(str(part) for part in key)
            self.stderr.write(f"{tally:<11} {shown} / {counted} / {kept}")
        if held:
            self.stderr.write("held at the gateway: campaign minute / counted / kept")
        for (campaign_id, minute), counted, kept in held:
            self.stderr.write(
                f"{campaign_id:>8} {minute:%Y-%m-%d %H:%M} / {counted} / {kept}"
            )
        if claims:
            self.stderr.write("claimed, not answered: campaign minute / counted / kept")
        for (campaign_id, minute), counted, kept in claims:
            self.stderr.write(
                f"{campaign_id:>8} {minute:%Y-%m-%d %H:%M} / {counted} / {kept}"
            )
        differing = sum(map(len, (mismatches, traffic, tallies, held, claims)))
        raise CommandError(f"{differing} count(s) differ from the messages table")
