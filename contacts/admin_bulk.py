"""The admin's contact actions over a large selection go to a worker, as the contact
list's do (contacts.bulk_jobs): putting a million contacts on the stop list held
every number in the web process for half a minute."""

from typing import Any

from django.contrib import messages
from django.contrib.humanize.templatetags.humanize import intcomma
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from contacts import bulk_jobs
from contacts.admin_export import admin_export_query
from smsportal.exceptions import ApplicationError


def queued_for_worker(
    modeladmin: Any, request: HttpRequest, queryset: QuerySet, *, action: str
) -> bool:
    """Queue `action` over a large selection and tell the user; True when the
    request is answered so (queued, or refused as running already). A small one, or
    one under admin filters the contact list cannot apply, is left to the caller."""
    if not bulk_jobs.is_large(queryset):
        return False
    # Ticked rows are one page's; a large selection is the whole filtered list,
    # whose filters the worker applies as the contact list would.
    selection = admin_export_query(request.GET)
    if selection.unsupported:
        return False
    try:
        job = bulk_jobs.contacts_bulk_job_start(
            action=action,
            query=selection.query,
            reason=_("Added in the admin"),
            user=request.user,
        )
    except ApplicationError as exc:
        modeladmin.message_user(request, exc.message, messages.WARNING)
        return True
    modeladmin.message_user(
        request,
        format_html(
            '{} <a href="{}">{}</a>',
            _("%(action)s: more than %(count)s contacts, so it runs in the background.")
            % {
                "action": job.description,
                "count": intcomma(bulk_jobs.in_request_max()),
            },
            reverse("contacts:list"),
            _("Its progress and result are shown above the contact list."),
        ),
        messages.INFO,
    )
    return True
