"""The SQL expansion counts segments exactly as campaigns.segments does, on many texts.

The SQL counts the template's literal text in Python and runs its regular expressions
over placeholder values only, and packs texts with 2-unit characters in a database
function; random templates and values around every part boundary must give the same
encoding and segments as the counter the composer shows.
"""

import random

import pytest

from campaigns.expansion import campaign_expand
from campaigns.models import Message
from campaigns.segments import TABLES, count_segments
from contacts.models import Contact, CustomField

GSM_PLAIN = "abcXYZ 019.,!?"
GSM_EXTENDED = "€[]{}~^|\\\f"
CYRILLIC = "жЖёЁщЪ"
EMOJI = "😀🎉"  # two UTF-16 units each
ALPHABETS = [GSM_PLAIN, GSM_PLAIN + GSM_EXTENDED, GSM_PLAIN + CYRILLIC,
             CYRILLIC + EMOJI, GSM_PLAIN + GSM_EXTENDED + EMOJI]  # fmt: skip


def random_text(rng: random.Random, alphabet: str, length: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(length))


def escape(literal: str) -> str:
    return literal.replace("{", "{{").replace("}", "}}")


def templates(rng: random.Random) -> list[str]:
    """Literal lengths near 1-, 2- and 3-part limits, in every alphabet."""
    out = []
    for alphabet in ALPHABETS:
        for length in (0, 55, 60, 140, 148, 150, 290, 300):
            literal = random_text(rng, alphabet, length)
            cut = rng.randrange(len(literal) + 1)
            head, tail = (escape(literal[:cut]), escape(literal[cut:]))
            out.append(head + "{first_name}" + tail + "{city}")
    # Fallbacks (for the many recipients with an empty name or city): their
    # characters are counted in SQL with the values'.
    for alphabet in ALPHABETS:
        plain = alphabet.replace("{", "").replace("}", "")
        for length in (0, 140, 150, 290):
            literal = escape(random_text(rng, alphabet, length))
            first = random_text(rng, plain, rng.randrange(1, 12)).strip() or "x"
            city = random_text(rng, plain, rng.randrange(1, 12)).strip() or "y"
            out.append(f"{{first_name|{first}}}{literal}{{city|{city}}}")
    out.append("{first_name}{first_name}{city}")
    return out


@pytest.mark.parametrize("table", sorted(TABLES))
def test_sql_segments_equal_the_counter_on_random_texts(
    table, make_group, make_campaign, account
):
    rng = random.Random(f"segments-{table}")
    account.kind = "websms" if table == "websms" else account.kind
    account.save()
    CustomField.objects.get_or_create(key="city", defaults={"label": "City"})
    people = [
        (f"+7912{i:07d}", random_text(rng, rng.choice(ALPHABETS), rng.randrange(0, 25)),
         "Europe/Moscow")
        for i in range(60)
    ]  # fmt: skip
    group = make_group("Random", people)
    for contact in Contact.objects.all():
        contact.attributes = {
            "city": random_text(rng, rng.choice(ALPHABETS), rng.randrange(0, 12))
        }
        contact.save(update_fields=["attributes"])
    compared = 0
    chosen = templates(rng)
    for number, template in enumerate(chosen):
        campaign = make_campaign([group], name=f"T{number}", text=template)
        campaign_expand(campaign=campaign)
        for text, segments, encoding in Message.objects.filter(
            campaign=campaign
        ).values_list("text", "segments", "encoding"):
            info = count_segments(text, table=TABLES[table])
            assert (segments, encoding) == (info.segments, info.encoding), (
                template,
                text,
            )
            compared += 1
    assert compared == 60 * len(chosen)
