"""The campaign report page, its live funnel, the export and the contact history."""

import csv
import io
import re
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Q, Sum
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign, Message, Reply
from campaigns.report_views import PAGE_SIZE
from campaigns.services import campaign_launch
from contacts.models import Contact
from providers.models import ProviderAccount
from tests.campaigns.gateway_accounts import simulated_account
from tests.campaigns.report_data import MIX, make_reply, seed_messages
from tests.contacts.conftest import assert_no_formulas
from tests.providers.contract import wait_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(make_campaign):
    campaign = make_campaign(
        state=Campaign.State.COMPLETED,
        launched_at=timezone.now() - timedelta(hours=1),
        finished_at=timezone.now(),
    )
    seed_messages(campaign)
    return campaign


def report_url(campaign, suffix=""):
    return reverse("reports:campaign_report", args=[campaign.pk]) + suffix


def records(response):
    return [row.record for row in response.context["table"].page.object_list]


def export(client, campaign, fmt, query=""):
    url = reverse("reports:campaign_export", args=[campaign.pk])
    response = client.get(f"{url}?format={fmt}{query}")
    assert response.status_code == 200
    if response.streaming:
        return response, b"".join(response.streaming_content)
    return response, b"".join(response)


def test_anonymous_users_are_sent_to_login(client, campaign):
    for url in (
        report_url(campaign),
        reverse("reports:campaign_report_live", args=[campaign.pk]),
        reverse("reports:campaign_export", args=[campaign.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_users_without_the_campaign_permission_get_403(
    client, campaign, django_user_model
):
    client.force_login(django_user_model.objects.create_user("nobody", password="x"))
    assert client.get(report_url(campaign)).status_code == 403


def test_funnel_equals_a_group_by_over_the_messages(viewer_client, campaign, settings):
    settings.LANGUAGE_CODE = "en"
    response = viewer_client.get(report_url(campaign))
    assert response.status_code == 200
    funnel = response.context["funnel"]
    grouped = Counter(
        Message.objects.filter(campaign=campaign).values_list("status", flat=True)
    )
    # Delivered counts the read too; Read is part of it, left out of the sum.
    shown = {step.status: step.count for step in funnel.steps if step.count}
    expected = dict(grouped, delivered=grouped["delivered"] + grouped["read"])
    assert shown == expected
    whole = [step.count for step in funnel.steps if not step.part_of]
    assert funnel.total == sum(whole) == sum(grouped.values()) == len(MIX)
    assert funnel.by_status == {s: grouped[s] for s in funnel.by_status}
    assert sum(funnel.by_status.values()) == funnel.total
    segments = Message.objects.filter(campaign=campaign).aggregate(s=Sum("segments"))
    assert funnel.segments == segments["s"]
    assert funnel.delivered == grouped["delivered"] + grouped["read"]
    content = response.content.decode()
    assert f'data-funnel="total">{len(MIX)}<' in content
    # Handed to the gateway: what it took, not the rejected or failed ones.
    taken = sum(
        grouped[s]
        for s in ("queued", "sent", "delivered", "read", "undelivered", "unknown")
    )
    rate = round(100 * taken / len(MIX), 1)
    assert grouped["rejected"]
    assert f"handed to the gateway: {rate}%" in content


def test_the_funnel_is_a_labelled_list_of_its_steps(viewer_client, campaign, settings):
    """A screen reader says "list, N items" and reads each step as one: a run of
    divs read as loose figures."""
    from lxml import html

    settings.LANGUAGE_CODE = "en"
    response = viewer_client.get(report_url(campaign))
    (funnel,) = html.fromstring(response.content).xpath(
        '//*[@id="report-funnel"]//ul[@aria-label="Delivery funnel"]'
    )
    items = funnel.xpath("./li")
    assert len(items) == 1 + len(response.context["funnel"].steps)  # total first
    assert [len(item.xpath(".//*[@data-funnel]")) for item in items] == [1] * len(items)


def test_spending_reasons_and_operators_equal_group_bys(viewer_client, campaign):
    report = viewer_client.get(report_url(campaign)).context["report"]
    messages = Message.objects.filter(campaign=campaign)
    assert report.spending.cost == messages.aggregate(s=Sum("cost"))["s"]
    billable = ["queued", "sent", "delivered", "read", "undelivered", "unknown"]
    estimated = messages.filter(cost__isnull=True, status__in=billable).aggregate(
        s=Sum("estimated_cost")
    )["s"]
    assert report.spending.estimated == estimated
    assert (
        report.spending.segments
        == messages.filter(status__in=billable).aggregate(s=Sum("segments"))["s"]
    )
    reasons = {
        (r["status"], r["reason"], r["vendor_code"], r["vendor_text"]): r["n"]
        for r in messages.filter(status__in=["undelivered", "rejected", "failed"])
        .values("status", "reason", "vendor_code", "vendor_text")
        .annotate(n=Count("id"))
    }
    assert {
        (r.status, r.reason, r.vendor_code, r.vendor_text): r.count
        for r in report.reasons
    } == reasons
    assert report.reasons[0].count == 2  # the commonest first
    by_operator = dict(
        messages.values_list("operator")
        .annotate(n=Count("id"))
        .values_list("operator", "n")
    )
    assert "" in by_operator  # some were not reported on: they have a row too, last
    assert {r.operator: r.total for r in report.operators} == by_operator
    assert report.operators[-1].operator == ""
    assert sum(r.total for r in report.operators) == messages.count()


def test_an_operator_table_of_nothing_reported_is_not_shown(viewer_client, campaign):
    Message.objects.filter(campaign=campaign).update(operator="")
    cache.clear()  # the report's breakdowns are cached
    report = viewer_client.get(report_url(campaign)).context["report"]
    assert report.operators == []


def test_spending_without_any_price_shows_no_total(viewer_client, campaign):
    # No reported cost and no estimate (a gateway that does not price, no tariff):
    # a total of 0.00 would read as "free".
    Message.objects.filter(campaign=campaign).update(cost=None, estimated_cost=None)
    response = viewer_client.get(report_url(campaign))
    spending = response.context["report"].spending
    billable = ["queued", "sent", "delivered", "read", "undelivered", "unknown"]
    expected = Message.objects.filter(campaign=campaign, status__in=billable).count()
    assert spending.unpriced == spending.billable == expected
    assert not spending.priced
    content = response.content.decode()
    assert 'data-spent="total">—<' in content
    assert unpriced_note(content) == expected


def test_cost_not_reported_by_the_gateway_shows_no_amount(viewer_client, campaign):
    # The gateway priced none (yet): «0.00» would read as "free" beside the messages
    # table's "—" for each.
    Message.objects.filter(campaign=campaign).update(cost=None)
    response = viewer_client.get(report_url(campaign))
    spending = response.context["report"].spending
    assert (spending.gateway_priced, spending.cost_reported) == (0, False)
    assert dash_reason(spent_cell(response.content.decode(), "cost"))


def test_cost_reported_by_the_gateway_shows_its_sum(viewer_client, campaign):
    priced = Message.objects.filter(campaign=campaign, cost__isnull=False)
    expected = priced.count()
    assert expected
    response = viewer_client.get(report_url(campaign))
    spending = response.context["report"].spending
    assert (spending.gateway_priced, spending.cost_reported) == (expected, True)
    amount = priced.aggregate(s=Sum("cost"))["s"]
    cell = spent_cell(response.content.decode(), "cost")
    # Digits only: the separators are the page language's.
    assert re.sub(r"\D", "", cell.split("RUB")[0]) == f"{amount:.2f}".replace(".", "")


def test_estimate_without_any_estimated_message_shows_no_amount(
    viewer_client, campaign
):
    # Every billable message priced by the gateway, or with no price at all: nothing
    # is counted at our estimate, and «0.00» would stand for nothing.
    messages = Message.objects.filter(campaign=campaign)
    messages.filter(cost__isnull=True).update(estimated_cost=None)
    response = viewer_client.get(report_url(campaign))
    spending = response.context["report"].spending
    assert not spending.estimated_any
    assert dash_reason(spent_cell(response.content.decode(), "estimated"))


def dash_reason(cell: str) -> str:
    """The reason a spending cell gives for its dash: the same on hover and for a
    screen reader, and not empty; "" when the cell shows no dash."""
    shown = re.fullmatch(
        r'<span title="([^"]+)" aria-hidden="true">—</span>'
        r'<span class="visually-hidden">([^<]+)</span>',
        cell.strip(),
    )
    if not shown:
        return ""
    assert shown.group(1) == shown.group(2)
    return shown.group(1)


def test_estimate_counted_shows_its_sum(viewer_client, campaign):
    billable = ["queued", "sent", "delivered", "read", "undelivered", "unknown"]
    estimated = Message.objects.filter(
        campaign=campaign, status__in=billable, cost__isnull=True
    ).exclude(estimated_cost=None)
    assert estimated.exists()
    response = viewer_client.get(report_url(campaign))
    spending = response.context["report"].spending
    assert spending.estimated_any
    cell = spent_cell(response.content.decode(), "estimated")
    amount = estimated.aggregate(s=Sum("estimated_cost"))["s"]
    assert re.sub(r"\D", "", cell.split("RUB")[0]) == f"{amount:.2f}".replace(".", "")


def spent_cell(content: str, name: str) -> str:
    """The inside of the spending list's cell `name`."""
    return re.search(rf'data-spent="{name}">(.*?)</dd>', content).group(1).strip()


def test_spending_names_the_unpriced_share(viewer_client, campaign):
    unpriced = Message.objects.filter(
        campaign=campaign, cost__isnull=True, status__in=["delivered", "sent"]
    )
    count = unpriced.update(estimated_cost=None)
    response = viewer_client.get(report_url(campaign))
    spending = response.context["report"].spending
    assert spending.priced
    assert spending.unpriced == count == 2
    content = response.content.decode()
    assert 'data-spent="total">—<' not in content
    assert unpriced_note(content) == 2


def unpriced_note(content: str) -> int:
    """The count the report's "no price" note opens with."""
    return int(re.search(r'data-spent="unpriced">\s*(\d+)\b', content).group(1))


def test_report_page_shows_vendor_texts_and_the_chart_data(viewer_client, campaign):
    response = viewer_client.get(report_url(campaign))
    content = response.content.decode()
    assert "Срок жизни истёк" in content
    assert 'id="delivery-chart-data"' in content
    chart = response.context["chart_data"]
    delivered = Message.objects.filter(
        campaign=campaign, status__in=["delivered", "read"]
    ).count()
    assert sum(chart["values"]) == delivered
    assert response.context["chart_unit"] == "minute"
    assert "<script>" not in content.replace('<script id="delivery-chart-data"', "")


def test_the_delivery_chart_has_a_text_alternative(viewer_client, campaign):
    response = viewer_client.get(report_url(campaign), HTTP_ACCEPT_LANGUAGE="en")
    content = response.content.decode()
    delivered = Message.objects.filter(
        campaign=campaign, status__in=["delivered", "read"]
    ).count()
    canvas = re.search(r'<canvas id="delivery-chart"[^>]*>', content).group(0)
    assert 'role="img"' in canvas
    assert f"Bar chart of messages delivered, {delivered} in all" in canvas
    # The same figures as a table, rendered on the server.
    table = content.split('data-chart-data="delivery-chart"')[1].split("</details>")[0]
    chart = response.context["chart_data"]
    assert table.count('<th scope="row"') == len(chart["labels"])
    assert f">{chart['labels'][0]}</th>" in table


def test_table_filters_by_status_and_phone(viewer_client, campaign):
    response = viewer_client.get(report_url(campaign, "?status=undelivered"))
    rows = records(response)
    assert {m.status for m in rows} == {"undelivered"}
    assert len(rows) == 3
    phone = Message.objects.filter(campaign=campaign, status="rejected").get().phone
    response = viewer_client.get(report_url(campaign, f"?phone={phone[-4:]}"))
    assert [m.phone for m in records(response)] == [phone]
    response = viewer_client.get(report_url(campaign, f"?phone=8{phone[2:]}"))
    assert [m.phone for m in records(response)] == [phone]
    # Letters are no number: nothing matches (it matched every message), and the
    # field says why (it said nothing).
    lettered = viewer_client.get(report_url(campaign, "?phone=abc"))
    assert records(lettered) == []
    html = lettered.content.decode()
    error = html.split('data-filter-error="phone">', 1)[1].split("</div>", 1)[0]
    assert (
        error.strip()
        == "Чтобы отобрать по телефону, укажите номер или несколько его цифр."
    )


def test_a_status_the_counts_hold_none_of_reads_no_message(viewer_client, campaign):
    """None "unknown" of a million: the kept counts say so, where the filter scanned
    the whole campaign to find nothing (about 0.35 s)."""
    assert not Message.objects.filter(campaign=campaign, status="unknown").exists()

    with CaptureQueriesContext(connection) as queries:
        empty = viewer_client.get(report_url(campaign, "?status=unknown"))
    with CaptureQueriesContext(connection) as exported:
        viewer_client.get(
            reverse("reports:campaign_export", args=[campaign.pk]) + "?status=unknown"
        ).getvalue()

    assert records(empty) == []
    for captured in (queries, exported):
        filtered = [q["sql"] for q in captured if "'unknown'" in q["sql"]]
        assert not [sql for sql in filtered if "campaigns_message" in sql]
    # A status it holds is still read from the messages.
    assert records(viewer_client.get(report_url(campaign, "?status=undelivered")))


def test_pages_do_not_count_the_messages(viewer_client, make_campaign):
    campaign = make_campaign(state=Campaign.State.COMPLETED)
    seed_messages(campaign, MIX * 1, prefix="+7913")
    seed_messages(campaign, MIX * 5, prefix="+7914")  # 78 rows
    last_page = 78 // PAGE_SIZE + 1
    with CaptureQueriesContext(connection) as queries:
        response = viewer_client.get(report_url(campaign, f"?page={last_page}"))
    assert response.status_code == 200
    assert len(records(response)) == 78 % PAGE_SIZE
    assert not response.context["table"].page.has_next()
    counting = [
        q["sql"]
        for q in queries
        if "COUNT(*)" in q["sql"].upper() and "campaigns_message" in q["sql"]
    ]
    assert counting == []


def test_live_partial_polls_while_sending_then_while_reports_are_awaited(
    viewer_client, campaign
):
    url = reverse("reports:campaign_report_live", args=[campaign.pk])
    # Completed, yet a queued and a sent message still wait for their reports.
    assert b'hx-trigger="every 10s"' in viewer_client.get(url).content
    Campaign.objects.filter(pk=campaign.pk).update(state=Campaign.State.SENDING)
    response = viewer_client.get(url)
    assert b'hx-trigger="every 5s"' in response.content
    assert f'data-funnel="total">{len(MIX)}<'.encode() in response.content
    page = viewer_client.get(report_url(campaign))
    assert f'hx-get="{url}"'.encode() in page.content

    Campaign.objects.filter(pk=campaign.pk).update(state=Campaign.State.COMPLETED)
    Message.objects.filter(campaign=campaign, status__in=["queued", "sent"]).update(
        status="delivered"
    )
    assert b"hx-trigger" not in viewer_client.get(url).content  # nothing can move
    assert (
        f'hx-get="{url}"'.encode()
        not in viewer_client.get(report_url(campaign)).content
    )


def test_csv_export_has_a_bom_every_row_and_no_formulas(viewer_client, campaign):
    response, body = export(viewer_client, campaign, "csv")
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert body.startswith(b"\xef\xbb\xbf")
    assert body.count(b"\xef\xbb\xbf") == 1
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert len(rows) == len(MIX) + 1
    phones = {r[0] for r in rows[1:]}
    assert phones == set(
        Message.objects.filter(campaign=campaign).values_list("phone", flat=True)
    )
    texts = [cell for row in rows for cell in row]
    assert '\'=HYPERLINK("http://evil")' in texts
    assert not any(cell.startswith(("=", "@")) for cell in texts)


def test_csv_1251_export_uses_semicolons_and_keeps_filters(viewer_client, campaign):
    _response, body = export(viewer_client, campaign, "csv-1251", "&status=undelivered")
    text = body.decode("cp1251")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert len(rows) == 1 + 3
    assert any("Срок жизни истёк" in cell for cell in rows[1])


def test_csv_1251_export_writes_decimal_commas(viewer_client, campaign):
    # Russian Excel reads "2.1" as a date; the ;/1251 variant is the one it opens.
    _response, body = export(viewer_client, campaign, "csv-1251")
    rows = list(csv.reader(io.StringIO(body.decode("cp1251")), delimiter=";"))
    costs = {row[7] for row in rows[1:] if row[7]}
    estimates = {row[8] for row in rows[1:] if row[8]}
    assert costs == {"2,1", "4,2", "1"}
    assert estimates == {"2,5"}
    _response, body = export(viewer_client, campaign, "csv")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert {row[7] for row in rows[1:] if row[7]} == {"2.1", "4.2", "1"}


def test_xlsx_export_rows_and_injection_safety(viewer_client, campaign):
    response, body = export(viewer_client, campaign, "xlsx")
    # Named in the reader's language: tests/contacts/test_download_names.py.
    assert f"-{campaign.pk}-" in response["Content-Disposition"]
    assert response["Content-Disposition"].rstrip('"').endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(body), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == len(MIX) + 1
    cells = [c for row in rows for c in row if isinstance(c, str)]
    # Text cells are never run: the text as it is, no apostrophe, and no formula.
    assert '=HYPERLINK("http://evil")' in cells
    assert_no_formulas(body)
    costs = [row[7] for row in rows[1:] if row[7] is not None]
    assert Decimal(str(sum(costs))).quantize(Decimal("0.01")) == Decimal("9.40")


def test_exported_estimates_add_up_to_the_report_s_estimate(viewer_client, campaign):
    """A rejected message carried its 2.50 estimate: the column summed to more than
    the page's "estimated, not yet reported"."""
    spending = viewer_client.get(report_url(campaign)).context["report"].spending
    _response, body = export(viewer_client, campaign, "csv")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    header, *rows = rows
    assert header[8] == "Ориентировочная стоимость"
    estimates = {row[0]: row[8] for row in rows}
    assert sum(Decimal(v) for v in estimates.values() if v) == spending.estimated
    messages = Message.objects.filter(campaign=campaign)
    for status in ("rejected", "failed", "cancelled", "pending"):
        phone = messages.filter(status=status).values_list("phone", flat=True)[0]
        assert estimates[phone] == ""
    # A message the gateway priced shows its cost, not an estimate beside it.
    priced = messages.filter(cost__isnull=False).values_list("phone", flat=True)
    assert all(estimates[phone] == "" for phone in priced)

    _response, body = export(viewer_client, campaign, "xlsx")
    sheet = load_workbook(io.BytesIO(body), read_only=True).active
    cells = [row[8] for row in list(sheet.iter_rows(values_only=True))[1:]]
    assert Decimal(str(sum(c for c in cells if c is not None))) == spending.estimated


def test_exported_time_headers_name_the_page_s_time_zone(
    viewer_client, campaign, settings
):
    """Excel has no time zones: the header says which clock the times are on, the
    one the report page shows them on."""
    settings.TIME_ZONE = "Asia/Vladivostok"
    _response, body = export(viewer_client, campaign, "csv")
    header, *rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert header[11:14] == [
        "Отправлено в шлюз (Владивосток, UTC+10:00)",
        "Статус изменён (Владивосток, UTC+10:00)",
        "Доставлено (Владивосток, UTC+10:00)",
    ]
    message = Message.objects.filter(campaign=campaign, status="delivered").first()
    [row] = [row for row in rows if row[0] == message.phone]
    local = timezone.localtime(message.submitted_at)
    assert row[11].startswith(local.strftime("%Y-%m-%d %H:%M"))
    page = viewer_client.get(report_url(campaign)).content.decode()
    assert local.strftime("%d.%m.%Y %H:%M") in page


def test_xlsx_export_freezes_and_filters_the_header_and_sizes_columns(
    viewer_client, campaign
):
    _response, body = export(viewer_client, campaign, "xlsx")
    sheet = load_workbook(io.BytesIO(body)).active
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:O{len(MIX) + 1}"
    widths = {
        letter: sheet.column_dimensions[letter].width for letter in ("A", "L", "O")
    }
    assert widths["A"] >= len("+79120000000")  # a phone is not cut
    assert widths["L"] >= len("2026-12-05 09:30:05")
    assert widths["O"] <= 60  # a long text does not push the rest off screen


def test_exported_times_are_the_site_s_local_time(viewer_client, campaign, settings):
    from datetime import UTC, datetime

    settings.TIME_ZONE = "Asia/Vladivostok"  # UTC+10 all year
    message = Message.objects.filter(campaign=campaign).order_by("id").first()
    Message.objects.filter(pk=message.pk).update(
        submitted_at=datetime(2026, 12, 4, 23, 30, 5, 123456, tzinfo=UTC)
    )

    _response, body = export(viewer_client, campaign, "csv")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    [row] = [row for row in rows[1:] if row[0] == message.phone]
    assert row[11] == "2026-12-05 09:30:05"  # the next morning there, no fraction

    _response, body = export(viewer_client, campaign, "xlsx")
    sheet = load_workbook(io.BytesIO(body), read_only=True).active
    [cells] = [r for r in sheet.iter_rows(values_only=True) if r[0] == message.phone]
    # Excel keeps milliseconds at best.
    assert cells[11].replace(microsecond=0) == datetime(2026, 12, 5, 9, 30, 5)  # noqa: DTZ001


def test_contact_page_shows_the_history_block(viewer_client, campaign, account):
    message = Message.objects.filter(campaign=campaign, status="delivered").first()
    contact = Contact.objects.create(phone=message.phone, first_name="Ivan")
    make_reply(account, phone=contact.phone, text="Спасибо, получил", campaign=campaign)
    make_reply(account, phone="+79990000000", text="Someone else")
    response = viewer_client.get(reverse("contacts:detail", args=[contact.pk]))
    content = response.content.decode()
    assert 'id="contact-messages"' in content
    assert message.text in content
    assert "Спасибо, получил" in content
    assert "Someone else" not in content
    assert reverse("reports:campaign_report", args=[campaign.pk]) in content


def test_contact_history_is_capped_at_fifty_of_each(viewer_client, account):
    contact = Contact.objects.create(phone="+79120000777")
    now = timezone.now()
    Message.objects.bulk_create(
        Message(account=account, phone=contact.phone, text=f"one-off {i}",
                channel="sms", planned_at=now)
        for i in range(55)
    )  # fmt: skip
    Reply.objects.bulk_create(
        Reply(account=account, phone=contact.phone, text=f"r{i}") for i in range(55)
    )
    response = viewer_client.get(reverse("contacts:detail", args=[contact.pk]))
    content = response.content.decode()
    assert content.count("one-off") >= 50
    assert "one-off 54" in content
    assert "one-off 4<" not in content


@pytest.mark.django_db(transaction=True)
def test_report_of_a_campaign_sent_through_the_simulator_matches_its_messages(
    live_server, simulator, make_group, make_campaign, admin_client
):
    cache.clear()  # pump leases of earlier tests' campaigns (ids repeat after a flush)
    account = simulated_account(simulator, "webcom", callbacks_to=live_server.url)
    group = make_group(
        "G",
        [(f"+7912{i:07d}", f"N{i}", "Europe/Moscow") for i in range(5)]
        + [("+79120009990", "Lost", "Europe/Moscow")],
    )
    campaign = make_campaign([group], account=account)
    campaign_launch(campaign=campaign)

    def settled():
        statuses = Counter(
            Message.objects.filter(campaign=campaign).values_list("status", flat=True)
        )
        return statuses if statuses == {"delivered": 5, "undelivered": 1} else None

    assert wait_for(settled, timeout=15, interval=0.2), list(
        Message.objects.values_list("phone", "status", "claimed_at")
    )
    response = admin_client.get(report_url(campaign))
    funnel = response.context["funnel"]
    assert {s.status: s.count for s in funnel.steps if s.count} == {
        "delivered": 5,
        "undelivered": 1,
    }
    reasons = response.context["report"].reasons
    assert [r.count for r in reasons] == [1]
    assert sum(response.context["chart_data"]["values"]) == 5


def test_table_rows_show_status_reason_and_gateway_words(viewer_client, campaign):
    message = Message.objects.get(campaign=campaign, status="rejected")
    contact = Contact.objects.create(phone=message.phone)
    Message.objects.filter(pk=message.pk).update(contact=contact)
    response = viewer_client.get(report_url(campaign, "?status=rejected"))
    body = response.content.decode().rsplit("<tbody", 1)[1].split("</tbody>", 1)[0]
    assert body.count("<tr>") == 1
    assert reverse("contacts:detail", args=[contact.pk]) in body
    assert "text-bg-danger" in body
    assert "<code>7</code> Неверный номер" in body
    empty = viewer_client.get(report_url(campaign, "?phone=%2B79990000000"))
    assert str(empty.context["table"].empty_text) in empty.content.decode()


def test_a_delivered_message_shows_no_bare_gateway_code(viewer_client, campaign):
    Message.objects.filter(campaign=campaign, status="delivered").update(
        vendor_code="1", vendor_text=""
    )

    response = viewer_client.get(report_url(campaign, "?status=delivered"))

    body = response.content.decode().rsplit("<tbody", 1)[1].split("</tbody>", 1)[0]
    assert "text-bg-success" in body
    assert "<code>1</code>" not in body


def test_a_gateway_code_without_a_text_is_said_to_be_the_gateway_s(
    viewer_client, campaign
):
    """«Истёк срок доставки» stood beside a bare «3»."""
    Message.objects.filter(campaign=campaign, status="undelivered").update(
        reason="expired", vendor_code="3", vendor_text=""
    )
    en = {"HTTP_ACCEPT_LANGUAGE": "en"}

    page = viewer_client.get(report_url(campaign, "?status=undelivered"), **en)

    html = page.content.decode()
    reasons = html.split('id="failure-reasons"', 1)[1].split("</table>", 1)[0]
    assert '<td class="small">gateway code <code>3</code></td>' in reasons
    body = html.rsplit("<tbody", 1)[1].split("</tbody>", 1)[0]
    assert body.count("gateway code <code>3</code>") == 3


def test_gateway_words_give_the_code_with_its_text_or_name_it():
    from django.utils import translation

    from campaigns.templatetags.report_tags import gateway_words

    with translation.override("en"):
        assert gateway_words("3", "") == "gateway code <code>3</code>"
        assert gateway_words("7", "Неверный <номер>") == (
            "<code>7</code> Неверный &lt;номер&gt;"
        )
        assert gateway_words("", "Абонент недоступен") == "Абонент недоступен"
        assert gateway_words("<b>", "") == "gateway code <code>&lt;b&gt;</code>"
        assert gateway_words("", "") == ""


def test_spending_is_in_the_accounts_currency(viewer_client, campaign):
    ProviderAccount.objects.filter(pk=campaign.account_id).update(
        balance_currency="RUB"
    )
    Message.objects.filter(campaign=campaign).update(cost=Decimal("1234.5"))

    content = viewer_client.get(report_url(campaign)).content.decode()

    total = re.search(r'data-spent="total">([^<]*)<', content).group(1)
    assert total.endswith(" ₽")
    assert re.search(r'data-spent="cost">[^<]* ₽<', content)


def test_an_export_under_a_filter_it_cannot_read_is_refused(
    viewer_client, campaign, settings
):
    """A status there is not matched every message: the export held them all."""
    settings.LANGUAGE_CODE = "en"
    url = reverse("reports:campaign_export", args=[campaign.pk])

    response = viewer_client.get(url, {"status": "bogus"}, follow=True)

    assert response.redirect_chain[-1][0] == report_url(campaign, "?status=bogus")
    assert "Status: Select a valid choice." in response.content.decode()
    assert "Content-Disposition" not in response


def test_a_filter_the_table_cannot_read_says_why_on_the_page(
    viewer_client, campaign, settings
):
    """The table showed "no matching messages" and nothing more."""
    settings.LANGUAGE_CODE = "en"

    html = viewer_client.get(report_url(campaign, "?status=bogus")).content.decode()

    error = html.split('data-filter-error="status">', 1)[1].split("</div>", 1)[0]
    assert error.startswith("Select a valid choice.")


def test_the_report_page_reads_only_its_table_page_of_the_messages(
    viewer_client, campaign
):
    """Spending, operators, failures and the chart come from the kept tallies: the
    first view of a million-message campaign's report scanned it three times."""
    with CaptureQueriesContext(connection) as queries:
        response = viewer_client.get(report_url(campaign))
    assert response.status_code == 200
    assert response.context["report"].operators
    assert response.context["report"].reasons
    assert sum(response.context["chart_data"]["values"]) == 4
    reading = [q["sql"] for q in queries if "campaigns_message" in q["sql"]]
    # The table's page alone, through the (campaign, phone) index.
    assert len(reading) == 1
    assert "LIMIT" in reading[0]
    assert '"campaigns_message"."phone" ASC' in reading[0]


def test_a_report_shows_each_status_report_at_once(campaign):
    """Reports keep coming for hours after the last message is handed over: the
    breakdown follows each one (it was cached, then recomputed by a scan)."""
    from campaigns import report_selectors

    before = report_selectors.campaign_report(campaign=campaign)
    assert before.funnel.in_flight
    queued = campaign.messages.filter(status="queued").get()
    Message.objects.filter(pk=queued.pk).update(
        status="delivered",
        operator="Tele2",
        cost=Decimal("3.30"),
        delivered_at=timezone.now(),
    )
    after = report_selectors.campaign_report(campaign=campaign)

    messages = Message.objects.filter(campaign=campaign)
    assert after.spending.cost == messages.aggregate(s=Sum("cost"))["s"]
    assert after.spending.cost == before.spending.cost + Decimal("3.30")
    assert sum(after.chart.values) == sum(before.chart.values) + 1
    assert {r.operator: r.total for r in after.operators}["Tele2"] == 1


def test_a_withdrawn_message_says_why_not_cancelled_twice(
    viewer_client, campaign, settings
):
    """QA: «Отменено Отменено» in the table and «Статус: Отменено, Причина ошибки:
    Отменено» in the exports: the reason repeated the status."""
    settings.LANGUAGE_CODE = "en"
    phone = Message.objects.get(campaign=campaign, status="cancelled").phone

    page = viewer_client.get(report_url(campaign, "?status=cancelled"))
    _response, body = export(viewer_client, campaign, "csv")

    html = page.content.decode()
    assert "Campaign cancelled" in html
    rows = {r[0]: r for r in csv.reader(io.StringIO(body.decode("utf-8-sig")))}
    assert "Campaign cancelled" in rows[phone]
    assert "Cancelled" in rows[phone]  # the status, with its reason beside it


@pytest.mark.parametrize(
    ("channel", "read_tile", "segments_line"),
    [
        ("sms", False, True),
        ("voice", False, False),
        ("viber", True, False),
        ("viber_sms", True, True),
    ],
)
def test_the_funnel_shows_read_and_segments_only_where_the_channel_has_them(
    viewer_client, make_campaign, settings, channel, read_tile, segments_line
):
    """An SMS report showed «Read 0 (0.0% of delivered)» and a Viber one «5
    segments»: tiles of what the channel never does."""
    settings.LANGUAGE_CODE = "en"
    campaign = make_campaign(state=Campaign.State.COMPLETED, channel=channel)
    seed_messages(campaign, [row for row in MIX if row[0] != "read"])

    html = viewer_client.get(report_url(campaign)).content.decode()
    funnel = html.split('id="report-funnel"', 1)[1]

    assert ('data-funnel="read"' in funnel) is read_tile
    assert ("segments</div>" in funnel or "segment</div>" in funnel) is segments_line


def test_an_sms_report_still_shows_reads_it_got(viewer_client, campaign):
    """A Viber-then-SMS message read before the channel changed, say: counted, shown."""
    assert Campaign.objects.get(pk=campaign.pk).channel == "sms"

    html = viewer_client.get(report_url(campaign)).content.decode()

    assert 'data-funnel="read">1<' in html


def test_messages_failed_with_outcome_unknown_are_shown_apart_from_the_spent(
    viewer_client, campaign
):
    """Failed, "outcome unknown" (no answer came; nothing was sent again): the
    gateway may have taken them and charged for them. The total is what is known
    spent and leaves them out; the report says how many may add to it."""
    ids = list(
        Message.objects.filter(campaign=campaign, status="delivered").values_list(
            "pk", flat=True
        )[:2]
    )
    Message.objects.filter(pk__in=ids).update(
        status="failed", reason="outcome_unknown", cost=None
    )
    billable = ["queued", "sent", "delivered", "read", "undelivered", "unknown"]
    known = Message.objects.filter(campaign=campaign).aggregate(
        reported=Sum("cost"),
        estimated=Sum("estimated_cost", filter=Q(status__in=billable, cost=None)),
    )

    response = viewer_client.get(report_url(campaign), HTTP_ACCEPT_LANGUAGE="en")
    api = viewer_client.get(f"/api/v1/campaigns/{campaign.pk}/report").json()

    spending = response.context["report"].spending
    assert spending.outcome_unknown == 2
    assert spending.total == known["reported"] + known["estimated"]
    note = re.search(
        r'data-spent="outcome-unknown">(.*?)</p>', response.content.decode(), re.S
    ).group(1)
    assert " ".join(note.split()) == (
        "2 messages failed with their outcome unknown: the gateway may have received "
        "them and charged for them. The total leaves them out."
    )
    assert api["outcome_unknown_messages"] == 2


def test_no_outcome_unknown_note_without_such_messages(viewer_client, campaign):
    response = viewer_client.get(report_url(campaign), HTTP_ACCEPT_LANGUAGE="en")
    assert response.context["report"].spending.outcome_unknown == 0
    assert 'data-spent="outcome-unknown"' not in response.content.decode()
