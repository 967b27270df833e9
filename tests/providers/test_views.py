import pytest

from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from accounts.models import AuditEvent
from providers.base import Capability
from providers.models import ProviderAccount, SenderName
from providers.registry import gateway_class
from providers.simulator import Fault
from tests.providers.sim_accounts import (
    KINDS,
    LOGIN,
    PASSWORD,
    SIM_BALANCE,
    SIM_SENDERS,
    TOKEN,
    account_at_simulator,
    kinds_with,
    kinds_without,
    make_account,
    register,
)

pytestmark = pytest.mark.django_db


def page(client, url_name, *args, **kwargs) -> str:
    response = client.get(reverse(url_name, args=args), **kwargs)
    assert response.status_code == 200
    return response.content.decode()


def assert_no_secrets(html: str) -> None:
    for secret in (PASSWORD, TOKEN):
        assert secret not in html


# list -----------------------------------------------------------------------------


def test_list_shows_accounts_with_balance_capabilities_and_error(
    admin_client, simulator
):
    account = make_account(simulator, KINDS[0], last_error="Gateway said no")
    ProviderAccount.objects.filter(pk=account.pk).update(balance=SIM_BALANCE)

    html = page(admin_client, "providers:list")

    assert account.name in html
    assert reverse("providers:detail", args=[account.pk]) in html
    assert "321.50" in html or "321,50" in html
    assert 'data-capability="balance"' in html
    assert "Gateway said no" in html
    assert reverse("providers:account_create") in html
    assert_no_secrets(html)


def test_the_balance_time_tooltip_is_in_the_site_time(admin_client, simulator):
    from datetime import UTC, datetime

    account = make_account(simulator, KINDS[0])
    checked = datetime(2026, 3, 5, 9, 30, tzinfo=UTC)  # 12:30 in Moscow
    ProviderAccount.objects.filter(pk=account.pk).update(
        balance=SIM_BALANCE, balance_checked_at=checked
    )

    with translation.override("ru"):
        html = page(admin_client, "providers:list")

    assert checked.isoformat() not in html
    assert 'title="05.03.2026 12:30"' in html


def test_viewer_sees_the_list_but_cannot_add_edit_or_check(viewer_client, simulator):
    account = make_account(simulator, KINDS[0])

    html = page(viewer_client, "providers:list")

    assert account.name in html
    assert reverse("providers:account_create") not in html
    for name in ("providers:account_edit", "providers:account_check"):
        assert viewer_client.post(reverse(name, args=[account.pk])).status_code == 403
    assert viewer_client.get(reverse("providers:account_create")).status_code == 403


def test_manager_cannot_edit_accounts(manager_client, simulator):
    account = make_account(simulator, KINDS[0])

    assert manager_client.get(reverse("providers:list")).status_code == 200
    edit = reverse("providers:account_edit", args=[account.pk])
    assert manager_client.get(edit).status_code == 403


def test_anonymous_user_is_sent_to_login(client):
    response = client.get(reverse("providers:list"))

    assert response.status_code == 302
    assert reverse("login") in response.url


# create / edit -------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_create_fills_gateway_defaults_and_stores_the_secret(admin_client, kind):
    cls = gateway_class(kind)

    response = admin_client.post(
        reverse("providers:account_create"),
        {"name": "Main", "kind": kind, "login": LOGIN, "new_password": PASSWORD,
         "rate_limit": 0, "is_active": "on"},
    )  # fmt: skip

    assert response.status_code == 302
    account = ProviderAccount.objects.get(name="Main")
    assert response.url == reverse("providers:detail", args=[account.pk])
    assert account.base_url == cls.default_base_url
    assert account.dialect == (cls.dialects[0] if cls.dialects else "")
    assert account.password == PASSWORD


def test_a_default_sender_no_gateway_can_carry_is_a_form_error(admin_client, settings):
    settings.LANGUAGE_CODE = "en"
    response = admin_client.post(
        reverse("providers:account_create"),
        {"name": "Main", "kind": KINDS[0], "login": LOGIN, "new_password": PASSWORD,
         "rate_limit": 0, "is_active": "on", "default_sender": "SHOP\x07"},
    )  # fmt: skip

    assert response.status_code == 200
    assert (
        response.context["form"]
        .errors["default_sender"][0]
        .startswith("Character 5: the control character U+0007")
    )
    assert not ProviderAccount.objects.exists()


LATIN_OR_NUMERIC = (
    "at most 11 Latin letters, digits, spaces and marks, or at most 15 digits."
)


@pytest.mark.parametrize(
    ("kind", "sender", "refused"),
    [
        (
            "websms",
            "Shop Name",
            "at WEBSMS: only Latin letters and digits, at most 11.",
        ),
        ("smsc", "Shop Name", ""),
        ("webcom", "Shop-24 (M)", ""),
        ("webcom", "791234567890123", ""),
        # Seed 004: "≤11 alphanumeric or ≤15 digits"; the gateway refused it only
        # after the launch, and the paused campaign could not change its sender.
        ("webcom", "ОЧЕНЬДЛИННОЕИМЯ", f"at Webcom Mobi / mysmpp: {LATIN_OR_NUMERIC}"),
        ("webcom", "Магазин", f"at Webcom Mobi / mysmpp: {LATIN_OR_NUMERIC}"),
        ("smsc", "TwelveLetter", f"at SMSC: {LATIN_OR_NUMERIC}"),
    ],
)
def test_a_default_sender_against_the_gateways_rule_is_a_form_error(
    admin_client, settings, kind, sender, refused
):
    settings.LANGUAGE_CODE = "en"
    response = admin_client.post(
        reverse("providers:account_create"),
        {"name": "Main", "kind": kind, "login": LOGIN, "new_password": PASSWORD,
         "rate_limit": 0, "is_active": "on", "default_sender": sender},
    )  # fmt: skip

    if refused:
        assert response.context["form"].errors["default_sender"] == [
            f"“{sender}” cannot be a sender name {refused}"
        ]
        assert not ProviderAccount.objects.exists()
    else:
        assert response.status_code == 302


