"""API tokens' scope (read only, or read and write) and expiry, enforced where the
API authenticates: every operation of every router, not a list kept by hand."""

import re
from datetime import timedelta

import pytest

from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import formats, timezone, translation

from accounts.audit_display import detail_lines
from accounts.models import ApiToken, AuditEvent
from accounts.services import api_token_create
from contacts.models import Contact, ContactGroup

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
WRITE_METHODS = {"post", "put", "patch", "delete"}


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()  # the failed-token counters and the refusal log's windows
    yield
    cache.clear()


def api_client(raw: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}", **EN)


def operations(client: Client, *, computing: bool = False) -> list[tuple[str, str]]:
    """(method, path) of every operation the OpenAPI document lists, path
    parameters filled with 1: a scope refusal comes before any lookup. Those
    marked as only computing (smsportal.api.computes_only) left out, or, with
    `computing`, alone."""
    spec = client.get("/api/v1/openapi.json").json()
    return [
        (method, re.sub(r"\{[^}]+\}", "1", path))
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if bool(operation.get("x-read-only-token-allowed")) == computing
    ]


@pytest.fixture
def read_only(admin_user) -> Client:
    """An Admin's read-only token: whatever refuses a write, it is not the role."""
    _token, raw = api_token_create(
        user=admin_user, name="reports", scope=ApiToken.Scope.READ
    )
    return api_client(raw)


def test_a_read_only_token_is_refused_every_write_with_a_clear_403(read_only):
    writes = [op for op in operations(read_only) if op[0] in WRITE_METHODS]
    # Every router's writes are there: providers, contacts, campaigns, reports,
    # templates, greetings.
    assert {path.split("/")[3] for _m, path in writes} >= {
        "providers", "contacts", "groups", "stoplist", "campaigns", "messages",
        "inbound", "templates", "greetings",
    }  # fmt: skip

    answers = {
        (method, path): getattr(read_only, method)(
            path, "{}", content_type="application/json"
        )
        for method, path in writes
    }

    assert {op: r.status_code for op, r in answers.items()} == {
        op: 403 for op in answers
    }
    for (method, _path), response in answers.items():
        assert response.json() == {
            "detail": "This API token is read-only: it may make GET requests and the "
            "few requests that only compute (such as a campaign's preview), not this "
            f"{method.upper()}. To change data, create a read-write token on your "
            "profile page."
        }


def test_only_a_campaigns_preview_is_marked_as_only_computing(read_only):
    """Marked by hand (smsportal.api.computes_only), and said in the schema for
    clients: the POSTs a read-only token may make (tests/campaigns/test_api.py
    calls it)."""
    assert operations(read_only, computing=True) == [
        ("post", "/api/v1/campaigns/1/preview")
    ]


def test_a_read_only_token_reads_everything(read_only):
    reads = [op for op in operations(read_only) if op[0] == "get"]
    assert len(reads) > 20

    refused = {
        path: response.status_code
        for _method, path in reads
        if (response := read_only.get(path)).status_code in (401, 403)
    }

    assert refused == {}


def test_a_read_only_token_changes_nothing(admin_user):
    contact = Contact.objects.create(phone="+79161234567")
    group = ContactGroup.objects.create(name="VIP")
    _token, raw = api_token_create(user=admin_user, name="r", scope="read")
    _token, raw_rw = api_token_create(user=admin_user, name="rw", scope="read_write")

    deleted = api_client(raw).delete(f"/api/v1/contacts/{contact.pk}")
    renamed = api_client(raw).patch(
        f"/api/v1/groups/{group.pk}", {"name": "X"}, content_type="application/json"
    )
    listed = api_client(raw).get("/api/v1/contacts")

    assert (deleted.status_code, renamed.status_code, listed.status_code) == (
        403, 403, 200,
    )  # fmt: skip
    assert Contact.objects.filter(pk=contact.pk).exists()
    group.refresh_from_db()
    assert group.name == "VIP"
    # Read and write: whatever the role allows.
    assert (
        api_client(raw_rw).delete(f"/api/v1/contacts/{contact.pk}").status_code == 204
    )


