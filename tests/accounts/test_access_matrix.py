"""Who may do what, for every address the URL resolver knows.

Each page, partial, action, export and download names the roles that may use it
(PAGES in access_decisions.py), each REST operation too (API), and each model of the
Django admin what each role may do there (ADMIN_MODELS). The tests walk the resolver
and ninja's operations, so an address added without a decision fails
`test_every_address_has_a_decision`. Every role (anonymous, inactive, without a
role, Viewer, Manager, Admin; for the API also expired, revoked and read-only
tokens) asks every address and gets the right answer: the login page (or a 401 for
the API), a 403 that holds nothing of the object, or the page itself; never a 500.
Pages offer no link or form their reader may not use, every form needs its CSRF
token, and no GET writes anything but the session, a reply's "read" and the audit
log.
"""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from lxml import html

from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone

from accounts.models import ApiToken, AuditEvent
from accounts.roles import ADMIN, MANAGER, VIEWER
from accounts.services import api_token_create
from campaigns.models import BirthdayGreeting, Campaign, MessageTemplate, Reply
from contacts.models import (
    Contact,
    ContactBulkJob,
    ContactGroup,
    CustomField,
    ImportJob,
    NumberingPlanLoad,
    NumberRange,
    StopListEntry,
)
from providers.models import ProviderAccount, SenderName
from smsportal.api import api
from tests.accounts.access_decisions import (
    ADMIN_ACTIONS,
    ADMIN_MODELS,
    ADMIN_SITE_PAGES,
    ADMINS,
    ANONYMOUS,
    API,
    API_DOCS,
    INACTIVE,
    NO_ROLE,
    OWN_AUTHENTICATION,
    PAGES,
    ROLES,
    SECRETS,
    UNNAMED,
    A,
    M,
    V,
)

pytestmark = pytest.mark.django_db


def walk(patterns, prefix: str = "", namespace: str = ""):
    """(route, full name, pattern) of every address the resolver knows."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = (
                f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            )
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        else:
            assert isinstance(pattern, URLPattern)
            name = f"{namespace}{pattern.name}" if pattern.name else None
            yield prefix + str(pattern.pattern), name, pattern


def api_operations():
    """(url_name, method) of every operation of the REST API."""
    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                name = getattr(operation, "url_name", "") or (
                    api.get_operation_url_name(operation, router=router)
                )
                for method in operation.methods:
                    yield name, method


ADMIN_MODEL_VIEWS = ("changelist", "add", "change", "delete", "history")


def admin_model_view(name: str) -> tuple[str, str] | None:
    """("app.model", view) for an admin URL name of a registered model's view."""
    for model in admin.site._registry:
        opts = model._meta
        for view in (*ADMIN_MODEL_VIEWS, "password_change"):
            if name == f"admin:{opts.app_label}_{opts.model_name}_{view}":
                return opts.label_lower, view
    return None


def test_every_address_has_a_decision():
    undecided = []
    for route, name, _pattern in walk(get_resolver().url_patterns):
        if name is None:
            # The admin's old change addresses (…/<id>/), redirected to the new.
            old_change = route.startswith("admin/") and route.endswith(
                "<path:object_id>/"
            )
            if route not in UNNAMED and not old_change:
                undecided.append(route)
        elif name.startswith("api:"):
            if name[4:] not in API and name[4:] not in API_DOCS:
                undecided.append(name)
        elif name.startswith("admin:"):
            if name not in ADMIN_SITE_PAGES and admin_model_view(name) is None:
                undecided.append(name)
        elif name.startswith("callbacks:"):
            continue
        elif name not in PAGES:
            undecided.append(name)
    undecided += [
        name
        for name, _method in api_operations()
        if name not in API and name not in API_DOCS
    ]
    registered = {model._meta.label_lower for model in admin.site._registry}
    undecided += sorted(registered - set(ADMIN_MODELS))
    undecided += sorted(registered - set(ADMIN_ACTIONS))
    assert undecided == [], "addresses without a decision on who may use them"


def test_no_decision_names_an_address_that_is_gone():
    names = {name for _route, name, _p in walk(get_resolver().url_patterns)}
    operations = {name for name, _method in api_operations()}
    registered = {model._meta.label_lower for model in admin.site._registry}
    assert set(PAGES) - names == set()
    assert set(API) - operations == set()
    assert set(ADMIN_MODELS) - registered == set()
    assert set(ADMIN_SITE_PAGES) - names == set()


