"""django-filter, strict: a filter the form cannot read is refused, never dropped."""

from django_filters import FilterSet

from django.db.models import QuerySet

from smsportal.exceptions import ApplicationError


def filtered(filterset: FilterSet) -> QuerySet:
    """The filterset's queryset; ApplicationError naming the first filter it cannot
    read. django-filter leaves such a filter out, so a group or an account that is
    gone, or a status there is not, would match everything: an export of the whole
    table under the user's filters, or a bulk action on all of it."""
    if filterset.is_bound and not filterset.is_valid():
        name, problems = next(iter(filterset.errors.items()))
        field = filterset.form.fields.get(name)
        label = field.label if field is not None and field.label else name
        raise ApplicationError(f"{label}: {problems[0]}", where=name)
    return filterset.qs
