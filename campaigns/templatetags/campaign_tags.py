"""Template helpers of the composer and campaign pages."""

from django import template

from campaigns.models import Campaign
from campaigns.selectors import campaign_handed_over_at_once, gateway_withdraws_held

register = template.Library()


@register.filter
def handed_over_at_once(campaign: Campaign) -> bool:
    """Whether a spread campaign goes to the gateway whole, with send times."""
    return campaign_handed_over_at_once(campaign)


@register.filter
def withdraws_held(campaign: Campaign) -> bool:
    """Whether cancelling withdraws what the campaign's gateway holds."""
    return bool(campaign.account_id) and gateway_withdraws_held(campaign.account.kind)
