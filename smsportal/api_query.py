"""Query parameters an operation does not take are refused, not ignored.

Ignored, a misspelt filter widened the answer without a word: `GET /messages?
campagin=5` listed every message, `/contacts/export?groups=3` exported the whole book.
Two decorators for every operation (smsportal.api): the first, around the run, notes
on the request the names the operation does not declare; the second, around the
view, refuses them once the caller is authenticated and the declared parameters are
valid (a stranger still gets the 401, a bad value of a known parameter its 422).
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from ninja.operation import Operation

from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from smsportal.exceptions import ApplicationError

UNKNOWN_QUERY = "api_unknown_query"


def note_unknown_query(run: Callable[..., Any]) -> Callable[..., Any]:
    """Ninja's "view" mode: wraps the operation's run, before auth and validation."""
    operation = _operation_of(run)
    known = query_names(operation) if operation is not None else None

    @wraps(run)
    def noting(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if known is not None:
            unknown = sorted(set(request.GET) - known)
            if unknown:
                setattr(request, UNKNOWN_QUERY, (unknown, known))
        return run(request, *args, **kwargs)

    return noting


def refuse_unknown_query(view: Callable[..., Any]) -> Callable[..., Any]:
    """Ninja's "operation" mode: wraps the view, after auth and validation."""

    @wraps(view)
    def refusing(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        noted = getattr(request, UNKNOWN_QUERY, None)
        if noted:
            raise ApplicationError(unknown_query_message(*noted), where=noted[0][0])
        return view(request, *args, **kwargs)

    return refusing


def unknown_query_message(unknown: list[str], known: frozenset[str]) -> str:
    names = ", ".join(unknown)
    said = ngettext(
        "Unknown query parameter: %(names)s.",
        "Unknown query parameters: %(names)s.",
        len(unknown),
    ) % {"names": names}
    if not known:
        return " ".join([said, _("This request takes no query parameters.")])
    takes = _("This request takes: %(known)s.") % {"known": ", ".join(sorted(known))}
    return " ".join([said, takes])


def query_names(operation: Operation) -> frozenset[str]:
    """The query parameters the operation declares, by the names a client sends."""
    names: set[str] = set()
    for model in operation.models:
        if getattr(model, "__ninja_param_source__", None) != "query":
            continue
        flattened = getattr(model, "__ninja_flatten_map__", None)
        if flattened:
            names.update(flattened)
        else:
            names.update(
                info.alias or name for name, info in model.model_fields.items()
            )
    return frozenset(names)


def _operation_of(run: Callable[..., Any]) -> Operation | None:
    # The run is the operation's bound method, perhaps under decorators that kept
    # it as __wrapped__ (functools.wraps); without one the check stays off.
    while run is not None:
        owner = getattr(run, "__self__", None)
        if isinstance(owner, Operation):
            return owner
        run = getattr(run, "__wrapped__", None)
    return None