def test_edit_form_never_renders_stored_secrets_but_hints_them(admin_client, simulator):
    account = make_account(simulator, KINDS[0])

    html = page(admin_client, "providers:account_edit", account.pk)

    assert_no_secrets(html)
    assert "••••rd" in html  # the password's masked hint
    assert 'type="password"' in html


def test_edit_with_blank_secrets_keeps_them(admin_client, simulator):
    account = make_account(simulator, KINDS[0])
    data = {
        "name": "Renamed", "kind": account.kind, "dialect": account.dialect,
        "base_url": account.base_url, "login": "other-login", "rate_limit": 5,
        "is_active": "on", "new_password": "", "new_token": "",
    }  # fmt: skip

    response = admin_client.post(
        reverse("providers:account_edit", args=[account.pk]), data
    )

    assert response.status_code == 302
    account.refresh_from_db()
    assert (account.name, account.login, account.rate_limit) == (
        "Renamed",
        "other-login",
        5,
    )
    assert (account.password, account.token) == (PASSWORD, TOKEN)


@pytest.mark.parametrize(
    ("kind", "given", "refused_at"),
    [
        ("webcom", {"login": "l"}, ["new_password"]),
        ("webcom", {}, ["new_token"]),
        ("webcom", {"new_token": "t"}, []),
        ("smsc", {"new_token": "k"}, []),
        # WEBSMS signs in with the HTTP password: a token alone fails every call.
        ("websms", {"login": "l", "new_token": "t"}, ["new_password"]),
        ("websms", {"new_token": "t"}, ["login", "new_password"]),
    ],
)
def test_an_account_needs_the_credentials_its_gateway_signs_in_with(
    admin_client, settings, kind, given, refused_at
):
    """Saved without them, every call failed, and the reply fetch of every account
    stopped at it."""
    settings.LANGUAGE_CODE = "en"
    data = {"name": "Main", "kind": kind, "rate_limit": 0, "is_active": "on",
            "login": "", "new_password": "", "new_token": "", **given}  # fmt: skip

    response = admin_client.post(reverse("providers:account_create"), data)

    if refused_at:
        errors = response.context["form"].errors
        assert sorted(errors) == refused_at
        rules = {
            "webcom": "Webcom Mobi / mysmpp needs an API token, or a login and a "
            "password.",
            "websms": "WEBSMS needs a login and a password (its HTTP password; it "
            "takes no API token).",
        }
        assert {error for name in refused_at for error in errors[name]} == {rules[kind]}
    else:
        assert response.status_code == 302


def test_the_account_form_says_what_the_gateway_signs_in_with(admin_client, settings):
    settings.LANGUAGE_CODE = "en"
    new = admin_client.get(reverse("providers:account_create")).content.decode()
    chosen = admin_client.post(
        reverse("providers:account_create"), {"name": "W", "kind": "websms"}
    ).content.decode()

    # Each kind's note travels to providers.js; the chosen one's is on the page.
    assert "signs in with a login and a password (its HTTP password" in new
    note = chosen.split('js-gateway-credentials" aria-live="polite">', 1)[1]
    assert note.startswith(
        "WEBSMS signs in with a login and a password (its HTTP password; it takes no "
        "API token).</p>"
    )


def test_an_account_that_sent_messages_keeps_its_gateway(
    admin_client, simulator, settings
):
    """Its messages' reports and replies are read in its gateway's protocol: switched
    to another, polling and callbacks would read them with the wrong one."""
    from campaigns.models import Campaign

    settings.LANGUAGE_CODE = "en"
    account = make_account(simulator, "websms")
    fresh = make_account(simulator, "websms", name="Fresh")
    Campaign.objects.create(name="Sent", account=account, text="x")

    def switched(to_edit):
        return admin_client.post(
            reverse("providers:account_edit", args=[to_edit.pk]),
            {"name": to_edit.name, "kind": "smsc", "login": "l", "rate_limit": 0,
             "is_active": "on", "new_password": "", "new_token": ""},
        )  # fmt: skip

    refused, allowed = switched(account), switched(fresh)

    assert refused.context["form"].errors["kind"] == [
        "Messages went through this account: their delivery reports and replies are "
        "read in WEBSMS's protocol, so its gateway cannot change. Add a new account "
        "for SMSC instead."
    ]
    account.refresh_from_db()
    fresh.refresh_from_db()
    assert (account.kind, fresh.kind) == ("websms", "smsc")
    assert allowed.status_code == 302


