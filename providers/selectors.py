"""Read-side queries of the providers app, and what a gateway kind offers."""

from __future__ import annotations

import ipaddress
import json
import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.apps import apps
from django.conf import settings
from django.db.models import Count, F, QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from providers.base import Capability
from providers.exceptions import GatewayConfigurationError
from providers.models import ProviderAccount, SenderName
from providers.registry import GATEWAYS, gateway_class, gateway_for
from smsportal.lib.hosts import is_loopback_host

logger = logging.getLogger(__name__)

CAPABILITY_LABELS = {
    Capability.SEND: _("Send messages"),
    Capability.FLASH: _("Flash SMS"),
    Capability.VIBER: _("Viber"),
    Capability.CASCADE: _("Viber, then SMS"),
    Capability.VOICE: _("Voice"),
    Capability.SCHEDULED_SEND: _("Scheduled send"),
    Capability.VALIDITY: _("Validity period"),
    Capability.TRANSLIT: _("Transliteration"),
    Capability.NO_SPLIT: _("No split"),
    Capability.PERSONAL_LINK: _("Personal links"),
    Capability.CLIENT_REFERENCE: _("Our message ids"),
    Capability.STATUS_POLL: _("Status polling"),
    Capability.STATUS_CALLBACK: _("Status callbacks"),
    Capability.BALANCE: _("Balance"),
    Capability.INCOMING: _("Incoming messages"),
    Capability.INCOMING_CALLBACK: _("Incoming callbacks"),
    Capability.SENDER_NAMES: _("Sender names"),
    Capability.SENDER_NAME_ADD: _("Sender name requests"),
    Capability.SENDER_NAME_DELETE: _("Sender name removal"),
    Capability.STOP_LIST_READ: _("Stop list (read)"),
    Capability.STOP_LIST_WRITE: _("Stop list (write)"),
    Capability.SCHEDULED_LIST: _("Scheduled list"),
    Capability.SCHEDULED_CANCEL: _("Scheduled cancel"),
    Capability.PHONE_BOOK: _("Phone book"),
    Capability.STATISTICS: _("Statistics"),
    Capability.COST_ESTIMATE: _("Cost estimate"),
    Capability.NUMBER_LOOKUP: _("Number lookup"),
    Capability.RESOLVE_REFERENCE: _("Find by our id"),
    Capability.TEST_MODE: _("Test mode"),
}


@dataclass(frozen=True, slots=True)
class GatewayInfo:
    """What the pages need to know about a gateway kind without an account."""

    kind: str
    label: str
    dialects: tuple[str, ...]
    default_base_url: str
    capabilities: frozenset[Capability]
    available: bool  # False when the gateway module cannot be imported
    # The gateway lists its sender names in every state (see SmsGateway).
    sender_list_complete: bool = True


def provider_account_list() -> QuerySet[ProviderAccount]:
    """Every provider account with its number of sender names."""
    return ProviderAccount.objects.annotate(
        sender_name_count=Count("sender_names")
    ).order_by("name")


def active_accounts() -> QuerySet[ProviderAccount]:
    """Accounts that may be used for sending and periodic refreshes."""
    return ProviderAccount.objects.filter(is_active=True).order_by("pk")


def unreadable_active_account_count() -> int:
    """Active accounts whose secrets the current key cannot decrypt: they cannot send
    (campaigns through them pause), so monitoring should hear of it (/healthz)."""
    accounts = active_accounts().only("password", "token", "callback_secret")
    return sum(account.credentials_unreadable for account in accounts)


def sender_name_list(*, account: ProviderAccount) -> QuerySet[SenderName]:
    """The sender names of one account, usable ones first."""
    return account.sender_names.order_by("-usable", "name")


def sender_names_awaiting_listing(*, account: ProviderAccount) -> QuerySet[SenderName]:
    """Requested names a gateway that lists only approved ones has not listed yet.

    A sync keeps them (they are in moderation, or refused: the gateway does not say
    which), until the gateway lists them or a person removes them.
    """
    if gateway_info(account.kind).sender_list_complete:
        return account.sender_names.none()
    return account.sender_names.filter(usable=False)


