"""SECRET_KEY_FALLBACKS: a rotated SECRET_KEY keeps sessions, the login throttle's
device cookie and the credentials saved under the old key valid."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from django.http import HttpResponse
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse

from accounts.throttle import DEVICE_COOKIE, device_cookie_set, login_device
from providers.models import ProviderAccount

ROOT = Path(__file__).resolve().parents[2]
OLD = "the-old-secret-key-" * 3
NEW = "the-new-secret-key-" * 3


def test_settings_read_the_fallbacks_from_the_environment():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "smsportal.settings",
           "SECRET_KEY_FALLBACKS": "first-old-key,second-old-key"}  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-c",
         "import django; django.setup(); from django.conf import settings; "
         "print(settings.SECRET_KEY_FALLBACKS)"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.stdout.strip() == "['first-old-key', 'second-old-key']", result.stderr


def _cookie_of_old_key() -> str:
    with override_settings(SECRET_KEY=OLD):
        response = HttpResponse()
        device_cookie_set(response, username="alice", device="device-1")
        return response.cookies[DEVICE_COOKIE].value


def test_a_device_cookie_signed_with_the_old_key_still_counts():
    request = RequestFactory().get("/", HTTP_COOKIE=f"{DEVICE_COOKIE}=x")
    request.COOKIES[DEVICE_COOKIE] = _cookie_of_old_key()

    with override_settings(SECRET_KEY=NEW, SECRET_KEY_FALLBACKS=[OLD]):
        assert login_device(request, "alice") == "device-1"
    with override_settings(SECRET_KEY=NEW, SECRET_KEY_FALLBACKS=[]):
        assert login_device(request, "alice") is None


def _signed_in_with_old_key(user) -> Client:
    client = Client()
    with override_settings(SECRET_KEY=OLD):
        client.force_login(user)
    return client


@pytest.mark.django_db
def test_a_session_of_the_old_key_stays_signed_in(admin_user):
    with override_settings(SECRET_KEY=NEW, SECRET_KEY_FALLBACKS=[OLD]):
        client = _signed_in_with_old_key(admin_user)
        assert client.get(reverse("dashboard")).status_code == 200
    # Signed out without the fallback (what rotating did to everyone before).
    with override_settings(SECRET_KEY=NEW, SECRET_KEY_FALLBACKS=[]):
        client = _signed_in_with_old_key(admin_user)
        assert client.get(reverse("dashboard")).status_code == 302


@pytest.mark.django_db
def test_credentials_saved_under_the_old_key_read_with_it_as_a_fallback():
    with override_settings(SECRET_KEY=OLD, SMSPORTAL_FIELD_KEY=""):
        account = ProviderAccount.objects.create(
            name="Old", kind="webcom", base_url="http://127.0.0.1:9/x",
            password="secret-pass",
        )  # fmt: skip

    with override_settings(
        SECRET_KEY=NEW, SECRET_KEY_FALLBACKS=[OLD], SMSPORTAL_FIELD_KEY=""
    ):
        assert ProviderAccount.objects.get(pk=account.pk).password == "secret-pass"
