"""Automatic birthday greetings: each day, from its send time until 21:00 of its
zone, a greeting greets the contacts whose birthday it is, by campaigns launched like
any other.

Beat runs greetings_run every minute. Each run greets whoever is due and not greeted
yet: a contact is due on their own birthday in their own zone (contact_greeting_day),
and is claimed by a row of GreetedBirthday, unique per (phone, day), inserted by one
INSERT ... SELECT ... ON CONFLICT DO NOTHING in the transaction that makes the
campaign and launches it. So two greetings, two workers' ticks or two runs of one
greeting greet nobody twice; a contact added at noon is greeted on the next run; and
a run that fails before its launch commits leaves nothing claimed, for the next run
to greet.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import replace
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from campaigns.audience import GroupChoice, audience_contacts, is_stopped_q
from campaigns.models import BirthdayGreeting, Campaign, GreetedBirthday
from campaigns.planning import zone
from campaigns.services import (
    campaign_launch,
    campaign_launch_refusal,
    campaign_preview,
)
from contacts.filters import birthdays_on
from contacts.models import Contact
from smsportal.exceptions import ApplicationError
from smsportal.lib.deferred import Deferred, deferred, deferred_text

logger = logging.getLogger("campaigns.greetings")

# Assumption: greetings go between 09:00 and 21:00 of the contact's zone, the default
# quiet hours their campaigns keep. A contact whose birthday's 21:00 has passed is
# not greeted that day: quiet hours would hold the message to the next morning, a day
# late. A greeting runs until 21:00 of its own zone, so a send time missed (the
# greeting made or turned on later, no worker running) is still caught up that day.
LAST_START = time(21, 0)


def greetings_run(*, now: datetime | None = None) -> int:
    """Greet, for each active greeting whose send time has come today, the contacts
    due and not greeted yet; returns how many campaigns were launched."""
    now = now or timezone.now()
    launched = 0
    for greeting in BirthdayGreeting.objects.filter(is_active=True):
        if greeting_day(greeting, now) is None:
            continue
        try:
            campaigns = greeting_run(greeting=greeting, now=now)
        except Exception:
            # One greeting's failure (its run rolled back, nobody claimed, tried
            # again next tick) must not keep the others from their day.
            logger.exception("greeting %s failed at %s", greeting.pk, now)
            continue
        launched += sum(c.state != Campaign.State.DRAFT for c in campaigns)
    return launched


def greeting_day(greeting: BirthdayGreeting, now: datetime) -> date | None:
    """The greeting's local date if `now` falls between its send time and LAST_START."""
    local = greeting_local(greeting, now)
    if not greeting.send_time <= local.time().replace(tzinfo=None) < LAST_START:
        return None
    return local.date()


def greeting_local(greeting: BirthdayGreeting, now: datetime) -> datetime:
    """`now` in the greeting's zone (the server's, for a zone no longer known)."""
    return now.astimezone(_greeting_zone(greeting))


def _greeting_zone(greeting: BirthdayGreeting):
    return zone(greeting.time_zone) or zone(settings.TIME_ZONE)


def contact_greeting_day(
    time_zone: str, greeting: BirthdayGreeting, now: datetime
) -> date:
    """The birthday a contact of `time_zone` may be greeted for at `now`: today in
    that zone, or tomorrow once today's 21:00 has passed there (greeted then, quiet
    hours hold it to the morning of the birthday). A contact without a zone, or with
    one no longer known, lives in the greeting's, as the expansion plans it."""
    local = now.astimezone(zone(time_zone) or _greeting_zone(greeting))
    if local.time().replace(tzinfo=None) < LAST_START:
        return local.date()
    return local.date() + timedelta(days=1)


def greeting_audience(greeting: BirthdayGreeting, day: date) -> GroupChoice:
    return GroupChoice(
        include=tuple(greeting.include_groups.values_list("id", flat=True)),
        exclude=tuple(greeting.exclude_groups.values_list("id", flat=True)),
        whole_book=greeting.to_whole_book,
        birthday_on=day,
        once_a_day=True,
    )


def greeting_count(
    greeting: BirthdayGreeting, day: date, *, greeted_too: bool = False
) -> int:
    """Contacts the greeting would still greet on `day` (the stop list left out);
    with `greeted_too`, all of its audience born that day, greeted or not."""
    audience = replace(greeting_audience(greeting, day), once_a_day=not greeted_too)
    contacts = audience_contacts(None, audience)
    return contacts.exclude(is_stopped_q()).count()


