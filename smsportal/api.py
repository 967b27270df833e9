"""The REST API (django-ninja) under /api/v1/; apps add their routers here."""

import json
import logging
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any

from ninja import NinjaAPI, Schema
from ninja.decorators import decorate_view
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser
from ninja.security import HttpBearer, SessionAuth
from ninja.utils import contribute_operation_callback

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import RequestDataTooBig
from django.db import DataError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.api_refusals import (
    EXPIRED_TOKEN,
    INVALID_TOKEN,
    LOCKED_ADDRESS,
    NO_CREDENTIALS,
    NOT_PERMITTED,
    READ_ONLY_TOKEN,
    REFUSAL_ATTRIBUTE,
    api_refusal_logged,
)
from accounts.api_token_failures import (
    ApiTokenAttemptsExceeded,
    api_token_failure_noted,
    api_token_lock_checked,
    api_token_refused_at_lock,
)
from accounts.roles import user_roles
from accounts.services import ApiTokenExpired, api_token_authenticate
from smsportal.api_errors import explained
from smsportal.api_query import note_unknown_query, refuse_unknown_query
from smsportal.exceptions import ApplicationError, Conflict, Gone
from smsportal.outage import QueueUnavailable, outage_message, outage_noted
from smsportal.unique import save_unique
from smsportal.uploads import upload_refusal

# Where Django logs its own 500s, so the API's reach the same handlers.
request_logger = logging.getLogger("django.request")


class BearerToken(HttpBearer):
    """`Authorization: Bearer <token>` with a personal API token."""

    def __call__(self, request: HttpRequest) -> Any:
        # Ninja's own logs a header of another scheme in full when DEBUG is on: a
        # "Basic" password or another service's token. Such a header is simply no
        # token of ours, and nothing of it is written anywhere.
        scheme, _space, token = request.headers.get(self.header, "").partition(" ")
        if scheme.lower() != self.openapi_scheme:
            return None
        return self.authenticate(request, token)

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        # A locked address's tokens are looked up all the same: a valid one is never
        # refused by the lock (accounts.api_token_failures). An expired one raises
        # ApiTokenExpired: a 401 that says so.
        locked = api_token_lock_checked(request, token)
        api_token = api_token_authenticate(raw=token)
        if api_token is None:
            if locked:
                api_token_refused_at_lock(request, token)  # 429, not counted
            api_token_failure_noted(request)
            setattr(request, REFUSAL_ATTRIBUTE, INVALID_TOKEN)  # for the 401's log
            return None
        request.user = api_token.user
        # The channel, for the audit log (accounts.audit): which token acted.
        request.api_token = api_token
        if not (
            api_token.allows(request.method) or getattr(request, COMPUTES_ONLY, False)
        ):
            raise ApiForbidden(read_only_refusal(request.method), READ_ONLY_TOKEN)
        _check_required_perms(request)
        return api_token.user


def read_only_refusal(method: str | None) -> str:
    """The 403 of a read-only token asked to write: what it may do, and how to."""
    return _(
        "This API token is read-only: it may make GET requests and the few requests "
        "that only compute (such as a campaign's preview), not this %(method)s. To "
        "change data, create a read-write token on your profile page."
    ) % {"method": method}


