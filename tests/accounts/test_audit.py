import pytest

from django.urls import reverse

from accounts.models import AuditEvent
from providers.models import ProviderAccount

pytestmark = pytest.mark.django_db


def test_logins_and_failed_logins_are_recorded(client, viewer_user):
    client.post(reverse("login"), {"username": "vera-viewer", "password": "wrong"})
    client.post(
        reverse("login"), {"username": "vera-viewer", "password": "secret-pass-123"}
    )
    # The fixture's user and role were logged as made: not what is asked here.
    made = AuditEvent.objects.filter(action__in=["created", "changed"])
    actions = list(
        AuditEvent.objects.exclude(pk__in=made)
        .order_by("id")
        .values_list("action", "object_repr")
    )
    assert actions == [("login_failed", "vera-viewer"), ("login", "vera-viewer")]


def test_provider_account_changes_name_fields_but_never_values(
    admin_client, admin_user
):
    account = ProviderAccount.objects.create(
        name="A", kind="smsc", base_url="http://127.0.0.1:9/smsc", password="old-secret"
    )
    account.password = "new-secret-value"
    account.rate_limit = 10
    account.balance_alert = 500  # the warning level is a setting like the others
    account.save()
    events = AuditEvent.objects.filter(object_type="providers.ProviderAccount")
    assert list(events.order_by("id").values_list("action", flat=True)) == [
        "created",
        "changed",
    ]
    changed = events.get(action="changed")
    assert changed.details == {"fields": ["password", "rate_limit", "balance_alert"]}
    assert "secret" not in str(list(events.values()))


def test_a_callback_secret_set_or_cleared_is_recorded_without_its_value():
    # Cleared, SMSC's signed callbacks are no longer checked: who did it, and when.
    account = ProviderAccount.objects.create(
        name="A", kind="smsc", base_url="http://127.0.0.1:9/smsc", password="pw"
    )
    account.callback_secret = "md5-secret-value"
    account.save()
    account.callback_secret = ""
    account.save()
    changed = AuditEvent.objects.filter(
        object_type="providers.ProviderAccount", action="changed"
    )
    assert [event.details for event in changed.order_by("id")] == [
        {"fields": ["callback_secret"]},
        {"fields": ["callback_secret"]},
    ]
    assert "md5-secret-value" not in str(list(changed.values()))


@pytest.mark.parametrize(
    ("user_fixture", "status"),
    [("admin_user", 200), ("manager_user", 403), ("viewer_user", 403)],
)
def test_audit_log_is_for_admins_only(request, client, user_fixture, status):
    client.force_login(request.getfixturevalue(user_fixture))
    assert client.get(reverse("accounts:audit_log")).status_code == status