def greeting_run(
    *, greeting: BirthdayGreeting, now: datetime | None = None
) -> list[Campaign]:
    """Greet the contacts due at `now` (by default the greeting's send time today)
    and not greeted yet: a campaign per birthday, launched. Nothing when nobody is
    due; a refused launch leaves the campaign a draft (its contacts stay claimed: it
    can be launched by hand), and the greeting shows why.

    One transaction from the claim to the launch: a run that fails before the launch
    commits (a killed worker, a lost connection) leaves nothing behind, and the next
    tick greets the same people once."""
    if now is None:
        today = timezone.now().astimezone(_greeting_zone(greeting)).date()
        now = datetime.combine(today, greeting.send_time, _greeting_zone(greeting))
    with transaction.atomic():
        # Runs of one greeting one after the other (the campaigns' numbering).
        greeting = (
            BirthdayGreeting.objects.select_for_update()
            .filter(pk=greeting.pk, is_active=True)
            .first()
        )
        if greeting is None:
            return []
        today = greeting_local(greeting, now).date()
        if greeting.last_run_on != today:
            greeting.last_run_on, greeting.last_error = today, ""
            greeting.last_error_record = {}
            greeting.save(
                update_fields=["last_run_on", "last_error", "last_error_record"]
            )
        campaigns = []
        for day, zones in _due_days(greeting, now, today).items():
            if campaign := _claimed_campaign(greeting, day, zones):
                campaigns.append(campaign)
        return [_launched(greeting, campaign) for campaign in campaigns]


def _due_days(
    greeting: BirthdayGreeting, now: datetime, today: date
) -> dict[date, list[str]]:
    """The contacts' zones (as stored) by the birthday they may be greeted for now.

    Read from the zones of the contacts born around `today` (a few distinct values),
    so each birthday is then claimed by one statement over its zones."""
    around = [today + timedelta(days=shift) for shift in (-1, 0, 1, 2)]
    names = (
        Contact.objects.filter(birthdays_on(around))
        .order_by()
        .values_list("time_zone", flat=True)
        .distinct()
    )
    days: dict[date, list[str]] = defaultdict(list)
    for name in names:
        days[contact_greeting_day(name, greeting, now)].append(name)
    return dict(sorted(days.items()))


def _claimed_campaign(
    greeting: BirthdayGreeting, day: date, zones: list[str]
) -> Campaign | None:
    """A campaign for the contacts of `zones` born on `day` whom nobody greeted yet,
    with their GreetedBirthday rows; None (and no campaign) when there are none."""
    audience = greeting_audience(greeting, day)
    due = (
        audience_contacts(None, audience)
        .exclude(is_stopped_q())
        .filter(time_zone__in=zones)
    )
    if not due.exists():
        return None
    campaign = _day_campaign(greeting, day)
    campaign.save()
    campaign.include_groups.set(audience.include)
    campaign.exclude_groups.set(audience.exclude)
    if not _claim(due, greeting, campaign, day):
        campaign.delete()  # another greeting claimed them meanwhile
        return None
    return campaign


def _claim(due, greeting: BirthdayGreeting, campaign: Campaign, day: date) -> int:
    """Claim `due` (a Contact queryset) for `campaign`; returns how many it got.

    Why a ledger with ON CONFLICT DO NOTHING, not a lock around the builds: the
    unique (phone, day) pair is checked by the database whatever runs at once (two
    greetings, two workers, a run and a user launching a draft), and an insert that
    meets another transaction's uncommitted row waits for it and then skips it, so
    each number is claimed by one campaign. Its rows are also the campaign's fixed
    audience, so the worker's build (minutes later) reads what was claimed. The NOT
    EXISTS in `due` (once_a_day) keeps a run with nothing new cheap; rows in phone
    order make two runs lock the numbers they share in the same order (no deadlock).
    """
    try:
        sql, params = due.order_by("phone").values("phone").query.sql_with_params()
    except EmptyResultSet:
        return 0
    table = GreetedBirthday._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (phone, day, greeting_id, campaign_id) "
            f"SELECT a.phone, %s, %s, %s FROM ({sql}) a WHERE TRUE "
            "ON CONFLICT (phone, day) DO NOTHING",
            [day, greeting.pk, campaign.pk, *params],
        )
        return cursor.rowcount


def _launched(greeting: BirthdayGreeting, campaign: Campaign) -> Campaign:
    """The campaign launched, or left a draft with the refusal on the greeting."""
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
    # The people added later in the day get a campaign of their own: "(2)", "(3)".
    earlier = Campaign.objects.filter(greeting=greeting, birthday_on=day).count()
    suffix = f" — {day:%d.%m.%Y}" + (f" ({earlier + 1})" if earlier else "")
    room = Campaign._meta.get_field("name").max_length - len(suffix)
    name = greeting.name[:room] + suffix
    return Campaign(
        name=name,
        account_id=greeting.account_id,
        sender=greeting.sender,
        text=greeting.text,
        to_whole_book=greeting.to_whole_book,
        birthday_on=day,
        greeting=greeting,
        claimed_audience=True,
        time_zone=greeting.time_zone,
        created_by_id=greeting.created_by_id,
    )