def test_a_dialect_of_another_gateway_is_a_form_error(admin_client, simulator):
    with_dialects = [k for k in KINDS if gateway_class(k).dialects]
    if len(with_dialects) < 2:
        pytest.skip("needs two gateways with dialects")
    first, second = with_dialects[:2]
    foreign = next(
        d
        for d in gateway_class(second).dialects
        if d not in gateway_class(first).dialects
    )

    response = admin_client.post(
        reverse("providers:account_create"),
        {"name": "Odd", "kind": first, "dialect": foreign, "rate_limit": 0},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["dialect"]
    assert not ProviderAccount.objects.filter(name="Odd").exists()


def test_switching_the_gateway_drops_the_previous_vendors_address(admin_client):
    first, second = KINDS[0], KINDS[1]
    admin_client.post(
        reverse("providers:account_create"),
        {"name": "Moved", "kind": first, "login": LOGIN, "new_password": PASSWORD,
         "rate_limit": 0, "is_active": "on"},
    )  # fmt: skip
    account = ProviderAccount.objects.get(name="Moved")
    assert account.base_url == gateway_class(first).default_base_url

    # The edit form submits the stored address back unchanged (with a slash typed).
    response = admin_client.post(
        reverse("providers:account_edit", args=[account.pk]),
        {"name": "Moved", "kind": second, "base_url": account.base_url + "/",
         "login": LOGIN, "rate_limit": 0, "is_active": "on"},
    )  # fmt: skip

    assert response.status_code == 302
    account.refresh_from_db()
    assert account.kind == second
    assert account.base_url == gateway_class(second).default_base_url


@pytest.mark.parametrize(
    "base_url",
    ["https://smsc.ru/sys/send.php", "https://my3.webcom.mobi/xml/",
     "https://cab.websms.ru/http_in6.asp", "https://smsc.ru/sys"],
)  # fmt: skip
def test_a_base_url_with_the_vendors_request_path_is_a_form_error(
    admin_client, settings, base_url
):
    settings.LANGUAGE_CODE = "en"
    response = admin_client.post(
        reverse("providers:account_create"),
        {"name": "Pathy", "kind": KINDS[0], "base_url": base_url, "login": LOGIN,
         "new_password": PASSWORD, "rate_limit": 0},
    )  # fmt: skip

    assert response.status_code == 200
    assert "without the request path" in response.context["form"].errors["base_url"][0]
    assert not ProviderAccount.objects.filter(name="Pathy").exists()


def test_form_offers_each_gateways_dialects_and_base_url_to_the_script(admin_client):
    html = page(admin_client, "providers:account_create")

    assert "data-gateways=" in html
    assert "js/providers.js" in html
    for kind in KINDS:
        assert gateway_class(kind).default_base_url in html


@pytest.mark.parametrize("kind", kinds_with(Capability.SENDER_NAMES))
def test_save_and_check_redirects_to_the_account_page_with_the_result(
    admin_client, simulator, kind
):
    """The page was rendered by the POST itself: a reload posted the form again
    ("An account with this name already exists")."""
    register(simulator, kind)
    response = admin_client.post(
        reverse("providers:account_create"),
        {"name": "Checked", "kind": kind, "base_url": f"{simulator.url}/{kind}",
         "login": LOGIN, "new_password": PASSWORD, "new_token": TOKEN,
         "rate_limit": 0, "is_active": "on", "save_and_check": "1"},
    )  # fmt: skip

    account = ProviderAccount.objects.get(name="Checked")
    detail_url = reverse("providers:detail", args=[account.pk])
    assert (response.status_code, response["Location"]) == (302, detail_url)
    shown = admin_client.get(detail_url)
    reloaded = admin_client.get(detail_url)

    check = shown.context["check"]
    assert check.ok
    assert check.balance.amount == SIM_BALANCE
    assert {info.name for info in check.sender_names} == set(SIM_SENDERS)
    html = shown.content.decode()
    assert "data-balance" in html
    assert all(name in html.split('id="check-result"', 1)[1] for name in SIM_SENDERS)
    assert any(
        "saved" in str(m) or "сохран" in str(m) for m in shown.context["messages"]
    )
    # Shown once: a reload is a plain view of the page.
    assert reloaded.context["check"] is None
    assert "data-balance" not in reloaded.content.decode()


def test_edit_and_check_with_refused_credentials_redirects_with_the_error(
    admin_client, simulator
):
    kind = KINDS[0]
    register(simulator, kind)
    account = make_account(simulator, kind)
    url = reverse("providers:account_edit", args=[account.pk])

    response = admin_client.post(
        url,
        {"name": account.name, "kind": kind, "dialect": account.dialect,
         "base_url": account.base_url, "login": LOGIN, "new_password": "wrong",
         "new_token": "wrong",
         "rate_limit": 0, "is_active": "on", "save_and_check": "1"},
        follow=True,
    )  # fmt: skip

    assert response.redirect_chain == [
        (reverse("providers:detail", args=[account.pk]), 302)
    ]
    assert response.context["check"].error_kind == "auth"
    assert 'data-error-kind="auth"' in response.content.decode()


# detail, check, sender names -----------------------------------------------------------


def test_detail_shows_callback_urls_to_admins_only(
    client, admin_user, viewer_user, simulator
):
    account = make_account(simulator, KINDS[0])

    client.force_login(admin_user)
    admin_html = page(client, "providers:detail", account.pk)
    client.force_login(viewer_user)
    viewer_html = page(client, "providers:detail", account.pk)

    assert account.callback_url in admin_html
    assert account.callback_token not in viewer_html
    assert_no_secrets(admin_html)
    assert_no_secrets(viewer_html)


@pytest.mark.parametrize(
    ("base", "unreachable"),
    [
        ("http://127.0.0.1:8000", "127.0.0.1"),
        ("http://127.0.0.53:8000/", "127.0.0.53"),
        ("http://localhost:8000", "localhost"),
        ("http://[::1]:8000", "::1"),
        ("http://0.0.0.0:8000", "0.0.0.0"),
        ("https://sms.example.ru", ""),
        ("http://10.0.0.5:8000", ""),  # a company network: a gateway may get there
    ],
)
def test_a_loopback_callback_base_is_named_as_unreachable(settings, base, unreachable):
    from providers.selectors import callback_base_unreachable_host

    settings.SMSPORTAL_CALLBACK_BASE_URL = base
    assert callback_base_unreachable_host() == unreachable


def test_callback_urls_wrap_have_copy_buttons_and_warn_of_a_loopback_base(
    admin_client, simulator, settings
):
    """The read-only inputs cut the URL and its token at 1280 px, and nothing said
    that a gateway cannot call 127.0.0.1."""
    settings.SMSPORTAL_CALLBACK_BASE_URL = "http://127.0.0.1:8000"
    account = make_account(simulator, "smsc")
    en = {"HTTP_ACCEPT_LANGUAGE": "en"}

    html = page(admin_client, "providers:detail", account.pk, **en)

    for field, url in (("status-url", account.callback_url),
                       ("incoming-url", account.incoming_url)):  # fmt: skip
        assert f'id="{field}" rows="2" readonly>{url}</textarea>' in html
        button = html.split(f'data-copy-from="{field}"', 1)[1].split("</button>", 1)[0]
        assert "hidden" in button.split(">", 1)[0]  # shown by app.js, where it runs
    warning = html.split("data-callback-unreachable>", 1)[1].split("</div>", 1)[0]
    assert "A real gateway cannot reach 127.0.0.1" in warning
    assert "SMSPORTAL_CALLBACK_BASE_URL" in warning

    settings.SMSPORTAL_CALLBACK_BASE_URL = "https://sms.example.ru"
    html = page(admin_client, "providers:detail", account.pk, **en)
    assert "data-callback-unreachable" not in html


@pytest.mark.parametrize("kind", KINDS)
def test_check_button_shows_balance(admin_client, simulator, kind):
    account = account_at_simulator(simulator, kind)

    response = admin_client.post(
        reverse("providers:account_check", args=[account.pk]), HTTP_HX_REQUEST="true"
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="check-result"' in html
    assert "<html" not in html  # htmx gets the panel only
    assert "321.50" in html or "321,50" in html
    if Capability.SENDER_NAMES in gateway_class(kind).capabilities:
        assert all(name in html for name in SIM_SENDERS)
    # The page's own balance line is replaced too, out of band.
    balance = html.split('id="account-balance" hx-swap-oob="true">', 1)[1]
    assert "321" in balance.split("</dd>", 1)[0]


def test_check_button_shows_the_gateways_error(admin_client, simulator):
    register(simulator, KINDS[0])
    account = make_account(simulator, KINDS[0], password="bad", token="bad")

    url = reverse("providers:account_check", args=[account.pk])
    response = admin_client.post(url, follow=True)

    # Without htmx: the account page, through a redirect (a reload posts nothing).
    html = response.content.decode()
    assert response.redirect_chain == [
        (reverse("providers:detail", args=[account.pk]), 302)
    ]
    assert 'data-error-kind="auth"' in html
    assert "<html" in html


def _oob(html: str, element_id: str) -> str:
    """The out-of-band element with that id in an htmx answer ("" when absent)."""
    marker = f'id="{element_id}" hx-swap-oob="true"'
    if marker not in html:
        return ""
    start = html.rfind("<", 0, html.index(marker))
    return html[start:].split("</d", 1)[0]


@pytest.mark.parametrize("kind", KINDS)
def test_a_check_by_htmx_refreshes_the_last_error_row(
    admin_client, simulator, kind, settings
):
    """The "Last error" row stayed as it was until a reload."""
    settings.LANGUAGE_CODE = "en"
    register(simulator, kind)
    account = make_account(simulator, kind, password="bad", token="bad")
    check_url = reverse("providers:account_check", args=[account.pk])
    before = page(admin_client, "providers:detail", account.pk)

    failed = admin_client.post(check_url, HTTP_HX_REQUEST="true").content.decode()
    account.refresh_from_db()
    error_row = _oob(failed, "account-last-error")
    account.password, account.token = PASSWORD, TOKEN  # put right
    account.save(update_fields=["password", "token"])
    passed = admin_client.post(check_url, HTTP_HX_REQUEST="true").content.decode()

    # The page has the row (hidden) before any error, for the swap to find.
    assert 'id="account-last-error"' in before
    assert 'id="account-last-error-label"' in before
    assert account.last_error
    assert escape(account.last_error) in error_row
    assert " hidden" not in error_row.split(">", 1)[0]
    assert " hidden" not in _oob(failed, "account-last-error-label").split(">", 1)[0]
    cleared = _oob(passed, "account-last-error")
    assert cleared
    assert " hidden" in cleared.split(">", 1)[0]
    assert escape(account.last_error) not in cleared
    assert " hidden" in _oob(passed, "account-last-error-label").split(">", 1)[0]


def test_a_refused_login_is_explained_in_words_right_on_the_account_page(
    admin_client, simulator, settings
):
    """ "Check them on the account page" was shown on the account page itself."""
    settings.LANGUAGE_CODE = "en"
    register(simulator, KINDS[0])
    account = make_account(simulator, KINDS[0], password="bad", token="bad")

    admin_client.post(reverse("providers:account_check", args=[account.pk]))
    html = page(admin_client, "providers:detail", account.pk)

    account.refresh_from_db()
    assert escape(account.last_error) in html
    assert "Check them in the account's settings." in account.last_error
    assert "account page" not in account.last_error


@pytest.mark.parametrize("kind", KINDS)
def test_the_callback_note_agrees_with_the_number_of_urls(
    admin_client, simulator, kind, settings
):
    """WEBSMS shows one address, and the page said "Each URL carries a token"."""
    settings.LANGUAGE_CODE = "en"
    account = make_account(simulator, kind)

    html = page(admin_client, "providers:detail", account.pk)

    urls = sum(url in html for url in (account.callback_url, account.incoming_url))
    note = html.split("data-token-note>", 1)[1].split("</p>", 1)[0].strip()
    heading = html.split('<h2 class="h5">', 1)[1].split("</h2>", 1)[0].strip()
    if urls == 1:
        assert note.startswith("The URL carries a secret token")
        assert heading == "Callback URL"
    else:
        assert urls == 2
        assert note.startswith("Each URL carries a secret token")
        assert heading == "Callback URLs"


@pytest.mark.parametrize("kind", kinds_with(Capability.SENDER_NAMES))
def test_sync_button_stores_sender_names(admin_client, simulator, kind):
    account = account_at_simulator(simulator, kind)
    detail = page(admin_client, "providers:detail", account.pk)
    assert reverse("providers:sender_sync", args=[account.pk]) in detail

    response = admin_client.post(reverse("providers:sender_sync", args=[account.pk]))

    assert response.status_code == 302
    assert set(account.sender_names.values_list("name", flat=True)) == set(SIM_SENDERS)


def test_a_sync_that_found_no_names_is_not_said_never_to_have_run(
    admin_client, simulator, settings
):
    """«…synced: 0 at the gateway» above a table saying «none stored yet: sync
    them» read as if the sync had not run."""
    settings.LANGUAGE_CODE = "en"
    account = account_at_simulator(simulator, "smsc")
    simulator.state.accounts[("smsc", account.login)].senders.clear()

    admin_client.post(reverse("providers:sender_sync", args=[account.pk]))
    html = page(admin_client, "providers:detail", account.pk)

    assert not account.sender_names.exists()
    assert "No sender names: the gateway listed none at its last sync" in html
    assert "stored yet" not in html


@pytest.mark.parametrize("kind", kinds_without(Capability.SENDER_NAMES))
def test_sync_button_is_hidden_without_the_capability(admin_client, simulator, kind):
    account = make_account(simulator, kind)

    html = page(admin_client, "providers:detail", account.pk)

    assert reverse("providers:sender_sync", args=[account.pk]) not in html


@pytest.mark.parametrize("kind", kinds_without(Capability.SENDER_NAMES))
def test_a_name_approved_in_the_cabinet_is_recorded_and_offered_to_campaigns(
    admin_client, simulator, kind, settings
):
    """WEBSMS's API lists no sender names: campaigns could only use the default."""
    from campaigns.selectors import sender_choices, sender_problem

    settings.LANGUAGE_CODE = "en"
    account = account_at_simulator(simulator, kind)
    url = reverse("providers:sender_record", args=[account.pk])
    assert url in page(admin_client, "providers:detail", account.pk)

    refused = admin_client.post(url, {"name": "Shop!!"})
    response = admin_client.post(url, {"name": "Shop"})

    assert "cannot be a sender name" in refused.content.decode()
    assert response.status_code == 302
    row = SenderName.objects.get(account=account)
    assert (row.name, row.usable) == ("Shop", True)
    assert sender_choices(account=account) == [account.default_sender, "Shop"]
    assert sender_problem(account, "Shop") == ""
    event = AuditEvent.objects.get(
        action=AuditEvent.Action.CREATED, object_type="providers.SenderName"
    )
    assert (event.actor_name, event.object_repr) == (
        "alice-admin", f"Shop ({account.name})"
    )  # fmt: skip


@pytest.mark.parametrize("kind", kinds_without(Capability.SENDER_NAMES))
@pytest.mark.parametrize("again", ["MyShop", "myshop", " MYSHOP "])
def test_a_recorded_name_is_not_recorded_twice_in_any_case(
    admin_client, simulator, kind, again, settings
):
    """ "MyShop" twice said "recorded" both times, and "myshop" made a second row."""
    settings.LANGUAGE_CODE = "en"
    account = account_at_simulator(simulator, kind)
    url = reverse("providers:sender_record", args=[account.pk])

    first = admin_client.post(url, {"name": "MyShop"})
    second = admin_client.post(url, {"name": again})

    assert first.status_code == 302
    assert second.status_code == 200  # the form again, with the answer on the name
    assert second.context["form"].errors["name"] == [
        "The sender name “MyShop” is already recorded for this account."
    ]
    assert list(account.sender_names.values_list("name", flat=True)) == ["MyShop"]
    assert AuditEvent.objects.filter(object_type="providers.SenderName").count() == 1


def _remove(client, account, row, **extra):
    url = reverse("providers:sender_remove", args=[account.pk, row.pk])
    return client.post(url, **extra)


@pytest.mark.parametrize("kind", kinds_without(Capability.SENDER_NAMES))
def test_a_name_recorded_by_mistake_is_removed_from_the_account_page(
    admin_client, simulator, kind, settings
):
    settings.LANGUAGE_CODE = "en"
    account = account_at_simulator(simulator, kind)
    admin_client.post(
        reverse("providers:sender_record", args=[account.pk]), {"name": "MyShp"}
    )
    row = account.sender_names.get()
    remove_url = reverse("providers:sender_remove", args=[account.pk, row.pk])
    html = page(admin_client, "providers:detail", account.pk)
    form = html.split(f'action="{remove_url}"', 1)[1].split("</form>", 1)[0]

    response = admin_client.post(remove_url, follow=True)

    # The page asks first (app.js reads data-confirm) and posts with a token.
    assert "data-confirm=" in form
    assert "MyShp" in form.split("data-confirm=", 1)[1].split(">", 1)[0]
    assert "csrfmiddlewaretoken" in form
    assert "js/providers.js" in html
    assert response.redirect_chain == [
        (reverse("providers:detail", args=[account.pk]), 302)
    ]
    assert not account.sender_names.exists()
    assert [str(m) for m in response.context["messages"]] == [
        "Sender name “MyShp” removed: campaigns no longer offer it."
    ]
    event = AuditEvent.objects.get(action=AuditEvent.Action.DELETED)
    assert (event.actor_name, event.object_type, event.object_id) == (
        "alice-admin", "providers.SenderName", str(row.pk)
    )  # fmt: skip
    assert event.object_repr == f"MyShp ({account.name})"
    assert event.details["account"] == account.name
    # Recorded the right way now.
    admin_client.post(
        reverse("providers:sender_record", args=[account.pk]), {"name": "MyShop"}
    )
    assert list(account.sender_names.values_list("name", flat=True)) == ["MyShop"]


def test_removing_needs_the_role_that_records_a_post_and_its_token(
    client, manager_user, admin_user, simulator
):
    from django.test import Client

    account = account_at_simulator(simulator, "websms")
    row = SenderName.objects.create(account=account, name="MyShop", usable=True)
    client.force_login(manager_user)
    manager_html = page(client, "providers:detail", account.pk)
    by_manager = _remove(client, account, row)
    client.force_login(admin_user)
    by_get = client.get(reverse("providers:sender_remove", args=[account.pk, row.pk]))
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(admin_user)
    without_token = _remove(strict, account, row)

    # The same as recording: a manager may neither record nor remove.
    record_url = reverse("providers:sender_record", args=[account.pk])
    assert client.post(record_url, {"name": "Other"}).status_code == 302
    client.force_login(manager_user)
    assert client.post(record_url, {"name": "Other2"}).status_code == 403
    assert by_manager.status_code == 403
    assert "sender_remove" not in manager_html
    assert 'data-action="remove-sender"' not in manager_html
    assert by_get.status_code == 405
    assert without_token.status_code == 403
    assert account.sender_names.filter(name="MyShop").exists()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.DELETED).exists()


@pytest.mark.parametrize("kind", kinds_with(Capability.SENDER_NAME_DELETE))
def test_a_sender_name_is_removed_at_the_gateway_too(
    admin_client, simulator, settings, kind
):
    """SMSC deletes names (senders.php?del=1): a listed name removed only here came
    back with the next sync, and a request stayed in moderation at the gateway."""
    settings.LANGUAGE_CODE = "en"
    account = account_at_simulator(simulator, kind)
    at_gateway = simulator.state.accounts[(kind, account.login)].senders
    admin_client.post(
        reverse("providers:sender_request", args=[account.pk]), {"name": "MyShop"}
    )
    admin_client.post(reverse("providers:sender_sync", args=[account.pk]))
    pending = account.sender_names.get(name="MyShop")
    listed = account.sender_names.get(name="SMSPORTAL")
    # Refused and dropped by the gateway meanwhile: it knows the name no more.
    dropped = SenderName.objects.create(
        account=account, name="OLDNAME", state="moderation"
    )
    html = page(admin_client, "providers:detail", account.pk)

    assert "Delete the sender name “SMSPORTAL” at SMSC and from this account?" in html
    for row in (listed, pending, dropped):
        assert reverse("providers:sender_remove", args=[account.pk, row.pk]) in html
        response = _remove(admin_client, account, row, follow=True)
        assert "removed" in str(list(response.context["messages"])[0])
    again = _remove(admin_client, account, pending, follow=True)
    admin_client.post(reverse("providers:sender_sync", args=[account.pk]))

    assert "SMSPORTAL" not in at_gateway
    assert "MyShop" not in at_gateway
    assert set(account.sender_names.values_list("name", flat=True)) == {"SHOPNEWS"}
    assert [str(m) for m in again.context["messages"]] == [
        "This sender name is no longer stored for the account."
    ]
    assert AuditEvent.objects.filter(action=AuditEvent.Action.DELETED).count() == 3


@pytest.mark.parametrize("kind", kinds_with(Capability.SENDER_NAME_DELETE))
def test_a_listed_name_the_gateway_will_not_delete_stays_and_says_why(
    admin_client, simulator, settings, kind
):
    settings.LANGUAGE_CODE = "en"
    account = account_at_simulator(simulator, kind)
    admin_client.post(reverse("providers:sender_sync", args=[account.pk]))
    listed = account.sender_names.get(name="SMSPORTAL")
    simulator.state.add_fault(kind, Fault(mode="http500", count=-1))

    response = _remove(admin_client, account, listed, follow=True)

    message = str(list(response.context["messages"])[-1])
    assert message.startswith("The gateway did not delete the sender name “SMSPORTAL”:")
    assert account.sender_names.filter(pk=listed.pk).exists()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.DELETED).exists()


