"""Birthday greetings in the REST API, validated by the greetings page's own form."""

from datetime import date, datetime, time
from typing import Any

from ninja import Field, Router, Schema, Status

from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from campaigns.greeting_views import BirthdayGreetingForm
from campaigns.models import BirthdayGreeting
from smsportal.api import form_saved, permission_required, require_perm
from smsportal.api_input import InputSchema, ObjectId
from smsportal.api_versions import (
    expected_version_field,
    if_match_openapi,
    locked_for_patch,
)

PREFIX = "greetings"
router = Router(tags=["greetings"])


class GreetingOut(Schema):
    id: int
    name: str
    is_active: bool
    account: int = Field(alias="account_id")
    sender: str
    text: str
    to_whole_book: bool
    include_groups: list[int]
    exclude_groups: list[int]
    send_time: time
    time_zone: str
    last_run_on: date | None
    last_error: str
    created_at: datetime
    updated_at: datetime
    version: int = Field(
        description="Raised by every change: give it to PATCH as expected_version"
    )

    @staticmethod
    def resolve_last_error(greeting: BirthdayGreeting) -> str:
        return greeting.last_error_message  # in the request's language

    @staticmethod
    def resolve_include_groups(greeting: BirthdayGreeting) -> list[int]:
        return [group.pk for group in greeting.include_groups.all()]

    @staticmethod
    def resolve_exclude_groups(greeting: BirthdayGreeting) -> list[int]:
        return [group.pk for group in greeting.exclude_groups.all()]


class GreetingIn(InputSchema):
    """On update, only the fields given change."""

    answer_schema = GreetingOut

    name: str | None = None
    is_active: bool | None = None
    account: int | None = Field(None, description="Provider account id")
    sender: str | None = Field(None, description="Empty: the account's default")
    text: str | None = None
    to_whole_book: bool | None = None
    include_groups: list[int] | None = None
    exclude_groups: list[int] | None = None
    send_time: time | None = Field(
        None, description="When each day's campaign starts, before 21:00"
    )
    time_zone: str | None = None


class GreetingPatch(GreetingIn):
    expected_version: int | None = expected_version_field()


def _form_data(greeting: BirthdayGreeting) -> dict[str, Any]:
    data: dict[str, Any] = {
        name: getattr(greeting, name)
        for name in BirthdayGreetingForm._meta.fields
        if name not in ("account", "include_groups", "exclude_groups")
    }
    data["account"] = greeting.account_id
    if greeting.pk:
        data["include_groups"] = [g.pk for g in greeting.include_groups.all()]
        data["exclude_groups"] = [g.pk for g in greeting.exclude_groups.all()]
    return data


def _saved(greeting: BirthdayGreeting, payload: GreetingIn) -> BirthdayGreeting:
    data = _form_data(greeting)
    data.update(
        payload.dict(
            exclude_unset=True, exclude_none=True, exclude={"expected_version"}
        )
    )
    return form_saved(BirthdayGreetingForm(data, instance=greeting))


def _greetings():
    return BirthdayGreeting.objects.prefetch_related("include_groups", "exclude_groups")


@router.get("", response=list[GreetingOut])
def greeting_list_api(request: HttpRequest) -> Any:
    """Every greeting, by name."""
    require_perm(request, "campaigns.view_birthdaygreeting")
    return _greetings().order_by("name")


@router.post("", response={201: GreetingOut})
@permission_required("campaigns.add_birthdaygreeting")
def greeting_create_api(request: HttpRequest, payload: GreetingIn) -> Status:
    return Status(201, _saved(BirthdayGreeting(created_by=request.user), payload))


@router.get("/{greeting_id}", response=GreetingOut)
def greeting_get_api(request: HttpRequest, greeting_id: ObjectId) -> BirthdayGreeting:
    require_perm(request, "campaigns.view_birthdaygreeting")
    return get_object_or_404(_greetings(), pk=greeting_id)


@router.patch(
    "/{greeting_id}", response=GreetingOut, openapi_extra=if_match_openapi("greeting")
)
@permission_required("campaigns.change_birthdaygreeting")
def greeting_update_api(
    request: HttpRequest, greeting_id: ObjectId, payload: GreetingPatch
) -> BirthdayGreeting:
    """Change a greeting; fields left out keep their values. With expected_version
    (or If-Match), a greeting changed since that version is refused with 409."""
    with locked_for_patch(
        request, BirthdayGreeting.objects, greeting_id, payload.expected_version
    ) as greeting:
        return _saved(greeting, payload)


@router.delete("/{greeting_id}", response={204: None})
def greeting_delete_api(request: HttpRequest, greeting_id: ObjectId) -> Status:
    require_perm(request, "campaigns.delete_birthdaygreeting")
    get_object_or_404(BirthdayGreeting, pk=greeting_id).delete()
    return Status(204, None)
