"""On a phone-sized screen (390 px) pages do not run off the side: wide tables scroll
in their own box, header buttons wrap under the heading, and words stay whole."""

import pytest

from accounts.services import api_token_create
from campaigns.models import MessageTemplate
from contacts.models import Contact, StopListEntry
from providers.models import SenderName

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _overflow(page) -> int:
    return page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def _lines(page, selector: str) -> int:
    """How many lines the element's text takes (its line boxes)."""
    return page.locator(selector).first.evaluate(
        "el => { const r = document.createRange(); r.selectNodeContents(el);"
        " return new Set([...r.getClientRects()].map(b => Math.round(b.top))).size; }"
    )


def test_pages_fit_a_phone_screen(admin_page, gateway_account, e2e_admin):
    page = admin_page
    page.set_viewport_size({"width": 390, "height": 844})
    stopped = Contact.objects.create(phone="+79161234567", last_name="Проверкин")
    StopListEntry.objects.create(phone=stopped.phone)
    for name in ("SMSPORTAL", "ANOTHERNAME"):
        SenderName.objects.create(account=gateway_account, name=name, usable=True)
    api_token_create(user=e2e_admin, name="Интеграция с CRM")
    # Every letter forces Unicode: the counter marks each one.
    template = MessageTemplate.objects.create(
        name="Скидка", text="Скидка на всё до воскресенья, дорогие покупатели!"
    )

    wide = []
    for path in (
        f"/contacts/{stopped.pk}/",
        f"/providers/{gateway_account.pk}/",
        "/account/profile/",
        "/campaigns/stop-list-sync/",
        "/campaigns/",
        "/contacts/",
        f"/campaigns/templates/{template.pk}/",
    ):
        page.goto(path)
        if (extra := _overflow(page)) > 0:
            wide.append(f"{path}: {extra}px too wide")

    assert not wide, "\n".join(wide)
    page.goto("/campaigns/")
    assert _lines(page, "main h1") == 1  # "Рассылки" is not broken in two
    page.goto("/contacts/")
    assert _lines(page, "main table tbody td:has-text('Проверкин')") == 1
