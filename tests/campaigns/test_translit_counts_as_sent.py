"""A transliterated campaign costs what its preview said: the preview's segments,
the Message rows' and the parts each gateway (the simulator) counts agree, with
placeholders, characters the table leaves as they are (an emoji keeps a text in
Unicode) and GSM-7 extension characters (two septets each)."""

import pytest

from campaigns.models import Message
from campaigns.planning import segment_table_for
from campaigns.segments import count_segments, transliterate
from tests.campaigns.gateway_accounts import simulated_account
from tests.campaigns.test_api import API, post

pytestmark = pytest.mark.django_db

NAMES = [
    ("+79120000001", "Анна", "Europe/Moscow"),
    ("+79120000002", "Ёлизавета-Щукина", "Europe/Moscow"),
    ("+79120000003", "Ivan😀", "Europe/Moscow"),  # stays Unicode: three parts
    ("+79120000004", "", "Europe/Moscow"),
]
# 160 septets for Анна: € [ ] ~ ^ | \ take two each; «» — № ъ ь ё become ASCII.
TEXT = (
    "Здравствуйте, {first_name}! Скидка — до 31.12 в «Щедром» №5, ёлки, подъезд. "
    + ("€[]~^|\\" + "б" * 75)
)


@pytest.mark.parametrize("kind", ["webcom", "smsc", "websms"])
def test_the_preview_the_rows_and_the_gateway_count_the_same_parts(
    manager_client,
    simulator,
    make_group,
    make_campaign,
    kind,
    django_capture_on_commit_callbacks,
):
    account = simulated_account(simulator, kind)
    campaign = make_campaign(
        [make_group("G", NAMES)], account=account, text=TEXT, translit=True
    )
    preview = post(manager_client, f"{API}/{campaign.pk}/preview").json()
    with django_capture_on_commit_callbacks(execute=True):
        assert post(manager_client, f"{API}/{campaign.pk}/launch").status_code == 200

    sent = {
        message.phone: message
        for messages in simulator.state.messages.values()
        for message in messages.values()
    }
    rows = Message.objects.filter(campaign=campaign).order_by("phone")
    parts = {row.phone: (row.segments, sent[row.phone[1:]].parts) for row in rows}
    assert all(row.text == sent[row.phone[1:]].text for row in rows)
    assert parts == {
        "+79120000001": (1, 1),  # exactly 160 septets
        "+79120000002": (2, 2),
        "+79120000003": (3, 3),
        "+79120000004": (1, 1),
    }
    assert preview["estimated_segments"] == 7
    assert preview["segments_histogram"] == {"1": 2, "2": 1, "3": 1}
    anna = rows.get(phone="+79120000001").text
    assert anna == transliterate(TEXT.replace("{first_name}", "Анна"))
    assert count_segments(anna, table=segment_table_for(kind)).units == 160