def test_a_read_write_token_is_still_bound_by_the_role(viewer_user):
    _token, raw = api_token_create(user=viewer_user, name="rw", scope="read_write")

    response = api_client(raw).post(
        "/api/v1/groups", {"name": "X"}, content_type="application/json"
    )

    assert response.status_code == 403
    assert response.json() == {"detail": "You do not have permission to do this."}


def expire(token: ApiToken, ago: timedelta = timedelta(minutes=1)) -> None:
    token.expires_at = timezone.now() - ago
    token.save(update_fields=["expires_at"])


def test_an_expired_token_gets_a_401_that_says_so(manager_user):
    token, raw = api_token_create(user=manager_user, name="crm", lifetime_days=30)
    assert api_client(raw).get("/api/v1/me").status_code == 200
    expire(token)
    token.refresh_from_db()
    used = token.last_used_at

    response = api_client(raw).get("/api/v1/me")

    assert response.status_code == 401
    body = response.json()
    when = timezone.localtime(token.expires_at)
    assert body == {
        "detail": f"This API token expired on {when:%Y-%m-%d %H:%M %z}. "
        "Create a new token on your profile page.",
        "expired_at": when.isoformat(),
    }
    assert 'error="invalid_token"' in response["WWW-Authenticate"]
    token.refresh_from_db()
    assert token.last_used_at == used  # a refused attempt is no use


def test_unknown_and_revoked_tokens_get_the_plain_401(manager_user):
    """Only a token's holder learns that it expired: an unknown one, or one revoked
    (expired or not), is told nothing about what it was."""
    revoked, raw = api_token_create(user=manager_user, name="old")
    expire(revoked)
    revoked.revoked_at = timezone.now()
    revoked.save(update_fields=["revoked_at"])
    plain = {
        "detail": "Send a valid API token (Authorization: Bearer <token>) or log in."
    }

    for token in (raw, "sp_never-was-a-token-00000000000"):
        response = api_client(token).get("/api/v1/me")
        assert (response.status_code, response.json()) == (401, plain)
        # The challenge every 401 carries, with no word of the token's fate.
        assert response["WWW-Authenticate"] == 'Bearer realm="smsportal API"'


def test_a_token_works_until_its_expiry(manager_user):
    token, raw = api_token_create(user=manager_user, name="crm", lifetime_days=90)

    assert api_client(raw).get("/api/v1/me").status_code == 200
    expected = timezone.now() + timedelta(days=90)
    assert abs((token.expires_at - expected).total_seconds()) < 60
    expire(token, ago=timedelta(0))  # expires_at == now: expired
    assert api_client(raw).get("/api/v1/me").status_code == 401


def test_an_expired_token_is_no_guess_and_not_counted(manager_user, settings):
    """A script left running with an expired token is told why each time; it does
    not lock its address out as guessing does."""
    settings.SMSPORTAL_API_TOKEN_ATTEMPTS = 3
    token, raw = api_token_create(user=manager_user, name="crm", lifetime_days=30)
    expire(token)

    statuses = [api_client(raw).get("/api/v1/me").status_code for _ in range(6)]
    unknown = api_client("sp_unknown-token-0000000000").get("/api/v1/me")

    assert statuses == [401] * 6
    assert unknown.status_code == 401  # the first failure, not a locked address


def test_the_schema_tells_an_expired_token_so(manager_user):
    token, raw = api_token_create(user=manager_user, name="gen", lifetime_days=30)
    expire(token)

    response = api_client(raw).get("/api/v1/openapi.json")

    assert response.status_code == 401
    assert response.json()["detail"].startswith("This API token expired on ")