# -- the things every address is asked about ----------------------------------------


@pytest.fixture
def world(django_user_model, settings, tmp_path):
    """One of each thing, with names that no refusal may show, and a user per role."""
    users = {}
    for role, group in ((V, VIEWER), (M, MANAGER), (A, ADMIN)):
        users[role] = django_user_model.objects.create_user(
            f"matrix-{role}", password="x-Pass-1", is_staff=True
        )
        users[role].groups.add(Group.objects.get(name=group))
    users[NO_ROLE] = django_user_model.objects.create_user(
        "matrix-nobody", password="x-Pass-1"
    )
    users[INACTIVE] = django_user_model.objects.create_user(
        "matrix-gone", password="x-Pass-1", is_staff=True, is_active=False
    )
    users[INACTIVE].groups.add(Group.objects.get(name=ADMIN))
    account = ProviderAccount.objects.create(
        name="Matrix", kind="webcom", base_url="http://127.0.0.1:9/webcom",
        login="matrix", password="matrix-pass", default_sender="SMSPORTAL",
    )  # fmt: skip
    group = ContactGroup.objects.create(name="Тайная группа")
    contact = Contact.objects.create(phone="+79160000001", last_name="Секретова")
    contact.groups.add(group)
    campaign = Campaign.objects.create(
        name="Тайная рассылка", account=account, text="Тайный текст"
    )
    reply = Reply.objects.create(
        account=account, phone="+79160000001", text="Тайный текст", contact=contact
    )
    token, _raw = api_token_create(user=users[A], name="matrix")
    settings.MEDIA_ROOT = tmp_path
    job = ImportJob.objects.create(original_name="book.csv", status="done")
    job.rejects.save("rejects.csv", ContentFile(b"phone;reason\r\n79160000001;x\r\n"))
    objects = {
        "auth.user": users[NO_ROLE],
        "auth.group": Group.objects.get(name=VIEWER),
        "accounts.apitoken": token,
        "accounts.auditevent": AuditEvent.objects.create(
            action="login", actor_name="matrix"
        ),
        "providers.provideraccount": account,
        "providers.sendername": SenderName.objects.create(
            account=account, name="MATRIX"
        ),
        "contacts.contact": contact,
        "contacts.contactgroup": group,
        "contacts.stoplistentry": StopListEntry.objects.create(phone="+79160000002"),
        "contacts.customfield": CustomField.objects.create(key="city", label="Город"),
        "contacts.importjob": job,
        "contacts.numberrange": NumberRange.objects.create(
            code=916, first=0, last=9999999, region="Москва"
        ),
        "contacts.bulkjob": ContactBulkJob.objects.create(
            action="opt_out", created_by=users[M], key="matrix"
        ),
        "contacts.numberingplanload": NumberingPlanLoad.objects.create(),
        "campaigns.campaign": campaign,
        "campaigns.message": campaign.messages.create(
            account=account,
            phone="+79160000001",
            text="Тайный текст",
            planned_at=timezone.now(),
        ),  # fmt: skip
        "campaigns.messagetemplate": MessageTemplate.objects.create(
            name="Тайный шаблон", text="Тайный текст"
        ),
        "campaigns.birthdaygreeting": BirthdayGreeting.objects.create(
            name="Тайное поздравление", account=account, text="Тайный текст"
        ),
        "campaigns.reply": reply,
    }
    return users, objects


