"""A Russian marketing manager's tour, in a browser set to ru-RU: every page the menus
and links reach, a campaign in each state with its report, an import with bad rows,
the composer's live counter and preview, the inbox, the admin and the error pages.
No page may show English words (Latin words that are not brands, units, codes or the
data itself), a count whose noun disagrees with it («5 сообщения», «21 сообщений»), or
an amount written the English way («3.50»)."""

from __future__ import annotations

import csv
import io
import re
from collections import deque
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from django.contrib.auth.models import Group
from django.utils import timezone, translation

from accounts.roles import VIEWER
from campaigns.models import Campaign, MessageTemplate
from campaigns.services import campaign_sender_change
from contacts.models import Contact, ContactGroup, GroupMembership, StopListEntry
from providers.services import provider_account_check
from providers.simulator import Fault
from tests.campaigns.report_data import make_reply, seed_messages
from tests.e2e.conftest import PASSWORD, log_in, watched_context

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Latin words a Russian page may show: gateways, brands, formats, units, codes and
# the technical names a user types or copies (casefolded).
ALLOWED = frozenset({
    "smsc", "websms", "webcom", "mobi", "mysmpp", "smsportal", "viber", "flash",
    "sms", "mms", "mts", "beeline", "megafon", "tele", "csv", "xlsx", "excel",
    "windows", "utf", "ucs", "gsm", "api", "http", "https", "url", "xml", "json",
    "get", "post", "ip", "id", "bearer", "authorization", "openapi", "swagger",
    "token", "callback", "callbackurl", "asp", "usd", "eur", "utc", "msk",
    "ctrl", "mac", "cldr", "def", "abc", "xx", "bom", "dos", "stop", "english",
    "django", "celery", "beat", "readme", "configuration",
})  # fmt: skip
# Not words: placeholders ({first_name}), addresses, file names, masked secrets, and
# the commands a notice asks to run ("celery -A smsportal worker": shown only while
# no worker's heartbeat is fresh, so a crawl on a busy machine met it now and then).
NOT_WORDS = re.compile(
    r"\{+[^{}]*\}+|\S+@\S+|(?:https?://)?[\w.-]+\.(?:ru|com|org|net)\b\S*"
    r"|\S+\.(?:csv|xlsx|asp)\b|•+\w*|\bcelery -A \w+ \w+"
)
# Where a page shows data or code rather than words of its own.
SKIPPED = (
    "script, style, noscript, template, code, pre, kbd, samp, textarea, "
    "[translate=no], .font-monospace, [data-raw], "
    # Django's own yes/no icons in the admin, their alt "True", "False", "None".
    "img[src*='/admin/img/icon-']"
)
LATIN_WORD = re.compile(r"(?<![\w@./-])[A-Za-z][A-Za-z'’-]*[A-Za-z](?![\w@/])")
# Every string a reader meets: text nodes of shown elements, and the attributes a
# browser shows or reads aloud (placeholders, titles, labels, alt texts, options).
VISIBLE_STRINGS = f"""() => {{
  const out = [];
  const skipped = el => el.closest({SKIPPED!r});
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node; (node = walker.nextNode()); ) {{
    const el = node.parentElement;
    if (!el || skipped(el)) continue;
    const text = node.textContent.trim();
    if (!text) continue;
    const shown = el.closest("option, optgroup") || el.getClientRects().length > 0;
    if (shown) out.push(text);
  }}
  for (const el of document.querySelectorAll(
      "[placeholder], [title], [aria-label], [alt], [data-confirm]")) {{
    if (skipped(el)) continue;
    for (const name of ["placeholder", "title", "aria-label", "alt", "data-confirm"]) {{
      const value = el.getAttribute(name);
      if (value) out.push(value);
    }}
  }}
  for (const el of document.querySelectorAll(
      "input[type=submit][value], input[type=button][value]")) out.push(el.value);
  // Charts draw their labels on a canvas: read what they were given.
  if (window.Chart) for (const canvas of document.querySelectorAll("canvas")) {{
    const chart = window.Chart.getChart(canvas);
    if (!chart) continue;
    for (const set of chart.data.datasets) if (set.label) out.push(set.label);
    for (const label of chart.data.labels || []) out.push(String(label));
  }}
  return out;
}}"""

