"""The composer's counter partial renders, and composer.js drives it in a browser."""

import re
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import lxml.html
import pytest

from django.template.loader import render_to_string
from django.utils import translation

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
COMPOSER_JS = ROOT / "static/js/composer.js"
SEGMENTS_JS = ROOT / "static/js/segments.js"


def _render(**context) -> lxml.html.HtmlElement:
    html = render_to_string("campaigns/_segment_counter.html", context)
    assert "<script" not in html  # CSP: scripts come from static files only
    return lxml.html.fragment_fromstring(html)


def test_partial_renders_its_data_attributes():
    root = _render(textarea_id="id_text", table="websms")
    assert root.get("data-segment-counter") is not None
    assert root.get("data-textarea-id") == "id_text"
    assert root.get("data-table") == "websms"
    assert root.get("data-recipients") == "1"
    # The partial is rendered in Russian (the default language): the rouble sign.
    assert root.get("data-currency") == "₽"
    assert root.get("data-price-per-segment") is None
    (button,) = root.xpath('.//button[@data-sc-action="transliterate"]')
    assert button.get("type") == "button"  # never submits the composer form
    assert {
        e.get("data-sc-encoding") for e in root.xpath(".//*[@data-sc-encoding]")
    } == {
        "gsm7",
        "ucs2",
    }


def test_partial_defaults_to_the_standard_table():
    assert _render(textarea_id="id_text").get("data-table") == "standard"


def test_partial_writes_numbers_unlocalised_in_russian():
    with translation.override("ru"):
        root = _render(
            textarea_id="id_body",
            table="standard",
            price_per_segment=Decimal("0.45"),
            recipients=12000,
            currency="USD",
        )
    assert root.get("data-price-per-segment") == "0.45"
    assert root.get("data-recipients") == "12000"
    assert root.get("data-currency") == "USD"


def test_partial_has_every_element_composer_js_writes():
    source = COMPOSER_JS.read_text(encoding="utf-8")
    fields = set(re.findall(r'setField\(root, "([a-z-]+)"', source))
    fields |= set(re.findall(r'data-sc-field="([a-z-]+)"', source))
    shown = set(re.findall(r'show\(root, "([a-z-]+)"', source))
    assert {"units", "segments", "remaining", "cost", "non-gsm"} <= fields
    assert {"too-long", "non-gsm", "transliterate", "cost"} <= shown
    root = _render(textarea_id="id_text", price_per_segment=Decimal("1"))
    in_template = {e.get("data-sc-field") for e in root.xpath(".//*[@data-sc-field]")}
    toggled = {e.get("data-sc-show") for e in root.xpath(".//*[@data-sc-show]")}
    assert fields <= in_template
    assert shown <= toggled
    # Optional parts start hidden so a page without JavaScript shows no stale hints.
    assert all(e.get("hidden") is not None for e in root.xpath(".//*[@data-sc-show]"))


def test_scripts_partial_loads_segments_before_composer():
    html = render_to_string("campaigns/_segment_counter_scripts.html")
    sources = re.findall(r'<script src="([^"]+)"></script>', html)
    assert sources == ["/static/js/segments.js", "/static/js/composer.js"]


def bare_counter(**context) -> str:
    """A page of the text field and the counter alone, rendered with `context`."""
    partial = render_to_string(
        "campaigns/_segment_counter.html", {"textarea_id": "id_text", **context}
    )
    return (
        '<!doctype html><html lang="en"><body>'
        f'<textarea id="id_text"></textarea>{partial}</body></html>'
    )


