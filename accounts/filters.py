import django_filters

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.audit_display import object_type_choices
from accounts.models import AuditEvent


class AuditEventFilterSet(django_filters.FilterSet):
    action = django_filters.ChoiceFilter(
        label=_("Action"),
        choices=AuditEvent.Action.choices,
        empty_label=_("Any action"),
    )
    # Stored as "campaigns.Campaign"; offered by name, so nobody has to type that.
    object_type = django_filters.ChoiceFilter(
        label=_("Object type"), choices=object_type_choices, empty_label=_("Any")
    )
    actor_name = django_filters.CharFilter(label=_("User"), lookup_expr="icontains")
    object_repr = django_filters.CharFilter(label=_("Object"), lookup_expr="icontains")
    at = django_filters.DateFromToRangeFilter(
        label=_("Date"),
        widget=django_filters.widgets.RangeWidget(attrs={"type": "date"}),
    )

    class Meta:
        model = AuditEvent
        fields = ["action", "object_type", "actor_name", "object_repr", "at"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.form.fields.values():
            for widget in getattr(field.widget, "widgets", [field.widget]):
                widget.attrs["class"] = (
                    "form-select form-select-sm"
                    if isinstance(widget, forms.Select)
                    else "form-control form-control-sm"
                )
