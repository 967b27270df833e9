import django_filters

from django import forms
from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign
from providers.models import ProviderAccount


class CampaignFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        field_name="name",
        lookup_expr="icontains",
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
        for field in self.form.fields.values():
            css = (
                "form-select"
                if isinstance(field.widget, forms.Select)
                else "form-control"
            )
            field.widget.attrs.setdefault("class", f"{css} {css}-sm")