@pytest.mark.parametrize(
    "kind",
    [k for k in kinds_with(Capability.SENDER_NAMES)
     if gateway_class(k).sender_list_complete],
)  # fmt: skip
def test_names_a_complete_list_mirrors_are_not_removed_here(
    admin_client, simulator, kind
):
    account = account_at_simulator(simulator, kind)
    admin_client.post(reverse("providers:sender_sync", args=[account.pk]))
    waiting = SenderName.objects.create(account=account, name="WAITING", state="order")
    html = page(admin_client, "providers:detail", account.pk)

    for row in account.sender_names.all():
        _remove(admin_client, account, row)

    assert 'data-action="remove-sender"' not in html
    assert account.sender_names.count() == len(SIM_SENDERS) + 1
    assert account.sender_names.filter(pk=waiting.pk).exists()


@pytest.mark.parametrize("kind", kinds_with(Capability.SENDER_NAMES))
def test_a_gateway_that_lists_its_names_is_synced_not_recorded_by_hand(
    admin_client, simulator, kind
):
    account = account_at_simulator(simulator, kind)
    url = reverse("providers:sender_record", args=[account.pk])
    assert url not in page(admin_client, "providers:detail", account.pk)

    response = admin_client.post(url, {"name": "Shop"})

    assert response.status_code == 200  # the form, with the refusal
    assert not SenderName.objects.filter(account=account, name="Shop").exists()


