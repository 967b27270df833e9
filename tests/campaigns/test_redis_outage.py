"""Redis (cache and broker) down: sign-in and pages work, launches refuse clearly.

A Redis server of the tests' own, stopped mid-test: the machine's serves others."""

import pytest
from kombu.exceptions import OperationalError

from django.urls import reverse

from accounts import throttle
from accounts.models import AuditEvent
from campaigns import services
from campaigns.models import Campaign
from smsportal import outage
from smsportal.celery import app as celery_app
from tests.campaigns.gateway_accounts import simulated_account
from tests.redis_servers import private_redis, redis_server_available

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not redis_server_available(), reason="redis-server missing"),
]
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
REFUSED = "The task queue is unavailable"


def _broker_at(url: str) -> tuple[str, str]:
    before = (celery_app.conf.broker_read_url, celery_app.conf.broker_write_url)
    celery_app.conf.broker_read_url = celery_app.conf.broker_write_url = url
    # The app keeps the pools of the URL it first used (kombu keeps one per URL).
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    return before


@pytest.fixture
def redis(settings):
    """A private Redis as the cache and the broker (tasks published, not run)."""
    with private_redis() as server:
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": server.url(3),
                "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1},
            }
        }
        before = _broker_at(server.url(0))
        celery_app.conf.task_always_eager = False
        outage.forget()
        throttle._LOCAL.clear()
        try:
            yield server
        finally:
            celery_app.conf.task_always_eager = True
            _broker_at(before[1])
            celery_app.conf.broker_read_url = before[0]
            outage.forget()
            throttle._LOCAL.clear()


@pytest.fixture
def redis_down(redis):
    redis.shutdown()
    return redis


@pytest.fixture
def draft(make_group, make_campaign, simulator):
    # SMSC estimates the cost itself, and the estimate is remembered in the cache.
    account = simulated_account(simulator, "smsc", tariff=None)
    group = make_group("G", [("+79120000001", "A", "Europe/Moscow")])
    return make_campaign([group], account=account, price_per_segment=None)


def test_sign_in_works_while_redis_is_down(redis_down, client, viewer_user):
    response = client.post(
        reverse("login"),
        {"username": "vera-viewer", "password": "secret-pass-123"},
        **EN,
    )
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def test_failed_sign_ins_still_lock_while_redis_is_down(
    redis_down, client, viewer_user
):
    """Counted in the process's own memory meanwhile (accounts.throttle)."""
    for _ in range(5):
        client.post(reverse("login"), {"username": "vera-viewer", "password": "no"})
    response = client.post(
        reverse("login"),
        {"username": "vera-viewer", "password": "secret-pass-123"},
        **EN,
    )
    assert response.status_code == 429
    assert "Too many failed attempts" in response.content.decode()


def test_a_drafts_preview_offers_launch_and_says_the_queue_is_down(
    redis_down, manager_client, draft
):
    outage.probe_now()
    response = manager_client.get(reverse("campaigns:preview", args=[draft.pk]), **EN)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-action="launch"' in html
    assert 'data-preview="queue-down"' in html
    assert 'data-preview="total">1<' in html


def test_the_api_refuses_a_launch_with_503_and_the_draft_stays_a_draft(
    redis_down, manager_client, draft
):
    response = manager_client.post(
        f"/api/v1/campaigns/{draft.pk}/launch", content_type="application/json", **EN
    )
    assert response.status_code == 503
    assert response["Content-Type"].startswith("application/json")
    assert REFUSED in response.json()["detail"]
    draft.refresh_from_db()
    assert (draft.state, draft.launched_at) == (Campaign.State.DRAFT, None)
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.LAUNCHED).exists()


def test_the_page_refuses_a_launch_with_an_alert(redis_down, manager_client, draft):
    response = manager_client.post(
        reverse("campaigns:launch", args=[draft.pk]), follow=True, **EN
    )
    assert response.status_code == 200
    assert REFUSED in response.content.decode()
    draft.refresh_from_db()
    assert draft.state == Campaign.State.DRAFT


def test_a_scheduled_launch_needs_no_queue(redis_down, manager_client, draft):
    from datetime import timedelta

    from django.utils import timezone

    Campaign.objects.filter(pk=draft.pk).update(
        start_at=timezone.now() + timedelta(days=1)
    )
    response = manager_client.post(
        f"/api/v1/campaigns/{draft.pk}/launch", content_type="application/json", **EN
    )
    assert response.status_code == 200
    assert response.json()["state"] == "scheduled"


def test_a_resume_is_refused_and_the_campaign_stays_paused(
    redis_down, manager_client, draft
):
    Campaign.objects.filter(pk=draft.pk).update(state=Campaign.State.PAUSED)
    response = manager_client.post(
        f"/api/v1/campaigns/{draft.pk}/resume", content_type="application/json", **EN
    )
    assert response.status_code == 503
    draft.refresh_from_db()
    assert draft.state == Campaign.State.PAUSED


def test_every_page_says_what_is_down(redis_down, manager_client):
    outage.probe_now()
    html = manager_client.get(reverse("dashboard"), **EN).content.decode()
    assert 'data-outage="broker"' in html
    assert "The task queue is unavailable." in html
    assert "The shared cache is unavailable." in html


def test_pages_say_nothing_while_redis_answers(redis, manager_client):
    assert outage.probe_now() == frozenset()
    html = manager_client.get(reverse("dashboard"), **EN).content.decode()
    assert "data-outage-notice" not in html


class _AlwaysAdds:
    def add(self, *args, **kwargs) -> bool:
        return True


def test_a_broker_lost_after_the_commit_undoes_the_launch(
    redis, draft, monkeypatch, django_capture_on_commit_callbacks
):
    """The check before the launch passed; the broker went away before the task was
    sent: the campaign is a draft again, the start lease given back."""
    outage.probe_now()
    monkeypatch.setattr(services, "queue_required", lambda: None)
    redis.shutdown()
    # The start lease was taken before the commit, while the cache still answered.
    monkeypatch.setattr(services, "cache", _AlwaysAdds())
    with (
        pytest.raises(outage.QueueUnavailable),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.campaign_launch(campaign=draft)
    draft.refresh_from_db()
    assert (draft.state, draft.launched_at) == (Campaign.State.DRAFT, None)
    undone = AuditEvent.objects.filter(
        action=AuditEvent.Action.CHANGED, object_id=str(draft.pk)
    ).first()
    assert undone.details["state"] == ["sending", "draft"]


def test_a_page_whose_work_met_the_outage_says_so(manager_client, monkeypatch):
    from smsportal import views

    def lost(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379.")

    monkeypatch.setattr(views, "daily_traffic", lost)
    response = manager_client.get(reverse("dashboard"), **EN)
    assert response.status_code == 503
    html = response.content.decode()
    assert "The task queue or the shared cache is unavailable" in html
    assert "6379" not in html