def sender_names_removable(*, account: ProviderAccount) -> QuerySet[SenderName]:
    """The names a person may remove: every one where the gateway deletes names
    (SMSC: the removal goes to it), else those kept on a person's word."""
    if Capability.SENDER_NAME_DELETE in account_capabilities(account):
        return account.sender_names.all()
    return sender_names_kept_by_hand(account=account)


def sender_names_kept_by_hand(*, account: ProviderAccount) -> QuerySet[SenderName]:
    """The names stored on a person's word, which a person may remove: all of them
    where the gateway lists none (recorded by hand, WEBSMS), else the requests it does
    not list yet. The others mirror the gateway: a sync would bring them back."""
    if Capability.SENDER_NAMES not in account_capabilities(account):
        return account.sender_names.all()
    return sender_names_awaiting_listing(account=account)


# The campaigns a sender name's removal concerns: those that will still send with it.
UNFINISHED_CAMPAIGN_STATES = ("draft", "scheduled", "paused", "sending")


def sender_name_removal_warnings(*, account: ProviderAccount) -> dict[str, str]:
    """Per sender name of the account, what removing it does besides (for the
    confirmation): the unfinished campaigns that use it, named with their state, and
    whether it is the default sender. One query; names with nothing to say are left
    out."""
    # campaigns builds on providers: its models are looked up, not imported.
    campaign_model = apps.get_model("campaigns", "Campaign")
    users: dict[str, list[str]] = {}
    campaigns = campaign_model.objects.filter(
        account=account, state__in=UNFINISHED_CAMPAIGN_STATES
    ).order_by("name")
    for campaign in campaigns.only("name", "state", "sender"):
        # A campaign without a sender of its own sends with the default one.
        sender = campaign.sender or account.default_sender
        users.setdefault(sender, []).append(
            gettext("“%(name)s” (%(state)s)")
            % {"name": campaign.name, "state": campaign.get_state_display().lower()}
        )
    warnings: dict[str, str] = {}
    for row in account.sender_names.only("name"):
        parts = []
        if named := users.get(row.name):
            parts.append(
                gettext(
                    "Campaigns using it: %(campaigns)s. They cannot be launched, "
                    "started or resumed with it until given another name."
                )
                % {"campaigns": ", ".join(named)}
            )
        if row.name == account.default_sender:
            parts.append(
                gettext(
                    "It is the account's default sender: the account will have none."
                )
            )
        if parts:
            warnings[row.name] = " ".join(parts)
    return warnings


def account_has_sent(account: ProviderAccount) -> bool:
    """Whether messages went through the account: their status reports and replies
    are read with its gateway's protocol, so it may not change gateway. Two indexed
    lookups (the campaigns by account; the messages by gateway id)."""
    # campaigns builds on providers: its models are looked up, not imported.
    campaign_model = apps.get_model("campaigns", "Campaign")
    message_model = apps.get_model("campaigns", "Message")
    return (
        campaign_model.objects.filter(account=account).exists()
        or message_model.objects.filter(account=account)
        .exclude(gateway_message_id="")
        .exists()
    )


def gateway_info(kind: str) -> GatewayInfo:
    """Label, dialects, default base URL and capabilities of a gateway kind."""
    label = GATEWAYS[kind][0] if kind in GATEWAYS else kind
    try:
        cls = gateway_class(kind)
    except (KeyError, ImportError) as exc:
        # A kind left in the database after its module was removed, or a broken
        # install: the pages must still list the account so it can be fixed.
        logger.warning("gateway %r is not available: %s", kind, exc)
        return GatewayInfo(kind, label, (), "", frozenset(), available=False)
    return GatewayInfo(
        kind=kind,
        label=str(cls.label),
        dialects=tuple(cls.dialects),
        default_base_url=getattr(cls, "default_base_url", ""),
        capabilities=frozenset(cls.capabilities),
        available=True,
        sender_list_complete=cls.sender_list_complete,
    )


