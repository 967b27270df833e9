"""Incoming messages: store them once, link them, and honour opt-out words."""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.text import Truncator

from campaigns.by_phone import sent_to
from campaigns.gateway_values import storable_reply
from campaigns.logins import reply_logins
from campaigns.models import Campaign, Message, Reply
from campaigns.sending import HANDED_OVER
from contacts.models import Contact, StopListEntry
from contacts.phone import vendor_e164
from contacts.services import phones_opt_out
from providers.base import (
    Capability,
    DeliveryStatus,
    IncomingMessage,
    MessageChannel,
    SmsGateway,
)
from providers.exceptions import GatewayConfigurationError, GatewayError
from providers.logins import gateway_for_login
from providers.models import ProviderAccount, RetiredLogin
from providers.registry import gateway_for
from providers.services import error_message

logger = logging.getLogger("campaigns.inbox")

DEFAULT_OPT_OUT_WORDS = (
    "STOP",
    "СТОП",
    "ОТПИСКА",
    "ОТПИСАТЬ",
    "ОТПИСАТЬСЯ",
    "ОТПИШИТЕ",
    "ОТПИШИТЕСЬ",
    "UNSUBSCRIBE",
)
# Assumption: people write "Отписаться, пожалуйста", "Спасибо, стоп", "Отпишите меня
# от рассылки", "Прошу отписать меня", "Хочу отписаться", "STOP ALL": stop words and
# such words only, at least one stop word, is as plain as the word alone; so is the
# stop word said twice ("СТОП СТОП", "стоп-стоп"). Anything else ("Не стоп",
# "стоп-кран", "Стоп, а скидка ещё действует?") is a reply for a person to read, not
# an opt-out.
COURTESY_WORDS = frozenset(
    {"пожалуйста", "плиз", "спасибо", "прошу", "просьба", "хочу", "please", "pls",
     "thanks", "thank", "you", "all", "me", "меня", "мне", "от", "из", "рассылка",
     "рассылки", "рассылке", "рассылок", "рассылку", "рассылкой", "сообщения",
     "сообщений", "смс", "sms"}
)  # fmt: skip
# Letters that look alike in the two alphabets (after casefold): a phone keyboard or a
# copied word mixes them in ("cтоп" with a Latin c, "STОP" with a Cyrillic О, "oT" in
# "Отписаться oT рассылки" all Latin). Each word is read as written, with its Latin
# look-alikes read as Cyrillic, and with its Cyrillic ones read as Latin. No Russian
# word reads as a Latin stop word nor the other way round (each has a letter with no
# look-alike: п, u, n...), so the readings find only what was meant.
_LATIN_LOOKALIKES = str.maketrans("aceopxykmthb", "асеорхукмтнв")
_CYRILLIC_LOOKALIKES = str.maketrans("асеорхукмтнвѕіј", "aceopxykmthbsij")
FETCH_OVERLAP = timedelta(minutes=10)
FIRST_FETCH_WINDOW = timedelta(days=1)
_WORDS = re.compile(r"[^\W_]+(?:-[^\W_]+)*")


def opt_out_words() -> frozenset[str]:
    extra = getattr(settings, "SMSPORTAL_OPT_OUT_WORDS", ())
    return frozenset(w.casefold() for w in (*DEFAULT_OPT_OUT_WORDS, *extra))


def is_opt_out(text: str, *, keyword: str = "") -> bool:
    """The reply holds a stop word and nothing but stop words and courtesy words, in
    any case and any width ("ＳＴＯＰ"), punctuation ignored, letters of either alphabet
    that look alike read as the other's. A `keyword` the text opens with is not read:
    on a shared number the sender must start with it ("IGRA СТОП") to reach us."""
    stop_words = opt_out_words()
    words = [_readings(word) for word in _WORDS.findall(_folded(text))]
    routing = _WORDS.findall(_folded(keyword))
    if routing and all(
        word in readings
        for word, readings in zip(routing, words[: len(routing)], strict=False)
    ):
        words = words[len(routing) :]
    stops = [any(_is_stop_word(r, stop_words) for r in word) for word in words]
    return any(stops) and all(
        stop or not word.isdisjoint(COURTESY_WORDS)
        for word, stop in zip(words, stops, strict=True)
    )


