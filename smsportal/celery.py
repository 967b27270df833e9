"""The Celery application; periodic work is declared here, each entry calling one task."""

import os
from pathlib import Path

from celery import Celery
from celery.signals import (
    after_setup_logger,
    after_setup_task_logger,
    beat_init,
    worker_init,
    worker_ready,
    worker_shutting_down,
)

from campaigns.workers import Heartbeat

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smsportal.settings")

app = Celery("smsportal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.conf.imports = ("smsportal.tasks", "campaigns.report_tasks")
# Every worker writes a heartbeat (pages and /healthz tell when none is alive), and
# so does beat's scheduler loop (when beat stops).
app.steps["worker"].add(Heartbeat)
app.conf.beat_scheduler = "campaigns.beat:HeartbeatScheduler"


@worker_init.connect
@beat_init.connect
def _refuse_unsafe_settings(**kwargs: object) -> None:
    # As the web process does (smsportal.wsgi): a worker on the public development
    # key (DEBUG off) decrypts no credentials and fails every campaign unseen.
    # SystemExit, not the web's ImproperlyConfigured: Celery logs an exception in a
    # signal's receiver and goes on starting.
    from smsportal.production import start_refusal

    if (reason := start_refusal()) is not None:
        raise SystemExit(f"Refusing to start: {reason}")


@worker_shutting_down.connect
def _pumps_hand_over(**kwargs: object) -> None:
    # Sent in the worker's main process when it is asked to stop; its pool's
    # processes see the mark in the shared cache (campaigns.workers).
    from campaigns.workers import worker_stopping_mark
    from smsportal import worker_instance

    if worker_instance.current:
        worker_stopping_mark(worker_instance.current)


@worker_ready.connect
@beat_init.connect
def _log_key_warnings(**kwargs: object) -> None:
    # Once Django and the logging are set up (worker_init comes before both).
    from smsportal.production import key_warnings_log

    key_warnings_log()


@after_setup_logger.connect
@after_setup_task_logger.connect
def _log_times_with_offset(logger: object, **kwargs: object) -> None:
    # Celery formats the worker's and beat's lines itself: the same times as Django's.
    from smsportal.logs import celery_formatters_with_offset

    celery_formatters_with_offset(logger, **kwargs)  # type: ignore[arg-type]


app.conf.beat_schedule = {
    "providers-balances-refresh": {
        "task": "providers.tasks.balances_refresh_all",
        "schedule": 10 * 60,
    },
    "providers-sender-names-sync": {
        "task": "providers.tasks.sender_names_sync_all",
        "schedule": 6 * 60 * 60,
    },
    "campaigns-tick": {"task": "campaigns.campaigns_tick", "schedule": 30},
    "campaigns-statuses-poll": {"task": "campaigns.statuses_poll", "schedule": 30},
    "campaigns-messages-reconcile": {
        "task": "campaigns.messages_reconcile",
        "schedule": 60,
    },
    "campaigns-counts-squash": {"task": "campaigns.counts_squash", "schedule": 5 * 60},
    "campaigns-orphans-expire": {
        "task": "campaigns.orphans_expire",
        "schedule": 6 * 60 * 60,
    },
    "campaigns-orphans-adopt": {"task": "campaigns.orphans_adopt", "schedule": 60},
    "campaigns-incoming-fetch": {
        "task": "campaigns.incoming_fetch_all",
        "schedule": 60,
    },
    "campaigns-stoplist-sync": {
        "task": "campaigns.stoplist_sync_all",
        "schedule": 60 * 60,
    },
    "contacts-import-uploads-expire": {
        "task": "contacts.import_uploads_expire",
        "schedule": 60 * 60,
    },
    "campaigns-birthday-greetings": {
        "task": "campaigns.birthday_greetings_run",
        "schedule": 60,
    },
    "smsportal-jobs-sweep": {"task": "smsportal.jobs_sweep", "schedule": 60},
    "smsportal-sessions-clear": {
        "task": "smsportal.sessions_clear",
        "schedule": 24 * 60 * 60,
    },
}


@app.on_after_configure.connect
def _make_broker_folders(sender: Celery, **kwargs: object) -> None:
    # The filesystem transport (embedded mode) expects its folders to exist.
    options = sender.conf.broker_transport_options or {}
    for key in (
        "data_folder_in",
        "data_folder_out",
        "processed_folder",
        "control_folder",
    ):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)
