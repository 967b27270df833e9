"""Stop list sync with gateways that keep their own (Webcom stop.php, SMSC black list).

A three-way merge against the gateway's list as it stood after the last sync (the
snapshot), so nothing is pushed twice and a removal is not undone by the next pull:

    theirs    = the gateway's list now (where it can be read), else the snapshot
    pull      = theirs - snapshot - ours     -> our stop list, source "gateway"
    push      = ours - theirs                -> the gateway (where it can be written)
    unlisted  = (snapshot & theirs) - ours   -> taken off the gateway's list: someone
                                                removed the number here after a sync

Assumption: a number that vanished from the gateway's list stays on ours (an opt-out is
never dropped because of something done outside smsportal); it is pushed back.
Without a snapshot (the first sync) nothing is taken off the gateway. The snapshot is
kept in the database (StopListSyncState), as the stop list it is merged with.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from django.db.models import DateTimeField, ExpressionWrapper, Q, Value
from django.db.models.functions import Now
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from campaigns.models import StopListSyncState
from campaigns.workers import live_instances
from contacts.models import StopListEntry
from contacts.phone import vendor_e164
from contacts.services import phones_opt_out
from providers.base import Capability
from providers.error_text import error_record, error_text
from providers.exceptions import GatewayConfigurationError, GatewayError
from providers.models import ProviderAccount
from providers.registry import gateway_for
from providers.selectors import account_capabilities
from smsportal import worker_instance
from smsportal.exceptions import Conflict

logger = logging.getLogger("campaigns.stoplist_sync")

# SMSC takes one request per number: a large first push is spread over several runs.
MAX_PUSH_PER_RUN = 5000
PUSH_CHUNK = 100
# A run's lease, renewed after the read and after each chunk pushed. It runs out
# only for a run nobody can judge (a web request killed by its server's timeout):
# a worker's run is taken over as soon as the worker is taken for dead.
SYNC_LEASE = timedelta(minutes=15)


@dataclass
class SyncResult:
    account_id: int
    pulled: int = 0
    pushed: int = 0
    unlisted: int = 0
    remaining: int = 0  # still to push, left for the next run
    error: str = ""  # in the language of the run (the API's answer to it)
    # The failure as data (providers.error_text): the page words it for its reader.
    error_record: dict = field(default_factory=dict)
    synced_at: str = ""


@dataclass
class _Snapshot:
    phones: set[str] = field(default_factory=set)
    last: dict = field(default_factory=dict)


class SyncRunning(Conflict):
    """Another sync of the account is under way (the API answers 409)."""


class _LeaseLost(Exception):
    """This run was taken for dead and another took over: it stops, saving nothing."""


def _load(account_id: int) -> _Snapshot | None:
    state = StopListSyncState.objects.filter(account_id=account_id).first()
    if state is None or not state.last:  # a row made by a first run's lease only
        return None
    return _Snapshot(phones=set(state.phones), last=state.last)


def _save(account_id: int, snapshot: _Snapshot, token: str) -> None:
    """Keep the snapshot and give the lease back, in one statement: only while this
    run holds it (one taken over writes nothing of its own over the new run's)."""
    StopListSyncState.objects.filter(account_id=account_id, lease_token=token).update(
        phones=sorted(snapshot.phones),
        last=snapshot.last,
        lease_token="",
        lease_holder="",
        lease_since=None,
        lease_until=None,
    )


def _free() -> Q:
    """No run holds the lease: none took it, it ran out, or its worker is dead."""
    return (
        Q(lease_token="")
        | Q(lease_until__lt=Now())
        | (~Q(lease_holder="") & ~Q(lease_holder__in=live_instances()))
    )


def _lease_until() -> ExpressionWrapper:
    # The database's clock: web and workers on machines whose clocks differ.
    return ExpressionWrapper(Now() + Value(SYNC_LEASE), output_field=DateTimeField())


def _lease_take(account: ProviderAccount) -> str:
    """Take the account's sync lease; its token. SyncRunning when another run
    holds it: one whose lease has not run out and whose worker (if a worker's) is
    alive."""
    StopListSyncState.objects.bulk_create(
        [StopListSyncState(account_id=account.pk)], ignore_conflicts=True
    )
    token = uuid.uuid4().hex
    taken = StopListSyncState.objects.filter(_free(), account_id=account.pk).update(
        lease_token=token,
        lease_holder=worker_instance.name(),
        lease_since=Now(),
        lease_until=_lease_until(),
    )
    if not taken:
        raise SyncRunning(_running_message(account), where="account_id")
    return token


def _lease_renew(account_id: int, token: str) -> None:
    if not StopListSyncState.objects.filter(
        account_id=account_id, lease_token=token
    ).update(lease_until=_lease_until()):
        raise _LeaseLost


def _lease_give_back(account_id: int, token: str) -> None:
    StopListSyncState.objects.filter(account_id=account_id, lease_token=token).update(
        lease_token="", lease_holder="", lease_since=None, lease_until=None
    )


def _running_message(account: ProviderAccount) -> str:
    since = (
        StopListSyncState.objects.filter(account_id=account.pk)
        .values_list("lease_since", flat=True)
        .first()
    )
    when = formats.time_format(timezone.localtime(since)) if since else ""
    return _(
        "A stop list sync with %(account)s is already running (since %(when)s): "
        "its outcome shows here when it ends."
    ) % {"account": account.name, "when": when}


def stoplist_sync_running_since(*, account: ProviderAccount) -> datetime | None:
    """When the account's sync under way started (None when none runs)."""
    return (
        StopListSyncState.objects.filter(~_free(), account_id=account.pk)
        .values_list("lease_since", flat=True)
        .first()
    )


def stoplist_sync_supported(account: ProviderAccount) -> bool:
    # What the account's gateway offers, also when its credentials cannot be read
    # (a key changed): asked of a gateway built with them, the page answered 500.
    capabilities = account_capabilities(account)
    return bool({Capability.STOP_LIST_READ, Capability.STOP_LIST_WRITE} & capabilities)


def stoplist_sync_refusal(account: ProviderAccount) -> str:
    """Why the account's stop list cannot be synced ("" when it can): a gateway that
    keeps none answered a sync with an empty success, as if there were nothing new."""
    if stoplist_sync_supported(account):
        return ""
    return _(
        "%(gateway)s keeps no stop list of its own: there is nothing to sync with "
        "%(account)s."
    ) % {"gateway": account.get_kind_display(), "account": account.name}


def stoplist_sync_summary(account: ProviderAccount, result: SyncResult) -> str:
    """What a sync did, said after it. A gateway whose list cannot be read (SMSC's
    is written only) is not said to have "received 0", as if it had been asked."""
    counts = {
        "account": account.name,
        "pulled": result.pulled,
        "pushed": result.pushed,
        "unlisted": result.unlisted,
    }
    if Capability.STOP_LIST_READ in account_capabilities(account):
        return (
            _(
                "Stop list synced with %(account)s: %(pulled)d received, "
                "%(pushed)d sent, %(unlisted)d taken off the gateway's list."
            )
            % counts
        )
    return (
        _(
            "Stop list synced with %(account)s: %(pushed)d sent, %(unlisted)d taken off "
            "the gateway's list (its list cannot be read, so nothing is received from it)."
        )
        % counts
    )


@dataclass(frozen=True)
class SyncRow:
    """An account's line on the sync page: what its gateway can do, and the last run."""

    account: ProviderAccount
    last: dict
    can_read: bool  # its list can be read: numbers are received from it
    can_write: bool  # numbers can be sent to it
    running_since: datetime | None = None  # a sync under way started then


def stoplist_sync_rows() -> list[SyncRow]:
    """Active accounts whose gateway keeps a stop list, by name."""
    rows = []
    for account in ProviderAccount.objects.filter(is_active=True).order_by("name"):
        capabilities = account_capabilities(account)
        can_read = Capability.STOP_LIST_READ in capabilities
        can_write = Capability.STOP_LIST_WRITE in capabilities
        if can_read or can_write:
            rows.append(
                SyncRow(
                    account,
                    stoplist_last_sync(account=account),
                    can_read,
                    can_write,
                    stoplist_sync_running_since(account=account),
                )
            )
    return rows


def stoplist_last_sync(*, account: ProviderAccount) -> dict:
    """The outcome of the account's last sync ({} when never synced)."""
    snapshot = _load(account.pk)
    if snapshot is None or not snapshot.last:
        return {}
    last = dict(snapshot.last)
    if record := last.get("error_record"):
        last["error"] = error_text(record)[:500]  # in the reader's language
    if last.get("synced_at"):
        last["synced_at"] = datetime.fromisoformat(last["synced_at"])
    return last


def stoplist_sync(*, account: ProviderAccount) -> SyncResult:
    """Push our stop list entries the gateway lacks, pull the ones it has and we lack.

    One run of an account at a time (SyncRunning otherwise): two at once (beat's
    and a user's, or two workers') each read the gateway's list before the other
    pushed, and both pushed the same numbers; the snapshot the slower one saved
    was the older."""
    token = _lease_take(account)
    try:
        return _sync(account, token)
    except _LeaseLost:
        logger.warning("stop list sync with %s was taken over; stopped", account)
        return SyncResult(account_id=account.pk)
    finally:
        _lease_give_back(account.pk, token)  # a no-op once _save gave it back


def _sync(account: ProviderAccount, token: str) -> SyncResult:
    result = SyncResult(account_id=account.pk)
    previous = _load(account.pk)
    try:
        gateway = gateway_for(account)
    except GatewayConfigurationError as exc:
        # Credentials no key reads: said on the page, and stoplist_sync_all goes on
        # with the other accounts instead of failing on this one every run.
        _failed(account, exc, result)
        return _finished(account, result, previous.phones if previous else set(), token)
    can_read = gateway.supports(Capability.STOP_LIST_READ)
    can_write = gateway.supports(Capability.STOP_LIST_WRITE)
    if not (can_read or can_write):
        return result
    theirs = set(previous.phones) if previous else set()
    read = False
    try:
        if can_read:
            theirs = _their_phones(gateway.stop_list())
            read = True
    except GatewayError as exc:
        # Still push: a failed read (Webcom's is an assumed route) must not keep our
        # opt-outs from the gateway; without its list nothing is pulled or unlisted.
        _failed(account, exc, result)
    _lease_renew(account.pk, token)
    try:
        ours = set(StopListEntry.objects.values_list("phone", flat=True))
        if read:
            pulled = theirs - (previous.phones if previous else set()) - ours
            result.pulled = _pull(account, pulled)
            ours |= pulled
        if can_write:
            if read or not can_read:
                unlisted = ((previous.phones & theirs) - ours) if previous else set()
                result.unlisted = _unlist(gateway, unlisted)
                theirs -= unlisted
            missing = sorted(ours - theirs)
            result.remaining = max(0, len(missing) - MAX_PUSH_PER_RUN)
            result.pushed = _push(
                gateway,
                missing[:MAX_PUSH_PER_RUN],
                theirs,
                renew=lambda: _lease_renew(account.pk, token),
            )
    except GatewayError as exc:
        _failed(account, exc, result)
    return _finished(account, result, theirs, token)


def _finished(
    account: ProviderAccount, result: SyncResult, theirs: set[str], token: str
) -> SyncResult:
    """Keep the run's outcome (the page shows it) and the gateway's list as known."""
    result.synced_at = timezone.now().isoformat()
    _save(account.pk, _Snapshot(phones=theirs, last=asdict(result)), token)
    return result


def _failed(
    account: ProviderAccount,
    exc: GatewayError | GatewayConfigurationError,
    result: SyncResult,
) -> None:
    logger.warning("stop list sync with %s failed: %s", account, exc)
    result.error_record = dict(error_record(exc))
    result.error = error_text(result.error_record)[:500]


def stoplist_sync_all() -> list[SyncResult]:
    """Sync every active account whose gateway keeps a stop list."""
    results = []
    for account in ProviderAccount.objects.filter(is_active=True):
        if stoplist_sync_supported(account):
            try:
                results.append(stoplist_sync(account=account))
            except SyncRunning:
                # A user's «Sync now», or another worker's run: it does this one.
                logger.info("stop list sync with %s already running", account)
    return results


def _their_phones(raw: Sequence[str]) -> set[str]:
    phones = set()
    for value in raw:
        phone = vendor_e164(value)  # also the national 8912... form
        if phone:
            phones.add(phone)
        else:
            logger.info("skipping unreadable stop list number %r", value)
    return phones


def _pull(account: ProviderAccount, phones: set[str]) -> int:
    if not phones:
        return 0
    reason = _("From the stop list at %(account)s") % {"account": account.name}
    phones_opt_out(
        reasons=dict.fromkeys(phones, reason), source=StopListEntry.Source.GATEWAY
    )
    return len(phones)


def _push(
    gateway, phones: list[str], theirs: set[str], *, renew: Callable[[], None]
) -> int:
    """Push in chunks, recording each chunk in `theirs` as soon as the gateway took
    it, and renewing the run's lease after each."""
    pushed = 0
    for start in range(0, len(phones), PUSH_CHUNK):
        chunk = phones[start : start + PUSH_CHUNK]
        gateway.stop_list_add(chunk)
        theirs.update(chunk)
        pushed += len(chunk)
        renew()
    return pushed


def _unlist(gateway, phones: set[str]) -> int:
    if not phones:
        return 0
    gateway.stop_list_remove(sorted(phones))
    return len(phones)
