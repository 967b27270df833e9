from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import TOKEN_LIFETIMES_DAYS, ApiToken

NEVER = "never"
LIFETIME_LABELS = {
    30: _("30 days"),
    90: _("90 days"),
    365: _("1 year"),
}


def _lifetime_days(value: str) -> int | None:
    return None if value == NEVER else int(value)


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"),
        max_length=100,
        help_text=_("For example the name of the script or system that will use it."),
    )
    # Least privilege by default: a token that only reads leaks only what it reads.
    scope = forms.ChoiceField(
        label=_("Access"),
        choices=ApiToken.Scope.choices,
        initial=ApiToken.Scope.READ,
        help_text=_(
            "Read only: GET requests, and requests that only compute (a campaign's "
            "preview). Read and write: whatever your role allows."
        ),
    )
    lifetime = forms.TypedChoiceField(
        label=_("Expires in"),
        choices=[
            *((str(days), LIFETIME_LABELS[days]) for days in TOKEN_LIFETIMES_DAYS),
            (NEVER, _("Never (until revoked)")),
        ],
        coerce=_lifetime_days,
        initial=str(90),
    )
