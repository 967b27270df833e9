import django_filters

from django.utils.translation import gettext_lazy as _

from accounts.models import AuditEvent


class AuditEventFilterSet(django_filters.FilterSet):
    actor_name = django_filters.CharFilter(label=_("User"), lookup_expr="icontains")
    object_repr = django_filters.CharFilter(label=_("Object"), lookup_expr="icontains")
    at = django_filters.DateFromToRangeFilter(
        label=_("Date"),
        widget=django_filters.widgets.RangeWidget(attrs={"type": "date"}),
    )

    class Meta:
        model = AuditEvent
        fields = ["action", "object_type", "actor_name", "object_repr", "at"]
