"""What every API request body and list parameter must be, refused in words.

A body field an operation does not know is refused, not ignored: a misspelt field
("stat" for "read") would otherwise do nothing, or the default, and answer 200.
"""

from typing import Annotated, Any, ClassVar

from ninja import Schema
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

from django.http import Http404
from django.utils.translation import gettext as _

from smsportal.exceptions import ApplicationError
from smsportal.lib.textcheck import without_nul


class InputSchema(Schema):
    """A request body: every field it is sent must be one of its own."""

    # Also in the OpenAPI document, as additionalProperties: false.
    model_config = ConfigDict(extra="forbid")

    # The answer the operation returns: a field of it that is not also one of these
    # (id, state, created_at) is refused as one the server sets, not as unknown.
    answer_schema: ClassVar[type[BaseModel] | None] = None
    # Where the schema sits in its parent's body ("voice_options"), for `where`.
    nested_in: ClassVar[str] = ""

    @model_validator(mode="before")
    @classmethod
    def _known_fields_only(cls, data: Any) -> Any:
        if isinstance(data, dict):
            known = set(cls.model_fields) | {
                f.alias for f in cls.model_fields.values() if f.alias
            }
            for name in data:
                if name not in known:
                    raise _unknown_field(cls, str(name), known)
        return data


def _unknown_field(
    schema: type[InputSchema], name: str, known: set[str]
) -> ApplicationError:
    where = f"{schema.nested_in}.{name}" if schema.nested_in else name
    answer = schema.answer_schema
    if answer is not None and name in answer.model_fields:
        message = _("%(field)s cannot be set here: the server sets it.")
    else:
        message = _(
            "%(field)s: there is no such field here. The fields are: %(fields)s."
        )
    return ApplicationError(
        message % {"field": where, "fields": ", ".join(sorted(known))}, where=where
    )


def number_in_range(value: int, *, name: str, low: int, high: int) -> int:
    """`value` when low <= value <= high; else a 400 naming the parameter and the
    range, rather than a quiet clamp into it."""
    if not low <= value <= high:
        raise ApplicationError(
            _("%(name)s must be from %(low)s to %(high)s.")
            % {"name": name, "low": low, "high": high},
            where=name,
        )
    return value


def cursor_refused() -> ApplicationError:
    """The one answer to a `cursor` that no list of this API gave out."""
    return ApplicationError(
        _("The cursor is not one this API gave out; start again without it."),
        where="cursor",
    )


MAX_PAGE = 500
# Past any table, and within what SQLite's OFFSET takes (a 500 there).
MAX_OFFSET = 2**62


def _page_size(value: int) -> int:
    return number_in_range(value, name="limit", low=1, high=MAX_PAGE)


def _offset(value: int) -> int:
    if value < 0:
        raise ApplicationError(
            _("%(name)s must be 0 or more.") % {"name": "offset"}, where="offset"
        )
    # Any offset past the last row is the same empty page.
    return min(value, MAX_OFFSET)


# List parameters: the range in the OpenAPI document, a 400 in words outside it.
PageSize = Annotated[
    int,
    AfterValidator(_page_size),
    WithJsonSchema({"type": "integer", "minimum": 1, "maximum": MAX_PAGE}),
]
Offset = Annotated[
    int,
    AfterValidator(_offset),
    WithJsonSchema({"type": "integer", "minimum": 0}),
]


MAX_ID = 2**63 - 1  # PostgreSQL bigint


def _existing_id(value: Any) -> int:
    # Text that is no whole number, or one no row can have (0, -1, past bigint), is
    # no such object, as a free id is: the same JSON 404 on every path, never a 422
    # on one and a database error on another.
    text = str(value)
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_ID:
        raise Http404
    return int(text)


# An object's id in a path.
ObjectId = Annotated[
    int,
    BeforeValidator(_existing_id),
    WithJsonSchema({"type": "integer", "minimum": 1, "maximum": MAX_ID}),
]


def _not_a_truth_value(value: Any) -> Any:
    if isinstance(value, bool):
        # Pydantic reads true as 1: `"contact_ids": [true]` put contact 1 in a group.
        # Its own error type, so the 422 says "must be a whole number" in words.
        raise PydanticCustomError("int_type", "Input should be a valid integer")
    return value


# An object's id in a request body (lists of contacts, groups, replies).
RecordId = Annotated[int, BeforeValidator(_not_a_truth_value)]


def idempotency_key(in_body: str, in_header: str) -> str:
    """A request's idempotency key: its `client_key` field or its Idempotency-Key
    header ("" for neither); a 400 when both are given and differ, or it is longer
    than a message keeps (64 characters)."""
    body = without_nul(in_body).strip()
    header = without_nul(_as_sent(in_header)).strip()
    if body and header and body != header:
        raise ApplicationError(
            _("The client_key field and the Idempotency-Key header differ."),
            where="client_key",
        )
    key = body or header
    if len(key) > 64:
        raise ApplicationError(
            _("The idempotency key is longer than 64 characters."), where="client_key"
        )
    return key


def _as_sent(header: str) -> str:
    """A header's value as the client wrote it: WSGI hands its bytes over read as
    Latin-1 (PEP 3333), so a UTF-8 key ("заказ-77") arrived garbled, and the same
    key sent in `client_key` was another key: the message went out twice."""
    try:
        return header.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return header  # Latin-1 text of its own, or already text


# The 409 of an operation that takes an idempotency key, for its OpenAPI entry.
KEY_REUSED = {"responses": {409: {
    "description": "The idempotency key was used for another request",
    "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/Error"}
    }},
}}}  # fmt: skip
