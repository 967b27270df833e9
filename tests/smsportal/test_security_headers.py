import re
from pathlib import Path

import pytest

from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))
INLINE_SCRIPT = re.compile(
    r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I
)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=\s*[\"']", re.I)


@pytest.mark.django_db
def test_pages_carry_a_strict_content_security_policy(admin_client):
    response = admin_client.get(reverse("dashboard"))
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_login_page_has_the_policy_too(client, db):
    assert "Content-Security-Policy" in client.get(reverse("login")).headers


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_templates_have_no_inline_scripts_or_handlers(template):
    text = template.read_text()
    assert not INLINE_SCRIPT.search(text), "inline <script>: move it to static/js"
    assert not INLINE_HANDLER.search(text), (
        "inline on...= handler: bind it in static/js"
    )


def test_production_settings_make_cookies_secure_and_send_hsts(monkeypatch):
    import importlib

    import smsportal.settings as base

    monkeypatch.setenv("DEBUG", "false")
    reloaded = importlib.reload(base)
    try:
        assert reloaded.SESSION_COOKIE_SECURE
        assert reloaded.CSRF_COOKIE_SECURE
        assert reloaded.SECURE_HSTS_SECONDS >= 31536000
    finally:
        monkeypatch.delenv("DEBUG")
        importlib.reload(base)
