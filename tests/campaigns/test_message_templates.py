"""Message templates: saved texts, checked as a campaign's text is, offered by the
composer; managed on their own pages and in the admin."""

import pytest

from django.urls import reverse

from campaigns.models import MessageTemplate
from contacts.models import CustomField

pytestmark = pytest.mark.django_db

LIST = reverse("campaigns:templates")
NEW = reverse("campaigns:template_create")


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def edit_url(template) -> str:
    return reverse("campaigns:template_edit", args=[template.pk])


def test_a_manager_saves_edits_and_deletes_a_template(manager_client, manager_user):
    CustomField.objects.create(key="city", label="Город", kind="text")

    created = manager_client.post(
        NEW, {"name": "Скидка", "text": "{first_name}, скидка в {city}\r\nдо пятницы"}
    )
    template = MessageTemplate.objects.get()
    edited = manager_client.post(
        edit_url(template), {"name": "Скидка 20%", "text": "Скидка 20%"}
    )
    listed = manager_client.get(LIST).content.decode()
    deleted = manager_client.post(
        reverse("campaigns:template_delete", args=[template.pk])
    )

    assert (created.status_code, created.url) == (302, LIST)
    assert template.created_by == manager_user
    assert template.text == "{first_name}, скидка в {city}\nдо пятницы"
    assert edited.status_code == 302
    assert "Скидка 20%" in listed
    assert f'href="{edit_url(template)}"' in listed
    assert deleted.status_code == 302
    assert not MessageTemplate.objects.exists()


@pytest.mark.parametrize(
    ("data", "field", "says"),
    [
        ({"text": "Hi {frist_name}"}, "text", "Known placeholders: {first_name}"),
        ({"text": "Hi {first_name"}, "text", "Known placeholders"),
        (
            {"text": "Hi {promo} {bogus}"},
            "text",
            "Unknown placeholder {promo}. To send braces as text, double them: "
            "{{promo}}. Unknown placeholder {bogus}.",
        ),
        ({"text": "Bell\x07"}, "text", "Line 1, column 5"),
        ({"name": "Taken"}, "name", "A template with this name already exists."),
        ({"text": ""}, "text", "This field is required."),
    ],
)
def test_what_a_campaign_would_refuse_is_refused_on_its_field(
    manager_client, data, field, says
):
    MessageTemplate.objects.create(name="Taken", text="x")
    response = manager_client.post(NEW, {"name": "New", "text": "ok", **data})

    # The form comes back with its errors as a page (200), as every other form does:
    # a 400 made the browser log a console error at each invalid save.
    assert response.status_code == 200
    errors = response.context["form"].errors[field]
    assert says in " ".join(errors)
    assert MessageTemplate.objects.count() == 1


def test_a_template_too_long_for_a_gateway_in_use_is_saved_with_a_warning(
    manager_client,
):
    from providers.models import ProviderAccount

    for kind in ("smsc", "webcom"):
        ProviderAccount.objects.create(name=kind, kind=kind, login="l", password="p")
    ProviderAccount.objects.create(
        name="off", kind="websms", login="l", password="p", is_active=False
    )

    response = manager_client.post(
        NEW, {"name": "Long", "text": "Ы" * 1200}, follow=True
    )

    assert MessageTemplate.objects.get().text == "Ы" * 1200
    [saved, warning] = [str(m) for m in response.context["messages"]]
    assert saved == "Template “Long” saved."
    # SMSC's limit only: Webcom takes it, and the inactive WEBSMS account sends nothing.
    assert warning == (
        "A campaign cannot send it as it is through every account: Too long: SMSC "
        "accepts at most 1,000 characters; this text has 1,200."
    )
    short = manager_client.post(NEW, {"name": "Short", "text": "Ы" * 10}, follow=True)
    assert [str(m) for m in short.context["messages"]] == ["Template “Short” saved."]


def test_save_as_a_template_starts_the_form_with_the_text(manager_client):
    text = "Здравствуйте, {first_name}! " * 60  # longer than a URL takes
    response = manager_client.post(NEW, {"prefill": "1", "text": text})

    assert response.status_code == 200
    assert response.context["form"]["text"].value() == text
    assert not response.context["form"].errors
    assert not MessageTemplate.objects.exists()


