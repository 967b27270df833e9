"""The WSGI short way for status callbacks answers as Django does, or lets Django."""

import io
import time

import pytest

from django.core.handlers.wsgi import WSGIHandler

from campaigns import webhooks
from campaigns.callback_wsgi import StatusCallbackShortcut
from campaigns.models import Reply
from providers.simulator import smsc as smsc_sim
from providers.simulator.state import SimAccount, SimIncoming
from tests.campaigns.test_webhook_accounts import (
    queued_message,
    smsc_status_callback,
)

# Each request commits, as under a WSGI server (Django closes old connections around it).
pytestmark = pytest.mark.django_db(transaction=True)


class CountingDjango:
    """Django's own WSGI handler, counting the requests it serves."""

    def __init__(self) -> None:
        self.handler = WSGIHandler()
        self.served = 0

    def __call__(self, environ, start_response):
        self.served += 1
        return self.handler(environ, start_response)


def call(app, built, *, host: str = "testserver", scheme: str = "http"):
    """One request through a WSGI app: (status, headers as a dict, body)."""
    path, body, content_type = built
    environ = {
        "REQUEST_METHOD": "POST", "PATH_INFO": path, "QUERY_STRING": "",
        "SERVER_NAME": "testserver", "SERVER_PORT": "80", "HTTP_HOST": host,
        "SERVER_PROTOCOL": "HTTP/1.1", "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": scheme, "wsgi.errors": io.StringIO(),
    }  # fmt: skip
    started = []
    result = app(environ, lambda status, headers: started.append((status, headers)))
    content = b"".join(result)
    if hasattr(result, "close"):
        result.close()
    status, headers = started[0]
    return status, dict(headers), content


@pytest.fixture
def shortcut():
    webhooks._accounts.clear()
    django = CountingDjango()
    yield StatusCallbackShortcut(django), django
    webhooks._accounts.clear()


def requeue(message) -> None:
    message.status = "queued"
    message.save(update_fields=["status"])


def test_a_remembered_account_is_answered_as_django_answers(smsc_account, shortcut):
    app, django = shortcut
    message = queued_message(smsc_account, "501:79120000001")
    built = smsc_status_callback(smsc_account, signed_with="first-secret")

    by_django = call(app, built)  # not remembered yet: Django, which remembers it
    assert django.served == 1
    requeue(message)
    short = call(app, built)

    assert django.served == 1  # served on the short way
    assert short == by_django
    assert short[0] == "200 OK"
    assert short[1]["Content-Length"] == str(len(short[2]))
    assert "Content-Security-Policy" in short[1]
    message.refresh_from_db()
    assert message.status == "delivered"


def test_an_unknown_token_is_django_s_404(shortcut):
    app, django = shortcut
    built = ("/callbacks/no-such-token/status/", b"x=1", "text/plain")
    assert call(app, built)[0].startswith("404")
    assert django.served == 1


def test_a_changed_secret_sends_the_request_to_django(smsc_account, shortcut):
    """A remembered account whose signing secret changed: the signature check fails
    on the short way, and Django decides with the current account (as the view
    does)."""
    app, django = shortcut
    message = queued_message(smsc_account, "501:79120000001")
    call(app, smsc_status_callback(smsc_account, signed_with="first-secret"))
    smsc_account.callback_secret = "second-secret"
    smsc_account.save()
    requeue(message)

    new = smsc_status_callback(smsc_account, signed_with="second-secret")
    assert call(app, new)[0] == "200 OK"
    assert django.served == 2  # the stale account could not answer it
    message.refresh_from_db()
    assert message.status == "delivered"


