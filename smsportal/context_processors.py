from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise, SimpleLazyObject
from django.utils.translation import gettext_lazy as _

from smsportal.outage import services_down


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    permission: str | None
    section: str


NAVIGATION = (
    NavItem(_("Dashboard"), "dashboard", None, "dashboard"),
    NavItem(_("Contacts"), "contacts:list", "contacts.view_contact", "contacts"),
    NavItem(_("Groups"), "contacts:group_list", "contacts.view_contactgroup", "groups"),
    NavItem(_("Stop list"), "contacts:stoplist", "contacts.view_stoplistentry", "stop"),
    NavItem(_("Campaigns"), "campaigns:list", "campaigns.view_campaign", "campaigns"),
    NavItem(_("Inbox"), "reports:inbox", "campaigns.view_campaign", "inbox"),
    NavItem(
        _("Providers"), "providers:list", "providers.view_provideraccount", "providers"
    ),
)


def navigation(request: HttpRequest) -> dict[str, object]:
    """The navigation entries the current user may open."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = [
        {"label": item.label, "url": reverse(item.url_name), "section": item.section}
        for item in NAVIGATION
        if item.permission is None or user.has_perm(item.permission)
    ]
    return {"nav_items": items, "nav_show_admin": user.is_staff}


def outage(request: HttpRequest) -> dict[str, object]:
    """The services this process last saw down, for the notice on every page
    (smsportal.outage: no connection attempt here). Lazy, as a partial renders none."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"services_down": SimpleLazyObject(services_down)}


def background(request: HttpRequest) -> dict[str, object]:
    """Whether a worker and beat are alive, for _partials/workers_notice.html on the
    pages of contacts jobs (contacts knows nothing of campaigns, where heartbeats
    are). Lazy: a page that shows no notice queries nothing."""
    from campaigns.beat import beat_status
    from campaigns.workers import worker_status

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "workers": SimpleLazyObject(worker_status),
        "beat": SimpleLazyObject(beat_status),
    }
