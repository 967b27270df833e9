import django_filters

from django import forms
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from contacts.models import Contact, ContactGroup, GroupMembership, StopListEntry


class ContactFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_search",
        widget=forms.TextInput(attrs={"placeholder": _("Phone or name")}),
    )
    group = django_filters.ModelChoiceFilter(
        label=_("Group"), queryset=ContactGroup.objects.all(), method="filter_group"
    )
    stopped = django_filters.BooleanFilter(
        label=_("On the stop list"),
        method="filter_stopped",
        widget=forms.Select(
            choices=[("", _("Any")), ("true", _("Yes")), ("false", _("No"))]
        ),
    )
    created = django_filters.DateFromToRangeFilter(
        label=_("Created"),
        field_name="created_at",
        widget=django_filters.widgets.RangeWidget(attrs={"type": "date"}),
    )

    class Meta:
        model = Contact
        fields = ["q", "group", "stopped", "created"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.form.fields.values():
            widget = field.widget
            for sub in getattr(widget, "widgets", [widget]):
                sub.attrs["class"] = (
                    "form-select form-select-sm"
                    if isinstance(sub, forms.Select)
                    else "form-control form-control-sm"
                )

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        digits = "".join(ch for ch in value if ch.isdigit())
        if digits and len(digits) >= len(value.replace(" ", "")) - 4:
            # A phone typed any way: "8 912 ...", "+7 912", "7912" all look for "912".
            if len(digits) > 3 and digits[0] in "78":
                digits = digits[1:]
            return queryset.filter(phone__contains=digits)
        query = Q()
        for word in value.split():
            query &= (
                Q(last_name__icontains=word)
                | Q(first_name__icontains=word)
                | Q(middle_name__icontains=word)
                | Q(nickname__icontains=word)
                | Q(email__icontains=word)
            )
        return queryset.filter(query)

    def filter_group(
        self, queryset: QuerySet, name: str, value: ContactGroup
    ) -> QuerySet:
        members = GroupMembership.objects.filter(contact=OuterRef("pk"), group=value)
        return queryset.filter(Exists(members))

    def filter_stopped(
        self, queryset: QuerySet, name: str, value: bool | None
    ) -> QuerySet:
        if value is None:
            return queryset
        stopped = Exists(StopListEntry.objects.filter(phone=OuterRef("phone")))
        return queryset.filter(stopped if value else ~stopped)