def _folded(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold().replace("ё", "е")


def _readings(word: str) -> frozenset[str]:
    """A word as written, read as Cyrillic and read as Latin (see _LATIN_LOOKALIKES)."""
    return frozenset(
        {word, word.translate(_LATIN_LOOKALIKES), word.translate(_CYRILLIC_LOOKALIKES)}
    )


def _is_stop_word(word: str, stop_words: frozenset[str]) -> bool:
    """A stop word, or stop words joined by hyphens ("стоп-стоп", not "стоп-кран")."""
    return all(part in stop_words for part in word.split("-"))


def replies_store(
    *, account: ProviderAccount, messages: Sequence[IncomingMessage]
) -> list[Reply]:
    """Store new incoming messages (repeats ignored); stop words opt the sender out.

    A fixed number of statements whatever the batch size: a fetch or a push may bring
    hundreds of replies.
    """
    if not messages:
        return []
    now = timezone.now()
    messages = _first_of_each_id([storable_reply(m, now=now) for m in messages])
    numbers = {m.phone: vendor_e164(m.phone) for m in messages}
    valid = {e164 for e164 in numbers.values() if e164}
    contacts = dict(Contact.objects.filter(phone__in=valid).values_list("phone", "id"))
    replies = []
    for m in messages:
        phone = numbers[m.phone] or m.phone
        replies.append(
            Reply(
                account=account,
                gateway_message_id=m.gateway_message_id,
                phone=phone,
                text=m.text,
                to=m.to,
                received_at=m.received_at or now,
                contact_id=contacts.get(phone),
                # A stop word from a sender name opts nothing out: no number.
                is_opt_out=phone in valid and is_opt_out(m.text, keyword=m.keyword),
            )
        )
    with transaction.atomic():
        known = set(
            Reply.objects.filter(
                account=account,
                gateway_message_id__in=[
                    r.gateway_message_id for r in replies if r.gateway_message_id
                ],
            ).values_list("gateway_message_id", flat=True)
        )
        new = [
            r
            for r in replies
            if not r.gateway_message_id or r.gateway_message_id not in known
        ]
        _insert_and_link(account, new)
        _opt_out(new, valid)
    return new


def _first_of_each_id(messages: list[IncomingMessage]) -> list[IncomingMessage]:
    """A gateway that lists one message twice in an answer gets one reply."""
    seen: set[str] = set()
    first = []
    for message in messages:
        if message.gateway_message_id:
            if message.gateway_message_id in seen:
                continue
            seen.add(message.gateway_message_id)
        first.append(message)
    return first


def _insert_and_link(account: ProviderAccount, replies: list[Reply]) -> None:
    """Insert the replies, then link each to the campaign it answers in one UPDATE."""
    if not replies:
        return
    with_id = [r for r in replies if r.gateway_message_id]
    without_id = [r for r in replies if not r.gateway_message_id]
    # A twin fetch may have stored one of these since `known` was read: skip it.
    Reply.objects.bulk_create(with_id, ignore_conflicts=True)
    Reply.objects.bulk_create(without_id)  # these get their ids back
    stored = Q(pk__in=[r.pk for r in without_id]) | Q(
        account=account, gateway_message_id__in=[r.gateway_message_id for r in with_id]
    )
    Reply.objects.filter(stored).update(
        campaign_id=Subquery(_answered_campaign(account))
    )
    linked = {
        gateway_id or pk: (pk, campaign_id)
        for pk, gateway_id, campaign_id in Reply.objects.filter(stored).values_list(
            "pk", "gateway_message_id", "campaign_id"
        )
    }
    for reply in replies:
        reply.pk, reply.campaign_id = linked.get(
            reply.gateway_message_id or reply.pk, (reply.pk, None)
        )


def _opt_out(replies: list[Reply], valid: set[str]) -> None:
    """Put the senders of stop words on the stop list, all in one statement."""
    reasons: dict[str, str] = {}
    for reply in replies:
        if not reply.is_opt_out:
            continue
        if reply.phone not in valid:
            # A short code or a name cannot be on the stop list; the reply stays
            # marked as an opt-out for people to see.
            logger.warning("opt-out from %r is not a phone number", reply.phone)
            continue
        reasons.setdefault(reply.phone, f"«{reply.text.strip()[:100]}»")
    # What a gateway holds for them for later is withdrawn (contacts.stop_listed).
    phones_opt_out(reasons=reasons, source=StopListEntry.Source.KEYWORD)


# A message that may have reached the phone: handed over, or of a status the gateway
# lost track of (Webcom's partly_deliver: some of its parts arrived) — a reply after
# it most likely answers it.
MAY_HAVE_REACHED = HANDED_OVER | {DeliveryStatus.UNKNOWN}


def _answered_campaign(account: ProviderAccount) -> QuerySet:
    """The campaign a reply (the outer row) most likely answers: the latest one that
    reached the phone before the reply arrived. Replies are fetched late, so a later
    campaign is not it; nor is one the gateway still holds for its send time (spread,
    quiet hours: submitted, planned later), nor one the gateway refused. Nor is a
    voice message: a call cannot be answered by SMS, so a reply after it answers the
    text sent before it (or nothing)."""
    received_at = OuterRef("received_at")
    return (
        Message.objects.filter(
            sent_to(
                OuterRef("phone"), campaigns=Campaign.objects.filter(account=account)
            ),
            account=account,
            campaign__isnull=False,
            status__in=MAY_HAVE_REACHED,
            submitted_at__lte=received_at,
            planned_at__lte=received_at,
        )
        .exclude(channel=MessageChannel.VOICE)
        .order_by(Greatest("submitted_at", "planned_at").desc(), "-id")
        .values("campaign_id")[:1]
    )


@dataclass(frozen=True, slots=True)
class FetchOutcome:
    """What asking one account for new incoming messages came to."""

    account: ProviderAccount
    new: int = 0
    error: str = ""  # why the gateway could not be asked, in words; "" if it answered


def incoming_fetch(*, account: ProviderAccount) -> int:
    """Ask the gateway for new incoming messages, with the account's login and with
    its replaced ones that may still get replies; returns how many were new. Raises
    GatewayError when the gateway could not be asked with the current login."""
    gateway = gateway_for(account)
    if not gateway.supports(Capability.INCOMING):
        return 0
    new = _fetch(account, gateway)
    retired = reply_logins(timezone.now()).filter(account=account)
    return new + _fetch_retired(account, list(retired))


def _fetch(
    account: ProviderAccount,
    gateway: SmsGateway,
    *,
    retired: RetiredLogin | None = None,
) -> int:
    """One login's new replies: the account's current one, or `retired` (`gateway`
    signed in with it), each read on from its own cursor."""
    holder = (
        RetiredLogin.objects.filter(pk=retired.pk)
        if retired is not None
        else ProviderAccount.objects.filter(pk=account.pk)
    )
    cursor = holder.values_list("incoming_cursor", flat=True).first() or ""
    batch = gateway.incoming_after(cursor=cursor, since=_fetch_since(account, cursor))
    with transaction.atomic():
        new = replies_store(account=account, messages=batch.messages)
        if batch.cursor != cursor:
            # Only from the cursor this fetch read: a twin fetch that moved it on
            # meanwhile keeps its own (the replies are stored either way, once).
            holder.filter(incoming_cursor=cursor).update(incoming_cursor=batch.cursor)
    (retired or account).incoming_cursor = batch.cursor
    return len(new)


def _fetch_retired(account: ProviderAccount, retired_logins: list[RetiredLogin]) -> int:
    """Replies the gateway keeps under the account's replaced logins: a recipient
    answers a message sent under the old login, and the gateway files the answer in
    that login's cabinet, which the new login cannot read. A failure is logged and
    is not the account's (the inbox reports the current login's fetch): an old
    cabinet may be closed already."""
    new = 0
    asked: set[str] = set()
    # Once per cabinet, with its newest row: a login replaced twice (a -> b -> a -> b)
    # keeps two rows, and asking both would read the same replies twice.
    for retired in sorted(retired_logins, key=lambda r: -r.generation):
        if retired.login in asked:
            continue
        asked.add(retired.login)
        gateway = gateway_for_login(account, retired.generation, retired=retired)
        if gateway is None:
            continue
        try:
            new += _fetch(account, gateway, retired=retired)
        except (GatewayError, GatewayConfigurationError) as exc:
            logger.warning(
                "incoming fetch at %s with the login replaced on %s failed: %s",
                account, f"{retired.retired_at:%Y-%m-%d %H:%M}", exc,
            )  # fmt: skip
    return new


def _fetch_since(account: ProviderAccount, cursor: str) -> datetime:
    """Where a fetch's time window starts: a little before the reply the cursor points
    at (what follows it arrived later), else before the latest reply stored, else a
    day back. The overlap is harmless (repeats are ignored), and the moving start
    keeps SMSC from seeing three identical requests in a minute."""
    replies = Reply.objects.filter(account=account)
    if cursor:
        replies = replies.filter(gateway_message_id=cursor)
    last = replies.aggregate(last=Max("received_at"))["last"]
    if last is None and cursor:
        last = Reply.objects.filter(account=account).aggregate(last=Max("received_at"))[
            "last"
        ]
    return (last - FETCH_OVERLAP) if last else timezone.now() - FIRST_FETCH_WINDOW


def incoming_fetch_accounts() -> list[FetchOutcome]:
    """Ask every active account whose gateway keeps incoming messages. One that fails
    is logged and reported with its reason, and the others are still asked. The
    replaced logins that may still get replies are read for all accounts in one
    query: an account without any costs no request more."""
    outcomes = []
    accounts = (
        ProviderAccount.objects.filter(is_active=True)
        .order_by("name")
        .prefetch_related(
            Prefetch(
                "retired_logins",
                queryset=reply_logins(timezone.now()),
                to_attr="reply_logins",
            )
        )
    )
    for account in accounts:
        new, why = 0, ""
        try:
            gateway = gateway_for(account)
            if not gateway.supports(Capability.INCOMING):
                continue
            new = _fetch(account, gateway)
        except (GatewayError, GatewayConfigurationError) as exc:
            logger.warning("incoming fetch at %s failed: %s", account, exc)
            # A vendor's error page can be long; the log keeps all of it.
            why = Truncator(error_message(exc)).chars(200)
        new += _fetch_retired(account, account.reply_logins)
        outcomes.append(FetchOutcome(account, new=new, error=why))
    return outcomes


def incoming_fetch_all() -> int:
    """Fetch from every account that keeps incoming messages; how many were new."""
    return sum(outcome.new for outcome in incoming_fetch_accounts())


def reply_mark_read(*, replies) -> int:
    return replies.filter(is_read=False).update(is_read=True)