def test_a_manager_cannot_record_a_sender_name(manager_client, simulator):
    account = account_at_simulator(simulator, "websms")
    url = reverse("providers:sender_record", args=[account.pk])

    assert manager_client.post(url, {"name": "Shop"}).status_code == 403
    assert not SenderName.objects.exists()


@pytest.mark.parametrize("kind", kinds_with(Capability.SENDER_NAME_ADD))
def test_request_a_new_sender_name(admin_client, simulator, kind):
    account = account_at_simulator(simulator, kind)
    url = reverse("providers:sender_request", args=[account.pk])
    assert url in page(admin_client, "providers:detail", account.pk)

    response = admin_client.post(url, {"name": "NEWBRAND", "comment": "promo"})

    assert response.status_code == 302
    row = SenderName.objects.get(account=account, name="NEWBRAND")
    # Who asked for it, in the log: the gateway's moderation follows the request.
    event = AuditEvent.objects.get(action=AuditEvent.Action.REQUESTED)
    assert (event.actor_name, event.object_type, event.object_id) == (
        "alice-admin", "providers.SenderName", str(row.pk)
    )  # fmt: skip
    assert event.object_repr == f"NEWBRAND ({account.name})"
    assert event.details == {"account": account.name, "state": row.state}
    log = page(admin_client, "accounts:audit_log", HTTP_ACCEPT_LANGUAGE="ru")
    assert "Заявка" in log
    assert f"NEWBRAND ({account.name})" in log