# The object each URL parameter names, by the address's namespace and name.
def page_kwargs(name: str, route: str, objects: dict) -> dict:
    if "<" not in route:
        return {}
    namespace, _, short = name.partition(":")
    kinds = {
        "contacts": "contacts.contact",
        "campaigns": "campaigns.campaign",
        "providers": "providers.provideraccount",
        "reports": "campaigns.campaign",
        "accounts": "accounts.apitoken",
    }
    kind = kinds[namespace]
    if short.startswith("bulk_job"):
        kind = "contacts.bulkjob"
    elif short.startswith("group_"):
        kind = "contacts.contactgroup"
    elif short.startswith("import_"):
        kind = "contacts.importjob"
    elif short.startswith("numbering_plan"):
        kind = "contacts.numberingplanload"
    elif short.startswith("template_"):
        kind = "campaigns.messagetemplate"
    elif short.startswith("greeting_"):
        kind = "campaigns.birthdaygreeting"
    elif short.startswith("reply"):
        kind = "campaigns.reply"
    elif short == "stoplist_sync_run":
        kind = "providers.provideraccount"
    if short == "contact_message":
        return {"contact_pk": objects["contacts.contact"].pk}
    if short == "sender_remove":
        return {
            "pk": objects["providers.provideraccount"].pk,
            "sender_pk": objects["providers.sendername"].pk,
        }
    return {"pk": objects[kind].pk}


def page_cases():
    for route, name, _pattern in walk(get_resolver().url_patterns):
        if name is None or name.startswith(OWN_AUTHENTICATION) or name not in PAGES:
            continue
        for method in ("GET", "POST"):
            if method in PAGES[name] or (method == "GET" and "POST" in PAGES[name]):
                yield pytest.param(name, route, method, id=f"{method} {name}")


def as_role(client, role: str, users: dict):
    client.logout()
    if role != ANONYMOUS:
        client.force_login(users[role])
    return client


def each_role(client, users: dict):
    """Each role in turn, each in a savepoint rolled back after it: what one role's
    request changed (a contact deleted) is back for the next."""
    for role in ROLES:
        with transaction.atomic():
            yield role, as_role(client, role, users)
            transaction.set_rollback(True)


def refusal_tells_nothing(response) -> str | None:
    body = response.content.decode(errors="replace")
    leaked = [secret for secret in SECRETS if secret in body]
    return f"a refusal shows {leaked}" if leaked else None


def is_login_redirect(response) -> bool:
    location = response.get("Location", "")
    return response.status_code == 302 and (
        location.startswith(reverse("login")) or location.startswith("/admin/login/")
    )


# Pages whose answer to whom they let in is to send them to sign in: the admin's
# login page (to ours), signing out.
LEADS_TO_LOGIN = {"admin_login", "admin:login", "logout"}
# Pages with a status of their own besides the usual: /healthz says 503 when no
# worker or beat runs, as here.
OWN_STATUSES = {"healthz": {503}}
# Refused with an error message on the page the form came from (the bulk form is
# never offered to a role without an action it may take; a stale page may post it).
REFUSED_ON_PAGE = {"contacts:bulk": {V}}
# A body for the POSTs that need one to be more than a form sent back with errors.
POST_BODIES = {
    "contacts:bulk": lambda objects: {
        "action": "delete",
        "ids": [objects["contacts.contact"].pk],
    },  # fmt: skip
}


def wrong_answer(response, allowed: frozenset[str], role: str, name: str):
    """What is wrong with this answer to this role, or None."""
    status = response.status_code
    if status in OWN_STATUSES.get(name, ()):
        return None
    if status >= 500:
        return f"server error {status}"
    if role in allowed:
        if status in (401, 403, 404, 405):
            return f"refused with {status}"
        if name not in LEADS_TO_LOGIN and is_login_redirect(response):
            return "sent to sign in"
        return None
    if role in (ANONYMOUS, INACTIVE):
        return None if is_login_redirect(response) else f"{status}, not to sign in"
    if role in REFUSED_ON_PAGE.get(name, ()):
        return None if status == 302 else f"{status}, not back to the page"
    if status != 403:
        return f"{status}, not 403"
    return refusal_tells_nothing(response)


@pytest.mark.parametrize(("name", "route", "method"), list(page_cases()))
def test_each_role_gets_the_right_answer_from_each_page(
    client, world, name, route, method
):
    users, objects = world
    client.raise_request_exception = False
    body = POST_BODIES.get(name, lambda objects: {})(objects)
    wrong = {}
    for role, as_role_client in each_role(client, users):
        kwargs = page_kwargs(name, route, objects)
        if name == "accounts:token_revoke" and role != ANONYMOUS:
            # One's own token (another's is the IDOR test's).
            kwargs["pk"] = api_token_create(user=users[role], name="own")[0].pk
        url = reverse(name, kwargs=kwargs)
        if method == "GET":
            response = as_role_client.get(url)
        else:
            response = as_role_client.post(url, body)
        if method not in PAGES[name]:  # a GET of an action that only takes a POST
            if role in (ANONYMOUS, INACTIVE):
                problem = None if is_login_redirect(response) else "not to sign in"
            else:
                problem = None if response.status_code == 405 else "not 405"
        else:
            problem = wrong_answer(response, PAGES[name][method], role, name)
        if problem:
            wrong[role] = problem
        if name in REFUSED_ON_PAGE and role not in PAGES[name].get(method, ()):
            assert Contact.objects.filter(pk=objects["contacts.contact"].pk).exists()
    assert wrong == {}


