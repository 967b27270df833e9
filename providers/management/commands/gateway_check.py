"""`manage.py gateway_check ACCOUNT`: read balance and sender names of an account."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from providers.models import ProviderAccount
from providers.selectors import active_accounts, capability_labels, gateway_info
from providers.services import CheckResult, provider_account_check


class Command(BaseCommand):
    help = (
        "Check a provider account (by name or id): print its gateway, capabilities, "
        "balance and sender names, or the gateway's error (exit status 1)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("account", nargs="?", help="account name or id")
        parser.add_argument(
            "--all",
            action="store_true",
            dest="check_all",
            help="check every active account",
        )

    def handle(self, *args, account: str | None, check_all: bool, **options) -> None:
        if check_all == bool(account):
            raise CommandError("Give one ACCOUNT (name or id) or --all.")
        accounts = list(active_accounts()) if check_all else [self._find(account or "")]
        failed = [acc.name for acc in accounts if not self._check(acc)]
        if failed:
            raise CommandError("Check failed: " + ", ".join(failed))

    def _find(self, key: str) -> ProviderAccount:
        account = ProviderAccount.objects.filter(name=key).first()
        if account is None and key.isdigit():
            account = ProviderAccount.objects.filter(pk=int(key)).first()
        if account is None:
            raise CommandError(f"No provider account named or numbered {key!r}.")
        return account

    def _check(self, account: ProviderAccount) -> bool:
        info = gateway_info(account.kind)
        result = provider_account_check(account=account)
        write = self.stdout.write
        write(f"Account:      {account.name} (id {account.pk})")
        dialect = f", dialect {account.dialect}" if account.dialect else ""
        write(f"Gateway:      {info.label} ({account.kind}{dialect})")
        write(f"Base URL:     {account.base_url}")
        labels = [code for code, _label in capability_labels(result.capabilities)]
        write(f"Capabilities: {', '.join(labels) or '-'}")
        self._print_result(result)
        write("")
        return result.ok

    def _print_result(self, result: CheckResult) -> None:
        write = self.stdout.write
        if result.balance is not None:
            left = result.balance.messages_left
            extra = f" ({left} messages left)" if left is not None else ""
            write(
                f"Balance:      {result.balance.amount} {result.balance.currency}{extra}"
            )
        if result.sender_names:
            write("Sender names:")
            for sender in result.sender_names:
                usable = "usable" if sender.usable else "not usable"
                write(f"  {sender.name:<15} {sender.state} ({usable})")
        if not result.ok:
            self.stderr.write(
                self.style.ERROR(f"Error ({result.error_kind}): {result.error}")
            )
