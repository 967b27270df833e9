"""Polling gateways for statuses of messages that have not settled yet.

Only messages submitted a while ago and not polled recently are asked for, in the
gateway's batch size, and each account at most once per its gateway's poll interval
(SMSC allows mass status requests once a minute; WEBSMS wants a minute after sending).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db.models import Case, F, Q, When
from django.utils import timezone

from campaigns.models import Message
from campaigns.status_turns import polling_turn_take
from campaigns.statuses import message_statuses_apply
from providers.base import Capability, DeliveryStatus, MessageChannel
from providers.exceptions import GatewayConfigurationError, GatewayError
from providers.logins import login_gateways
from providers.models import ProviderAccount
from providers.registry import gateway_for
from smsportal.lib.gcspacing import collections_spaced

logger = logging.getLogger("campaigns.polling")

DEFAULT_POLL_DELAY = timedelta(seconds=60)
MAX_BATCHES_PER_RUN = 20
# Asked about this long after a message goes out to its phone: its hand-over, or the
# later send time a gateway holds it for (up to dispatch.SCHEDULE_AHEAD, a week).
GIVE_UP_AFTER = timedelta(days=3)
OPEN_STATUSES = [
    DeliveryStatus.QUEUED,
    DeliveryStatus.SENT,
    DeliveryStatus.UNKNOWN,
    DeliveryStatus.DELIVERED,
]  # fmt: skip  (delivered Viber may be read)
READABLE_CHANNELS = [MessageChannel.VIBER, MessageChannel.VIBER_THEN_SMS]


@collections_spaced()  # reports read and applied by the thousand
def statuses_poll(*, now=None) -> int:
    """Poll every account that can be polled; returns reports applied. Inactive ones
    too: deactivating stops new sends (the page recommends it over deleting, which
    keeps the history), while what was sent before still gets its final status."""
    from campaigns.logins import retired_logins_forget

    now = now or timezone.now()
    applied = 0
    for account in ProviderAccount.objects.prefetch_related("retired_logins"):
        try:
            gateway = gateway_for(account)
            if not gateway.supports(Capability.STATUS_POLL):
                continue
            # The messages of each login the account had, asked with that login
            # (each is a cabinet of its own at the gateway, with its own request
            # limits): a replaced login's are unknown to the new one
            # (providers.logins).
            logins = login_gateways(account, current=gateway)
        except GatewayConfigurationError as exc:
            # Credentials no key reads (a key changed): the accounts after it were
            # never polled, as the task failed on it every run.
            logger.warning("status poll at %s failed: %s", account, exc)
            continue
        if not polling_turn_take(account.pk):
            continue
        for generation, login in logins:
            applied += _poll_account(account, login, now, generation=generation)
        if account.retired_logins.all():
            retired_logins_forget(account, now=now)
    return applied


def gone_out_since(since: datetime) -> Q:
    """Handed over, or held by the gateway until a send time, at `since` or later
    (campaigns.models.went_out, as a condition). Counted from the hand-over alone, a
    message held for days was given up before it went out."""
    return Q(submitted_at__gte=since) | Q(planned_at__gte=since)


def poll_delay(gateway) -> timedelta:
    """How long after sending (and between polls) a message is asked about."""
    return max(getattr(gateway, "min_poll_delay", timedelta(0)), DEFAULT_POLL_DELAY)


def _poll_account(account, gateway, now, *, generation: int) -> int:
    delay = poll_delay(gateway)
    candidates = (
        Message.objects.filter(
            account=account,
            login_generation=generation,
            status__in=OPEN_STATUSES,
            submitted_at__lte=now - delay,
        )
        .filter(gone_out_since(now - GIVE_UP_AFTER))
        .exclude(gateway_message_id="")
        # Delivered is final but for Viber, whose messages may be read later.
        .exclude(Q(status=DeliveryStatus.DELIVERED) & ~Q(channel__in=READABLE_CHANNELS))
        # Those awaiting their outcome before delivered ones awaiting a read (which
        # a large Viber campaign has by the thousand for three days); never asked
        # first: PostgreSQL sorts NULL last, and messages once asked and still open
        # would take every run's places for the three days.
        .order_by(
            Case(When(status=DeliveryStatus.DELIVERED, then=1), default=0),
            F("polled_at").asc(nulls_first=True),
            "id",
        )
    )
    applied = 0
    # A gateway may cap its status requests per poll run (SMSC: one mass request a
    # minute); the rest wait for the next run, oldest-polled first.
    batches = gateway.status_requests_per_poll or MAX_BATCHES_PER_RUN
    size = gateway.max_status_batch
    # The run's candidates read once, then asked about batch by batch: read again
    # for each batch, a campaign's 440,000 awaiting a report were scanned and sorted
    # twenty times a run (0.4-0.6 s each).
    due = list(
        candidates.exclude(polled_at__gte=now - delay).values_list(
            "id", "gateway_message_id"
        )[: batches * size]
    )
    for start in range(0, len(due), size):
        rows = due[start : start + size]
        Message.objects.filter(id__in=[r[0] for r in rows]).update(polled_at=now)
        try:
            reports = gateway.fetch_statuses([r[1] for r in rows])
        except GatewayError as exc:
            logger.warning("status poll at %s failed: %s", account, exc)
            break
        applied += message_statuses_apply(account=account, reports=reports).updated
    return applied