# -- the REST API ------------------------------------------------------------------------

EXPIRED, REVOKED, READ_ONLY = "expired token", "revoked token", "read-only token"
API_ROLES = (ANONYMOUS, INACTIVE, EXPIRED, REVOKED, READ_ONLY, NO_ROLE, V, M, A)
# Operations that are no GET but only compute: a read-only token may call them.
COMPUTES_ONLY = {"campaign_preview_api"}
API_PARAMETERS = {
    "contact_id": "contacts.contact",
    "group_id": "contacts.contactgroup",
    "campaign_id": "campaigns.campaign",
    "account_id": "providers.provideraccount",
    "template_id": "campaigns.messagetemplate",
    "greeting_id": "campaigns.birthdaygreeting",
    "job_id": "contacts.importjob",
    "reply_id": "campaigns.reply",
}


def api_tokens(users: dict) -> dict[str, str]:
    """The Authorization header each API role sends ("" for none)."""
    raw = {
        role: api_token_create(user=users[role], name=role)[1]
        for role in (INACTIVE, NO_ROLE, V, M, A)
    }
    expired, raw[EXPIRED] = api_token_create(user=users[A], name="old")
    ApiToken.objects.filter(pk=expired.pk).update(
        expires_at=timezone.now() - timedelta(days=1)
    )
    revoked, raw[REVOKED] = api_token_create(user=users[A], name="gone")
    ApiToken.objects.filter(pk=revoked.pk).update(revoked_at=timezone.now())
    raw[READ_ONLY] = api_token_create(user=users[A], name="ro", scope="read")[1]
    return {role: f"Bearer {value}" for role, value in raw.items()} | {ANONYMOUS: ""}


def api_cases():
    routes = {name: route for route, name, _p in walk(get_resolver().url_patterns)}
    for name, method in api_operations():
        if name in API:
            yield pytest.param(
                name, method, routes[f"api:{name}"], id=f"{method} {name}"
            )


def api_url(name: str, route: str, objects: dict) -> str:
    kwargs = {}
    for parameter in re.findall(r"<(?:\w+:)?(\w+)>", route):
        if parameter == "phone":
            kwargs[parameter] = objects["contacts.stoplistentry"].phone
        else:
            kwargs[parameter] = objects[API_PARAMETERS[parameter]].pk
    return reverse(f"api:{name}", kwargs=kwargs)


def api_allowed(name: str, method: str) -> frozenset[str]:
    allowed = API[name]
    if method == "GET" or name in COMPUTES_ONLY:
        return allowed | {READ_ONLY}
    return allowed


def wrong_api_answer(response, allowed: frozenset[str], role: str) -> str | None:
    status = response.status_code
    if not response["Content-Type"].startswith(("application/json", "text/csv")):
        return f"{status} as {response['Content-Type']}"
    if status >= 500:
        return f"server error {status}"
    if role in allowed:
        return f"refused with {status}" if status in (401, 403, 404, 405) else None
    expected = 401 if role in (ANONYMOUS, INACTIVE, EXPIRED, REVOKED) else 403
    if status != expected:
        return f"{status}, not {expected}"
    return refusal_tells_nothing(response)