class ApiForbidden(HttpError):
    """A 403 of the token's scope or the user's role: logged once per address and
    reason a window (accounts.api_refusals), not each by django.request."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(403, message)
        self.reason = reason


# Set on the request by @computes_only before the auth classes run.
COMPUTES_ONLY = "api_computes_only"
# The operation's mark in the OpenAPI document, for clients holding read-only tokens.
COMPUTES_ONLY_EXTENSION = "x-read-only-token-allowed"


def computes_only(view: Callable[..., Any]) -> Callable[..., Any]:
    """An operation that is no GET (its input is a body) but only computes: it
    writes nothing, so a read-only token may call it. Marked by hand on each such
    operation, under the router's decorator; never guessed from a path or a name."""

    def mark_request(run: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(run)
        def marked(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            setattr(request, COMPUTES_ONLY, True)
            return run(request, *args, **kwargs)

        return marked

    def mark_schema(operation: Any) -> None:
        extra = dict(operation.openapi_extra or {})
        extra[COMPUTES_ONLY_EXTENSION] = True
        operation.openapi_extra = extra

    contribute_operation_callback(view, mark_schema)
    return decorate_view(mark_request)(view)


class SessionWithCsrf(SessionAuth):
    """The dashboard's session, its CSRF refusal said in the request's language."""

    def __call__(self, request: HttpRequest) -> Any:
        try:
            user = super().__call__(request)
        except HttpError as exc:
            if exc.status_code != 403:
                raise
            raise HttpError(
                403,
                _(
                    "The CSRF check failed: with a session, send the csrftoken "
                    "cookie's value in the X-CSRFToken header, or use an API token."
                ),
            ) from None
        if user:
            _check_required_perms(request)
        return user


def permission_required(*perms: str, any_of: bool = False) -> Callable[[Any], Any]:
    """An operation's permissions, checked as soon as the user is known: before its
    parameters and body are read, so that a user who may not write is told so, not
    what to change in a request they may not make. Put it under the router's
    decorator; the auth classes above check what it declares. `any_of`: one of them
    is enough (an operation whose body says which one it needs checks that too)."""

    def declare(run: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(run)
        def declared(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            request.required_perms = perms
            request.required_perms_any = any_of
            return run(request, *args, **kwargs)

        return declared

    return decorate_view(declare)


def _check_required_perms(request: HttpRequest) -> None:
    perms = getattr(request, "required_perms", ())
    if perms and getattr(request, "required_perms_any", False):
        if not any(request.user.has_perm(perm) for perm in perms):
            require_perm(request, *perms)  # the 403
        return
    require_perm(request, *perms)


def signed_in_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The schema and its docs page for users only, as every operation is: a
    session (the docs page's own requests carry it) or an API token (a client
    generator's). Others go to the login page, or get a 401 for the schema."""

    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            if request.user.is_authenticated or BearerToken()(request) is not None:
                return view(request, *args, **kwargs)
        except ApiTokenAttemptsExceeded as exc:
            return _too_many_token_failures_response(request, exc)
        except ApiTokenExpired as exc:
            return _token_expired_response(request, exc)
        if request.path.endswith(".json"):
            return _unauthenticated_response(request)
        return redirect_to_login(request.get_full_path())

    return guarded


class WholeTextParser(Parser):
    """JSON bodies, noting the first string that holds half of a UTF-16 surrogate pair
    ("\\ud800"): valid JSON that no database or file can encode. The fields that
    check their text refuse it with the place; any other fails where it is first
    written, and _broken_text names the field then."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        try:
            data = super().parse_body(request)
        except json.JSONDecodeError as exc:
            # Ninja turns this into an English "Cannot parse request body": the
            # place is kept for _unparsable_body to say in the request's language.
            request.unparsable_at = (exc.lineno, exc.colno)
            raise
        except UnicodeDecodeError:
            request.unparsable_at = None  # not UTF-8: no line to point at
            raise
        except RecursionError:
            request.unparsable_at = TOO_DEEP
            raise
        request.broken_text_at = _broken_text_at(data)
        request.parsed_body = data  # for the handlers that name a refused value
        return data


# Arrays or objects nested past what the JSON reader follows ("[" * 100000).
TOO_DEEP = "too deep"


def _broken_text_at(value: Any, path: str = "") -> str | None:
    """The dotted path of the first string holding a lone surrogate, or None."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path or "body"
        return None
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        found = _broken_text_at(key, path) if isinstance(key, str) else None
        found = found or _broken_text_at(item, f"{path}.{key}" if path else str(key))
        if found is not None:
            return found
    return None


def _first_at(value: Any, found: Callable[[Any], bool], path: str = "") -> str | None:
    """The dotted path of the first value `found` holds for, or None."""
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return (path or None) if found(value) else None
    for key, item in items:
        at = _first_at(item, found, f"{path}.{key}" if path else str(key))
        if at is not None:
            return at
    return None


def _request_value_at(request: HttpRequest, found: Callable[[Any], bool]) -> str | None:
    """Which field of the body, else which query parameter, holds a value `found`
    holds for: the database and Python name no field when they refuse one."""
    at = _first_at(getattr(request, "parsed_body", None), found)
    if at is None:
        at = _first_at({k: v for k, v in request.GET.items()}, found)
    return at


def _unstorable(value: Any) -> bool:
    # What PostgreSQL refuses: NUL in text, a number past its integer or bigint.
    if isinstance(value, str):
        return "\x00" in value
    return (
        isinstance(value, int) and not isinstance(value, bool) and (abs(value) >= 2**31)
    )


def _off_the_calendar(value: Any) -> bool:
    # A number past 64 bits (SQLite), or a date in year 1 or 9999 (once moved to
    # UTC or a zone it leaves the calendar).
    if isinstance(value, int) and not isinstance(value, bool):
        return abs(value) >= 2**63
    if isinstance(value, str) and value[:4] in ("0001", "9999"):
        try:
            datetime.fromisoformat(value)
        except ValueError:
            return False
        return True
    return False


ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "detail": {"type": "string", "description": "What is wrong, for a person"},
        "where": {
            "anyOf": [{"type": "string"}, {"type": "null"}],
            "description": "The field, line or place it is about, when there is one",
        },
        "errors": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
            "description": (
                "Every problem by field, when a form-backed write (a campaign's) "
                "finds more than one; `detail` and `where` are the first of them"
            ),
        },
    },
    "required": ["detail"],
}
# The answers every operation may give besides its own (a 422 is ninja's: the body
# did not match the schema, one entry per problem, each with its `message` in words:
# smsportal.api_errors).
ERROR_RESPONSES = {
    "400": "The request was read but refused: `detail` says why, `where` where",
    "401": (
        "No valid API token and no session, or the token expired (then "
        "`expired_at` says when)"
    ),
    "403": "The user's role does not allow this, or the token is read-only",
    "404": "No such object",
    "500": "An error of the server's own, logged there; `detail` says no more",
    "503": "The task queue or the shared cache is unavailable: try again later",
}


# The 422: pydantic's entries, each with its `message` in words (api_errors).
SCHEMA_ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "detail": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "type": {"type": "string"},
                    "loc": {"type": "array", "items": {}},
                    "msg": {"type": "string"},
                    "message": {
                        "type": "string",
                        "description": "The problem in words, with its field",
                    },
                },
                "required": ["type", "loc", "msg", "message"],
            },
        },
        "message": {"type": "string", "description": "Every problem, in words"},
    },
    "required": ["detail", "message"],
}
# Only operations that read input can answer these.
INPUT_RESPONSES = {
    "422": ("SchemaError", "A parameter or the body does not match the schema"),
}
BODY_RESPONSES = {
    "413": ("Error", "The request body is larger than the API takes"),
}