def test_audit_log_cannot_be_edited_in_the_admin(admin_client, django_user_model):
    django_user_model.objects.filter(username="alice-admin").update(is_superuser=True)
    event = AuditEvent.objects.create(action="login", actor_name="x")
    change = reverse("admin:accounts_auditevent_change", args=[event.pk])
    response = admin_client.post(change, {"action": "logout", "actor_name": "y"})
    event.refresh_from_db()
    assert (event.action, event.actor_name) == ("login", "x")
    assert response.status_code in (200, 403)
    delete = reverse("admin:accounts_auditevent_delete", args=[event.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_audit_log_filters_by_action(admin_client):
    AuditEvent.objects.create(action="login", actor_name="ann")
    launched = AuditEvent.objects.create(
        action="launched", actor_name="bob", object_repr="Sale"
    )
    response = admin_client.get(reverse("accounts:audit_log") + "?action=launched")
    # The table's rows, not a substring of the page: "ann" is in "banner" and others.
    assert [row.record for row in response.context["table"].page.object_list] == [
        launched
    ]
    html = response.content.decode()
    assert "<td >bob</td>" in html
    assert "<td >ann</td>" not in html


def test_groups_templates_and_greetings_are_audited_by_who_and_what(
    manager_client, manager_user
):
    from django.urls import reverse

    from campaigns.models import MessageTemplate
    from contacts.models import ContactGroup

    manager_client.post(reverse("contacts:group_create"), {"name": "VIP"})
    group = ContactGroup.objects.get(name="VIP")
    manager_client.post(
        reverse("contacts:group_edit", args=[group.pk]),
        {"name": "VIP", "description": "Лучшие клиенты"},
    )
    manager_client.post(reverse("contacts:group_delete", args=[group.pk]))
    manager_client.post(
        reverse("campaigns:template_create"), {"name": "Скидка", "text": "Скидка!"}
    )

    events = (
        AuditEvent.objects.exclude(action="login")
        .exclude(object_type="auth.User")  # the fixture's user, made and given a role
        .order_by("id")
        .values_list("object_type", "action", "object_repr", "actor_id", "details")
    )
    assert list(events) == [
        ("contacts.ContactGroup", "created", "VIP", manager_user.pk, {}),
        ("contacts.ContactGroup", "changed", "VIP", manager_user.pk,
         {"fields": ["description"]}),
        ("contacts.ContactGroup", "deleted", "VIP", manager_user.pk, {}),
        ("campaigns.MessageTemplate", "created", "Скидка", manager_user.pk, {}),
    ]  # fmt: skip
    assert MessageTemplate.objects.filter(name="Скидка").exists()


def test_turning_a_greeting_off_is_audited():
    from campaigns.models import BirthdayGreeting

    account = ProviderAccount.objects.create(
        name="A", kind="smsc", base_url="http://127.0.0.1:9/smsc"
    )
    greeting = BirthdayGreeting.objects.create(name="ДР", account=account, text="!")
    greeting.is_active = False
    greeting.save()

    events = AuditEvent.objects.filter(object_type="campaigns.BirthdayGreeting")
    assert list(events.order_by("id").values_list("action", "details")) == [
        ("created", {}),
        ("changed", {"fields": ["is_active"]}),
    ]


def test_a_date_filter_the_log_cannot_read_says_why(admin_client, settings):
    settings.LANGUAGE_CODE = "en"

    html = admin_client.get(
        reverse("accounts:audit_log"), {"at_min": "2026-13-45"}
    ).content.decode()

    assert 'data-filter-error="at"' in html
    assert "Enter a valid date." in html


def test_a_reversed_date_range_in_the_log_says_so(admin_client, settings):
    settings.LANGUAGE_CODE = "en"
    AuditEvent.objects.create(action="login", object_repr="vera-viewer")

    response = admin_client.get(
        reverse("accounts:audit_log"), {"at_min": "2026-12-05", "at_max": "2026-12-01"}
    )

    html = response.content.decode()
    assert 'data-filter-error="at"' in html
    assert "The first day (05.12.2026) is after the last (01.12.2026)." in html
    assert "vera-viewer" not in html


@pytest.mark.parametrize(
    ("role_client", "shown"), [("admin_client", True), ("manager_client", False)]
)
def test_the_log_is_in_the_user_menu_of_those_who_may_read_it(
    request, role_client, shown
):
    """Nothing in the app led to the log: only its address did."""
    client = request.getfixturevalue(role_client)  # one client: one role per test
    url = reverse("accounts:audit_log")

    html = client.get(reverse("dashboard")).content.decode()

    assert (f'href="{url}"' in html) is shown


@pytest.mark.parametrize(
    ("state", "label"),
    [("moderation", "На модерации"), ("order", "На модерации"), ("odd", "odd")],
)
def test_a_sender_name_request_reads_its_account_and_state_in_russian(
    admin_client, state, label
):
    """The request's details name the gateway's state word as the account page does;
    a word no gateway documents stays as it came."""
    AuditEvent.objects.create(
        action=AuditEvent.Action.REQUESTED, object_type="providers.SenderName",
        object_repr="NEWBRAND (Demo SMSC)",
        details={"account": "Demo SMSC", "state": state},
    )  # fmt: skip
    html = admin_client.get(
        reverse("accounts:audit_log"), HTTP_ACCEPT_LANGUAGE="ru"
    ).content.decode()

    assert "Аккаунт:</span> Demo SMSC" in html
    assert f"Состояние:</span> {label}" in html
    assert "account:" not in html
    assert "state:" not in html


def test_the_admin_log_names_object_types_as_the_dashboard_does(admin_client):
    """The admin's column and filter say "Имя отправителя", not providers.SenderName."""
    AuditEvent.objects.create(action="requested", object_type="providers.SenderName",
                              object_repr="NEWBRAND (A)")  # fmt: skip
    AuditEvent.objects.create(
        action="login", object_type="auth.User", object_repr="ann"
    )
    url = reverse("admin:accounts_auditevent_changelist")

    html = admin_client.get(url, HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    filtered = admin_client.get(
        url, {"object_type": "auth.User"}, HTTP_ACCEPT_LANGUAGE="ru"
    ).content.decode()

    assert "Тип объекта" in html
    assert '<td class="field-object_type_name">Имя отправителя</td>' in html
    assert '<td class="field-object_type_name">Пользователь</td>' in html
    assert 'href="?object_type=providers.SenderName">Имя отправителя</a>' in html
    assert ">providers.SenderName<" not in html
    assert ">auth.User<" not in html
    assert "ann" in filtered
    assert "NEWBRAND" not in filtered


def test_audit_log_object_and_user_search_reads_ye_as_yo(admin_client):
    AuditEvent.objects.create(action="launched", actor_name="Алёна", object_repr="Ёлки")
    AuditEvent.objects.create(action="launched", actor_name="bob", object_repr="Sale")
    url = reverse("accounts:audit_log")
    for query in ({"object_repr": "елки"}, {"actor_name": "АЛЕНА"}):
        events = admin_client.get(url, query).context["table"].page.object_list
        assert [row.record.object_repr for row in events] == ["Ёлки"]


def test_an_event_in_the_admin_names_its_type_and_its_actor_only_if_any(
    admin_client, django_user_model
):
    """The detail read «auth.User» for the type, and a title with no actor
    «2026-12-07 14:28 : Создан …», a space before the colon."""
    django_user_model.objects.filter(username="alice-admin").update(is_superuser=True)
    event = AuditEvent.objects.create(
        action="created", object_type="auth.User", object_repr="bob"
    )
    change = reverse("admin:accounts_auditevent_change", args=[event.pk])

    page = admin_client.get(change, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "auth.User" not in page
    assert ">User<" in page or ">user<" in page
    assert " : " not in str(event)
    assert str(event).endswith(": Created bob")


def test_a_role_s_event_names_the_role_as_the_pages_do(admin_client):
    """The log's object column said «Manager» on a Russian page: roles are Django
    groups named in English."""
    AuditEvent.objects.create(
        action=AuditEvent.Action.CREATED,
        object_type="auth.Group",
        object_repr="Manager",
    )

    html = admin_client.get(
        reverse("accounts:audit_log"), HTTP_ACCEPT_LANGUAGE="ru"
    ).content.decode()

    assert "<td >Менеджер</td>" in html
    assert ">Manager<" not in html