# Nouns the pages count, as (one, few, many): «1 сообщение», «2 сообщения», «5
# сообщений». A form of another case may follow a number too («для 1 сообщения»), so
# only the forms no case allows are flagged.
NOUNS = [
    ("сообщение", "сообщения", "сообщений"),
    ("получатель", "получателя", "получателей"),
    ("контакт", "контакта", "контактов"),
    ("номер", "номера", "номеров"),
    ("ответ", "ответа", "ответов"),
    ("рассылка", "рассылки", "рассылок"),
    ("группа", "группы", "групп"),
    ("строка", "строки", "строк"),
    ("часть", "части", "частей"),
    ("символ", "символа", "символов"),
    ("день", "дня", "дней"),
    ("час", "часа", "часов"),
    ("минута", "минуты", "минут"),
    ("импорт", "импорта", "импортов"),
    ("шаблон", "шаблона", "шаблонов"),
    ("аккаунт", "аккаунта", "аккаунтов"),
]
SPACES = "\u00a0\u202f "
COUNTED = re.compile(
    rf"(?<![\d.,:/+\-])(\d{{1,3}}(?:[{SPACES}]\d{{3}})+|\d+)(?![\d.,:/%])"
    rf"[{SPACES}]+([а-яё]+)",
    re.IGNORECASE,
)
# "3.50 RUB", "12.5%" or "1,000.00" on a Russian page: written the English way.
ENGLISH_AMOUNT = re.compile(
    r"(?<![\d.])\d+\.\d+(?=\s*(?:RUB|₽|руб|%))|\d{1,3}(?:,\d{3})+\.\d"
)


def plural_category(number: int) -> int:
    """0 for «one» (1, 21), 1 for «few» (2–4, 22), 2 for «many» (0, 5–20, 25)."""
    if number % 10 == 1 and number % 100 != 11:
        return 0
    if 2 <= number % 10 <= 4 and not 12 <= number % 100 <= 14:
        return 1
    return 2


def plural_problems(text: str) -> list[str]:
    forms = {form: (nouns, i) for nouns in NOUNS for i, form in enumerate(nouns)}
    found = []
    for match in COUNTED.finditer(text):
        word = match.group(2).casefold()
        if word not in forms:
            continue
        nouns, form = forms[word]
        number = int(re.sub(rf"[{SPACES}]", "", match.group(1)))
        right = plural_category(number)
        wrong = (
            (right == 2 and form != 2)  # «5 сообщения», «11 сообщение»
            or (right == 0 and form == 2)  # «21 сообщений»
            or (right == 1 and form == 0)  # «2 сообщение»
        )
        if wrong:
            found.append(f"«{match.group(0)}» (should be «{number} {nouns[right]}»)")
    return found


def english_words(text: str, data: frozenset[str]) -> list[str]:
    if text.strip() in data:
        return []
    return [
        word
        for word in LATIN_WORD.findall(NOT_WORDS.sub(" ", text))
        if word.casefold() not in ALLOWED and word not in data
    ]


def test_a_command_to_run_is_no_english_word():
    notice = "импорт ждёт, пока обработчик не заработает (celery -A smsportal worker)."
    assert english_words(notice, frozenset()) == []
    assert english_words("the worker is gone", frozenset()) == [
        "the",
        "worker",
        "is",
        "gone",
    ]


def page_problems(page, data: frozenset[str]) -> list[str]:
    problems = []
    seen = set()
    for text in page.evaluate(VISIBLE_STRINGS):
        if text in seen:
            continue
        seen.add(text)
        if words := english_words(text, data):
            problems.append(f"English {words}: {text[:160]!r}")
        problems += [f"plural {p}: {text[:160]!r}" for p in plural_problems(text)]
        for amount in ENGLISH_AMOUNT.findall(text):
            problems.append(
                f"amount «{amount}» written the English way: {text[:160]!r}"
            )
    return problems


