"""Bulk actions over a large selection run in a worker (contacts.bulk_jobs)."""

import pytest

from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from contacts import bulk_jobs, selectors, services, stop_listed
from contacts.models import (
    Contact,
    ContactBulkJob,
    ContactGroup,
    GroupMembership,
    StopListEntry,
)
from smsportal.exceptions import ApplicationError

pytestmark = pytest.mark.django_db
BULK = reverse("contacts:bulk")


@pytest.fixture(autouse=True)
def _small_limits(settings, monkeypatch):
    """Five contacts are "large" here, and a worker takes them two at a time."""
    settings.SMSPORTAL_BULK_IN_REQUEST_MAX = 5
    monkeypatch.setattr(bulk_jobs, "CHUNK", 2)


def _book(count: int, prefix: str = "+7912") -> list[Contact]:
    return Contact.objects.bulk_create(
        Contact(phone=f"{prefix}{n:07d}", last_name=f"Name{n}") for n in range(count)
    )


def _post(client, data: dict, capture, *, run: bool = True):
    """POST a bulk action; `run`: the worker's task runs once the request commits
    (Celery is eager in the tests), else the job stays queued."""
    with capture(execute=run):
        return client.post(BULK, data, follow=True, HTTP_ACCEPT_LANGUAGE="en")


def _text(response) -> str:
    return response.content.decode()


def test_a_selection_within_the_limit_runs_in_the_request(
    manager_client, group, django_capture_on_commit_callbacks
):
    _book(5)
    response = _post(
        manager_client,
        {"action": "add_to_group", "group": group.pk, "select_all": "on"},
        django_capture_on_commit_callbacks,
        run=False,
    )
    assert "Done: 5 contacts." in _text(response)
    assert group.contacts.count() == 5
    assert not ContactBulkJob.objects.exists()


def test_a_larger_selection_is_queued_and_the_worker_reports_the_result(
    manager_client, group, django_capture_on_commit_callbacks
):
    contacts = _book(7)
    for contact in contacts[:2]:
        contact.groups.add(group)
    response = _post(
        manager_client,
        {"action": "add_to_group", "group": group.pk, "select_all": "on"},
        django_capture_on_commit_callbacks,
        run=False,
    )
    page = _text(response)
    assert (
        "Add to the group “Клиенты”: more than 5 contacts, so it runs in the "
        "background." in page
    )
    job = ContactBulkJob.objects.get()
    assert (job.status, job.group, job.created_by.username) == (
        "queued",
        group,
        "mark-manager",
    )
    assert group.contacts.count() == 2  # nothing done in the request
    assert f'hx-get="{reverse("contacts:bulk_job", args=[job.pk])}"' in page

    bulk_jobs.contacts_bulk_job_run(job_id=job.pk)

    job.refresh_from_db()
    assert (job.status, job.total, job.done) == ("done", 7, 7)
    assert job.result == {"count": 5, "already": 2}
    assert job.result_message == (
        "Done: 5 contacts added to the group, 2 were in it already."
    )
    assert group.contacts.count() == 7


def test_the_task_is_queued_on_commit_and_runs_the_job(
    manager_client, group, django_capture_on_commit_callbacks
):
    _book(6)
    _post(
        manager_client,
        {"action": "add_to_group", "group": group.pk, "select_all": "on"},
        django_capture_on_commit_callbacks,
    )
    job = ContactBulkJob.objects.get()
    assert (job.status, job.result) == ("done", {"count": 6, "already": 0})


def test_the_filter_chosen_is_the_one_the_worker_applies(
    manager_client, group, django_capture_on_commit_callbacks
):
    _book(7, prefix="+7912")
    _book(3, prefix="+7913")
    _post(
        manager_client,
        {"action": "delete", "select_all": "on", "query": "q=%2B7912&page=2"},
        django_capture_on_commit_callbacks,
    )
    job = ContactBulkJob.objects.get()
    assert (job.status, job.result, job.is_filtered) == ("done", {"count": 7}, True)
    assert sorted(Contact.objects.values_list("phone", flat=True)) == [
        "+79130000000",
        "+79130000001",
        "+79130000002",
    ]


