"""Bulk actions over many contacts, run by a worker while the contact list shows them.

At a million contacts the page's request took 4.7 s to add the book to a group, 16 s
to delete it and 29 s to put it on the stop list, with every number held in the web
process (bench/bench_contacts_bulk.py): behind a proxy that gives up after 30-60 s
the user could not tell whether anything happened, and a second click ran it again.
A selection of more than settings.SMSPORTAL_BULK_IN_REQUEST_MAX contacts becomes a
ContactBulkJob instead. The worker goes through it in ranges of CHUNK contact ids,
each range one transaction with the job's progress: the counts stay exact when a
worker dies and the task comes back (acks_late), and at most CHUNK numbers are in
memory at a time.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from contacts import selectors, services
from contacts.job_claim import job_claim
from contacts.models import Contact, ContactBulkJob, ContactGroup, GroupMembership
from contacts.statistics import statistics_refresh
from smsportal.exceptions import ApplicationError
from smsportal.outage import send_or_leave_queued

logger = logging.getLogger("contacts.bulk")

# Contacts per transaction: the progress moves every second or two at a million, and
# an opt-out holds at most this many new numbers (announced to campaigns in tens of
# thousands, campaigns.apps.WITHDRAW_CHUNK).
CHUNK = 50_000
# A finished job stays above the contact list this long, so its result is seen.
SHOWN_FOR = timedelta(hours=1)
SHOWN_AT_MOST = 5
UNFINISHED = (ContactBulkJob.Status.QUEUED, ContactBulkJob.Status.RUNNING)
# How the list is shown, not which contacts it holds: not part of a job's identity.
NOT_FILTERS = frozenset({"page", "sort", "per_page"})


def in_request_max() -> int:
    return settings.SMSPORTAL_BULK_IN_REQUEST_MAX


def is_large(contacts: QuerySet[Contact]) -> bool:
    """More contacts than a request should change: counted only that far (a LIMIT
    query, milliseconds on the whole book)."""
    limit = in_request_max()
    return contacts.order_by().values("pk")[: limit + 1].count() > limit


def filters_of(query: str) -> list[tuple[str, str]]:
    """The filters a contact list's query string sets, sorted."""
    params = QueryDict(query)
    return sorted(
        (name, value)
        for name in params
        if name not in NOT_FILTERS
        for value in params.getlist(name)
        if value != ""
    )


def job_key(*, action: str, group: ContactGroup | None, query: str) -> str:
    """The same action on the same contacts, however the filters were written."""
    text = json.dumps([action, group.pk if group else None, filters_of(query)])
    return hashlib.sha256(text.encode()).hexdigest()


def contacts_bulk_job_start(
    *,
    action: str,
    query: str,
    group: ContactGroup | None = None,
    reason: str = "",
    user: Any = None,
) -> ContactBulkJob:
    """Queue `action` over every contact the list's `query` selects, for a worker
    once this transaction commits; ApplicationError while the same action on the same
    contacts is queued or running (a double click, a second tab)."""
    from contacts.tasks import contacts_bulk_run

    job = ContactBulkJob(
        action=action,
        group=group,
        group_name=group.name if group else "",
        query=query,
        reason=reason[:255],
        key=job_key(action=action, group=group, query=query),
        created_by=user if getattr(user, "is_authenticated", False) else None,
        language=translation.get_language() or "",  # the requester's, for failures
        enqueued_at=timezone.now(),
    )
    try:
        with transaction.atomic():
            # Held to the commit, then kept by the job (group_bulk_users): deleted
            # meanwhile, its save failed on the key and was taken for a twin job.
            services.groups_held({"group": [group] if group else []})
            job.save()
    except IntegrityError:  # the unique constraint on unfinished jobs' keys
        raise _already_running() from None
    language = job.language or None
    transaction.on_commit(
        lambda: send_or_leave_queued(contacts_bulk_run, job.pk, language=language)
    )
    return job


def contacts_bulk_job_retry(*, job: ContactBulkJob) -> bool:
    """Queue a failed job again, once this commits: it goes on after the last
    contacts it went through. False when it is not failed (any more: a double
    click); ApplicationError while the same action on the same contacts is queued or
    running again."""
    from contacts.tasks import contacts_bulk_run

    language = translation.get_language() or ""
    try:
        with transaction.atomic():
            retried = ContactBulkJob.objects.filter(
                pk=job.pk, status=ContactBulkJob.Status.FAILED
            ).update(
                status=ContactBulkJob.Status.QUEUED,
                error="",
                finished_at=None,
                language=language,
                enqueued_at=timezone.now(),
            )
    except IntegrityError:  # the unique constraint on unfinished jobs' keys
        raise _already_running() from None
    if retried:
        transaction.on_commit(
            lambda: send_or_leave_queued(
                contacts_bulk_run, job.pk, language=language or None
            )
        )
    return bool(retried)


def _already_running() -> ApplicationError:
    return ApplicationError(
        _(
            "This action is already running on these contacts: its progress is "
            "shown above the list. Wait for it to finish before starting it again."
        ),
        where="action",
    )


def contacts_bulk_jobs_shown() -> list[ContactBulkJob]:
    """The jobs the contact list shows: those not finished, and those finished
    within SHOWN_FOR; newest first."""
    recent = timezone.now() - SHOWN_FOR
    return list(
        ContactBulkJob.objects.filter(
            Q(status__in=UNFINISHED) | Q(finished_at__gte=recent)
        ).select_related("created_by")[:SHOWN_AT_MOST]
    )


