"""On a phone-sized screen (390 px) pages do not run off the side: wide tables scroll
in their own box, header buttons wrap under the heading, and words stay whole."""

import pytest

from django.conf import settings

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


def test_list_tables_scroll_in_their_own_box_on_a_phone(admin_page, gateway_account):
    """The campaign list's progress bars carry screen-reader text (absolutely placed):
    in the columns scrolled out of the table's box it widened the page to 417 px."""
    from decimal import Decimal

    from campaigns.models import Campaign
    from tests.campaigns.conftest import add_messages

    for i in range(3):
        campaign = Campaign.objects.create(
            name=f"Акция выходного дня {i}", account=gateway_account, sender="SHOP",
            text="Hi", state=Campaign.State.SENDING, price_per_segment=Decimal("2.50"),
        )  # fmt: skip
        add_messages(campaign, ["pending"] * 3 + ["delivered"] * 2)
    page = admin_page
    page.set_viewport_size({"width": 390, "height": 844})

    page.goto("/campaigns/")

    box = page.locator("#campaign-table .table-responsive")
    assert box.evaluate("el => el.scrollWidth - el.clientWidth") > 0  # it scrolls
    assert _overflow(page) <= 0, f"{_overflow(page)}px too wide"


def test_dashboard_balances_keep_name_and_amount_apart(admin_page, gateway_account):
    """«Demo Webcom Mobi / mysmpp1 000,00 RUB»: the two spans of a balance row had no
    gap between them, and touched when the name was long."""
    from decimal import Decimal

    from django.utils import timezone

    gateway_account.name = "Demo Webcom Mobi / mysmpp"
    gateway_account.balance = Decimal("1000.00")
    gateway_account.balance_currency = "RUB"
    gateway_account.balance_checked_at = timezone.now()
    gateway_account.save()
    page = admin_page
    _in_russian(page)
    row = page.locator("#balances li", has_text="mysmpp").first

    for width in (390, 1200, 1366):
        page.set_viewport_size({"width": width, "height": 844})
        page.goto("/")
        spans = row.locator("div").first.locator(":scope > span")
        name, amount = spans.nth(0).bounding_box(), spans.nth(1).bounding_box()
        same_line = abs(name["y"] - amount["y"]) < name["height"] / 2
        if same_line:
            gap = amount["x"] - (name["x"] + name["width"])
            assert gap >= 12, f"{width}px: {gap:.0f}px between name and amount"
        else:  # wrapped under the name, as a whole
            assert amount["y"] >= name["y"] + name["height"] - 1
        assert "1 000,00" in spans.nth(1).inner_text().replace("\xa0", " ")
        assert _overflow(page) <= 0


def test_the_menu_fits_a_small_laptop_in_russian(admin_page, gateway_account):
    """At 1024 px the Russian menu ran 120 px off the side: "Стоп-лист" broke in two
    and the user menu left the screen. It collapses below 1200 px now."""
    page = admin_page
    # The context speaks English; Django's language cookie makes the pages Russian.
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "ru", "url": page.url}]
    )
    for width in (1024, 1200, 1440):
        page.set_viewport_size({"width": width, "height": 800})
        page.goto("/campaigns/")
        assert page.locator("html").get_attribute("lang") == "ru"
        assert _overflow(page) <= 0, f"{width}px: {_overflow(page)}px too wide"
        menu = page.locator("#main-nav")
        if menu.is_visible():
            # The user's own menu is on the screen, its label on one line.
            right = page.locator("#main-nav .nav-link").last.bounding_box()
            assert right["x"] + right["width"] <= width


def test_a_long_word_in_a_contacts_history_wraps_inside_the_table(
    admin_page, gateway_account
):
    """A link of 80 characters ran the history table past its box."""
    from django.utils import timezone

    from campaigns.models import Message

    contact = Contact.objects.create(phone="+79161234500", first_name="Длинный")
    Message.objects.create(
        account=gateway_account, contact=contact, phone=contact.phone,
        text="https://example.ru/" + "x" * 70, channel="sms", status="delivered",
        planned_at=timezone.now(), submitted_at=timezone.now(),
    )  # fmt: skip
    page = admin_page
    page.set_viewport_size({"width": 1024, "height": 800})

    page.goto(f"/contacts/{contact.pk}/")

    cell = page.locator("td", has_text="https://example.ru/").first
    box = cell.locator("xpath=ancestor::div[1]")
    assert box.evaluate("el => el.scrollWidth - el.clientWidth") <= 0
    assert _overflow(page) <= 0


def _in_russian(page) -> None:
    # The context speaks English; Django's language cookie makes the pages Russian.
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "ru", "url": page.url}]
    )