def test_a_viewer_reads_the_list_but_cannot_change_it(viewer_client):
    template = MessageTemplate.objects.create(name="Read me", text="x")

    listed = viewer_client.get(LIST)
    creating = viewer_client.post(NEW, {"name": "No", "text": "x"})
    editing = viewer_client.get(edit_url(template))
    deleting = viewer_client.post(
        reverse("campaigns:template_delete", args=[template.pk])
    )

    assert listed.status_code == 200
    assert "Read me" in listed.content.decode()
    assert f'href="{edit_url(template)}"' not in listed.content.decode()
    assert (creating.status_code, editing.status_code, deleting.status_code) == (
        403, 403, 403,
    )  # fmt: skip
    assert MessageTemplate.objects.count() == 1


def test_the_composer_offers_the_templates_by_name(manager_client):
    MessageTemplate.objects.create(name="Б второй", text='He said "hi" <b>')
    MessageTemplate.objects.create(name="А первый", text="Hello {first_name}")

    page = manager_client.get(reverse("campaigns:create")).content.decode()

    start = page.index("js-insert-template")
    select = page[start : page.index("</select>", start)]
    assert select.index("А первый") < select.index("Б второй")
    assert 'data-text="Hello {first_name}"' in select
    assert 'data-text="He said &quot;hi&quot; &lt;b&gt;"' in select
    assert "js-save-template" in page


def test_the_campaign_list_links_the_templates(viewer_client):
    assert (
        f'href="{LIST}"'
        in viewer_client.get(reverse("campaigns:list")).content.decode()
    )


def test_the_admin_checks_a_template_as_the_page_does(admin_client, django_user_model):
    django_user_model.objects.filter(username="alice-admin").update(is_superuser=True)

    response = admin_client.post(
        reverse("admin:campaigns_messagetemplate_add"),
        {"name": "Admin", "text": "Hi {nope}"},
    )

    assert response.status_code == 200  # the form again, with the error
    assert "Known placeholders" in response.content.decode()
    assert not MessageTemplate.objects.exists()


def test_the_api_manages_templates_with_the_pages_checks(manager_client):
    api = "/api/v1/templates"
    created = manager_client.post(
        api, {"name": "Код", "text": "Код: {phone}"}, content_type="application/json"
    )
    template_id = created.json()["id"]
    refused = manager_client.patch(
        f"{api}/{template_id}", {"text": "Hi {nope}"}, content_type="application/json"
    )
    renamed = manager_client.patch(
        f"{api}/{template_id}", {"name": "Код входа"}, content_type="application/json"
    )
    listed = manager_client.get(api).json()
    deleted = manager_client.delete(f"{api}/{template_id}")

    assert created.status_code == 201
    assert (refused.status_code, refused.json()["where"]) == (400, "text")
    assert "Known placeholders" in refused.json()["detail"]
    assert (renamed.json()["name"], renamed.json()["text"]) == (
        "Код входа",
        "Код: {phone}",
    )
    assert [t["name"] for t in listed] == ["Код входа"]
    assert deleted.status_code == 204
    assert not MessageTemplate.objects.exists()


def test_a_viewer_reads_templates_in_the_api_but_cannot_write(viewer_client):
    MessageTemplate.objects.create(name="R", text="x")
    api = "/api/v1/templates"

    assert viewer_client.get(api).status_code == 200
    refused = viewer_client.post(
        api, {"name": "W", "text": "x"}, content_type="application/json"
    )
    assert refused.status_code == 403


def test_the_demo_has_templates_that_a_composer_would_accept():
    import io

    from campaigns.demo import DEMO_TEMPLATES, load
    from campaigns.message_templates import MessageTemplateForm

    load(stdout=io.StringIO())
    load(stdout=io.StringIO())  # again: nothing new

    assert MessageTemplate.objects.count() == len(DEMO_TEMPLATES)
    for template in MessageTemplate.objects.all():
        form = MessageTemplateForm(
            {"name": template.name + " 2", "text": template.text}
        )
        assert form.is_valid(), form.errors