def contacts_bulk_job_run(*, job_id: int) -> ContactBulkJob | None:
    """Apply a queued job, chunk by chunk; resumes after the last chunk done when a
    worker died mid-way. A job that cannot go on is failed with the reason."""
    job = ContactBulkJob.objects.filter(pk=job_id).first()
    if job is None or job.is_finished:
        return job  # delivered again after it ran: nothing to do
    # From running too: the task delivered again after its worker died (acks_late)
    # goes on after the last chunk; each chunk below is taken under a lock.
    if not job_claim(job, startable=UNFINISHED):
        return job  # another delivery took it meanwhile
    try:
        contacts = selectors.contact_list(filters=QueryDict(job.query))
        if job.total is None:
            job.total = contacts.order_by().count()
            job.save(update_fields=["total"])
        for chunk, count, last_id in selectors.contact_id_chunks(
            contacts, after=job.last_id, size=CHUNK
        ):
            with transaction.atomic():
                # A task delivered twice (a visibility timeout passed) runs once.
                mine = ContactBulkJob.objects.select_for_update().get(pk=job.pk)
                if mine.last_id != job.last_id or mine.is_finished:
                    return mine
                changed = _apply(job, chunk)
                job.done += count
                job.last_id = last_id
                job.result = {
                    name: job.result.get(name, 0) + changed.get(name, 0)
                    for name in {*job.result, *changed}
                }
                job.save(update_fields=["done", "last_id", "result"])
    except ApplicationError as exc:
        return _fail(job, exc.message)
    except Exception:
        logger.exception("bulk action %s failed", job.pk)
        _fail(job, _("The action stopped on an internal error."))
        raise
    _finish(job)
    return job


def _apply(job: ContactBulkJob, chunk: QuerySet[Contact]) -> dict[str, int]:
    """One chunk's work; what it changed, as the job's result counts it."""
    action = ContactBulkJob.Action
    if job.action in (action.ADD_TO_GROUP, action.REMOVE_FROM_GROUP):
        # Locked for the chunk: a group deleted meanwhile would leave memberships of
        # a group that is gone (they have no foreign key to stop them).
        group = ContactGroup.objects.select_for_update().filter(pk=job.group_id).first()
        if group is None:
            raise ApplicationError(
                _(
                    "The group “%(group)s” was deleted while the action ran; the "
                    "contacts gone through before that stay changed."
                )
                % {"group": job.group_name},
                where="group",
            )
        if job.action == action.ADD_TO_GROUP:
            added = services.contacts_add_to_group(
                contacts=chunk, group=group, analyze=False
            )
            return {"count": added.added, "already": added.already}
        removed = services.contacts_remove_from_group(
            contacts=chunk, group=group, analyze=False
        )
        return {"count": removed}
    if job.action == action.OPT_OUT:
        return {
            "count": services.contacts_opt_out(
                contacts=chunk, reason=job.reason, user=job.created_by
            )
        }
    return {"count": services.contacts_delete(contacts=chunk, audited=False)}


def _finish(job: ContactBulkJob) -> None:
    count = job.result.get("count", 0)
    if job.action in (
        ContactBulkJob.Action.ADD_TO_GROUP,
        ContactBulkJob.Action.REMOVE_FROM_GROUP,
    ):
        # Once for the whole job: per chunk, each would have analysed the table.
        statistics_refresh(tables=[GroupMembership], changed=count)
    elif job.action == ContactBulkJob.Action.DELETE:
        services.contacts_delete_audit(count, None, actor=job.created_by)
        statistics_refresh(tables=[Contact, GroupMembership], changed=count)
    job.status, job.finished_at = ContactBulkJob.Status.DONE, timezone.now()
    job.save(update_fields=["status", "finished_at"])


def _fail(job: ContactBulkJob, message: str) -> ContactBulkJob:
    job.status, job.error = ContactBulkJob.Status.FAILED, message
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "error", "finished_at"])
    if job.action == ContactBulkJob.Action.DELETE:
        # Those deleted before the failure are gone: the log says how many.
        services.contacts_delete_audit(
            job.result.get("count", 0), None, actor=job.created_by
        )
    return job


def contacts_bulk_jobs_failed(ids: list[int]) -> None:
    """Jobs failed from outside (smsportal.job_sweep): the contacts a delete took
    before it stopped are gone, and the log says how many, as _fail does."""
    deletes = ContactBulkJob.objects.filter(
        pk__in=ids, action=ContactBulkJob.Action.DELETE
    ).select_related("created_by")
    for job in deletes:
        services.contacts_delete_audit(
            job.result.get("count", 0), None, actor=job.created_by
        )


def group_bulk_users(group: ContactGroup) -> list[str]:
    """A running job adding to or removing from the group keeps it from deletion
    (contacts.services.group_in_use)."""
    running = ContactBulkJob.objects.filter(group=group, status__in=UNFINISHED)
    return [_("a bulk action of the contact list")] if running.exists() else []


def bulk_result_message(*, count: int, already: int | None = None) -> str:
    """What a bulk action did, as the list writes its numbers ("109 959" in
    Russian); `already`: adding to a group, the contacts that were in it."""
    from django.contrib.humanize.templatetags.humanize import intcomma

    if already:
        return _(
            "Done: %(count)s contacts added to the group, %(already)s were in it "
            "already."
        ) % {"count": intcomma(count), "already": intcomma(already)}
    return _("Done: %(count)s contacts.") % {"count": intcomma(count)}