@pytest.mark.parametrize(("name", "method", "route"), list(api_cases()))
def test_each_role_gets_the_right_answer_from_each_api_operation(
    client, world, settings, name, method, route
):
    settings.LANGUAGE_CODE = "en"
    users, objects = world
    client.raise_request_exception = False
    headers = api_tokens(users)
    url = api_url(name, route, objects)
    wrong = {}
    for role in API_ROLES:
        with transaction.atomic():
            extra = {"HTTP_AUTHORIZATION": headers[role]} if headers[role] else {}
            response = client.generic(
                method, url, "{}" if method in ("POST", "PATCH") else "",
                content_type="application/json", **extra,
            )  # fmt: skip
            transaction.set_rollback(True)
        if problem := wrong_api_answer(response, api_allowed(name, method), role):
            wrong[role] = problem
    assert wrong == {}


# -- the Django admin --------------------------------------------------------------------


def admin_cases():
    for model, rights in ADMIN_MODELS.items():
        viewers = rights.view | rights.change
        yield pytest.param(model, "changelist", "GET", viewers, id=f"{model} list")
        yield pytest.param(model, "add", "GET", rights.add, id=f"{model} add")
        yield pytest.param(model, "add", "POST", rights.add, id=f"{model} add POST")
        yield pytest.param(model, "change", "GET", viewers, id=f"{model} change")
        yield pytest.param(
            model, "change", "POST", rights.change, id=f"{model} change POST"
        )
        yield pytest.param(model, "history", "GET", viewers, id=f"{model} history")
        yield pytest.param(model, "delete", "GET", rights.delete, id=f"{model} delete")
        yield pytest.param(
            model, "delete", "POST", rights.delete, id=f"{model} delete POST"
        )
    yield pytest.param(
        "auth.user", "password_change", "GET", ADMINS, id="auth.user password"
    )


@pytest.mark.parametrize(("model", "view", "method", "allowed"), list(admin_cases()))
def test_each_role_gets_the_right_answer_from_the_admin(
    client, world, model, view, method, allowed
):
    users, objects = world
    client.raise_request_exception = False
    app_label, model_name = model.split(".")
    name = f"admin:{app_label}_{model_name}_{view}"
    args = [] if view in ("changelist", "add") else [objects[model].pk]
    url = reverse(name, args=args)
    body = {"post": "yes"} if view == "delete" else {}
    wrong = {}
    for role, as_role_client in each_role(client, users):
        response = (
            as_role_client.get(url)
            if method == "GET"
            else as_role_client.post(url, body)
        )
        if role == NO_ROLE:  # no staff flag: the admin sends them to its login page
            problem = None if is_login_redirect(response) else "not to sign in"
        else:
            problem = wrong_answer(response, allowed, role, name)
        if problem:
            wrong[role] = problem
    assert wrong == {}


@pytest.mark.parametrize("model", list(ADMIN_ACTIONS))
def test_the_admin_offers_each_role_the_actions_it_may_take(rf, world, model):
    users, _objects = world
    model_admin = next(
        admin_ for model_, admin_ in admin.site._registry.items()
        if model_._meta.label_lower == model
    )  # fmt: skip
    for role in (V, M, A):
        request = rf.get("/")
        request.user = users[role]
        offered = set(model_admin.get_actions(request))
        expected = {
            action for action, roles in ADMIN_ACTIONS[model].items() if role in roles
        }
        assert offered == expected, role


@pytest.mark.parametrize("name", list(ADMIN_SITE_PAGES))
def test_each_role_gets_the_right_answer_from_the_admin_site(client, world, name):
    users, objects = world
    client.raise_request_exception = False
    args = {
        "admin:app_list": ["contacts"],
        "admin:view_on_site": [
            ContentType.objects.get_for_model(Contact).pk,
            objects["contacts.contact"].pk,
        ],
    }.get(name, [])
    url = reverse(name, args=args)
    if name == "admin:autocomplete":
        url += "?app_label=contacts&model_name=groupmembership&field_name=group&term=Т"
    wrong = {}
    for role, as_role_client in each_role(client, users):
        response = as_role_client.get(url)
        if name == "admin:view_on_site" and role in (V, M, A):
            problem = None if response.status_code == 404 else "not 404"
        elif name == "admin:logout" and role in ADMIN_SITE_PAGES[name]:
            problem = None if response.status_code == 405 else "GET signs out"
        elif role == NO_ROLE:
            problem = None if response.status_code in (302, 403) else "let in"
        else:
            problem = wrong_answer(response, ADMIN_SITE_PAGES[name], role, name)
        if problem:
            wrong[role] = problem
    assert wrong == {}