def test_mode_refusal(kind: str) -> str:
    """Why test mode cannot be ticked for the gateway kind ("" when it can)."""
    info = gateway_info(kind)
    if not info.available or Capability.TEST_MODE in info.capabilities:
        return ""
    return gettext(
        "%(gateway)s has no test mode: messages through this account would be sent "
        "and paid for. Untick “Test mode”."
    ) % {"gateway": info.label}


def test_mode_problem(account: ProviderAccount) -> str:
    """Why an account saved in test mode on a gateway without one sends nothing ("" for
    any other account): its messages are refused, not sent for real (see
    providers.base._guarded), until a person unticks test mode."""
    if not account.test_mode:
        return ""
    info = gateway_info(account.kind)
    if not info.available or Capability.TEST_MODE in account_capabilities(account):
        return ""
    return gettext(
        "Test mode is ticked, but %(gateway)s has no test mode: nothing is sent "
        "through this account. Untick test mode to send for real."
    ) % {"gateway": info.label}


# A name of letters (with digits, spaces, marks) and a numeric one: the lengths every
# gateway of ours takes at most (REFERENCE.md: Webcom seed 004, SMSC, WEBSMS seed 002).
SENDER_LETTERS_MAX = 11
SENDER_DIGITS_MAX = 15


def sender_length_problem(kind: str, sender: str) -> str:
    """Why `sender` is too long for a sender name, counting its characters and naming
    the gateway's rule ("" when it is not too long): the form no longer cuts it."""
    length = len(sender)
    if sender.isdigit() and sender.isascii():
        if length <= SENDER_DIGITS_MAX:
            return ""
        return gettext(
            "“%(sender)s” is too long: %(length)d digits, and a numeric sender name "
            "has at most %(most)d."
        ) % {"sender": sender, "length": length, "most": SENDER_DIGITS_MAX}
    if length <= SENDER_LETTERS_MAX:
        return ""
    problem = gettext(
        "“%(sender)s” is too long: %(length)d characters, and a sender name with "
        "letters has at most %(most)d."
    ) % {"sender": sender, "length": length, "most": SENDER_LETTERS_MAX}
    try:
        gateway = gateway_class(kind)
    except KeyError:
        return problem
    if not gateway.sender_rule:
        return problem
    return gettext("%(problem)s %(gateway)s takes %(rule)s.") % {
        "problem": problem,
        "gateway": gateway.label,
        "rule": gateway.sender_rule,
    }


def sender_rule_problem(kind: str, sender: str) -> str:
    """Why the gateway's document refuses `sender` as a sender name ("" when it does
    not, or states no rule): said before a launch, not by the gateway after it."""
    try:
        gateway = gateway_class(kind)
    except KeyError:
        return ""
    if gateway.sender_pattern is None or gateway.sender_pattern.match(sender):
        return ""
    return gettext("“%(sender)s” cannot be a sender name at %(gateway)s: %(rule)s.") % {
        "sender": sender,
        "gateway": gateway.label,
        "rule": gateway.sender_rule,
    }


def account_options_problems(kind: str, options: object) -> tuple[dict, list[str]]:
    """An account's `options` as its gateway reads them (values as the strings it
    compares), and what is wrong with them: a key it does not read, a value outside
    its choices. A kind whose module is gone is not checked."""
    if not isinstance(options, dict):
        return {}, [
            gettext('Enter a JSON object ({"name": "value", …}), or {} for none.')
        ]
    try:
        gateway = gateway_class(kind)
    except (KeyError, ImportError):
        return options, []
    known = gateway.account_options
    if options and not known:
        return {}, [
            gettext("%(gateway)s reads no options: leave {}.")
            % {"gateway": gateway.label}
        ]
    cleaned: dict[str, str] = {}
    problems: list[str] = []
    for key, value in options.items():
        option = known.get(key)
        if option is None:
            problems.append(
                gettext(
                    "%(gateway)s reads no option “%(option)s”; it reads: %(known)s."
                )
                % {"gateway": gateway.label, "option": key, "known": ", ".join(known)}
            )
            continue
        # The gateway compares str(value), lower-cased: 2 and "2", "XML" and "xml"
        # are read alike; true, 2.0 or a list are not.
        text = str(value).lower() if isinstance(value, str | int) else None
        if isinstance(value, bool) or text not in option.choices:
            problems.append(
                gettext("Option “%(option)s” takes %(choices)s, not %(value)s.")
                % {
                    "option": key,
                    "choices": ", ".join(option.choices),
                    "value": json.dumps(value, ensure_ascii=False),
                }
            )
            continue
        cleaned[key] = text
    return cleaned, problems


