"""Message templates: placeholders, and braces meant as text."""

import json

import pytest

from django.db import connection
from django.utils import translation

from campaigns.templating import (
    Field,
    empty_fields,
    parse_template,
    placeholder_names,
    render,
    render_sql,
    template_problems,
)
from smsportal.exceptions import ApplicationError


def test_doubled_braces_are_literal_braces():
    parts = parse_template("Код {{SALE20}} для {first_name}: }}{{", custom_fields=[])
    assert parts == ["Код {SALE20} для ", Field("first_name", custom=False), ": }{"]
    assert render(parts, {"first_name": "Анна"}) == "Код {SALE20} для Анна: }{"


@pytest.mark.django_db
def test_sql_renders_them_as_python_does():
    parts = parse_template("{{x}} {first_name} {city}", custom_fields=["city"])
    sql, params = render_sql(parts, alias="c")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {sql} FROM (SELECT 'Анна'::text AS first_name, "
            """'{"city": "Тверь"}'::jsonb AS attributes) c""",
            params,
        )
        assert cursor.fetchone()[0] == "{x} Анна Тверь"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "Промокод {SALE20}",
            "Unknown placeholder {SALE20}. To send braces as text, double them: "
            "{{SALE20}}.",
        ),
        (
            "Скидка } 10%",
            "Unmatched brace at character 8. To send a brace as text, double it: "
            "{{ or }}.",
        ),
    ],
)
def test_a_brace_that_is_not_a_placeholder_says_how_to_send_it(text, message):
    with translation.override("en"), pytest.raises(ApplicationError) as refused:
        parse_template(text)
    assert refused.value.message == message


def test_every_problem_is_named_at_once_in_the_texts_order():
    with translation.override("en"):
        problems = template_problems(
            "{first_name}, {promo} и {bogus} } {city}", custom_fields=["city"]
        )
    assert problems == [
        "Unknown placeholder {promo}. To send braces as text, double them: {{promo}}.",
        "Unknown placeholder {bogus}. To send braces as text, double them: {{bogus}}.",
        "Unmatched brace at character 33. To send a brace as text, double it: "
        "{{ or }}.",
    ]
    assert template_problems("{first_name} {{ok}}") == []


def test_empty_fields_names_each_gap_once_in_the_texts_order():
    parts = parse_template("{last_name}, {first_name}! {first_name}, {phone}")
    assert empty_fields(parts, {"phone": "+7912", "last_name": ""}) == [
        "last_name",
        "first_name",
    ]
    assert empty_fields(parse_template("Без подстановок"), {}) == []


def test_an_empty_fallback_chosen_is_no_gap_to_warn_of():
    # «{first_name|}»: the writer chose empty; the preview warned all the same.
    chosen = parse_template("Напоминание о записи{first_name|}")
    assert empty_fields(chosen, {}) == []
    assert render(chosen, {}) == "Напоминание о записи"
    mixed = parse_template("{first_name|}, {first_name}")
    assert empty_fields(mixed, {}) == ["first_name"]


def test_a_fallback_fills_an_empty_value():
    """«, напоминаем об оплате» went to recipients without a first name."""
    parts = parse_template("{first_name|Клиент}, напоминаем об оплате")

    assert parts == [
        Field("first_name", custom=False, fallback="Клиент"),
        ", напоминаем об оплате",
    ]
    assert render(parts, {"first_name": "Анна"}) == "Анна, напоминаем об оплате"
    assert render(parts, {"first_name": ""}) == "Клиент, напоминаем об оплате"
    assert render(parts, {}) == "Клиент, напоминаем об оплате"
    assert render(parts, {}, fallbacks=False) == ", напоминаем об оплате"
    assert empty_fields(parts, {}) == []  # no gap to warn of


def test_a_fallback_is_trimmed_and_its_name_checked_like_any_placeholder():
    assert parse_template("{ first_name | дорогой клиент }") == [
        Field("first_name", custom=False, fallback="дорогой клиент")
    ]
    assert parse_template("{{first_name|x}}") == ["{first_name|x}"]  # literal
    assert placeholder_names("{city|Москва} {first_name}") == {"city", "first_name"}
    with translation.override("en"):
        assert template_problems("{promo|нет}") == [
            "Unknown placeholder {promo}. To send braces as text, double them: "
            "{{promo}}."
        ]


@pytest.mark.django_db
def test_sql_renders_a_fallback_as_python_does():
    parts = parse_template(
        "{first_name|Клиент}/{last_name|—}/{city|Тверь}/{nickname}",
        custom_fields=["city"],
    )
    sql, params = render_sql(parts, alias="c")
    rows = [
        ("Анна", None, {"city": "Омск"}),
        ("", "Ким", {}),
        (None, "", {"city": ""}),
    ]
    with connection.cursor() as cursor:
        for first, last, attributes in rows:
            cursor.execute(
                f"SELECT {sql} FROM (SELECT %s::text AS first_name, "
                "%s::text AS last_name, NULL::text AS nickname, "
                "%s::jsonb AS attributes) c",
                [*params, first, last, json.dumps(attributes)],
            )
            values = {"first_name": first, "last_name": last, **attributes}
            assert cursor.fetchone()[0] == render(parts, values)