class SmsportalAPI(NinjaAPI):
    """NinjaAPI whose OpenAPI document lists the error answers of every operation."""

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["Error"] = ERROR_SCHEMA
        components["SchemaError"] = SCHEMA_ERROR_SCHEMA
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                answers = {k: ("Error", v) for k, v in ERROR_RESPONSES.items()}
                if operation.get("parameters") or "requestBody" in operation:
                    answers.update(INPUT_RESPONSES)
                if "requestBody" in operation:
                    answers.update(BODY_RESPONSES)
                responses = _by_status_text(operation.setdefault("responses", {}))
                operation["responses"] = responses
                _document(responses, answers)
        return schema


def _by_status_text(responses: dict[Any, Any]) -> dict[str, Any]:
    """The answers keyed by text only: django-ninja keys them by int, and an
    openapi_extra or _document by text, which JSON wrote as the same key twice
    (Swagger UI then refuses the document)."""
    merged: dict[str, Any] = {}
    for status, answer in responses.items():
        key = str(status)
        if isinstance(merged.get(key), dict) and isinstance(answer, dict):
            merged[key] = {**merged[key], **answer}
        else:
            merged[key] = answer
    return merged


def _document(responses: dict[str, Any], answers: dict[str, tuple[str, str]]) -> None:
    for status, (name, description) in answers.items():
        ref = {"$ref": f"#/components/schemas/{name}"}
        responses.setdefault(
            status,
            {
                "description": description,
                "content": {"application/json": {"schema": ref}},
            },
        )


api = SmsportalAPI(
    title="smsportal API",
    version="1",
    urls_namespace="api",
    auth=[BearerToken(), SessionWithCsrf()],
    parser=WholeTextParser(),
    docs_decorator=signed_in_only,
)
# A query parameter no operation takes is refused, not ignored (a misspelt filter).
api.add_decorator(note_unknown_query, mode="view")
api.add_decorator(refuse_unknown_query, mode="operation")


def require_perm(request: HttpRequest, *perms: str) -> None:
    """Raise 403 unless the authenticated user holds every permission."""
    if not request.user.has_perms(perms):
        raise ApiForbidden(_("You do not have permission to do this."), NOT_PERMITTED)