def test_the_profile_makes_a_token_with_its_scope_and_expiry(client, manager_user):
    client.force_login(manager_user)
    url = reverse("accounts:profile")
    form = client.get(url, **EN).content.decode()

    client.post(url, {"name": "reports", "scope": "read", "lifetime": "30"})
    client.post(url, {"name": "crm", "scope": "read_write", "lifetime": "never"})
    refused = client.post(url, {"name": "x", "scope": "admin", "lifetime": "7"}, **EN)

    # The page offers what a user expects, read only and 90 days chosen.
    assert re.search(r'<option value="read" selected>Read only</option>', form)
    assert re.search(r'<option value="90" selected>90 days</option>', form)
    assert [v for v in ("30", "365", "never") if f'<option value="{v}"' in form] == [
        "30", "365", "never",
    ]  # fmt: skip
    tokens = {t.name: t for t in manager_user.api_tokens.all()}
    assert set(tokens) == {"reports", "crm"}
    assert tokens["reports"].scope == "read"
    expected = timezone.now() + timedelta(days=30)
    assert abs((tokens["reports"].expires_at - expected).total_seconds()) < 60
    assert (tokens["crm"].scope, tokens["crm"].expires_at) == ("read_write", None)
    assert refused.status_code == 200
    assert b'aria-describedby="id_scope_helptext id_scope_error"' in refused.content
    assert b'aria-describedby="id_lifetime_error"' in refused.content


def test_the_profile_lists_scope_expiry_last_use_and_state(client, manager_user):
    _t, raw = api_token_create(user=manager_user, name="reader", scope="read")
    api_client(raw).get("/api/v1/me")
    expired, _raw = api_token_create(user=manager_user, name="gone", lifetime_days=30)
    expire(expired, ago=timedelta(days=1))
    client.force_login(manager_user)

    page = client.get(reverse("accounts:profile"), **EN).content.decode()

    rows = {
        row.split("<td>", 2)[1].split("</td>")[0]: re.sub(r"\s+", " ", row)
        for row in page.split("<tr>")[2:]
    }
    assert "<th>Access</th>" in page
    assert "<th>Expires</th>" in page
    assert "<th>Last used</th>" in page
    assert "<td>Read only</td>" in rows["reader"]
    assert "<td> never </td>" in rows["reader"]
    assert "<td>—</td>" not in rows["reader"]  # it was used: when is shown
    assert "<td>Read and write</td>" in rows["gone"]
    assert "expired" in rows["gone"]
    assert "Revoke" in rows["reader"]
    assert "Revoke" not in rows["gone"]


def test_the_admin_shows_scope_and_expiry_read_only(admin_client, viewer_user):
    token, _raw = api_token_create(
        user=viewer_user, name="crm", scope="read", lifetime_days=365
    )
    api_token_create(user=viewer_user, name="forever", scope="read_write")
    listing = admin_client.get(
        reverse("admin:accounts_apitoken_changelist"), **EN
    ).content.decode()
    url = reverse("admin:accounts_apitoken_change", args=[token.pk])
    page = admin_client.get(url, **EN).content.decode()

    response = admin_client.post(
        url,
        {"name": "crm", "scope": "read_write", "expires_at_0": "", "expires_at_1": ""},
    )

    for column in ("scope", "expiry", "last_used_at"):
        assert f"column-{column}" in listing
    cells = re.findall(r'<td class="field-(scope|expiry)">([^<]*)</td>', listing)
    assert sorted(cells) == sorted(
        [
            ("scope", "Read only"),
            ("scope", "Read and write"),
            ("expiry", formats.localize(timezone.localtime(token.expires_at))),
            ("expiry", "never"),
        ]
    )
    assert 'name="scope"' not in page
    assert 'name="expires_at_0"' not in page
    assert "Read only" in page
    assert response.status_code == 302
    token.refresh_from_db()
    assert (token.scope, token.expires_at is not None) == ("read", True)


def test_the_audit_log_says_how_a_token_was_made(manager_user):
    token, _raw = api_token_create(
        user=manager_user, name="crm", scope="read", lifetime_days=30
    )
    event = AuditEvent.objects.get(
        action=AuditEvent.Action.CREATED, object_type="accounts.ApiToken"
    )

    with translation.override("en"):
        lines = dict(detail_lines("accounts.ApiToken", event.details))

    assert event.details["scope"] == "read"
    assert event.details["expires_at"] == token.expires_at.isoformat()
    assert set(lines) == {"Access", "Expires"}
    assert lines["Access"] == "Read only"
