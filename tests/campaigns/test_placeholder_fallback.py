"""{first_name|Клиент}: a word for recipients without the value, in campaigns,
message templates and birthday greetings, said in the composer's help."""

import pytest

from django.urls import reverse
from django.utils import translation

from campaigns.expansion import campaign_expand
from campaigns.forms import CampaignForm
from campaigns.greeting_views import BirthdayGreetingForm
from campaigns.message_templates import MessageTemplateForm
from campaigns.models import Message
from campaigns.services import campaign_preview
from campaigns.templating import parse_template
from contacts.models import ContactGroup
from tests.campaigns.test_birthday_greetings import form_data as greeting_data
from tests.campaigns.test_forms import form_data as campaign_data

pytestmark = pytest.mark.django_db

TEXT = "{first_name|Клиент}, напоминаем об оплате"


def test_recipients_without_a_first_name_get_the_fallback(make_group, make_campaign):
    group = make_group(
        "Clients",
        [("+79120000001", "Анна", "Europe/Moscow"), ("+79120000002", "", "")],
    )
    campaign = make_campaign([group], text=TEXT)

    preview = campaign_preview(campaign=campaign)
    campaign_expand(campaign=campaign)

    texts = dict(Message.objects.values_list("phone", "text"))
    assert texts == {
        "+79120000001": "Анна, напоминаем об оплате",
        "+79120000002": "Клиент, напоминаем об оплате",
    }
    assert preview.empty_placeholders == {}  # nobody gets a gap


@translation.override("en")  # the forms word their help when made
def test_campaigns_templates_and_greetings_take_a_fallback(account):
    group = ContactGroup.objects.create(name="Clients")
    forms = [
        CampaignForm(campaign_data(account, text=TEXT)),
        MessageTemplateForm({"name": "Оплата", "text": TEXT}),
        BirthdayGreetingForm(greeting_data(account, group, text=TEXT)),
    ]

    for form in forms:
        assert form.is_valid(), form.errors
        assert form.cleaned_data["text"] == TEXT
    assert "{first_name|Customer}" in str(forms[1].fields["text"].help_text)
    assert "{first_name|Customer}" in str(forms[2].fields["text"].help_text)
    assert parse_template(TEXT)[0].fallback == "Клиент"


def test_the_composer_documents_the_fallback(manager_client):
    page = manager_client.get(
        reverse("campaigns:create"), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()

    help_text = page.split("data-fallback-help>")[1].split("</span>")[0]
    assert "{first_name|Customer} sends “Customer”" in help_text