def form_saved(form: Any) -> Any:
    """Save a bound ModelForm, or refuse with its first error, named by the field's
    label, as a 400 (`where` the field): the API says what the page would."""
    saved = save_unique(form) if form.is_valid() else None
    if saved is None:
        field, problems = next(iter(form.errors.items()))
        label = form.fields[field].label if field in form.fields else ""
        raise ApplicationError(
            f"{label}: {problems[0]}" if label else problems[0], where=field
        )
    return saved


@api.exception_handler(ApplicationError)
def _application_error(request: HttpRequest, exc: ApplicationError) -> Any:
    return api.create_response(
        request, {"detail": exc.message, "where": exc.where, **exc.extra}, status=400
    )


@api.exception_handler(Gone)
def _gone(request: HttpRequest, exc: Gone) -> Any:
    return api.create_response(
        request, {"detail": exc.message, "where": exc.where}, status=404
    )


@api.exception_handler(QueueUnavailable)
def _queue_unavailable(request: HttpRequest, exc: QueueUnavailable) -> Any:
    return api.create_response(
        request, {"detail": exc.message, "where": exc.where}, status=503
    )


@api.exception_handler(Conflict)
def _conflict(request: HttpRequest, exc: Conflict) -> Any:
    return api.create_response(
        request, {"detail": exc.message, "where": exc.where}, status=409
    )


@api.exception_handler(DataError)
def _unstorable_input(request: HttpRequest, exc: DataError) -> Any:
    # Input the database refuses (NUL bytes, out-of-range numbers) is the client's error.
    # The database names no column: `where` is the first such value of the request,
    # null when none is seen (a value the app derived from it).
    detail = _("The request contains a value that cannot be stored.")
    where = _request_value_at(request, _unstorable)
    return api.create_response(request, {"detail": detail, "where": where}, status=400)


@api.exception_handler(UnicodeEncodeError)
def _broken_text(request: HttpRequest, exc: UnicodeEncodeError) -> Any:
    where = getattr(request, "broken_text_at", None)
    if where is None:  # not the request's text: our own fault, a 500 to fix
        return _unexpected(request, exc)
    detail = f"{where}: " + _(
        "holds half of a UTF-16 surrogate pair (\\ud800 to \\udfff alone), which "
        "is no character and cannot be stored."
    )
    return api.create_response(request, {"detail": detail, "where": where}, status=400)


@api.exception_handler(OverflowError)
def _out_of_range(request: HttpRequest, exc: OverflowError) -> Any:
    # A number past what the database holds (SQLite says so with OverflowError), or
    # a date that leaves the calendar once moved to UTC (year 1 or 9999).
    # Python names no field: `where` is the first such value of the request, null
    # when none is seen.
    detail = _("A number or a date in the request is out of range.")
    where = _request_value_at(request, _off_the_calendar)
    return api.create_response(request, {"detail": detail, "where": where}, status=400)


@api.exception_handler(ValidationError)
def _schema_mismatch(request: HttpRequest, exc: ValidationError) -> Any:
    if (why := upload_refusal(request)) is not None:
        # The file was stopped at the limit as it arrived: that, not "required".
        return api.create_response(
            request, {"detail": why, "where": "file"}, status=400
        )
    # Still ninja's 422 list for programs, each entry with the problem in words.
    return api.create_response(request, explained(exc.errors), status=422)


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> Any:
    # Django answers it with its HTML 400 page: a program expects JSON.
    detail = _("The request body is larger than the %(limit)s this API takes.") % {
        "limit": filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    }
    return api.create_response(request, {"detail": detail}, status=413)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> Any:
    if hasattr(request, "unparsable_at") and exc.status_code == 400:
        place = request.unparsable_at
        if place is None:
            detail = _("The request body is not UTF-8 text.")
        elif place == TOO_DEEP:
            detail = _("The request body nests arrays or objects too deeply.")
        else:
            detail = _(
                "The request body is not valid JSON (line %(line)s, column %(column)s)."
            ) % {"line": place[0], "column": place[1]}
        return api.create_response(request, {"detail": detail}, status=400)
    response = api.create_response(
        request, {"detail": str(exc)}, status=exc.status_code
    )
    if isinstance(exc, ApiForbidden):
        # Everyday refusals of a scope or a role, repeated by a client script: once
        # per address and reason a window (accounts.api_refusals).
        token = getattr(request, "api_token", None)
        return api_refusal_logged(
            request,
            response,
            reason=exc.reason,
            token_hint=token.hint if token is not None else None,
        )
    return response


