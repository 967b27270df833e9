"""Why a launched campaign's messages can no longer be made, said so it can be fixed.

The launch checked the text against the contact book's fields; a custom field deleted
since leaves a scheduled campaign (or one paused before its audience was built) with a
placeholder nothing fills. Its start then met the same ApplicationError on every beat
tick, and the campaign showed "Sending" for ever with no message and no word why.
"""

from __future__ import annotations

from django.utils.translation import gettext_noop

from campaigns.models import Campaign
from campaigns.planning import SendPlan
from smsportal.exceptions import ApplicationError
from smsportal.lib.deferred import Deferred, deferred, deferred_text

PLACEHOLDER_GONE = gettext_noop(
    "The text uses the placeholder {%(name)s}, but the contact book has no such "
    "field any more (its custom field was deleted). Add a custom field with the key "
    "“%(name)s” again, then resume; or cancel the campaign and send a copy without "
    "the placeholder."
)
# Any other refusal: its words are the worker's, kept as they came.
PLAN_REFUSED = gettext_noop(
    "The campaign's messages cannot be made: %(why)s Fix it, then resume; or cancel "
    "the campaign and send a corrected copy."
)


def plan_problem_record(refused: ApplicationError) -> Deferred:
    """The pause reason for a refusal met while building the campaign's plan."""
    if name := refused.extra.get("placeholder"):
        return deferred(PLACEHOLDER_GONE, name=name)
    return deferred(PLAN_REFUSED, why=refused.message)


def plan_problem(campaign: Campaign) -> Deferred | None:
    """Why the campaign's messages cannot be made now (None: they can)."""
    try:
        SendPlan.for_campaign(campaign)
    except ApplicationError as refused:
        return plan_problem_record(refused)
    return None


def campaign_pause_for_plan(campaign_id: int, refused: ApplicationError) -> None:
    """Pause the campaign with the refusal as its banner, so beat stops retrying."""
    Campaign.objects.filter(
        pk=campaign_id, state__in=[Campaign.State.SCHEDULED, Campaign.State.SENDING]
    ).update(
        state=Campaign.State.PAUSED,
        pause_reason=Campaign.pause_reason_of(plan_problem_record(refused)),
    )


def plan_problem_text(campaign: Campaign) -> str:
    """The problem in the reader's language, for a resume's refusal ("": none)."""
    if campaign.expanded_at is not None:
        return ""  # the texts are made already: no placeholder is read again
    return deferred_text(plan_problem(campaign))
