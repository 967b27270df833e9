"""The campaigns, templates and greetings whose text uses a custom field's key."""

from __future__ import annotations

from django.utils.translation import gettext as _

from campaigns.models import BirthdayGreeting, MessageTemplate
from campaigns.selectors import campaign_named, campaigns_unmade
from campaigns.templating import placeholder_names
from contacts.models import CustomField


def custom_field_users(field: CustomField) -> list[str]:
    """Drafts, campaigns yet to make their texts, message templates and birthday
    greetings (active or not) whose text has {key}. Campaigns whose messages are
    made keep their texts as sent."""
    campaigns = _using(campaigns_unmade(), field.key)
    templates = _using(MessageTemplate.objects.all(), field.key)
    greetings = _using(BirthdayGreeting.objects.all(), field.key)
    return [
        *(campaign_named(campaign) for campaign in campaigns),
        *(_("message template “%(name)s”") % {"name": t.name} for t in templates),
        *(_("birthday greeting “%(name)s”") % {"name": g.name} for g in greetings),
    ]


def _using(queryset, key: str) -> list:
    # The database narrows by the key's letters; the template's own parser decides
    # ({{city}} is literal text, { city } is the placeholder).
    return sorted(
        (
            row
            for row in queryset.filter(text__contains=key)
            if key in placeholder_names(row.text)
        ),
        key=lambda row: row.name,
    )
