"""Provider account operations: connection check, balance, sender names, saving.

Gateway errors met here are recorded on the account (`last_error`, `last_error_at`) so
the pages show what went wrong; an account is never deactivated by a check (the
campaigns layer decides that when a send is refused).
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from decimal import Decimal

import httpx

from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit
from accounts.models import AuditEvent
from providers.base import Balance, Capability, SenderNameInfo, SmsGateway
from providers.error_text import (
    GatewayFailure,
    error_kind,
    error_message,
    error_record,
    error_text,
)
from providers.exceptions import (
    AuthenticationFailed,
    GatewayConfigurationError,
    GatewayError,
    GatewayUnavailable,
)
from providers.http import GatewayHttp, build_client
from providers.logins import login_retire_if_changed
from providers.models import (
    ProviderAccount,
    RemovedSenderName,
    SenderName,
    new_callback_token,
)
from providers.registry import gateway_for
from providers.selectors import (
    account_capabilities,
    gateway_info,
    sender_length_problem,
    sender_names_awaiting_listing,
    sender_names_kept_by_hand,
    sender_rule_problem,
)
from smsportal.exceptions import ApplicationError
from smsportal.lib.textcheck import has_unsendable, without_nul
from smsportal.textguard import check_sendable

logger = logging.getLogger(__name__)

# A person waits for the "check connection" button: fail fast rather than hang.
CHECK_TIMEOUT = httpx.Timeout(connect=3.0, read=10.0, write=10.0, pool=3.0)
SENDER_NAME_MAX = SenderName._meta.get_field("name").max_length
# Russian operators accept up to 11 Latin letters, digits, spaces and marks (at least
# one letter), or up to 15 digits. Webcom and SMSC list more marks (REFERENCE.md 1.9,
# 2.x), WEBSMS none: these few are the ones names use. The messages below list the
# marks from here, so rule and wording cannot drift apart.
SENDER_NAME_MARKS = ".-_!&'"
SENDER_NAME_RE = re.compile(
    rf"^(?=.*[A-Za-z])[A-Za-z0-9 {re.escape(SENDER_NAME_MARKS)}]{{1,11}}$|^\d{{1,15}}$"
)


def sender_name_marks() -> str:
    """The marks a sender name may hold, spaced for a message: ". - _ ! & '"."""
    return " ".join(SENDER_NAME_MARKS)


@dataclass(frozen=True, slots=True)
class CheckResult:
    """What a connection check found; `error` is empty when everything answered."""

    ok: bool
    capabilities: frozenset[Capability]
    balance: Balance | None = None
    sender_names: list[SenderNameInfo] = field(default_factory=list)
    error: str = ""
    error_kind: str = ""  # see error_kind(): auth, refused, unavailable, ...

    def as_dict(self) -> dict[str, object]:
        """JSON-safe, to carry the result over a redirect (the session)."""
        balance = self.balance
        return {
            "ok": self.ok,
            "capabilities": sorted(c.value for c in self.capabilities),
            "balance": None
            if balance is None
            else {
                "amount": str(balance.amount),
                "currency": balance.currency,
                "messages_left": balance.messages_left,
            },
            "sender_names": [asdict(info) for info in self.sender_names],
            "error": self.error,
            "error_kind": self.error_kind,
        }

    @classmethod
    def from_dict(cls, data: dict) -> CheckResult:
        """The result as_dict() wrote; capabilities this version lacks are left out."""
        known = {c.value for c in Capability}
        balance = data.get("balance")
        return cls(
            ok=bool(data["ok"]),
            capabilities=frozenset(
                Capability(c) for c in data.get("capabilities", []) if c in known
            ),
            balance=None
            if balance is None
            else Balance(
                amount=Decimal(balance["amount"]),
                currency=balance["currency"],
                messages_left=balance["messages_left"],
            ),
            sender_names=[SenderNameInfo(**n) for n in data.get("sender_names", [])],
            error=data.get("error", ""),
            error_kind=data.get("error_kind", ""),
        )


# Connection check -------------------------------------------------------------------


def provider_account_check(
    *, account: ProviderAccount, timeout: httpx.Timeout | None = CHECK_TIMEOUT
) -> CheckResult:
    """Read balance and sender names where the gateway has them; record the outcome.

    Never raises for gateway errors: they are stored on the account and returned.
    Sender names read here are stored too, as a sync would.
    """
    capabilities = account_capabilities(account)
    balance: Balance | None = None
    names: list[SenderNameInfo] = []
    try:
        with _gateway(account, timeout=timeout) as gateway:
            capabilities = frozenset(gateway.capabilities)
            if Capability.BALANCE in capabilities:
                balance = gateway.balance()
                _store_balance(account, balance)
            if Capability.SENDER_NAMES in capabilities:
                names = gateway.sender_names()
                _store_sender_names(account, names)
    except (GatewayError, GatewayConfigurationError) as exc:
        _record_error(account, exc)
        return CheckResult(
            ok=False,
            capabilities=capabilities,
            balance=balance,
            sender_names=names,
            error=account.last_error_message,
            error_kind=error_kind(exc),
        )
    _clear_error(account)
    return CheckResult(
        ok=True, capabilities=capabilities, balance=balance, sender_names=names
    )


def balance_refresh(*, account: ProviderAccount) -> Balance:
    """Read and store the account balance; on a gateway error record it and re-raise."""
    try:
        with _gateway(account) as gateway:
            balance = gateway.balance()
    except (GatewayError, GatewayConfigurationError) as exc:
        _record_error(account, exc)
        raise
    _store_balance(account, balance)
    _clear_error(account)
    return balance


# Sender names -----------------------------------------------------------------------


def sender_names_sync(*, account: ProviderAccount) -> list[SenderName]:
    """Mirror the gateway's sender names into SenderName rows.

    SenderName mirrors the gateway: a name the gateway no longer lists is deleted,
    because it can no longer be sent from (a request the gateway does not list until
    approved is kept: see _store_sender_names). Messages keep the sender as text, so
    no history is lost. On a gateway error the error is recorded and re-raised.
    """
    if Capability.SENDER_NAMES not in account_capabilities(account):
        raise ApplicationError(
            _("%(gateway)s does not list sender names through its API.")
            % {"gateway": gateway_info(account.kind).label},
            where="sender_names",
        )
    try:
        with _gateway(account) as gateway:
            names = gateway.sender_names()
    except (GatewayError, GatewayConfigurationError) as exc:
        _record_error(account, exc)
        raise
    rows = _store_sender_names(account, names)
    _clear_error(account)
    return rows


def sender_name_request(
    *, account: ProviderAccount, name: str, comment: str = ""
) -> SenderName:
    """Ask the gateway to register a new sender name; store it as the gateway answers.

    Raises ApplicationError when the gateway cannot take requests, the name is not
    acceptable, or the gateway refuses it (with the gateway's own words).
    """
    name = name.strip()
    # The comment goes to the gateway as it is: a character no text holds would come
    # back as the gateway's error (or be sent on), so it is refused here with its place.
    check_sendable(
        comment, where="comment", label=_("Comment for the gateway"), multiline=True
    )
    if Capability.SENDER_NAME_ADD not in account_capabilities(account):
        raise ApplicationError(
            _(
                "%(gateway)s does not accept sender name requests through its API; "
                "request the name in the gateway's cabinet."
            )
            % {"gateway": gateway_info(account.kind).label},
            where="name",
        )
    _require_valid_sender_name(name, kind=account.kind)
    # Asked again, the gateway puts an approved name back into moderation (SMSC) or
    # forgets its operators (Webcom): refused here, in any case of its letters. One
    # waiting or refused may be asked for again.
    approved = (
        SenderName.objects.filter(account=account, name__iexact=name, usable=True)
        .values_list("name", flat=True)
        .first()
    )
    if approved is not None:
        raise ApplicationError(
            _(
                "The account already has the sender name “%(name)s”, approved: "
                "choose it in a campaign, nothing to request."
            )
            % {"name": approved},
            where="name",
        )
    try:
        with _gateway(account) as gateway:
            info = gateway.sender_name_add(name, comment=comment.strip())
    except (GatewayError, GatewayConfigurationError) as exc:
        if isinstance(exc, AuthenticationFailed | GatewayConfigurationError):
            _record_error(account, exc)
        raise ApplicationError(
            error_message(exc), where="name", extra={"error_kind": error_kind(exc)}
        ) from exc
    # Store the gateway's spelling (some normalise the name): it is what they list.
    rows = _upsert_sender_names(account, [info])
    if not rows:  # the gateway echoed no name we can store: keep the one asked for
        info = SenderNameInfo(name, info.state, info.usable, comment=comment.strip())
        rows = _upsert_sender_names(account, [info])
    row = rows[0]
    # Who asked for which name, on which account: the gateway's moderation (and
    # some gateways' fee) follows the request, the page shows only the outcome.
    audit(
        AuditEvent.Action.REQUESTED, row,
        object_repr=f"{row.name} ({account.name})", account=account.name,
        state=row.state,
    )  # fmt: skip
    return row


def _require_valid_sender_name(name: str, *, kind: str) -> None:
    if problem := sender_length_problem(kind, name):
        raise ApplicationError(problem, where="name")
    if not SENDER_NAME_RE.match(name):
        raise ApplicationError(
            _(
                "“%(name)s” is not a valid sender name: use up to 11 Latin letters, "
                "digits, spaces and the marks %(marks)s (at least one letter), or up "
                "to 15 digits."
            )
            % {"name": name, "marks": sender_name_marks()},
            where="name",
        )


def sender_name_record(*, account: ProviderAccount, name: str) -> SenderName:
    """Record a sender name the gateway approved in its cabinet, for a gateway whose
    API lists none (WEBSMS): campaigns then offer it beside the default sender.

    Where the gateway lists its names, a sync is the record, not a person's word.
    """
    name = name.strip()
    if Capability.SENDER_NAMES in account_capabilities(account):
        raise ApplicationError(
            _("%(gateway)s lists its sender names: sync them instead.")
            % {"gateway": gateway_info(account.kind).label},
            where="name",
        )
    _require_valid_sender_name(name, kind=account.kind)
    if problem := sender_rule_problem(account.kind, name):
        raise ApplicationError(problem, where="name")
    with transaction.atomic():
        # One record at a time per account, so two people adding "MyShop" and
        # "myshop" at once cannot both pass the check below.
        ProviderAccount.objects.select_for_update().filter(pk=account.pk).first()
        # Assumption: WEBSMS matches fromPhone against its name archive whatever the
        # case of the letters, as operators register names (REFERENCE §3.2 is
        # silent): "MyShop" and "myshop" are one name, recorded once.
        recorded = SenderName.objects.filter(account=account, name__iexact=name).first()
        if recorded is not None:
            raise ApplicationError(
                _("The sender name “%(name)s” is already recorded for this account.")
                % {"name": recorded.name},
                where="name",
            )
        row = SenderName.objects.create(account=account, name=name, usable=True)
        RemovedSenderName.objects.filter(account=account, name=name).delete()
        audit(
            AuditEvent.Action.CREATED, row,
            object_repr=f"{row.name} ({account.name})", account=account.name,
        )  # fmt: skip
    return row


def sender_name_remove(*, account: ProviderAccount, sender_name_id: int) -> SenderName:
    """Remove a sender name of the account. Where the gateway deletes names (SMSC),
    it is deleted there first, a request or an approved name alike; elsewhere only a
    name stored on a person's word (see sender_names_kept_by_hand): one recorded by
    mistake, or a request the gateway refused without saying so.

    The names such a gateway lists are not removed here: the next sync would bring
    them back. Returns the removed row (without its pk).
    """
    with transaction.atomic():
        row = account.sender_names.select_for_update().filter(pk=sender_name_id).first()
        if row is None:
            raise ApplicationError(
                _("This sender name is no longer stored for the account."),
                where="sender_name",
            )
        deletes = Capability.SENDER_NAME_DELETE in account_capabilities(account)
        if deletes:
            # A request the gateway never listed may be gone there already (refused,
            # never approved): its refusal to delete it then takes nothing away.
            pending = sender_names_awaiting_listing(account=account).filter(pk=row.pk)
            _delete_at_gateway(account, row.name, gone_is_fine=pending.exists())
        elif not sender_names_kept_by_hand(account=account).filter(pk=row.pk).exists():
            raise ApplicationError(
                _(
                    "%(gateway)s lists the sender name “%(name)s”: a sync would bring "
                    "it back. Remove it in the gateway's cabinet."
                )
                % {"gateway": gateway_info(account.kind).label, "name": row.name},
                where="sender_name",
            )
        # Logged before the row goes, while it still has its id.
        audit(
            AuditEvent.Action.DELETED, row,
            object_repr=f"{row.name} ({account.name})", account=account.name,
            state=row.state,
        )  # fmt: skip
        row.delete()
        # Remembered: a campaign still holding the name is refused and flagged by
        # name (with no names left, an unknown one would pass as never synced).
        RemovedSenderName.objects.update_or_create(
            account=account, name=row.name, defaults={"removed_at": timezone.now()}
        )
        if account.default_sender == row.name:
            # Campaigns fall back to the default sender: left as it was, it kept
            # offering (and accepting) the name just removed.
            account.default_sender = ""
            account.save(update_fields=["default_sender", "updated_at"])
    return row


def _delete_at_gateway(
    account: ProviderAccount, name: str, *, gone_is_fine: bool
) -> None:
    try:
        gateway_for(account).sender_name_delete(name)
    except GatewayError as exc:
        if gone_is_fine and not isinstance(exc, GatewayUnavailable):
            logger.info("%s: %s not deleted at the gateway: %s", account, name, exc)
            return
        raise ApplicationError(
            _("The gateway did not delete the sender name “%(name)s”: %(error)s")
            % {"name": name, "error": error_message(exc)},
            where="sender_name",
        ) from exc


# Saving accounts --------------------------------------------------------------------


def provider_account_save(
    *,
    account: ProviderAccount,
    new_password: str = "",
    new_token: str = "",
    new_callback_secret: str = "",
    clear_password: bool = False,
    clear_token: bool = False,
    clear_callback_secret: bool = False,
) -> ProviderAccount:
    """Create or update an account whose plain fields are already set.

    A blank new password or token keeps the stored one (forms never show secrets
    back, so an unchanged form submits them blank); `clear_*` erases it. Gateway
    defaults fill an empty dialect and base URL. A changed login keeps the old
    credentials for the messages sent under it (providers.logins).
    """
    if clear_password:
        account.password = ""
    elif new_password:
        account.password = new_password
    if clear_token:
        account.token = ""
    elif new_token:
        account.token = new_token
    if clear_callback_secret:
        account.callback_secret = ""
    elif new_callback_secret:
        account.callback_secret = new_callback_secret
    info = gateway_info(account.kind)
    if not account.dialect and info.dialects:
        account.dialect = info.dialects[0]
    if not account.base_url and info.default_base_url:
        account.base_url = info.default_base_url
    if info.dialects and account.dialect not in info.dialects:
        raise ApplicationError(
            _("%(gateway)s has no dialect “%(dialect)s”; choose one of: %(choices)s.")
            % {
                "gateway": info.label,
                "dialect": account.dialect,
                "choices": ", ".join(info.dialects),
            },
            where="dialect",
        )
    if not info.dialects:
        account.dialect = ""
    with transaction.atomic():
        # A new login: the old one's credentials stay for what the gateway still
        # holds under it (providers.logins).
        login_retire_if_changed(account)
        account.save()
    return account


def provider_account_callback_urls_renew(*, account: ProviderAccount) -> str:
    """Give the account a new callback token: its callback URLs change, and the old
    ones answer 404 at once (each callback looks its token up in the database, the
    per-process cache included). For a token seen where it should not be: the
    URLs appear in proxies' access logs. Audited; returns the new token."""
    account.callback_token = new_callback_token()
    # updated_at moves too: a callback answered from a process's cache checks it.
    account.save(update_fields=["callback_token", "updated_at"])
    audit(AuditEvent.Action.CHANGED, account, fields=["callback_urls"])
    return account.callback_token


# internals --------------------------------------------------------------------------


@contextlib.contextmanager
def _gateway(
    account: ProviderAccount, *, timeout: httpx.Timeout | None = None
) -> Iterator[SmsGateway]:
    """The account's gateway; with a timeout, on its own short-lived client."""
    if not gateway_info(account.kind).available:
        raise GatewayConfigurationError(
            _("The gateway “%(kind)s” is not available in this installation.")
            % {"kind": account.kind}
        )
    if timeout is None:
        yield gateway_for(account)
        return
    with build_client(timeout=timeout) as client:
        yield gateway_for(account, http=GatewayHttp(account.config(), client=client))


def _store_balance(account: ProviderAccount, balance: Balance) -> None:
    account.balance = balance.amount
    account.balance_currency = balance.currency[:8]
    account.balance_checked_at = timezone.now()
    account.save(update_fields=["balance", "balance_currency", "balance_checked_at"])


def _store_sender_names(
    account: ProviderAccount, names: Sequence[SenderNameInfo]
) -> list[SenderName]:
    """Store the gateway's list; delete the names it no longer lists.

    Where the gateway lists only approved names (SMSC), an unlisted name not yet
    usable is a request still in moderation: kept, unless the gateway now lists it
    in other letters (operators take names in any case).
    """
    with transaction.atomic():
        rows = _upsert_sender_names(account, names)
        gone = account.sender_names.exclude(name__in=[row.name for row in rows])
        if not gateway_info(account.kind).sender_list_complete:
            listed = [row.name.lower() for row in rows]
            gone = gone.alias(lower_name=Lower("name")).exclude(
                Q(usable=False) & ~Q(lower_name__in=listed)
            )
        gone.delete()
    return rows


def _upsert_sender_names(
    account: ProviderAccount, names: Sequence[SenderNameInfo]
) -> list[SenderName]:
    """One INSERT ... ON CONFLICT for all names (duplicates merged first)."""
    now = timezone.now()
    merged: dict[str, SenderName] = {}
    for info in names:
        name = info.name.strip()
        # Nothing can be sent from a name no gateway can carry (NUL would not even
        # store): skipped like an overlong one, so the rest of the list still syncs.
        if not name or len(name) > SENDER_NAME_MAX or has_unsendable(name):
            logger.warning("account %s: skipped sender name %r", account.pk, name)
            continue
        info = replace(
            info,
            state=without_nul(info.state),
            operators=without_nul(info.operators),
            comment=without_nul(info.comment),
        )
        row = merged.get(name)
        if row is None:
            merged[name] = SenderName(
                account=account,
                name=name,
                state=info.state[:100],
                usable=info.usable,
                operators=info.operators,
                comment=info.comment,
                synced_at=now,
            )
            continue
        # The same name listed once per operator: usable if any operator allows it.
        row.usable = row.usable or info.usable
        row.operators = ", ".join(filter(None, [row.operators, info.operators]))
        if info.usable:
            row.state = info.state[:100]
    # Listed (or requested) again: no longer a removed name.
    RemovedSenderName.objects.filter(account=account, name__in=list(merged)).delete()
    return SenderName.objects.bulk_create(
        list(merged.values()),
        update_conflicts=True,
        unique_fields=["account", "name"],
        update_fields=["state", "usable", "operators", "comment", "synced_at"],
    )


def _record_error(account: ProviderAccount, exc: GatewayFailure) -> None:
    logger.warning("provider account %s (%s): %s", account.pk, account.kind, exc)
    record = error_record(exc)
    account.last_error_record = record
    account.last_error = without_nul(error_text(record))
    account.last_error_at = timezone.now()
    account.save(update_fields=["last_error", "last_error_record", "last_error_at"])


def _clear_error(account: ProviderAccount) -> None:
    if not account.last_error and account.last_error_at is None:
        return
    account.last_error = ""
    account.last_error_record = {}
    account.last_error_at = None
    account.save(update_fields=["last_error", "last_error_record", "last_error_at"])
