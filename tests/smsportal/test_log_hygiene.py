"""What the application log says about requests: no callback tokens, no tracebacks
for everyday refusals, and times that name their offset from UTC."""

import logging
import logging.config
import re

import pytest
from celery.app.log import TaskFormatter
from celery.signals import after_setup_task_logger

from django.urls import reverse

from providers.models import ProviderAccount

pytestmark = pytest.mark.django_db
TOKEN = "s3cret-token-0123456789"
OFFSET_TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}[+-]\d{4} ")


def test_a_refused_callback_logs_its_path_without_the_token(client, caplog):
    """Any 4xx on a callback URL was logged with the token in its path."""
    caplog.set_level(logging.WARNING, logger="django.request")

    response = client.post(f"/callbacks/{TOKEN}/status/", data=b"x", content_type="x")

    assert response.status_code == 404
    records = [r for r in caplog.records if r.name == "django.request"]
    assert [r.getMessage() for r in records] == ["Not Found: /callbacks/…/status/"]
    assert TOKEN not in caplog.text


def test_a_known_accounts_bad_callback_is_logged_without_its_token(
    client, caplog, simulator
):
    from tests.providers.sim_accounts import make_account

    account: ProviderAccount = make_account(simulator, "smsc")
    caplog.set_level(logging.WARNING, logger="django.request")

    response = client.put(reverse("callbacks:status", args=[account.callback_token]))

    assert 400 <= response.status_code < 500
    assert "/callbacks/…/status/" in caplog.text
    assert account.callback_token not in caplog.text


def test_the_development_servers_request_lines_mask_the_token(caplog):
    server = logging.getLogger("django.server")
    server.addHandler(caplog.handler)  # it does not propagate to the root logger
    try:
        server.info('"%s" %s %s', f"POST /callbacks/{TOKEN}/incoming/ HTTP/1.1", 400, 0)
    finally:
        server.removeHandler(caplog.handler)

    assert caplog.records[-1].getMessage() == (
        '"POST /callbacks/…/incoming/ HTTP/1.1" 400 0'
    )


def test_other_paths_are_logged_as_they_are(client, caplog, manager_client):
    caplog.set_level(logging.WARNING, logger="django.request")

    manager_client.get("/contacts/999999/")

    assert "Not Found: /contacts/999999/" in caplog.text


def test_a_permission_denied_is_one_line_without_a_traceback(viewer_client, caplog):
    """Every 403 from PermissionDenied logged a whole traceback at WARNING."""
    caplog.set_level(logging.WARNING, logger="django.request")

    response = viewer_client.get(reverse("contacts:create"))

    assert response.status_code == 403
    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert record.getMessage() == "Forbidden (Permission denied): /contacts/new/"
    assert record.exc_info is None
    assert "Traceback" not in caplog.text


def test_the_projects_log_lines_carry_their_utc_offset(settings):
    """Django's lines had local time without offset, gunicorn's master UTC."""
    config = settings.LOGGING["formatters"]["plain"]
    formatter = logging.config.DictConfigurator({}).configure_formatter(dict(config))
    record = logging.makeLogRecord({"msg": "hello", "levelname": "INFO"})

    line = formatter.format(record)

    assert OFFSET_TIME.match(line), line


def test_celerys_task_lines_carry_their_utc_offset():
    """Celery sets its own formatters on the worker's loggers, times without offset."""
    logger = logging.getLogger("tests.celery-task-lines")
    handler = logging.StreamHandler()
    handler.setFormatter(TaskFormatter("%(asctime)s %(task_name)s %(message)s"))
    logger.addHandler(handler)
    record = logging.makeLogRecord({"msg": "done", "levelname": "INFO"})
    try:
        after_setup_task_logger.send(
            sender=None, logger=logger, loglevel=logging.INFO, logfile=None,
            format="", colorize=False,
        )  # fmt: skip
        line = handler.format(record)
    finally:
        logger.removeHandler(handler)

    assert OFFSET_TIME.match(line), line