def test_removing_and_stop_listing_many_report_their_counts(
    manager_client, group, django_capture_on_commit_callbacks, monkeypatch
):
    announced: list[list[str]] = []
    monkeypatch.setattr(stop_listed, "_stop_listed", [announced.append])
    contacts = _book(7)
    for contact in contacts[:4]:
        contact.groups.add(group)
    StopListEntry.objects.create(phone=contacts[0].phone, reason="earlier")

    for action in ("remove_from_group", "opt_out"):
        _post(
            manager_client,
            {"action": action, "group": group.pk, "select_all": "on"},
            django_capture_on_commit_callbacks,
        )

    removed, opted_out = ContactBulkJob.objects.order_by("pk")
    assert (removed.status, removed.result) == ("done", {"count": 4})
    assert removed.result_message == "Done: 4 contacts."
    assert not GroupMembership.objects.exists()
    assert (opted_out.status, opted_out.result) == ("done", {"count": 6})
    entry = StopListEntry.objects.get(phone=contacts[6].phone)
    assert (entry.reason, entry.created_by.username) == (
        "Added from the contact list",
        "mark-manager",
    )
    # Told to campaigns chunk by chunk, never the whole selection in one list.
    assert sorted(sum(announced, [])) == sorted(c.phone for c in contacts[1:])
    assert max(len(phones) for phones in announced) <= bulk_jobs.CHUNK


def test_deleting_many_is_audited_once_by_whoever_chose_it(
    manager_client, manager_user, django_capture_on_commit_callbacks
):
    _book(7)
    _post(
        manager_client,
        {"action": "delete", "select_all": "on"},
        django_capture_on_commit_callbacks,
    )
    assert not Contact.objects.exists()
    event = AuditEvent.objects.get(action=AuditEvent.Action.DELETED)
    assert (event.actor, event.details) == (manager_user, {"count": 7})


def test_a_double_submit_is_refused_while_the_same_action_runs(
    manager_client, group, django_capture_on_commit_callbacks
):
    _book(6)
    other = ContactGroup.objects.create(name="Другие")
    add = {"action": "add_to_group", "group": group.pk, "select_all": "on"}
    _post(manager_client, add, django_capture_on_commit_callbacks, run=False)
    # The same filters written otherwise (a page, an empty field) are the same.
    again = _post(
        manager_client,
        {**add, "query": "page=3&q="},
        django_capture_on_commit_callbacks,
        run=False,
    )
    assert "This action is already running on these contacts" in _text(again)
    assert ContactBulkJob.objects.count() == 1

    # Another group is another action; a finished one may be run again.
    _post(
        manager_client,
        {**add, "group": other.pk},
        django_capture_on_commit_callbacks,
        run=False,
    )
    assert ContactBulkJob.objects.count() == 2
    first = ContactBulkJob.objects.get(group=group)
    bulk_jobs.contacts_bulk_job_run(job_id=first.pk)
    _post(manager_client, add, django_capture_on_commit_callbacks, run=False)
    assert ContactBulkJob.objects.filter(group=group).count() == 2


def test_the_refusal_holds_at_the_database_too(group):
    start = {"action": "add_to_group", "query": "q=x", "group": group}
    bulk_jobs.contacts_bulk_job_start(**start)
    with pytest.raises(ApplicationError, match="already running"):
        bulk_jobs.contacts_bulk_job_start(**start)


def _job(status: str, **fields) -> ContactBulkJob:
    fields.setdefault("action", "opt_out")
    return ContactBulkJob.objects.create(
        status=status, key=f"{status}-{ContactBulkJob.objects.count()}", **fields
    )


def test_the_progress_fragment_polls_while_running_and_stops_when_done(
    manager_client,
):
    job = _job("running", total=1_000_000, done=250_000)
    url = reverse("contacts:bulk_job", args=[job.pk])

    running = _text(manager_client.get(url, HTTP_HX_REQUEST="true"))
    assert f'hx-get="{url}"' in running
    assert "250,000 of 1,000,000 contacts gone through" in running
    assert 'value="25"' in running
    assert "Add to the stop list" in running
    assert "the whole book" in running

    job.status, job.done, job.result = "done", 1_000_000, {"count": 999_000}
    job.save()
    done = _text(manager_client.get(url, HTTP_HX_REQUEST="true"))
    assert "hx-get" not in done
    assert "Done: 999,000 contacts." in done
    assert done.count("Done") == 1  # not "Done. Done: 999,000 contacts."


