"""Automatic birthday greetings: each day, once its send time has come, a greeting
becomes a campaign to the contacts whose birthday it is, launched like any other.

Beat runs greetings_run every few minutes. A day is claimed by one conditional
UPDATE of the greeting's `last_run_on`, in the transaction that makes the day's
campaign, and a unique (greeting, birthday_on) pair backs it: two workers' ticks
make one campaign, and a greeting never greets twice on one day.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from campaigns.audience import GroupChoice, audience_contacts, is_stopped_q
from campaigns.models import BirthdayGreeting, Campaign
from campaigns.planning import zone
from campaigns.services import (
    campaign_launch,
    campaign_launch_refusal,
    campaign_preview,
)
from smsportal.exceptions import ApplicationError
from smsportal.lib.deferred import Deferred, deferred, deferred_text

logger = logging.getLogger("campaigns.greetings")

# Assumption: a day whose send time was missed (the greeting was made or turned on
# later, or no worker ran) is still greeted until 21:00 of the greeting's zone, when
# the default quiet hours close; after that it waits for the next day. A greeting
# held overnight by quiet hours would arrive the day after the birthday.
LAST_START = time(21, 0)


def greetings_run(*, now: datetime | None = None) -> int:
    """Make and launch today's campaign of each active greeting whose send time has
    come and whose day has not run yet; returns how many were launched."""
    now = now or timezone.now()
    launched = 0
    for greeting in BirthdayGreeting.objects.filter(is_active=True):
        day = greeting_day(greeting, now)
        if day is None or greeting.last_run_on == day:
            continue
        try:
            campaign = greeting_run(greeting=greeting, day=day)
        except Exception:
            # One greeting's failure (its day rolled back, tried again next tick)
            # must not keep the others from their day.
            logger.exception("greeting %s failed on %s", greeting.pk, day)
            continue
        if campaign is not None and campaign.state != Campaign.State.DRAFT:
            launched += 1
    return launched


def greeting_day(greeting: BirthdayGreeting, now: datetime) -> date | None:
    """The greeting's local date if `now` falls between its send time and LAST_START."""
    local = greeting_local(greeting, now)
    if not greeting.send_time <= local.time().replace(tzinfo=None) < LAST_START:
        return None
    return local.date()


def greeting_local(greeting: BirthdayGreeting, now: datetime) -> datetime:
    """`now` in the greeting's zone (the server's, for a zone no longer known)."""
    return now.astimezone(zone(greeting.time_zone) or zone(settings.TIME_ZONE))


def greeting_audience(greeting: BirthdayGreeting, day: date) -> GroupChoice:
    return GroupChoice(
        include=tuple(greeting.include_groups.values_list("id", flat=True)),
        exclude=tuple(greeting.exclude_groups.values_list("id", flat=True)),
        whole_book=greeting.to_whole_book,
        birthday_on=day,
        once_a_day=True,
    )


def greeting_count(greeting: BirthdayGreeting, day: date) -> int:
    """Contacts the greeting would greet on `day` (the stop list left out)."""
    contacts = audience_contacts(None, greeting_audience(greeting, day))
    return contacts.exclude(is_stopped_q()).count()


def greeting_run(*, greeting: BirthdayGreeting, day: date) -> Campaign | None:
    """Make the day's campaign and launch it. None when the day has run already or
    nobody (off the stop list) has a birthday; a refused launch leaves the campaign
    a draft, and the greeting shows why until its next day."""
    with transaction.atomic():
        claimed = (
            BirthdayGreeting.objects.filter(pk=greeting.pk, is_active=True)
            .filter(Q(last_run_on__isnull=True) | Q(last_run_on__lt=day))
            .update(last_run_on=day, last_error="", last_error_record={})
        )
        if not claimed:
            return None
        audience = greeting_audience(greeting, day)
        if not audience_contacts(None, audience).exclude(is_stopped_q()).exists():
            return None  # the day is done: nobody to greet
        campaign = _day_campaign(greeting, day)
        campaign.save()
        campaign.include_groups.set(audience.include)
        campaign.exclude_groups.set(audience.exclude)
    try:
        return campaign_launch(campaign=campaign)
    except ApplicationError as exc:
        logger.warning("greeting %s: launch refused: %s", greeting.pk, exc.message)
        record = deferred(
            gettext_noop("%(campaign)s was not launched: %(why)s"),
            campaign=campaign.name,
            why=_refusal_in_every_language(campaign, exc),
        )
        BirthdayGreeting.objects.filter(pk=greeting.pk).update(
            last_error=deferred_text(record), last_error_record=record
        )
        return campaign


def _refusal_in_every_language(
    campaign: Campaign, refused: ApplicationError
) -> Deferred:
    """The refusal as each language of the site words it, for whoever reads it.

    A refusal is worded by the check that makes it, one of a dozen across the apps
    (sender names and the gateways' rules for them, characters no gateway carries,
    the balance in the reader's number format): the checks are asked again in each
    other language rather than each made to return a record. They only read.
    """
    current = (translation.get_language() or settings.LANGUAGE_CODE).split("-")[0]
    texts = {current: refused.message}
    for code, _name in settings.LANGUAGES:
        if code in texts:
            continue
        with translation.override(code):
            again = _launch_refusal(campaign)
        # Changed meanwhile (the balance read again): the words there are.
        same = again is not None and again.where == refused.where
        texts[code] = again.message if same else refused.message
    return {"texts": texts}


def _launch_refusal(campaign: Campaign) -> ApplicationError | None:
    """Why campaign_launch refuses the draft, asked again (None: it would not)."""
    campaign = Campaign.objects.select_related("account").get(pk=campaign.pk)
    try:
        preview = campaign_preview(campaign=campaign)
    except ApplicationError as exc:
        return exc
    return campaign_launch_refusal(campaign=campaign, preview=preview)


def _day_campaign(greeting: BirthdayGreeting, day: date) -> Campaign:
    name = f"{greeting.name} — {day:%d.%m.%Y}"
    return Campaign(
        name=name[: Campaign._meta.get_field("name").max_length],
        account_id=greeting.account_id,
        sender=greeting.sender,
        text=greeting.text,
        to_whole_book=greeting.to_whole_book,
        birthday_on=day,
        greeting=greeting,
        time_zone=greeting.time_zone,
        created_by_id=greeting.created_by_id,
    )
