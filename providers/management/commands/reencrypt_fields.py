"""`manage.py reencrypt_fields`: rewrite every encrypted value with the first key."""

from django.core.management.base import BaseCommand, CommandError

from smsportal.reencrypt import fields_reencrypt


class Command(BaseCommand):
    help = (
        "Rewrite every encrypted value (gateway passwords, tokens, callback secrets "
        "of every model) with the first key of SMSPORTAL_FIELD_KEY (or the key of "
        "SECRET_KEY when it is unset), so the older keys after it can be dropped. "
        "Run it after putting the new key first; it can run again at any time."
    )
    # A key check warns of values only an old key reads: this is the remedy.
    requires_system_checks: list[str] = []

    def handle(self, *args, **options) -> None:
        result = fields_reencrypt()
        for where, count in sorted(result.rewritten.items()):
            self.stdout.write(f"{where}: {count} rewritten")
        self.stdout.write(
            f"Rewrote {result.rewritten_total} value(s) with the first key; "
            f"{result.current} already used it."
            + (f" {result.plain} of them were in plain text." if result.plain else "")
        )
        if result.unreadable:
            listed = ", ".join(
                f"{w}: {n}" for w, n in sorted(result.unreadable.items())
            )
            raise CommandError(
                f"No key decrypts {sum(result.unreadable.values())} value(s) ({listed}); "
                "left as they are. Add the key they were saved with after the first "
                "and run this again, or enter those credentials again."
            )