def account_options_help() -> str:
    """What each gateway reads from `options`, for the admin form's help text."""
    parts = []
    silent = []
    for kind in GATEWAYS:
        try:
            gateway = gateway_class(kind)
        except (KeyError, ImportError):
            continue
        if not gateway.account_options:
            silent.append(str(gateway.label))
            continue
        described = "; ".join(
            gettext("%(option)s, %(help)s (default %(default)s)")
            % {"option": key, "help": option.help, "default": option.default}
            for key, option in gateway.account_options.items()
        )
        parts.append(f"{gateway.label}: {described}.")
    if silent:
        parts.append(
            gettext("%(gateways)s read none.") % {"gateways": ", ".join(silent)}
        )
    return " ".join(
        [gettext("Gateway settings as a JSON object; {} for none."), *parts]
    )


def gateway_infos() -> list[GatewayInfo]:
    """GatewayInfo for every registered kind, in registry order."""
    return [gateway_info(kind) for kind in GATEWAYS]


def account_capabilities(account: ProviderAccount) -> frozenset[Capability]:
    """What the account's gateway can do; empty when the gateway is unavailable.

    Asked of a gateway instance, not the class: a gateway may offer less in some
    dialects (Webcom's HTTP GET API has no client reference, for one).
    """
    info = gateway_info(account.kind)
    if not info.available:
        return frozenset()
    try:
        return frozenset(gateway_for(account).capabilities)
    except GatewayConfigurationError:
        # The account cannot be used until fixed; show what the gateway offers.
        return info.capabilities


def capability_labels(capabilities: frozenset[Capability]) -> list[tuple[str, str]]:
    """(code, translated label) pairs in the order of the Capability enum."""
    return [
        (cap.value, str(CAPABILITY_LABELS.get(cap, cap.value)))
        for cap in Capability
        if cap in capabilities
    ]


def low_balance_accounts() -> list[ProviderAccount]:
    """Active accounts whose last balance read is below their warning level."""
    return list(
        ProviderAccount.objects.filter(
            is_active=True, balance_alert__isnull=False, balance__lt=F("balance_alert")
        ).only("pk", "name", "balance", "balance_currency", "balance_alert")
    )


def callback_base_unreachable_host() -> str:
    """The host of SMSPORTAL_CALLBACK_BASE_URL when it names this machine itself
    (127.0.0.1, localhost, ::1, 0.0.0.0), which no real gateway can reach: only
    the built-in simulator can. "" for any other address."""
    host = (urlsplit(settings.SMSPORTAL_CALLBACK_BASE_URL).hostname or "").lower()
    if is_loopback_host(host):
        return host
    try:
        return host if ipaddress.ip_address(host).is_unspecified else ""
    except ValueError:
        return ""


# An error shown beside an account's name in a select: its first clause is enough.
ERROR_HEAD_MAX = 60


def account_error_head(account: ProviderAccount) -> str:
    """What went wrong the last time the account met its gateway, in a few words:
    the first clause of the stored error ("Не удалось связаться со шлюзом: нет
    связи…" gives "не удалось связаться со шлюзом"), lower-cased to follow a dash.
    "" when its last check or send went well. Reads the account only: no request."""
    error = account.last_error_message.strip()
    if not error:
        return ""
    head = error.split(": ", 1)[0].strip()
    if len(head) > ERROR_HEAD_MAX:
        head = head[: ERROR_HEAD_MAX - 1].rstrip() + "…"
    # An initialism stays as it is ("SMSC …"); a sentence's first word does not.
    if head[:1].isupper() and not head[1:2].isupper():
        head = head[0].lower() + head[1:]
    return head