def test_a_failed_job_says_why_and_how_far_it_went(manager_client, group):
    job = _job("running", action="add_to_group", group=group, group_name=group.name)
    _book(6)
    group.delete()

    bulk_jobs.contacts_bulk_job_run(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == "failed"
    assert "The group “Клиенты” was deleted while the action ran" in job.error
    page = _text(
        manager_client.get(
            reverse("contacts:bulk_job", args=[job.pk]), HTTP_HX_REQUEST="true"
        )
    )
    assert "was deleted while the action ran" in page
    assert "0 of 6 contacts were gone through before it stopped" in page


def test_a_group_being_filled_cannot_be_deleted(group):
    _job("running", action="add_to_group", group=group, group_name=group.name)
    with pytest.raises(ApplicationError, match="a bulk action of the contact list"):
        services.group_delete(group=group)


def test_a_job_a_dead_worker_left_resumes_after_its_last_chunk(group):
    contacts = _book(6)
    done_before = contacts[1].pk  # bulk_create returns them in id order
    for contact in contacts[:2]:
        contact.groups.add(group)
    job = _job(
        "running",
        action="add_to_group",
        group=group,
        group_name=group.name,
        total=6,
        done=2,
        last_id=done_before,
        result={"count": 2, "already": 0},
    )

    bulk_jobs.contacts_bulk_job_run(job_id=job.pk)

    job.refresh_from_db()
    assert (job.status, job.done, job.result) == (
        "done",
        6,
        {"count": 6, "already": 0},
    )
    finished = job.finished_at
    bulk_jobs.contacts_bulk_job_run(job_id=job.pk)  # delivered again: nothing
    job.refresh_from_db()
    assert job.finished_at == finished


def test_the_contact_list_shows_recent_jobs_with_a_live_region(manager_client):
    _job("running", total=10, done=3)
    _job("failed", error="Something broke.", finished_at=timezone.now())
    _job("done", finished_at=timezone.now() - bulk_jobs.SHOWN_FOR, result={"count": 1})
    page = _text(manager_client.get(reverse("contacts:list")))
    assert 'id="bulk-job-status"' in page
    assert "3 of 10 contacts gone through" in page
    assert "Something broke." in page
    assert "Done: 1 contacts." not in page  # finished too long ago


def test_a_viewer_sees_the_progress_but_cannot_start_one(
    viewer_client, django_capture_on_commit_callbacks
):
    _book(6)
    job = _job("running", total=6)
    response = _post(
        viewer_client,
        {"action": "delete", "select_all": "on"},
        django_capture_on_commit_callbacks,
    )
    assert "You do not have permission to do this." in _text(response)
    assert ContactBulkJob.objects.count() == 1
    assert Contact.objects.count() == 6
    fragment = viewer_client.get(
        reverse("contacts:bulk_job", args=[job.pk]), HTTP_HX_REQUEST="true"
    )
    assert fragment.status_code == 200


def test_the_progress_needs_the_right_to_see_contacts(client, django_user_model):
    job = _job("running")
    nobody = django_user_model.objects.create_user("nobody", password="x-123456789")
    client.force_login(nobody)
    url = reverse("contacts:bulk_job", args=[job.pk])
    assert client.get(url, HTTP_HX_REQUEST="true").status_code == 403
    nobody.user_permissions.add(Permission.objects.get(codename="view_contact"))
    assert client.get(url, HTTP_HX_REQUEST="true").status_code == 200


def test_the_admins_opt_out_of_many_goes_to_a_worker(
    admin_client, django_capture_on_commit_callbacks
):
    _book(7, prefix="+7912")
    _book(2, prefix="+7913")
    url = reverse("admin:contacts_contact_changelist") + "?q=%2B7912"
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            url,
            {"action": "opt_out", "select_across": "1", "_selected_action": ["1"]},
            follow=True,
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert "so it runs in the background" in _text(response)
    job = ContactBulkJob.objects.get()
    assert (job.status, job.query, job.result) == ("done", "q=%2B7912", {"count": 7})
    assert job.reason == "Added in the admin"
    assert StopListEntry.objects.count() == 7


def test_id_chunks_go_through_a_selection_that_shrinks_as_they_go():
    contacts = _book(5)
    seen = []
    for chunk, count, last in selectors.contact_id_chunks(
        Contact.objects.all(), size=2
    ):
        seen.append((count, last))
        services.contacts_delete(contacts=chunk, audited=False)
    assert seen == [(2, contacts[1].pk), (2, contacts[3].pk), (1, contacts[4].pk)]
    assert not Contact.objects.exists()
