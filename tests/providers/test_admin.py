from decimal import Decimal

import pytest

from django.urls import reverse

from providers.base import Capability
from providers.models import ProviderAccount, SenderName
from tests.providers.sim_accounts import (
    KINDS,
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

CHANGELIST = "admin:providers_provideraccount_changelist"


def change_data(account, **overrides) -> dict:
    data = {
        "name": account.name, "kind": account.kind, "dialect": account.dialect,
        "base_url": account.base_url, "is_active": "on", "login": account.login,
        "new_password": "", "new_token": "", "default_sender": "SMSPORTAL",
        "rate_limit": "0", "tariff": "", "options": "{}",
        "sender_names-TOTAL_FORMS": "0", "sender_names-INITIAL_FORMS": "0",
        "sender_names-MIN_NUM_FORMS": "0", "sender_names-MAX_NUM_FORMS": "1000",
    }  # fmt: skip
    return data | overrides


def test_changelist_and_change_form_never_show_secrets(admin_client, simulator):
    account = make_account(simulator, KINDS[0])

    listing = admin_client.get(reverse(CHANGELIST)).content.decode()
    change_url = reverse("admin:providers_provideraccount_change", args=[account.pk])
    form = admin_client.get(change_url).content.decode()

    assert account.name in listing
    assert account.callback_url in form  # read-only, to paste into the cabinet
    assert "••••rd" in form
    for html in (listing, form):
        assert PASSWORD not in html
        assert TOKEN not in html


def test_the_add_form_shows_no_callback_url_before_the_account_exists(
    admin_client, simulator, settings
):
    """Its token was drawn per page load and the saved account got another one: an
    address copied from the add form was dead."""
    settings.LANGUAGE_CODE = "en"
    add_url = reverse("admin:providers_provideraccount_add")

    form = admin_client.get(add_url).content.decode()
    response = admin_client.post(
        add_url,
        change_data(
            make_account(simulator, KINDS[0]), name="Second account", new_password="pw"
        ),
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    saved = ProviderAccount.objects.get(name="Second account")
    assert "/callbacks/" not in form
    assert "The addresses appear here once the account is saved." in form
    change = admin_client.get(
        reverse("admin:providers_provideraccount_change", args=[saved.pk])
    ).content.decode()
    assert saved.callback_url in change
    # The replies' address only where the gateway pushes replies (Webcom's are
    # fetched: its address answered 404).
    from providers.base import Capability
    from providers.registry import gateway_class

    pushes = Capability.INCOMING_CALLBACK in gateway_class(saved.kind).capabilities
    assert (saved.incoming_url in change) == pushes


@pytest.mark.parametrize("kind", ["webcom", "smsc"])
def test_the_admin_shows_the_replies_address_only_where_replies_are_pushed(
    admin_client, simulator, settings, kind
):
    from providers.base import Capability
    from providers.registry import gateway_class

    settings.LANGUAGE_CODE = "en"
    account = make_account(simulator, kind)
    change = admin_client.get(
        reverse("admin:providers_provideraccount_change", args=[account.pk])
    ).content.decode()

    pushes = Capability.INCOMING_CALLBACK in gateway_class(kind).capabilities
    assert pushes == (kind == "smsc")
    assert (account.incoming_url in change) == pushes


@pytest.mark.parametrize("role_client", ["manager_client", "viewer_client"])
def test_readers_never_see_the_callback_urls_or_the_login(
    request, simulator, role_client
):
    """The token in the callback URLs is all that tells a Webcom or WEBSMS report from
    a forged one: a viewer copied it from the admin and failed a sent message."""
    client = request.getfixturevalue(role_client)
    account = make_account(simulator, "webcom")
    change_url = reverse("admin:providers_provideraccount_change", args=[account.pk])

    form = client.get(change_url)
    by_login = client.get(reverse(CHANGELIST), {"q": account.login})

    html = form.content.decode()
    assert form.status_code == 200
    assert account.name in html
    assert account.callback_token not in html
    assert account.login not in html
    assert "None" not in html.split('id="content-main"', 1)[1]  # no blank secrets
    assert account.name not in by_login.content.decode()  # no probing the login


def test_saving_with_blank_secrets_keeps_them(admin_client, simulator):
    account = make_account(simulator, KINDS[0])
    url = reverse("admin:providers_provideraccount_change", args=[account.pk])

    response = admin_client.post(url, change_data(account, login="changed"))

    assert response.status_code == 302, response.context["adminform"].form.errors
    account.refresh_from_db()
    assert (account.login, account.password, account.token) == (
        "changed",
        PASSWORD,
        TOKEN,
    )


def test_saving_a_new_password_replaces_it(admin_client, simulator):
    account = make_account(simulator, KINDS[0])
    url = reverse("admin:providers_provideraccount_change", args=[account.pk])

    admin_client.post(url, change_data(account, new_password="brand-new-pass"))

    account.refresh_from_db()
    assert (account.password, account.token) == ("brand-new-pass", TOKEN)


def test_check_connection_action_reads_the_balance(admin_client, simulator):
    account = account_at_simulator(simulator, KINDS[0])

    response = admin_client.post(
        reverse(CHANGELIST),
        {"action": "check_connection", "_selected_action": [account.pk]},
        follow=True,
    )

    assert response.status_code == 200
    account.refresh_from_db()
    assert account.balance == SIM_BALANCE


@pytest.mark.parametrize("kind", KINDS)
def test_check_connection_action_writes_the_balance_as_the_account_page_does(
    admin_client, simulator, kind
):
    """It wrote "1000.00 RUB"; the account page writes "1 000,00 RUB" in Russian."""
    register(simulator, kind, balance=Decimal("1234567.50"))
    account = make_account(simulator, kind)
    panel = admin_client.post(
        reverse("providers:account_check", args=[account.pk]),
        HTTP_HX_REQUEST="true",
        HTTP_ACCEPT_LANGUAGE="ru",
    ).content.decode()
    shown = panel.split("<span data-balance>", 1)[1].split("</span>", 1)[0]

    response = admin_client.post(
        reverse(CHANGELIST),
        {"action": "check_connection", "_selected_action": [account.pk]},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="ru",
    )

    [message] = [str(m) for m in response.context["messages"]]
    assert shown.startswith("1")
    assert "1234567" not in shown  # grouped, as the page writes it
    assert message.endswith(f"{shown}.")
    assert "1234567.50" not in message


def test_the_changelist_writes_the_balance_with_its_currency(admin_client, simulator):
    """«42,5000»: four decimals and no currency."""
    account = make_account(simulator, KINDS[0])
    ProviderAccount.objects.filter(pk=account.pk).update(
        balance=Decimal("1234.5"), balance_currency="RUB"
    )

    html = admin_client.get(
        reverse(CHANGELIST), HTTP_ACCEPT_LANGUAGE="ru"
    ).content.decode()

    cell = html.split('class="field-balance_shown', 1)[1].split("</td>", 1)[0]
    assert cell.endswith("234,50 ₽")
    assert "1234,5000" not in html


def test_check_connection_action_reports_errors(admin_client, simulator):
    account = make_account(simulator, KINDS[0], base_url="http://127.0.0.1:9")

    response = admin_client.post(
        reverse(CHANGELIST),
        {"action": "check_connection", "_selected_action": [account.pk]},
        follow=True,
    )

    levels = [m.level_tag for m in response.context["messages"]]
    assert "error" in levels
    account.refresh_from_db()
    assert account.last_error


@pytest.mark.parametrize("kind", kinds_with(Capability.SENDER_NAMES))
def test_sync_sender_names_action(admin_client, simulator, kind):
    account = account_at_simulator(simulator, kind)

    admin_client.post(
        reverse(CHANGELIST),
        {"action": "sync_sender_names", "_selected_action": [account.pk]},
    )

    assert set(account.sender_names.values_list("name", flat=True)) == set(SIM_SENDERS)


def test_sender_name_admin_lists_names(admin_client, simulator):
    account = make_account(simulator, KINDS[0])
    SenderName.objects.create(account=account, name="SHOPNEWS", state="active")

    html = admin_client.get(
        reverse("admin:providers_sendername_changelist"), HTTP_ACCEPT_LANGUAGE="ru"
    ).content.decode()

    assert "SHOPNEWS" in html
    assert account.name in html
    assert '<td class="field-state_label">Одобрено</td>' in html


@pytest.mark.parametrize(
    ("sender", "error"),
    [
        ("SHOP\x07", "Character 5: the control character U+0007"),
        ("SH\x00OP", "Character 3: the control character U+0000"),
    ],
)
def test_default_sender_no_gateway_can_carry_is_refused_on_its_field(
    admin_client, simulator, settings, sender, error
):
    settings.LANGUAGE_CODE = "en"
    account = make_account(simulator, KINDS[0])
    url = reverse("admin:providers_provideraccount_change", args=[account.pk])

    response = admin_client.post(url, change_data(account, default_sender=sender))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "default_sender": [f"{error} cannot be sent by any gateway. Remove it."]
    }
    assert error in response.content.decode()
    account.refresh_from_db()
    assert account.default_sender == "SMSPORTAL"


# dialect and options ------------------------------------------------------------


def test_the_dialect_is_chosen_from_the_list_the_account_form_offers(
    admin_client, simulator
):
    """It was free text, and case-sensitive: "HTTP_IN6", as the pages show it, was
    refused."""
    from providers.forms import ProviderAccountForm

    account = make_account(simulator, "websms", dialect="http_in5")
    url = reverse("admin:providers_provideraccount_change", args=[account.pk])

    html = admin_client.get(url).content.decode()
    response = admin_client.post(url, change_data(account, dialect="http_in6"))

    select = html.split('<select name="dialect"', 1)[1].split("</select>", 1)[0]
    offered = ProviderAccountForm().fields["dialect"].choices
    for value, label in offered:
        assert f'value="{value}"' in select
        assert f">{label}</option>" in select
    assert '<option value="http_in5" selected>HTTP_IN5</option>' in select
    assert response.status_code == 302, response.context["adminform"].form.errors
    account.refresh_from_db()
    assert account.dialect == "http_in6"


@pytest.mark.parametrize(
    ("kind", "options", "error"),
    [
        ("websms", "[]", 'Enter a JSON object ({"name": "value", …}), or {} for none.'),
        ("websms", '{"foo": 1}', "WEBSMS reads no option “foo”; it reads: "),
        ("websms", '{"format": "json"}', "Option “format” takes txt, xml, not "),
        ("websms", '{"viber_to_sms": true}', "Option “viber_to_sms” takes 1, 2, 3,"),
        ("smsc", '{"format": "xml"}', "SMSC reads no options: leave {}."),
    ],
)  # fmt: skip
def test_options_the_gateway_would_not_read_are_refused(
    admin_client, simulator, settings, kind, options, error
):
    settings.LANGUAGE_CODE = "en"
    account = make_account(simulator, kind, options={"keep": "me"})
    url = reverse("admin:providers_provideraccount_change", args=[account.pk])

    response = admin_client.post(url, change_data(account, options=options))

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["options"]
    assert len(errors) == 1
    assert errors[0].startswith(error)
    account.refresh_from_db()
    assert account.options == {"keep": "me"}


@pytest.mark.parametrize(
    ("options", "stored"),
    [
        ('{"format": "XML", "viber_to_sms": 2}', {"format": "xml", "viber_to_sms": "2"}),
        ('{"personal_link_chat": "3"}', {"personal_link_chat": "3"}),
        ("{}", {}),
        ("", {}),
    ],
)  # fmt: skip
def test_options_are_stored_as_the_gateway_reads_them(
    admin_client, simulator, options, stored
):
    account = make_account(simulator, "websms")
    url = reverse("admin:providers_provideraccount_change", args=[account.pk])

    response = admin_client.post(url, change_data(account, options=options))

    assert response.status_code == 302, response.context["adminform"].form.errors
    account.refresh_from_db()
    assert account.options == stored
    gateway = account.gateway_class(account.config())
    if "format" in stored:
        assert gateway._format == stored["format"]


def test_the_options_field_says_what_each_gateway_reads(admin_client, settings):
    from providers.registry import GATEWAYS, gateway_class

    settings.LANGUAGE_CODE = "en"
    html = admin_client.get(
        reverse("admin:providers_provideraccount_add")
    ).content.decode()

    help_text = html.split('id="id_options_helptext"', 1)[1].split("</div>", 1)[0]
    for kind in GATEWAYS:
        gateway = gateway_class(kind)
        assert str(gateway.label) in help_text
        for key, option in gateway.account_options.items():
            assert key in help_text
            assert str(option.help) in help_text


@pytest.mark.parametrize("kind", kinds_with(Capability.SENDER_NAME_DELETE))
def test_a_sender_name_deleted_in_the_admin_is_deleted_at_the_gateway_and_logged(
    admin_client, simulator, kind
):
    """Deleted only here, the name came back with the next sync (and a request stayed
    in moderation at the gateway), and nobody knew who had removed it."""
    from accounts.models import AuditEvent

    account = account_at_simulator(simulator, kind)
    admin_client.post(
        reverse(CHANGELIST),
        {"action": "sync_sender_names", "_selected_action": [account.pk]},
    )
    at_gateway = simulator.state.accounts[(kind, account.login)].senders
    one, other = account.sender_names.order_by("name")[:2]

    admin_client.post(
        reverse("admin:providers_sendername_delete", args=[one.pk]), {"post": "yes"}
    )
    admin_client.post(
        reverse("admin:providers_sendername_changelist"),
        {"action": "delete_selected", "_selected_action": [other.pk], "post": "yes"},
    )
    admin_client.post(
        reverse(CHANGELIST),
        {"action": "sync_sender_names", "_selected_action": [account.pk]},
    )

    assert one.name not in at_gateway
    assert other.name not in at_gateway
    assert not account.sender_names.filter(name__in=[one.name, other.name]).exists()
    logged = AuditEvent.objects.filter(action=AuditEvent.Action.DELETED)
    assert sorted(logged.values_list("object_repr", flat=True)) == sorted(
        f"{row.name} ({account.name})" for row in (one, other)
    )


@pytest.mark.parametrize(
    "kind",
    [k for k in kinds_with(Capability.SENDER_NAMES)
     if k not in kinds_with(Capability.SENDER_NAME_DELETE)],
)  # fmt: skip
def test_the_admin_will_not_delete_a_name_the_gateway_lists(
    admin_client, simulator, settings, kind
):
    settings.LANGUAGE_CODE = "en"
    account = account_at_simulator(simulator, kind)
    admin_client.post(
        reverse(CHANGELIST),
        {"action": "sync_sender_names", "_selected_action": [account.pk]},
    )
    listed = account.sender_names.order_by("name").first()

    single = admin_client.post(
        reverse("admin:providers_sendername_delete", args=[listed.pk]),
        {"post": "yes"},
        follow=True,
    )
    bulk = admin_client.post(
        reverse("admin:providers_sendername_changelist"),
        {"action": "delete_selected", "_selected_action": [listed.pk], "post": "yes"},
        follow=True,
    )

    assert account.sender_names.filter(pk=listed.pk).exists()
    for response in (single, bulk):
        page = response.content.decode()
        assert "a sync would bring them back" in page
        assert listed.name in page
        assert "Successfully deleted" not in page


def test_the_account_page_in_the_admin_offers_no_sender_name_deletion(
    admin_client, simulator
):
    account = make_account(simulator, KINDS[0])
    SenderName.objects.create(account=account, name="SHOPNEWS", state="active")

    html = admin_client.get(
        reverse("admin:providers_provideraccount_change", args=[account.pk])
    ).content.decode()

    assert "SHOPNEWS" in html
    assert 'name="sender_names-0-DELETE"' not in html


def test_sender_name_state_is_translated_on_the_change_pages(admin_client, simulator):
    """The list said «Одобрено», the name's own page and the account's inline the
    gateway's word «active»."""
    account = make_account(simulator, KINDS[0])
    name = SenderName.objects.create(account=account, name="SHOPNEWS", state="active")
    pages = [
        reverse("admin:providers_sendername_change", args=[name.pk]),
        reverse("admin:providers_provideraccount_change", args=[account.pk]),
    ]

    for url in pages:
        html = admin_client.get(url, HTTP_ACCEPT_LANGUAGE="ru").content.decode()

        assert "Одобрено" in html
        assert ">active<" not in html


def test_a_name_the_gateway_lists_is_refused_without_calling_itself_related(
    admin_client, simulator, settings
):
    """The page said "these protected related objects would have to be deleted too:
    SHOPNEWS": the name itself, kept because a sync would bring it back."""
    settings.LANGUAGE_CODE = "en"
    # A gateway that lists its names and deletes none (Webcom).
    kind = next(
        k
        for k in kinds_with(Capability.SENDER_NAMES)
        if k in kinds_without(Capability.SENDER_NAME_DELETE)
    )
    account = account_at_simulator(simulator, kind)
    name = SenderName.objects.create(account=account, name="SHOPNEWS", state="active")

    page = admin_client.get(
        reverse("admin:providers_sendername_delete", args=[name.pk])
    ).content.decode()

    assert "a sync would bring them back" in page
    assert "protected related objects" not in page