# What the crawl does not open: what changes data, downloads, leaves the site, or is
# the same page again with another sort, page or filter.
NOT_OPENED = re.compile(
    r"/logout|/delete|/remove|/discard|/revoke|export|sample|rejected|/api/|"
    r"/i18n/|/admin/(?!$|campaigns/campaign/$|contacts/contact/$)|[?&](page|sort)="
)
MAX_PAGES = 120


def crawl(page, start: list[str], data: frozenset[str]) -> tuple[list[str], int]:
    seen: set[str] = set()
    queue = deque(start)
    problems = []
    while queue and len(seen) < MAX_PAGES:
        path = queue.popleft()
        if path in seen:
            continue
        seen.add(path)
        response = page.goto(path)
        page.wait_for_load_state("networkidle")
        if response.status != 200:
            problems.append(f"{path}: answered {response.status}")
        if "html" not in (response.headers.get("content-type") or ""):
            continue
        problems += [f"{path}: {p}" for p in page_problems(page, data)]
        for href in page.eval_on_selector_all(
            "a[href]", "links => links.map(a => a.href)"
        ):
            parts = urlsplit(href)
            if parts.netloc != urlsplit(page.url).netloc:
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if target not in seen and not NOT_OPENED.search(target):
                queue.append(target)
    return problems, len(seen)


# The book and the campaigns -----------------------------------------------------------

# The seeded messages' gateway texts and operators as a Russian gateway reports them.
MIX = [
    ("delivered", "", "", "", "МТС", Decimal("2.10"), 1),
    ("delivered", "", "", "", "Билайн", Decimal("4.20"), 2),
    ("read", "", "", "", "МегаФон", Decimal("1.00"), 1),
    ("sent", "", "", "", "МТС", None, 1),
    ("queued", "", "", "", "", None, 1),
    ("undelivered", "expired", "expired", "Срок жизни истёк", "МТС", None, 1),
    ("undelivered", "unreachable", "20", "Абонент недоступен", "Билайн", None, 1),
    ("rejected", "invalid_number", "7", "Неверный номер", "", None, 1),
    ("failed", "gateway_error", "", "Ошибка шлюза", "", None, 1),
    ("cancelled", "cancelled", "", "", "", None, 1),
    ("pending", "", "", "", "", None, 1),
]
STATES = [
    ("Черновик к празднику", Campaign.State.DRAFT),
    ("Запланированная", Campaign.State.SCHEDULED),
    ("Идёт отправка", Campaign.State.SENDING),
    ("На паузе", Campaign.State.PAUSED),
    ("Завершённая", Campaign.State.COMPLETED),
    ("Отменённая", Campaign.State.CANCELLED),
    ("Сломанная", Campaign.State.FAILED),
]
IMPORT_CSV = "\r\n".join(
    ["Телефон;Имя;Эл. почта;Дата рождения"]
    + [f"+7916100{i:04d};Клиент {i};k{i}@example.ru;01.02.1990" for i in range(21)]
    + [
        "12345;Короткий;;",
        "+79161000001;Повтор;;",
        "+79169990001;Почта;не-почта;",
        "+79169990002;Дата;;31.02.1990",
        ";Без номера;;",
    ]
).encode("cp1251")