def test_a_request_the_gateway_does_not_list_yet_is_kept_and_explained(
    admin_client, simulator, settings
):
    settings.LANGUAGE_CODE = "en"
    kind = next(
        k for k in kinds_with(Capability.SENDER_NAME_ADD)
        if not gateway_class(k).sender_list_complete
    )  # fmt: skip
    account = account_at_simulator(simulator, kind)
    admin_client.post(
        reverse("providers:sender_request", args=[account.pk]), {"name": "MyShop"}
    )

    admin_client.post(reverse("providers:sender_sync", args=[account.pk]))
    html = page(admin_client, "providers:detail", account.pk)

    row = html.split(">MyShop<", 1)[1].split("</tr>", 1)[0]
    assert "data-awaiting-listing" in row
    assert f"{gateway_class(kind).label} lists approved names only" in row
    # The names the gateway listed carry no such note.
    approved = html.split(">SMSPORTAL<", 1)[1].split("</tr>", 1)[0]
    assert "data-awaiting-listing" not in approved


def test_a_refused_sender_name_request_is_not_logged(admin_client, simulator):
    account = account_at_simulator(simulator, kinds_with(Capability.SENDER_NAME_ADD)[0])
    url = reverse("providers:sender_request", args=[account.pk])

    admin_client.post(url, {"name": "Привет"})

    assert not AuditEvent.objects.filter(action=AuditEvent.Action.REQUESTED).exists()


