import django_filters

from django.utils.translation import gettext_lazy as _

from accounts.audit_display import object_type_choices
from accounts.models import AuditEvent
from smsportal.filtering import DayRangeFilter, TextSearchFilter
from smsportal.form_style import style_fields


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
    actor_name = TextSearchFilter(label=_("User"))
    object_repr = TextSearchFilter(label=_("Object"))
    at = DayRangeFilter(label=_("Date"))

    class Meta:
        model = AuditEvent
        fields = ["action", "object_type", "actor_name", "object_repr", "at"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        style_fields(self.form.fields)