# -- what each role is offered -----------------------------------------------------------


def offered(page: bytes) -> tuple[list[str], list[str]]:
    """The addresses a page links to (GET) and sends forms to (POST)."""
    tree = html.fromstring(page)
    gets = tree.xpath("//a/@href | //@hx-get | //form[not(@method='post')]/@action")
    posts = tree.xpath("//form[@method='post']/@action | //@hx-post")
    posts += tree.xpath("//button[@formaction]/@formaction")
    return (
        [link.split("#")[0] for link in gets if link.startswith("/")],
        [link for link in posts if link.startswith("/")],
    )


@pytest.mark.parametrize("role", [NO_ROLE, V, M])
def test_no_page_offers_a_role_a_link_or_form_it_may_not_use(client, world, role):
    users, _objects = world
    client.force_login(users[role])
    seen: set[str] = set()
    queue = ["/"]
    wrong = set()
    while queue and len(seen) < 300:
        url = queue.pop()
        if url in seen or url.startswith(("/static/", "/admin/", "/api/", "/i18n/")):
            continue
        seen.add(url)
        response = client.get(url)
        if response.status_code != 200 or "html" not in response["Content-Type"]:
            continue
        gets, posts = offered(response.content)
        for method, targets in (("GET", gets), ("POST", posts)):
            for target in targets:
                path = urlsplit(target).path
                if path.startswith(("/static/", "/admin/", "/api/", "/i18n/")):
                    continue
                name = resolve(path).view_name
                if role not in PAGES[name].get(method, ()):
                    wrong.add((url, method, name))
        queue.extend(link for link in gets if "export" not in link)
    assert len(seen) > (3 if role == NO_ROLE else 20), "fewer pages than there are"
    assert wrong == set()


# -- CSRF, and GETs that change nothing ----------------------------------------------

POSTS = sorted(name for name, methods in PAGES.items() if "POST" in methods)


@pytest.mark.parametrize("name", POSTS)
def test_each_form_is_refused_without_its_csrf_token(world, name):
    users, objects = world
    client = Client(enforce_csrf_checks=True)
    client.raise_request_exception = False
    route = next(r for r, n, _p in walk(get_resolver().url_patterns) if n == name)
    if "login" not in name and name != "set_language":
        client.force_login(users[A])
    url = reverse(name, kwargs=page_kwargs(name, route, objects))

    response = client.post(url, POST_BODIES.get(name, lambda objects: {})(objects))

    assert response.status_code == 403, response.status_code
    assert Contact.objects.filter(pk=objects["contacts.contact"].pk).exists()


# What a GET may write: the session, a reply read once its page is opened, and the
# audit log (an export is recorded).
GET_WRITES = ("django_session", "campaigns_reply", "accounts_auditevent")


@pytest.mark.parametrize("name", sorted(n for n, m in PAGES.items() if "GET" in m))
def test_no_page_changes_anything_when_it_is_only_read(client, world, name):
    users, objects = world
    client.force_login(users[A])
    route = next(r for r, n, _p in walk(get_resolver().url_patterns) if n == name)
    url = reverse(name, kwargs=page_kwargs(name, route, objects))

    with CaptureQueriesContext(connection) as queries:
        client.get(url)

    writes = [
        query["sql"][:120]
        for query in queries.captured_queries
        if query["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
        and not any(f'"{table}"' in query["sql"][:80] for table in GET_WRITES)
    ]
    assert writes == []


# -- gateway callbacks -------------------------------------------------------------------


@pytest.mark.parametrize("name", ["callbacks:status", "callbacks:incoming"])
def test_a_callback_answers_its_accounts_token_alone(client, name):
    client.raise_request_exception = False
    # SMSC takes both kinds (Webcom sends no replies: its incoming URL is a 404).
    account = ProviderAccount.objects.create(
        name="Matrix SMSC", kind="smsc", base_url="http://127.0.0.1:9/smsc"
    )
    guessed = "a" * len(account.callback_token)

    refused = client.post(reverse(name, args=[guessed]))
    taken = client.post(reverse(name, args=[account.callback_token]))

    assert refused.status_code == 404
    assert guessed not in refused.content.decode()
    assert taken.status_code < 500
    assert taken.status_code != 404
