from django import template

from contacts.timezones import zone_name as _zone_name

register = template.Library()


@register.filter
def zone_name(name: str) -> str:
    """A time zone as people name it: "Владивосток", not "Asia/Vladivostok"."""
    return _zone_name(name) if name else ""