def test_an_account_page_fits_375_px_in_russian(admin_page, gateway_account):
    """The "Имена отправителя" header row did not wrap: the page was 406 px wide and
    "Заказать новое имя" half off the screen."""
    # A request the gateway does not list yet: its note and Remove button too.
    SenderName.objects.create(
        account=gateway_account, name="MyShop", state="moderation", usable=False
    )
    page = admin_page
    _in_russian(page)
    page.set_viewport_size({"width": 375, "height": 800})

    page.goto(f"/providers/{gateway_account.pk}/")

    assert page.locator("html").get_attribute("lang") == "ru"
    assert _overflow(page) <= 0, f"{_overflow(page)}px too wide"
    width = page.evaluate("document.documentElement.clientWidth")
    assert page.locator("[data-action=remove-sender]").is_visible()
    for button in ("sender_sync", "sender_request"):
        box = page.locator(f"[data-sender-action={button}]").bounding_box()
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= width, f"{button} runs off the screen"


# How tall the capabilities cell's visible content is (not the cell: every cell of a
# row is as tall as the row), in lines of the cell's text.
CAPABILITY_LINES = """row => {
    const cell = [...row.cells].find(c => c.querySelector("[data-capability]"));
    const boxes = [...cell.children]
        .filter(e => e.checkVisibility())
        .map(e => e.getBoundingClientRect());
    const top = Math.min(...boxes.map(b => b.top));
    const bottom = Math.max(...boxes.map(b => b.bottom));
    return (bottom - top) / parseFloat(getComputedStyle(cell).lineHeight);
}"""


def test_account_list_folds_capabilities_on_a_phone_only(admin_page, gateway_account):
    """Each account's ~20 capability badges made a row ~400 px tall at 375 px."""
    from providers.selectors import account_capabilities

    page = admin_page
    _in_russian(page)
    count = len(account_capabilities(gateway_account))
    row = page.locator("main table tbody tr", has_text=gateway_account.name)
    badges = row.locator("[data-capability]:visible")

    page.set_viewport_size({"width": 375, "height": 800})
    page.goto("/providers/")
    lines = row.evaluate(CAPABILITY_LINES)
    assert lines <= 1.5, f"the capabilities take {lines:.1f} lines"
    folded_badges = badges.count()
    summary = row.locator("[data-capability-summary] summary")
    assert str(count) in summary.inner_text()
    summary.click()
    opened = badges.count()

    page.set_viewport_size({"width": 1366, "height": 800})
    page.goto("/providers/")
    wide = badges.count()

    assert _overflow(page) <= 0
    assert folded_badges == 0
    assert opened == count  # a tap shows them all
    assert wide == count  # a wide screen shows them without a tap
    assert not row.locator("[data-capability-summary]").is_visible()


def test_a_long_group_name_wraps_on_the_contact_form(admin_page):
    """A group name without spaces widened the contact's edit page to 959 px on a
    375 px screen; the boxes had no Bootstrap look either."""
    from contacts.models import ContactGroup

    ContactGroup.objects.create(name="Клиенты" * 12)
    ContactGroup.objects.create(name="VIP")
    contact = Contact.objects.create(phone="+79161234568")
    page = admin_page
    page.set_viewport_size({"width": 375, "height": 800})

    page.goto(f"/contacts/{contact.pk}/edit/")
    boxes = page.locator("input[name=groups]")

    assert _overflow(page) <= 0
    assert boxes.count() == 2
    assert all(
        "form-check-input" in (boxes.nth(i).get_attribute("class") or "")
        for i in range(2)
    )


@pytest.mark.parametrize("width", [360, 768])
def test_forms_and_their_buttons_fit_a_small_phone_in_russian(
    admin_page, gateway_account, width
):
    """At 360 px the account form's three buttons («Сохранить», «Сохранить и проверить
    подключение», «Отмена») stayed on one line: the page was 15 px too wide and
    «Отмена» ran off the side; a draft's («Сохранить черновик», «Тестовая отправка»,
    «Вернуться к рассылке») likewise."""
    from decimal import Decimal

    from campaigns.models import Campaign

    contact = Contact.objects.create(phone="+79161234569", last_name="Узкий")
    draft = Campaign.objects.create(
        name="Черновик", account=gateway_account, sender="SHOP", text="Привет",
        price_per_segment=Decimal("2.50"),
    )  # fmt: skip
    page = admin_page
    _in_russian(page)
    page.set_viewport_size({"width": width, "height": 740})

    wide = []
    for path in (
        f"/providers/{gateway_account.pk}/edit/",
        "/providers/new/",
        "/campaigns/new/",
        f"/campaigns/{draft.pk}/edit/",
        f"/contacts/{contact.pk}/edit/",
        "/contacts/groups/new/",
        "/contacts/import/",
        "/contacts/stop-list/import/",
        "/campaigns/templates/new/",
        "/campaigns/greetings/new/",
        "/account/password/",
    ):
        page.goto(path)
        if (extra := _overflow(page)) > 0:
            wide.append(f"{path}: {extra}px too wide")
        for button in page.locator("main form [type=submit], main form a.btn").all():
            if not button.is_visible():
                continue
            box = button.bounding_box()
            if box["x"] < 0 or box["x"] + box["width"] > width:
                wide.append(f"{path}: «{button.inner_text()}» off the screen")

    assert not wide, "\n".join(wide)