def test_a_failure_after_the_report_went_in_is_served_again_by_django(
    smsc_account, shortcut, monkeypatch, caplog
):
    """Applying a report twice changes nothing, so Django serves the request again,
    reading the body the short way had read."""
    app, django = shortcut
    message = queued_message(smsc_account, "501:79120000001")
    built = smsc_status_callback(smsc_account, signed_with="first-secret")
    call(app, built)
    requeue(message)
    known = webhooks.cached_account(smsc_account.callback_token)
    original = known.gateway.status_callback_ack
    failures = []

    def ack_failing_once(inbound, reports):
        if not failures:
            failures.append(reports)
            raise RuntimeError("broke after applying")
        return original(inbound, reports)

    monkeypatch.setattr(known.gateway, "status_callback_ack", ack_failing_once)
    status, _headers, body = call(app, built)

    assert status == "200 OK"
    assert django.served == 2
    assert len(failures) == 1
    assert failures[0]  # the short way had parsed the report
    assert "the short way failed" in caplog.text  # said, not swallowed
    message.refresh_from_db()
    assert message.status == "delivered"


def test_a_host_not_allowed_gets_django_s_400(smsc_account, shortcut):
    app, django = shortcut
    message = queued_message(smsc_account, "501:79120000001")
    built = smsc_status_callback(smsc_account, signed_with="first-secret")
    call(app, built)
    requeue(message)

    assert call(app, built, host="evil.example")[0].startswith("400")
    assert django.served == 2
    message.refresh_from_db()
    assert message.status == "queued"


def test_an_https_redirect_is_django_s(smsc_account, settings):
    settings.SECURE_SSL_REDIRECT = True  # read when the middleware are built
    webhooks._accounts.clear()
    django = CountingDjango()
    app = StatusCallbackShortcut(django)
    built = smsc_status_callback(smsc_account, signed_with="first-secret")
    assert call(app, built, scheme="https")[0] == "200 OK"  # remembered now

    assert call(app, built)[0].startswith("301")
    assert django.served == 2
    assert call(app, built, scheme="https")[0] == "200 OK"
    assert django.served == 2
    webhooks._accounts.clear()


def test_an_unknown_middleware_turns_the_short_way_off(smsc_account, settings):
    webhooks._accounts.clear()
    django = CountingDjango()  # built with the middleware it knows how to load
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "tests.campaigns.SomeNewMiddleware"]
    app = StatusCallbackShortcut(django)
    webhooks._checked(smsc_account.callback_token)  # the account is remembered
    built = smsc_status_callback(smsc_account, signed_with="first-secret")

    assert call(app, built)[0] == "200 OK"
    assert django.served == 1  # nothing skipped a middleware it does not know
    webhooks._accounts.clear()


def as_multipart(built) -> tuple:
    """The same callback posted as multipart/form-data (PHP's curl with an array)."""
    from urllib.parse import parse_qsl

    from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

    path, body, _content_type = built
    fields = dict(parse_qsl(body.decode()))
    return path, encode_multipart(BOUNDARY, fields), MULTIPART_CONTENT


def test_a_multipart_form_report_is_applied_on_both_ways(smsc_account, shortcut):
    """Django reads a multipart body from the stream when POST is read first, after
    which request.body raised: every such callback answered 500, for ever."""
    app, django = shortcut
    message = queued_message(smsc_account, "501:79120000001")
    built = as_multipart(smsc_status_callback(smsc_account, signed_with="first-secret"))

    assert call(app, built)[0] == "200 OK"  # Django
    message.refresh_from_db()
    assert message.status == "delivered"
    requeue(message)
    assert call(app, built)[0] == "200 OK"  # the short way
    assert django.served == 1
    message.refresh_from_db()
    assert message.status == "delivered"


def test_an_incoming_message_at_the_status_url_is_stored_once_on_either_way(
    smsc_account, shortcut
):
    app, _django = shortcut
    sim_account = SimAccount("smsc", "u", callback_secret="first-secret")
    path = f"/callbacks/{smsc_account.callback_token}/status/"
    sim_account.incoming_callback_url = path
    for n in ("1", "2"):  # the second with the account remembered
        item = SimIncoming(
            id=n, gateway="smsc", login="u", phone="79120000044", text="Да", to="1",
            received_at=time.time(),
        )  # fmt: skip
        assert call(app, smsc_sim.build_incoming_callback(item, sim_account))[0] == (
            "200 OK"
        )
    assert sorted(Reply.objects.values_list("gateway_message_id", flat=True)) == [
        "1",
        "2",
    ]
