"""The contact list's bulk actions over a whole book, as the page runs them.

    python bench/bench_contacts_bulk.py [--rows N] [--database NAME]

Seeds its own database (smsportal_bench_bulk) with N contacts (default 1,000,000),
then applies each bulk action to every contact, each in a process of its own so its
peak memory is its own, and prints how long it took and the process's peak RSS:
adding the book to a group (and again, every contact in it already), putting it on
the stop list, removing it from the group and deleting it.

    in request   the service called on the whole book at once, as the page did
                 before large selections went to a worker
    request      the page's POST (the job queued; a large selection's answer)
    job          the worker's run of that job (contacts.bulk_jobs), chunk by chunk

Celery is eager here (bench/benchdb.py), so the stop list's withdrawal tasks (empty:
no messages are held) run within the opt-out in both modes.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time

from benchdb import setup

BENCH_DB = "smsportal_bench_bulk"
ACTIONS = ["add_to_group", "add_to_group", "opt_out", "remove_from_group", "delete"]


def seed(rows: int) -> None:
    from bench_contact_search import seed as seed_contacts

    from django.db import connection

    from contacts.models import Contact, ContactGroup

    if Contact.objects.count() != rows:
        seed_contacts(rows)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE contacts_groupmembership, contacts_stoplistentry")
    ContactGroup.objects.get_or_create(name="Bench")


def run_one(action: str, mode: str) -> dict:
    """One action on the whole book in this process; its figures."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from contacts import services
    from contacts.models import Contact, ContactGroup

    group = ContactGroup.objects.get(name="Bench")
    contacts = Contact.objects.all()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    if mode == "in request":
        if action == "add_to_group":
            done = services.contacts_add_to_group(contacts=contacts, group=group)
            result = f"{done.added:,} added, {done.already:,} already"
        elif action == "remove_from_group":
            count = services.contacts_remove_from_group(contacts=contacts, group=group)
            result = f"{count:,} removed"
        elif action == "opt_out":
            count = services.contacts_opt_out(contacts=contacts, reason="bench")
            result = f"{count:,} stop-listed"
        else:
            result = f"{services.contacts_delete(contacts=contacts):,} deleted"
    else:
        from contacts import bulk_jobs
        from contacts.models import ContactBulkJob

        if os.environ.get("BENCH_BULK_CHUNK"):
            bulk_jobs.CHUNK = int(os.environ["BENCH_BULK_CHUNK"])

        user, _ = get_user_model().objects.get_or_create(
            username="bench", is_superuser=True
        )
        client = Client(HTTP_ACCEPT_LANGUAGE="en", HTTP_HOST="127.0.0.1")
        client.force_login(user)
        from django.urls import resolve

        resolve("/contacts/bulk/")  # loads the URLs and views, as a warm server has
        started = time.perf_counter()
        from unittest import mock

        with mock.patch("contacts.tasks.contacts_bulk_run.delay"):
            response = client.post(
                "/contacts/bulk/",
                {"action": action, "group": group.pk, "select_all": "on", "query": ""},
            )
        assert response.status_code == 302, response.status_code
        job = ContactBulkJob.objects.order_by("-pk").first()
        # A refused POST (the same job running) queues nothing: say so, not time it.
        if job is None or job.action != action or job.is_finished:
            raise SystemExit(f"{action}: no job queued")
        if mode == "request":
            result = f"job {job.pk} queued"
        else:
            raise SystemExit("mode 'job' runs through main()")
        took = time.perf_counter() - started
        started = time.perf_counter()
        bulk_jobs.contacts_bulk_job_run(job_id=job.pk)
        job.refresh_from_db()
        job_took = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return {
            "request_s": took,
            "job_s": job_took,
            "result": f"{job.status}: {json.dumps(job.result)}",
            "rss_mb": peak / 1024,
            "grew_mb": (peak - before) / 1024,
        }
    took = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "request_s": took,
        "result": result,
        "rss_mb": peak / 1024,
        "grew_mb": (peak - before) / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database", default=BENCH_DB)
    parser.add_argument("--mode", choices=["in request", "job", "both"], default="both")
    parser.add_argument("--chunk", type=int, help="contacts per chunk of a job")
    parser.add_argument("--child", nargs=2, metavar=("ACTION", "MODE"))
    args = parser.parse_args()
    if args.chunk:
        os.environ["BENCH_BULK_CHUNK"] = str(args.chunk)
    if args.child:
        setup(args.database)
        print(json.dumps(run_one(*args.child)))
        return
    setup(args.database)
    modes = ["in request", "job"] if args.mode == "both" else [args.mode]
    for mode in modes:
        started = time.perf_counter()
        seed(args.rows)
        print(f"{args.rows:,} contacts seeded ({time.perf_counter() - started:.1f} s)")
        for action in ACTIONS:
            child = subprocess.run(
                [sys.executable, __file__, "--rows", str(args.rows),
                 "--database", args.database, "--child", action,
                 "request" if mode == "job" else mode],
                capture_output=True, text=True, env=os.environ, check=False,
            )  # fmt: skip
            if child.returncode:
                print(child.stdout, child.stderr)
                sys.exit(child.returncode)
            figures = json.loads(child.stdout.strip().splitlines()[-1])
            if mode == "job":
                timing = (f"request {figures['request_s']:.2f} s, "
                          f"job {figures['job_s']:.1f} s")  # fmt: skip
            else:
                timing = f"in request {figures['request_s']:.1f} s"
            print(f"{mode:10} {action:18} {timing}; {figures['result']}; "
                  f"peak RSS {figures['rss_mb']:.0f} MB "
                  f"(+{figures['grew_mb']:.0f} MB)", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
