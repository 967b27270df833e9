"""Message templates in the REST API, validated by the templates page's own form."""

from datetime import datetime
from typing import Any

from ninja import Field, Router, Schema, Status

from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from campaigns.message_templates import MessageTemplateForm
from campaigns.models import MessageTemplate
from smsportal.api import form_saved, permission_required, require_perm
from smsportal.api_input import InputSchema, ObjectId
from smsportal.api_versions import (
    expected_version_field,
    if_match_openapi,
    locked_for_patch,
)

PREFIX = "templates"
router = Router(tags=["templates"])


class TemplateOut(Schema):
    id: int
    name: str
    text: str
    created_at: datetime
    updated_at: datetime
    version: int = Field(
        description="Raised by every change: give it to PATCH as expected_version"
    )


class TemplateIn(InputSchema):
    """On update, only the fields given change."""

    answer_schema = TemplateOut

    name: str | None = None
    text: str | None = None


class TemplatePatch(TemplateIn):
    expected_version: int | None = expected_version_field()


def _saved(template: MessageTemplate, payload: TemplateIn) -> MessageTemplate:
    data = {"name": template.name, "text": template.text}
    data.update(
        payload.dict(
            exclude_unset=True, exclude_none=True, exclude={"expected_version"}
        )
    )
    return form_saved(MessageTemplateForm(data, instance=template))


@router.get("", response=list[TemplateOut])
def template_list_api(request: HttpRequest) -> Any:
    """Every template, by name."""
    require_perm(request, "campaigns.view_messagetemplate")
    return MessageTemplate.objects.order_by("name")


@router.post("", response={201: TemplateOut})
@permission_required("campaigns.add_messagetemplate")
def template_create_api(request: HttpRequest, payload: TemplateIn) -> Status:
    return Status(201, _saved(MessageTemplate(created_by=request.user), payload))


@router.get("/{template_id}", response=TemplateOut)
def template_get_api(request: HttpRequest, template_id: ObjectId) -> MessageTemplate:
    require_perm(request, "campaigns.view_messagetemplate")
    return get_object_or_404(MessageTemplate, pk=template_id)


@router.patch(
    "/{template_id}", response=TemplateOut, openapi_extra=if_match_openapi("template")
)
@permission_required("campaigns.change_messagetemplate")
def template_update_api(
    request: HttpRequest, template_id: ObjectId, payload: TemplatePatch
) -> MessageTemplate:
    """Change a template; fields left out keep their values. With expected_version
    (or If-Match), a template changed since that version is refused with 409."""
    with locked_for_patch(
        request, MessageTemplate.objects, template_id, payload.expected_version
    ) as template:
        return _saved(template, payload)


@router.delete("/{template_id}", response={204: None})
def template_delete_api(request: HttpRequest, template_id: ObjectId) -> Status:
    require_perm(request, "campaigns.delete_messagetemplate")
    get_object_or_404(MessageTemplate, pk=template_id).delete()
    return Status(204, None)