def test_sender_name_states_are_translated_with_the_gateways_word_in_the_title(
    admin_client, simulator
):
    from django.utils import translation

    account = make_account(simulator, "webcom")
    for name, state in [("SHOP", "completed"), ("NEWS", "order"), ("ODD", "paused")]:
        SenderName.objects.create(account=account, name=name, state=state)

    with translation.override("en"):
        html = page(
            admin_client, "providers:detail", account.pk, HTTP_ACCEPT_LANGUAGE="en"
        )

    # The gateway's own word stays on the page for support, in the title: shown
    # beside its translation it read «Одобрено completed».
    assert '<span title="completed">Approved</span>' in html
    assert '<span title="order">In moderation</span>' in html
    assert ">completed<" not in html
    assert ">order<" not in html
    # A word no gateway documents is shown as it is, once.
    assert '<span title="paused">paused</span>' in html
    assert html.count(">paused<") == 1


@pytest.mark.parametrize("kind", kinds_with(Capability.SENDER_NAME_ADD))
def test_a_requested_sender_name_is_announced_with_a_translated_state(
    admin_client, simulator, kind
):
    account = account_at_simulator(simulator, kind)
    url = reverse("providers:sender_request", args=[account.pk])

    response = admin_client.post(
        url, {"name": "NEWBRAND"}, follow=True, HTTP_ACCEPT_LANGUAGE="en"
    )

    state = SenderName.objects.get(account=account, name="NEWBRAND").state
    (message,) = [str(m) for m in response.context["messages"]]
    assert state in ("order", "moderation")
    assert message.endswith("the gateway says: In moderation.")