# Ninja's own answers to these are English whatever the request's language.
@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> Any:
    return api.create_response(request, {"detail": _("Not found.")}, status=404)


PLAIN_CHALLENGE = 'Bearer realm="smsportal API"'


# The 401s and 429s are logged once per address and reason a window, in the
# security log, not each by django.request (accounts.api_refusals).
def _unauthenticated_response(request: HttpRequest) -> HttpResponse:
    detail = _("Send a valid API token (Authorization: Bearer <token>) or log in.")
    reason = getattr(request, REFUSAL_ATTRIBUTE, NO_CREDENTIALS)
    response = api.create_response(request, {"detail": detail}, status=401)
    # The challenge HTTP asks of every 401; the same for a token unknown, revoked or
    # none at all, so it tells nobody what a token was.
    response["WWW-Authenticate"] = PLAIN_CHALLENGE
    return api_refusal_logged(request, response, reason=reason)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> Any:
    return _unauthenticated_response(request)


def _token_expired_response(request: HttpRequest, exc: ApiTokenExpired) -> HttpResponse:
    """401 naming the expiry: only the token's holder can send it, so saying that it
    existed tells nobody else anything (an unknown token gets the plain 401)."""
    expired_at = timezone.localtime(exc.expired_at)
    detail = _(
        "This API token expired on %(date)s. Create a new token on your profile page."
    ) % {"date": f"{expired_at:%Y-%m-%d %H:%M %z}"}
    body = {"detail": detail, "expired_at": expired_at.isoformat()}
    response = api.create_response(request, body, status=401)
    # RFC 6750's way of telling a client to get a new token rather than retry.
    response["WWW-Authenticate"] = (
        'Bearer error="invalid_token", error_description="The token expired"'
    )
    return api_refusal_logged(
        request, response, reason=EXPIRED_TOKEN, token_hint=exc.token.hint
    )


@api.exception_handler(ApiTokenExpired)
def _token_expired(request: HttpRequest, exc: ApiTokenExpired) -> Any:
    return _token_expired_response(request, exc)


def _too_many_token_failures_response(
    request: HttpRequest, exc: ApiTokenAttemptsExceeded
) -> JsonResponse:
    """429 as the login page answers a locked address, with when to come back."""
    response = JsonResponse({"detail": exc.message}, status=429)
    response["Retry-After"] = str(exc.retry_after)
    return api_refusal_logged(request, response, reason=LOCKED_ADDRESS)


@api.exception_handler(ApiTokenAttemptsExceeded)
def _too_many_token_failures(
    request: HttpRequest, exc: ApiTokenAttemptsExceeded
) -> Any:
    return _too_many_token_failures_response(request, exc)


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, exc: Exception) -> Any:
    """Anything else: JSON all the same (Django's page is HTML), logged as Django
    logs a 500, and nothing of the error in the answer."""
    if outage_noted(exc):  # the cache or the broker went away under it
        detail = outage_message()
        return api.create_response(
            request, {"detail": detail, "where": None}, status=503
        )
    request_logger.error(
        "Internal Server Error: %s", request.path, exc_info=exc,
        extra={"status_code": 500, "request": request},
    )  # fmt: skip
    detail = _("The server could not complete this request; the error has been logged.")
    response = api.create_response(
        request, {"detail": detail, "where": None}, status=500
    )
    # Logged above with its traceback: Django's handler would log it again, bare.
    response._has_been_logged = True
    return response


class MeOut(Schema):
    id: int
    username: str
    email: str
    roles: list[str]
    permissions: list[str]


@api.get("/me", response=MeOut, tags=["accounts"])
def me(request: HttpRequest) -> dict[str, Any]:
    """The authenticated user, their roles and permissions."""
    user = request.user
    return {
        "id": user.pk,
        "username": user.get_username(),
        "email": user.email,
        "roles": user_roles(user),
        "permissions": sorted(user.get_all_permissions()),
    }


def _register_routers() -> None:
    from importlib import import_module

    for name in (
        "providers.api",
        "contacts.api",
        "campaigns.api",
        "campaigns.report_api",
        "campaigns.templates_api",
        "campaigns.greetings_api",
    ):
        try:
            module = import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        app = name.split(".")[0]
        api.add_router(f"/{getattr(module, 'PREFIX', app)}", module.router)


_register_routers()
