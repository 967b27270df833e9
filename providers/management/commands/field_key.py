"""`manage.py field_key`: print a key for SMSPORTAL_FIELD_KEY."""

from cryptography.fernet import Fernet

from django.core.management.base import BaseCommand, CommandParser

from smsportal.lib.crypto import derive


class Command(BaseCommand):
    help = (
        "Print a new random key for SMSPORTAL_FIELD_KEY, or with --from-secret-key "
        "the key used while SMSPORTAL_FIELD_KEY was unset and SECRET_KEY was that "
        "value (to read credentials saved before SECRET_KEY changed)."
    )
    # It is what the key checks' hints tell to run: they must not stop it.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--from-secret-key",
            metavar="OLD_SECRET_KEY",
            help="the SECRET_KEY the credentials were saved under",
        )

    def handle(self, *args, from_secret_key: str | None, **options) -> None:
        if from_secret_key is not None:
            self.stdout.write(derive(from_secret_key))
        else:
            self.stdout.write(Fernet.generate_key().decode())