@pytest.mark.parametrize("kind", kinds_with(Capability.SENDER_NAME_ADD))
def test_invalid_sender_name_is_a_form_error(admin_client, simulator, kind):
    account = account_at_simulator(simulator, kind)

    response = admin_client.post(
        reverse("providers:sender_request", args=[account.pk]), {"name": "Привет"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["name"]


@pytest.mark.parametrize("kind", kinds_with(Capability.SENDER_NAME_ADD))
def test_a_sender_name_request_with_a_control_character_never_leaves(
    admin_client, simulator, kind, settings
):
    settings.LANGUAGE_CODE = "en"
    account = account_at_simulator(simulator, kind)

    response = admin_client.post(
        reverse("providers:sender_request", args=[account.pk]),
        {"name": "NEWBRAND", "comment": "promo\n\x1b[1m"},
    )

    assert response.status_code == 200
    assert (
        response.context["form"]
        .errors["comment"][0]
        .startswith("Line 2, column 1: the control character U+001B")
    )
    assert not SenderName.objects.filter(account=account, name="NEWBRAND").exists()
    assert simulator.state.request_log == []


@pytest.mark.parametrize("kind", kinds_without(Capability.SENDER_NAME_ADD))
def test_request_is_hidden_and_refused_without_the_capability(
    admin_client, simulator, kind
):
    account = make_account(simulator, kind)
    url = reverse("providers:sender_request", args=[account.pk])
    assert url not in page(admin_client, "providers:detail", account.pk)

    response = admin_client.post(url, {"name": "NEWBRAND"})

    assert response.status_code == 200
    assert not response.context["supported"]
    assert not account.sender_names.exists()


def test_an_account_of_a_retired_gateway_kind_still_lists(admin_client):
    account = ProviderAccount.objects.create(
        name="Legacy", kind="retired", base_url="https://old.example.test"
    )

    html = page(admin_client, "providers:list")
    detail = page(admin_client, "providers:detail", account.pk)

    assert "Legacy" in html
    assert reverse("providers:sender_sync", args=[account.pk]) not in detail


@pytest.mark.parametrize("kind", kinds_with(Capability.SENDER_NAME_ADD))
def test_a_sender_name_too_long_is_refused_whole_saying_how_long_it_may_be(
    admin_client, simulator, kind
):
    """The input had maxlength 15: «МагазинЦветы2026» was cut to «МагазинЦветы202»
    as it was typed, and the error quoted the cut name."""
    account = account_at_simulator(simulator, kind)
    url = reverse("providers:sender_request", args=[account.pk])

    form = admin_client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    answer = admin_client.post(
        url, {"name": "МагазинЦветы2026"}, HTTP_ACCEPT_LANGUAGE="en"
    )

    assert 'maxlength="15"' not in form
    assert answer.status_code == 200
    assert answer.context["form"].errors["name"] == [
        "“МагазинЦветы2026” is too long: 16 characters, and a sender name with "
        f"letters has at most 11. {gateway_class(kind).label} takes at most 11 Latin "
        "letters, digits, spaces and marks, or at most 15 digits."
    ]
    assert not account.sender_names.exists()


def test_a_numeric_sender_name_may_have_15_digits_not_more(admin_client, simulator):
    from providers.selectors import sender_length_problem

    with translation.override("en"):
        assert sender_length_problem("webcom", "7" * 15) == ""
        assert sender_length_problem("webcom", "7" * 16) == (
            f"“{'7' * 16}” is too long: 16 digits, and a numeric sender name has at "
            "most 15."
        )
        assert sender_length_problem("websms", "MyShopMyShop") == (
            "“MyShopMyShop” is too long: 12 characters, and a sender name with "
            "letters has at most 11. WEBSMS takes only Latin letters and digits, at "
            "most 11."
        )
