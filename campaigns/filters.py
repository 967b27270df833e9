import django_filters

from django import forms
from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign
from providers.models import ProviderAccount
from smsportal.filtering import TextSearchFilter
from smsportal.form_style import style_fields


class CampaignFilterSet(django_filters.FilterSet):
    q = TextSearchFilter(
        label=_("Search"),
        field_name="name",
        widget=forms.TextInput(attrs={"placeholder": _("Campaign name")}),
    )
    state = django_filters.ChoiceFilter(
        label=_("State"), choices=Campaign.State.choices, empty_label=_("Any state")
    )
    account = django_filters.ModelChoiceFilter(
        label=_("Provider account"),
        queryset=ProviderAccount.objects.order_by("name"),
        empty_label=_("Any account"),
    )

    class Meta:
        model = Campaign
        fields = ["q", "state", "account"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        style_fields(self.form.fields)