@contextmanager
def counter_page(page_html: str):
    """Chromium showing `page_html` with the counter's scripts loaded."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            page = browser.new_page()
            page.set_content(page_html)
            page.add_script_tag(path=str(SEGMENTS_JS))
            page.add_script_tag(path=str(COMPOSER_JS))
            yield page
        finally:
            browser.close()


@pytest.mark.e2e
@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")
def test_counter_in_a_browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    expect = sync_api.expect
    page_html = bare_counter(
        table="standard", price_per_segment=Decimal("0.5"), recipients=1000
    )
    with counter_page(page_html) as page:

        def field(name):
            return page.locator(f'[data-sc-field="{name}"]').first

        def shown(name):
            return page.locator(f'[data-sc-show="{name}"]')

        expect(field("segments")).to_have_text("0")
        expect(field("cost")).to_have_text("0.00 ₽")

        page.fill("#id_text", "Привет,\u00a0«мир»")
        expect(field("units")).to_have_text("13")
        expect(page.locator('[data-sc-encoding="ucs2"]')).to_be_visible()
        expect(page.locator('[data-sc-encoding="gsm7"]')).to_be_hidden()
        marks = page.locator('[data-sc-field="non-gsm"] mark')
        # The letters once, as a group; what the user may change, one by one.
        cyrillic = page.get_attribute(
            '[data-sc-field="non-gsm"]', "data-cyrillic-label"
        )
        expect(marks).to_have_text([cyrillic, "U+00A0", "«", "»"])
        assert marks.first.get_attribute("title") == "П р и в е т м"
        expect(shown("transliterate")).to_be_visible()
        expect(field("translit-segments")).to_have_text("1")
        expect(shown("translit-room")).to_be_visible()  # 1 segment either way
        expect(shown("translit-fewer")).to_be_hidden()
        page.fill("#id_text", "Привет " * 12)  # 84 characters: 2 in UCS-2, 1 after
        expect(shown("translit-fewer")).to_be_visible()
        expect(shown("translit-room")).to_be_hidden()
        page.fill("#id_text", "Привет,\u00a0«мир»")

        page.fill("#id_text", "Привет \U0001f600")  # stays UCS-2: nothing to gain
        expect(shown("transliterate")).to_be_hidden()
        page.fill("#id_text", "Привет,\u00a0«мир»")
        expect(shown("transliterate")).to_be_visible()
        page.click('[data-sc-action="transliterate"]')
        assert page.input_value("#id_text") == 'Privet, "mir"'
        expect(page.locator('[data-sc-encoding="gsm7"]')).to_be_visible()
        expect(shown("non-gsm")).to_be_hidden()
        expect(shown("transliterate")).to_be_hidden()

        page.fill("#id_text", "a" * 161)
        expect(field("segments")).to_have_text("2")
        expect(field("remaining")).to_have_text("145")
        expect(field("per-segment")).to_have_text("153")
        # Grouped as the server groups money in the preview beside it.
        expect(field("cost")).to_have_text("1,000.00 ₽")

        counter = "[data-segment-counter]"
        page.eval_on_selector(counter, "el => el.dataset.table = 'websms'")
        expect(field("per-segment")).to_have_text("156")
        expect(field("remaining")).to_have_text("151")
        expect(shown("too-long")).to_be_hidden()
        page.fill("#id_text", "a" * 1405)
        expect(shown("too-long")).to_be_visible()
        expect(field("max-parts")).to_have_text("9")

        # SMSC caps the text itself: 1,000 characters, whatever the parts.
        page.eval_on_selector(counter, "el => el.dataset.table = 'smsc'")
        expect(shown("too-long")).to_be_hidden()
        expect(shown("too-many-characters")).to_be_visible()
        expect(field("max-characters")).to_have_text("1,000")
        page.fill("#id_text", "ж" * 1000)
        expect(shown("too-many-characters")).to_be_hidden()
        page.fill("#id_text", "a" * 1405)
        page.eval_on_selector(counter, "el => el.dataset.table = 'websms'")

        page.eval_on_selector(counter, "el => el.dataset.recipients = '10'")
        expect(field("cost")).to_have_text("50.00 ₽")

        # The count of a template is not what recipients get: say so, no cost.
        expect(shown("placeholders")).to_be_hidden()
        page.fill("#id_text", "Hi {first_name}")
        expect(shown("placeholders")).to_be_visible()
        expect(shown("cost")).to_be_hidden()
        # A fallback is a placeholder too: the server renders it per recipient.
        page.fill("#id_text", "Hi {first_name|Клиент}")
        expect(shown("placeholders")).to_be_visible()
        expect(shown("cost")).to_be_hidden()
        page.fill("#id_text", "Hi {{first_name}}")  # literal braces
        expect(shown("placeholders")).to_be_hidden()
        expect(shown("cost")).to_be_visible()
        # Counted as they go out, one brace each: 154 + "{X}" (a brace is an
        # extension character, two units) = 159 units, one part.
        page.eval_on_selector(counter, "el => el.dataset.table = 'standard'")
        page.fill("#id_text", "a" * 154 + "{{X}}")
        expect(field("units")).to_have_text("159")
        expect(field("segments")).to_have_text("1")


@pytest.mark.e2e
@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")
def test_counter_counts_the_text_as_the_form_keeps_it():
    """The form strips both ends: a trailing line break made 160 characters 2
    segments, and a trailing no-break space made a Cyrillic text 3 (UCS-2) where
    the preview beside it said 1."""
    sync_api = pytest.importorskip("playwright.sync_api")
    expect = sync_api.expect
    with counter_page(bare_counter()) as page:

        def field(name):
            return page.locator(f'[data-sc-field="{name}"]').first

        page.fill("#id_text", "a" * 160 + "\n")
        expect(field("units")).to_have_text("160")
        expect(field("segments")).to_have_text("1")
        page.fill("#id_text", "\u00a0" + "a" * 160 + " \u00a0")
        expect(field("segments")).to_have_text("1")
        expect(page.locator('[data-sc-encoding="gsm7"]')).to_be_visible()
        expect(page.locator('[data-sc-show="non-gsm"]')).to_be_hidden()
        # Inside the text a no-break space is sent, and forces UCS-2.
        page.fill("#id_text", "a" * 80 + "\u00a0" + "a" * 79)
        expect(field("segments")).to_have_text("3")
        expect(page.locator('[data-sc-field="non-gsm"] mark')).to_have_text(["U+00A0"])


@pytest.mark.e2e
@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")
def test_transliterate_button_leaves_no_space_where_a_sign_stood_alone():
    """«Ъ» alone between words left two spaces in the textarea, and one at an end;
    the browser's result is the server's (campaigns.segments.transliterate)."""
    from campaigns.segments import transliterate

    sync_api = pytest.importorskip("playwright.sync_api")
    expect = sync_api.expect
    with counter_page(bare_counter()) as page:
        offer = page.locator('[data-sc-show="transliterate"]')
        for typed, latin in [
            ("Привет Ъ мир", "Privet mir"),
            ("Ь съезд\nдрузей ъ", "sezd\ndruzey"),
        ]:
            page.fill("#id_text", typed)
            expect(offer).to_be_visible()
            page.click('[data-sc-action="transliterate"]')
            assert page.input_value("#id_text") == latin == transliterate(typed)


@pytest.mark.e2e
@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")
def test_counter_follows_the_forms_transliterate_option():
    """Ticked, the server sends the Latin text: the counter counts that, and its
    offer ticks the option, which also transliterates what placeholders bring."""
    sync_api = pytest.importorskip("playwright.sync_api")
    expect = sync_api.expect
    partial = render_to_string(
        "campaigns/_segment_counter.html",
        {"textarea_id": "id_text", "table": "standard", "translit_id": "id_translit"},
    )
    page_html = (
        '<!doctype html><html lang="en"><body><textarea id="id_text"></textarea>'
        f'<input type="checkbox" id="id_translit">{partial}</body></html>'
    )
    with counter_page(page_html) as page:
        segments = page.locator('[data-sc-field="segments"]').first

        def shown(name):
            return page.locator(f'[data-sc-show="{name}"]')

        page.fill("#id_text", "Привет! " * 12 + "{first_name}")
        expect(segments).to_have_text("2")
        expect(shown("translit-on")).to_be_hidden()
        page.click('[data-sc-action="transliterate"]')

        expect(page.locator("#id_translit")).to_be_checked()
        # The template is left as written: the option transliterates on sending.
        assert page.input_value("#id_text").startswith("Привет!")
        expect(segments).to_have_text("1")
        expect(page.locator('[data-sc-encoding="gsm7"]')).to_be_visible()
        expect(shown("translit-on")).to_be_visible()
        expect(shown("transliterate")).to_be_hidden()

        page.uncheck("#id_translit")
        expect(segments).to_have_text("2")
        expect(shown("translit-on")).to_be_hidden()


@pytest.mark.e2e
@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")
def test_counter_counts_characters_only_for_text_not_sent_as_sms():
    """Voice and Viber: no encoding, parts or transliteration, just the length."""
    sync_api = pytest.importorskip("playwright.sync_api")
    expect = sync_api.expect
    partial = render_to_string(
        "campaigns/_segment_counter.html",
        {"textarea_id": "id_text", "table": "websms", "translit_id": "id_translit"},
    )
    page_html = (
        '<!doctype html><html lang="en"><body><textarea id="id_text"></textarea>'
        f'<input type="checkbox" id="id_translit" checked>{partial}</body></html>'
    )
    with counter_page(page_html) as page:
        counter = page.locator("[data-segment-counter]")

        def shown(name):
            return page.locator(f'[data-sc-show="{name}"]')

        page.fill("#id_text", "Ваш заказ готов")
        expect(shown("translit-on")).to_be_visible()
        counter.evaluate("el => el.dataset.sms = 'false'")
        expect(page.locator("[data-sc-sms]")).to_be_hidden()
        expect(shown("characters")).to_be_visible()
        expect(page.locator('[data-sc-field="characters"]')).to_have_text("15")

        # SMS again, where the gateway's channel takes no transliteration.
        counter.evaluate(
            "el => { el.dataset.sms = 'true'; el.dataset.translit = 'false'; }"
        )
        expect(shown("characters")).to_be_hidden()
        expect(page.locator('[data-sc-encoding="ucs2"]')).to_be_visible()
        expect(shown("translit-on")).to_be_hidden()
        page.uncheck("#id_translit")
        expect(shown("transliterate")).to_be_hidden()


@pytest.mark.e2e
@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")
def test_before_the_audience_is_counted_the_cost_is_of_one_message():
    sync_api = pytest.importorskip("playwright.sync_api")
    expect = sync_api.expect
    page_html = bare_counter(price_per_segment=Decimal("2.5"), audience_pending=True)
    with counter_page(page_html) as page:
        page.fill("#id_text", "a" * 161)  # 2 segments
        expect(page.locator('[data-sc-show="cost"]')).to_be_hidden()
        expect(page.locator('[data-sc-show="cost-per-message"]')).to_be_visible()
        expect(page.locator('[data-sc-field="cost-per-message"]')).to_have_text(
            "5.00 ₽"
        )
        # The preview counted 3 recipients (campaigns.js sets it).
        page.eval_on_selector(
            "[data-segment-counter]", "el => el.dataset.recipients = '3'"
        )
        expect(page.locator('[data-sc-field="cost"]')).to_have_text("15.00 ₽")
        expect(page.locator('[data-sc-show="cost-per-message"]')).to_be_hidden()


@pytest.mark.e2e
@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")
@pytest.mark.parametrize("with_option", [True, False])
def test_transliterating_can_be_undone_where_it_was_offered(with_option):
    sync_api = pytest.importorskip("playwright.sync_api")
    expect = sync_api.expect
    context = {"textarea_id": "id_text"}
    box = ""
    if with_option:
        context["translit_id"] = "id_translit"
        box = '<input type="checkbox" id="id_translit">'
    partial = render_to_string("campaigns/_segment_counter.html", context)
    page_html = (
        '<!doctype html><html lang="en"><body><textarea id="id_text"></textarea>'
        f"{box}{partial}</body></html>"
    )
    with counter_page(page_html) as page:
        undo = page.locator('[data-sc-action="translit-undo"]')
        page.fill("#id_text", "Привет, мир")
        expect(undo).to_be_hidden()
        page.click('[data-sc-action="transliterate"]')

        expect(undo).to_be_visible()
        if with_option:
            expect(page.locator("#id_translit")).to_be_checked()
            expect(undo).to_be_focused()  # the pressed button is gone
        undo.click()

        expect(undo).to_be_hidden()
        assert page.input_value("#id_text") == "Привет, мир"
        if with_option:
            expect(page.locator("#id_translit")).not_to_be_checked()
        expect(page.locator('[data-sc-action="transliterate"]')).to_be_visible()


@pytest.mark.e2e
@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")
def test_no_transliteration_is_offered_that_costs_more_segments():
    """A short text of letters that become three or four Latin ones (щ is "shch")
    fits one Unicode segment but two in Latin: the counter offered to transliterate
    it, saying "as many segments", and the campaign then cost twice as much."""
    sync_api = pytest.importorskip("playwright.sync_api")
    expect = sync_api.expect
    with counter_page(bare_counter()) as page:

        def shown(name):
            return page.locator(f'[data-sc-show="{name}"]')

        page.fill("#id_text", "щ" * 40)  # 160 Latin letters: still one segment
        expect(shown("transliterate")).to_be_visible()
        expect(shown("translit-room")).to_be_visible()
        page.fill("#id_text", "щ" * 41)  # 1 segment, 164 Latin letters: 2
        expect(page.locator('[data-sc-field="segments"]').first).to_have_text("1")
        expect(shown("transliterate")).to_be_hidden()
