"""Versioned records in the REST API: a PATCH refused when made on an older version.

A client that read a record (its `version`) and sends a change later gives that
version back, as `expected_version` in the body or an If-Match header; a record
changed since is refused with 409, as a page's save is (smsportal.versioning),
nothing saved. Without it a PATCH saves as it always did.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from ninja import Field

from django.db import models, transaction
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from smsportal.exceptions import ApplicationError
from smsportal.versioning import parse_version, require_version, stale_since

M = TypeVar("M", bound=models.Model)

EXPECTED_VERSION_DESCRIPTION = (
    "The record's `version` as you read it: a change made since is refused with 409 "
    "(`detail` names who changed it and when, if known) and nothing is saved; left "
    "out, none is compared. An If-Match header with the version does the same (the "
    "body's wins)."
)


def expected_version_field() -> Any:
    """The optional `expected_version` of a PATCH body."""
    return Field(None, description=EXPECTED_VERSION_DESCRIPTION)


def if_match_openapi(what: str, outcome: str = "nothing was saved") -> dict[str, Any]:
    """An operation's openapi_extra: the If-Match header and its 409 answer."""
    return {
        "parameters": [
            {
                "in": "header",
                "name": "If-Match",
                "required": False,
                "schema": {"type": "string"},
                "description": f"The {what}'s version, as expected_version (a "
                "body's wins); * matches any version",
            }
        ],
        "responses": stale_response(what, outcome),
    }


def stale_response(what: str, outcome: str) -> dict[str, Any]:
    """The OpenAPI entry of the 409 for a version the record has moved past."""
    return {
        "409": {
            "description": f"The {what} was changed since the version given: "
            f"{outcome}. `detail` names who changed it and when.",
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
            },
        }
    }


def expected_version(request: HttpRequest, given: int | None) -> int | None:
    """The version a client expects: the body's, else its If-Match header's.

    `If-Match: *` matches whatever version the record has (RFC 9110): none is
    compared. A header that is no version is a 400 saying so, not a 409 that sent
    its client to read the record again for a conflict there never was."""
    if given is not None:
        return given
    header = request.headers.get("If-Match")
    if header is not None and header.strip() == "*":
        return None
    version = parse_version(header)
    if version is not None and version < 0:
        raise ApplicationError(
            _(
                "The If-Match header must be the record's version (a whole number, "
                "as the version field gives it) or *."
            ),
            where="If-Match",
        )
    return version


@contextmanager
def locked_for_patch(
    request: HttpRequest,
    queryset: models.QuerySet[M] | models.Manager[M],
    pk: Any,
    given: int | None,
    *,
    check: Callable[[M], None] | None = None,
) -> Iterator[M]:
    """The record a PATCH changes, in a transaction: read (404 if there is none)
    under a lock held to the commit, so a PATCH of other fields at the same time is
    saved before or after this one, never overwritten with what was read before it.
    `check` (say, "only a draft") is asked first; then StaleVersion (a 409) when the
    version given (`given`, else If-Match) is not the record's."""
    with transaction.atomic():
        record = get_object_or_404(queryset.select_for_update(), pk=pk)
        if check is not None:
            check(record)
        require_version(
            record, expected_version(request, given), message=_stale_message
        )
        yield record


def _stale_message(record: Any) -> str:
    since = stale_since(record)
    if since["who"] and since["when"]:
        changed = _(
            "Nothing was saved: %(who)s changed this record (%(when)s) after the "
            "version you sent."
        )
    elif since["when"]:
        changed = _(
            "Nothing was saved: this record was changed (%(when)s) after the version "
            "you sent."
        )
    else:
        changed = _(
            "Nothing was saved: this record was changed after the version you sent."
        )
    return " ".join(
        [
            changed % since,
            _(
                "Read it again (its version is now %(version)s), then send your "
                "change with that version."
            )
            % {"version": record.version},
        ]
    )