def seed_book(account, admin) -> dict[str, object]:
    customers = ContactGroup.objects.create(name="Постоянные клиенты")
    ContactGroup.objects.create(name="Пустая группа")
    contacts = Contact.objects.bulk_create(
        Contact(phone=f"+7912555{i:04d}", first_name=name, last_name="Смирнова")
        for i, name in enumerate(["Анна", "Борис", "Вера", "Глеб", "Дарья"])
    )
    GroupMembership.objects.bulk_create(
        GroupMembership(contact=c, group=customers) for c in contacts
    )
    StopListEntry.objects.create(phone="+79125559999", reason="Просил не писать")
    MessageTemplate.objects.create(name="Скидка", text="Скидка 20% до воскресенья")
    campaigns = {}
    now = timezone.now()
    for index, (name, state) in enumerate(STATES):
        started = state != Campaign.State.DRAFT
        campaign = Campaign.objects.create(
            name=name, account=account, sender="SMSPORTAL", state=state,
            text="Здравствуйте, {first_name|клиент}! Скидка 20%.",
            created_by=admin, launched_by=admin if started else None,
            launched_at=now if started else None,
            start_at=now + timedelta(days=2) if state == "scheduled" else None,
            price_per_segment=Decimal("2.50"),
        )  # fmt: skip
        campaign.include_groups.set([customers])
        if started and state != Campaign.State.SCHEDULED:
            seed_messages(campaign, MIX, prefix=f"+791300{index}")
        campaigns[state] = campaign
    # A paused campaign's sender changed: an event of the audit log the crawl opens.
    campaign_sender_change(
        campaign=campaigns[Campaign.State.PAUSED], sender="SMSPORTAL"
    )
    make_reply(account, phone="+79125550000", text="СТОП")
    make_reply(account, phone="+79125550001", text="Спасибо! А до какого числа?")
    return campaigns


def gateway_failed(simulator, account) -> None:
    """The account's gateway answered HTTP 500 to a check, met by an English-speaking
    admin after the campaigns were launched: the dashboard, the account's page and
    the sending campaign's banner show it, worded for their reader."""
    simulator.state.add_fault(account.kind, Fault(mode="http500", count=-1))
    try:
        with translation.override("en"):
            provider_account_check(account=account)
    finally:
        simulator.state.clear_faults(account.kind)
    account.refresh_from_db()
    assert account.last_error_record.get("status") == 500


@pytest.fixture
def ru_context(browser, live_server, browser_problems):
    context = watched_context(
        browser, live_server, browser_problems, locale="ru-RU", width=1280
    )
    yield context
    context.close()


@pytest.fixture
def ru_page(ru_context, e2e_admin):
    page = ru_context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    log_in(page, e2e_admin.username)
    return page


def test_every_page_reads_in_russian(
    ru_page,
    e2e_admin,
    django_user_model,
    gateway_account,
    simulator,
    real_worker,
    browser_problems,
    shoot,
):
    page = ru_page
    campaigns = seed_book(gateway_account, e2e_admin)
    gateway_failed(simulator, gateway_account)
    # What the pages show as it was entered or reported: not words of the pages.
    data = frozenset({gateway_account.name, e2e_admin.username, "SMSPORTAL"})
    problems: list[str] = []

    # An import with bad rows, through the real worker; its report and its rejects.
    page.goto("/contacts/import/")
    page.set_input_files(
        "input[type=file]",
        files=[{"name": "клиенты.csv", "mimeType": "text/csv", "buffer": IMPORT_CSV}],
    )
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url("**/contacts/import/*/columns/**")
    problems += [f"import columns: {p}" for p in page_problems(page, data)]
    page.locator("main form button[type=submit]", has_text="Начать импорт").click()
    page.wait_for_url("**/contacts/import/*/")
    expect(page.locator("[data-status=done]")).to_be_visible(timeout=30_000)
    problems += [f"import report: {p}" for p in page_problems(page, data)]
    with page.expect_download() as download:
        page.locator("a[href$='rejected.csv']").first.click()
    rejected = download.value.path().read_bytes().decode("cp1251")
    header, *rows = list(csv.reader(io.StringIO(rejected), delimiter=";"))
    assert header[:2] == ["Строка", "Ошибка"], header
    assert len(rows) == 5, rows
    for row in rows:
        problems += [f"rejected rows: {w}" for w in english_words(row[1], data)]

    # The composer's counter and preview, written by the page's scripts.
    page.goto("/campaigns/new/")
    page.fill("#id_name", "Проверка счётчика")
    page.locator("#id_text").press_sequentially("Привет, {first_name}! Скидка")
    page.select_option("#id_include_groups", label="Постоянные клиенты")
    expect(
        page.locator("#campaign-preview [data-preview-live] [data-preview=total]")
    ).to_have_text("5")
    problems += [f"composer: {p}" for p in page_problems(page, data)]
    shoot(page, "ru-composer")
    # Every error the composer can show at once.
    page.fill("#id_name", "")
    page.fill("#id_text", "")
    page.fill("#id_extra_numbers", "abc\n12")
    page.locator("main form button[type=submit]", has_text="Сохранить черновик").click()
    expect(page.locator("main .alert-danger").first).to_be_visible()
    problems += [f"composer errors: {p}" for p in page_problems(page, data)]

    # Every page the links reach, from the dashboard, each campaign and its report.
    start = ["/"]
    for campaign in campaigns.values():
        start += [f"/campaigns/{campaign.pk}/", f"/campaigns/{campaign.pk}/report/"]
    found, opened = crawl(page, start, data)
    problems += found
    assert opened > 40, f"the crawl reached only {opened} pages"

    # Error pages, as the server words them.
    page.goto("/campaigns/999999/")
    problems += [f"404 page: {p}" for p in page_problems(page, data)]
    assert "не найдена" in page.locator("body").inner_text().casefold()
    problems += [p for p in browser_problems.take() if "/999999/" not in p]

    # A password change refused, logging out, a failed login, a page not allowed.
    page.goto("/account/password/")
    page.fill("#id_old_password", "не тот пароль")
    page.fill("#id_new_password1", "123")
    page.fill("#id_new_password2", "321")
    page.locator("main form button[type=submit]").click()
    expect(
        page.locator("main .errorlist, main .invalid-feedback").first
    ).to_be_visible()
    problems += [f"password change: {p}" for p in page_problems(page, data)]
    page.locator("nav").get_by_role("button", name=e2e_admin.username).click()
    page.locator("form[action$='/logout/'] button[type=submit]").click()
    page.wait_for_url("**/login/**")
    problems += [f"logged out: {p}" for p in page_problems(page, data)]
    page.fill("#id_username", e2e_admin.username)
    page.fill("#id_password", "не тот пароль")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("main .alert-danger")).to_be_visible()
    problems += [f"failed login: {p}" for p in page_problems(page, data)]
    viewer = django_user_model.objects.create_user(
        username="nablyudatel", password=PASSWORD
    )
    viewer.groups.add(Group.objects.get(name=VIEWER))
    log_in(page, viewer.username)
    assert page.goto("/campaigns/new/").status == 403
    problems += [
        f"403 page: {p}" for p in page_problems(page, data | {viewer.username})
    ]
    problems += [p for p in browser_problems.take() if "/campaigns/new/" not in p]

    assert not problems, "\n".join(sorted(set(problems)))
    browser_problems.assert_none("on the Russian pages")


def test_the_checks_catch_what_they_are_for():
    """The rules the tour applies, on wording it must and must not flag."""
    assert plural_problems("1 сообщение, 2 сообщения, 5 сообщений, 11 сообщений") == []
    assert plural_problems("21 сообщение, 0 сообщений, 1\u00a0000 сообщений") == []
    assert plural_problems("для 1 сообщения; ждём для 2 сообщений") == []
    assert len(plural_problems("5 сообщения")) == 1
    assert len(plural_problems("21 сообщений")) == 1
    assert len(plural_problems("2 сообщение")) == 1
    assert len(plural_problems("11 сообщение")) == 1
    assert english_words("Отправлено через SMSC", frozenset()) == []
    assert english_words("Status: Доставлено", frozenset()) == ["Status"]
    assert english_words("Иван, ivan@example.ru", frozenset()) == []
    assert english_words("{first_name} отправит {{SALE}}", frozenset()) == []
    assert english_words("Сохранён: ••••et. Файл rejected-1.csv", frozenset()) == []
    assert ENGLISH_AMOUNT.findall("1 000,50 ₽; 07.12.2026; 07.12 20:26") == []
    assert english_words("1 000,50 RUB", frozenset()) == ["RUB"]
    assert ENGLISH_AMOUNT.findall("3.50 RUB") == ["3.50"]
