"""Stop list sync against the simulated gateways: push ours, pull theirs, once."""

import pytest

from django.core.cache import cache
from django.urls import reverse
from django.utils import translation

from campaigns.models import StopListSyncState
from campaigns.stoplist_sync import (
    stoplist_sync,
    stoplist_sync_all,
    stoplist_sync_supported,
)
from contacts.models import StopListEntry
from contacts.services import stoplist_remove
from providers.simulator import Fault
from smsportal.celery import app
from tests.campaigns.gateway_accounts import simulated_account

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def ours(*phones: str, source: str = "manual") -> None:
    StopListEntry.objects.bulk_create(
        StopListEntry(phone=phone, source=source) for phone in phones
    )


def sim_stop_list(simulator, account) -> set[str]:
    return simulator.state.accounts[(account.kind, account.login)].stop_list


def test_webcom_pushes_ours_and_pulls_theirs(simulator):
    account = simulated_account(simulator, "webcom")
    theirs = sim_stop_list(simulator, account)
    theirs.update({"79120000010", "79120000011"})
    ours("+79120000001", "+79120000002")
    result = stoplist_sync(account=account)
    assert (result.pushed, result.pulled, result.error) == (2, 2, "")
    assert theirs == {"79120000001", "79120000002", "79120000010", "79120000011"}
    pulled = StopListEntry.objects.filter(phone__in=["+79120000010", "+79120000011"])
    assert {e.source for e in pulled} == {StopListEntry.Source.GATEWAY}
    assert pulled.count() == 2


def test_a_number_the_gateway_lists_in_national_form_is_pulled(simulator):
    """Listed as 8912... (read as "+8912..."), a number was skipped as unreadable: their
    opt-out never reached us."""
    account = simulated_account(simulator, "webcom")
    sim_stop_list(simulator, account).add("89120000012")
    result = stoplist_sync(account=account)
    assert (result.pulled, result.error) == (1, "")
    assert StopListEntry.objects.filter(phone="+79120000012").exists()
    again = stoplist_sync(account=account)
    assert (again.pushed, again.pulled, again.unlisted) == (0, 0, 0)


def test_a_second_run_moves_nothing(simulator):
    account = simulated_account(simulator, "webcom")
    sim_stop_list(simulator, account).add("79120000010")
    ours("+79120000001")
    stoplist_sync(account=account)
    again = stoplist_sync(account=account)
    assert (again.pushed, again.pulled, again.unlisted) == (0, 0, 0)


def test_webcom_number_removed_here_is_taken_off_there_not_pulled_back(simulator):
    account = simulated_account(simulator, "webcom")
    ours("+79120000001", "+79120000002")
    stoplist_sync(account=account)
    stoplist_remove(phone="+79120000001")
    result = stoplist_sync(account=account)
    assert result.unlisted == 1
    assert sim_stop_list(simulator, account) == {"79120000002"}
    assert not StopListEntry.objects.filter(phone="+79120000001").exists()


def test_smsc_is_write_only_and_pushes_each_number_once(simulator):
    account = simulated_account(simulator, "smsc")
    theirs = sim_stop_list(simulator, account)
    ours("+79120000001", "+79120000002")
    first = stoplist_sync(account=account)
    assert (first.pushed, first.pulled) == (2, 0)
    assert theirs == {"79120000001", "79120000002"}
    # SMSC's list cannot be read: the snapshot alone says what is there already.
    theirs.clear()
    ours("+79120000003")
    second = stoplist_sync(account=account)
    assert second.pushed == 1
    assert theirs == {"79120000003"}


def test_smsc_number_removed_here_is_deleted_from_the_black_list(simulator):
    account = simulated_account(simulator, "smsc")
    ours("+79120000001", "+79120000002")
    stoplist_sync(account=account)
    stoplist_remove(phone="+79120000002")
    result = stoplist_sync(account=account)
    assert result.unlisted == 1
    assert sim_stop_list(simulator, account) == {"79120000001"}


def test_a_lost_snapshot_never_removes_anything(simulator):
    account = simulated_account(simulator, "smsc")
    ours("+79120000001", "+79120000002")
    stoplist_sync(account=account)
    StopListSyncState.objects.filter(account=account).delete()
    stoplist_remove(phone="+79120000002")
    result = stoplist_sync(account=account)
    assert (result.unlisted, result.pushed) == (0, 1)  # pushed again: idempotent there
    assert sim_stop_list(simulator, account) == {"79120000001", "79120000002"}


def test_a_number_taken_off_here_stays_off_when_the_cache_is_lost(simulator):
    """The gateway's list as of the last sync lived in the cache alone: with Redis
    restarted (it keeps nothing, README: "Redis needs no backup") a number taken off
    our stop list was pulled back from the gateway as its own opt-out, and the
    person who asked to hear from us again never did."""
    account = simulated_account(simulator, "webcom")
    ours("+79120000001", "+79120000002")
    stoplist_sync(account=account)
    stoplist_remove(phone="+79120000001")
    cache.clear()  # Redis restarted, or another cache behind a web server

    result = stoplist_sync(account=account)

    assert (result.pulled, result.unlisted) == (0, 1)
    assert not StopListEntry.objects.filter(phone="+79120000001").exists()
    assert sim_stop_list(simulator, account) == {"79120000002"}


def test_the_last_sync_is_shown_after_the_cache_is_lost(manager_client, simulator):
    account = simulated_account(simulator, "webcom")
    ours("+79120000001")
    stoplist_sync(account=account)
    cache.clear()

    html = manager_client.get(
        reverse("reports:stoplist_sync"), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()

    assert sync_cells(html, account)["pushed"] == "1"


def test_gateway_failure_is_reported_and_retried_next_time(simulator):
    account = simulated_account(simulator, "webcom")
    ours("+79120000001")
    simulator.state.add_fault("webcom", Fault(mode="http503", count=-1))
    result = stoplist_sync(account=account)
    assert result.error
    assert result.pushed == 0
    simulator.state.clear_faults()
    assert stoplist_sync(account=account).pushed == 1


def test_a_failed_read_still_pushes_our_opt_outs(simulator):
    """Webcom's list route is an assumption: when reading it failed, the documented
    stop.php push was skipped too, and our opt-outs never reached the gateway."""
    account = simulated_account(simulator, "webcom")
    ours("+79160000077")
    simulator.state.add_fault(
        "webcom", Fault(mode="http500", count=-1, path="list_stop")
    )

    result = stoplist_sync(account=account)

    assert result.error  # the read's failure is still reported
    assert (result.pushed, result.pulled, result.unlisted) == (1, 0, 0)
    assert sim_stop_list(simulator, account) == {"79160000077"}


def test_sync_all_covers_active_accounts_with_a_stop_list(simulator):
    webcom = simulated_account(simulator, "webcom")
    smsc = simulated_account(simulator, "smsc")
    websms = simulated_account(simulator, "websms")
    ours("+79120000001")
    results = {r.account_id: r for r in stoplist_sync_all()}
    assert not stoplist_sync_supported(websms)  # WEBSMS keeps no stop list
    assert set(results) == {webcom.pk, smsc.pk}
    assert results[webcom.pk].pushed == results[smsc.pk].pushed == 1


def test_beat_runs_it_every_hour():
    entry = app.conf.beat_schedule["campaigns-stoplist-sync"]
    assert entry["task"] == "campaigns.stoplist_sync_all"
    assert entry["schedule"] == 3600
    import campaigns.report_tasks  # noqa: F401  (registered through celery imports)

    assert "campaigns.stoplist_sync_all" in app.tasks


def test_page_lists_accounts_and_runs_for_managers_only(
    viewer_client, client, manager_user, simulator
):
    account = simulated_account(simulator, "webcom")
    ours("+79120000001")
    page = viewer_client.get(reverse("reports:stoplist_sync"))
    assert page.status_code == 200
    assert account.name in page.content.decode()
    run = reverse("reports:stoplist_sync_run", args=[account.pk])
    assert viewer_client.post(run).status_code == 403
    assert sim_stop_list(simulator, account) == set()
    client.force_login(manager_user)
    response = client.post(run, follow=True)
    assert response.status_code == 200
    assert sim_stop_list(simulator, account) == {"79120000001"}
    assert "never" not in response.content.decode()


def sync_cells(html: str, account) -> dict[str, str]:
    """The account's row's counts: cell name -> its text."""
    import re

    row = html.split(f"{account.name} <span", 1)[1].split("</tr>", 1)[0]
    return dict(re.findall(r'data-sync="(\w+)">(.*?)</td>', row))


def test_page_shows_a_zero_as_0_and_a_dash_only_for_what_the_gateway_cannot_do(
    manager_client, simulator
):
    """«Получено —» read as "not supported" for a sync that received nothing."""
    webcom = simulated_account(simulator, "webcom")
    smsc = simulated_account(simulator, "smsc")  # writes its list, cannot read it
    stoplist_sync(account=webcom)
    stoplist_sync(account=smsc)

    html = manager_client.get(
        reverse("reports:stoplist_sync"), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()

    assert sync_cells(html, webcom) == {"pulled": "0", "pushed": "0", "remaining": "0"}
    smsc_cells = sync_cells(html, smsc)
    assert "—" in smsc_cells["pulled"]
    assert "The gateway does not do this" in smsc_cells["pulled"]
    assert (smsc_cells["pushed"], smsc_cells["remaining"]) == ("0", "0")


def test_a_failed_sync_says_so_in_two_sentences(client, manager_user, simulator):
    """«…не удалась: Шлюз ответил ошибкой…»: a capital after a colon."""
    account = simulated_account(simulator, "webcom")
    simulator.state.add_fault("webcom", Fault(mode="http503", count=-1))
    client.force_login(manager_user)

    response = client.post(
        reverse("reports:stoplist_sync_run", args=[account.pk]),
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )

    page = response.content.decode()
    assert f"Stop list sync with {account.name} failed. The gateway answered" in page


def test_a_gateway_that_keeps_no_stop_list_is_refused_not_synced_empty(
    client, manager_user, manager_client, simulator, settings
):
    """WEBSMS keeps none: its sync answered 200 with empty counts, as if nothing
    were new, through the API and the page alike."""
    settings.LANGUAGE_CODE = "en"
    account = simulated_account(simulator, "websms")
    ours("+79120000001")
    assert not stoplist_sync_supported(account)

    answer = manager_client.post(
        f"/api/v1/stop-list/sync/{account.pk}", HTTP_ACCEPT_LANGUAGE="en"
    )
    page = manager_client.post(
        reverse("reports:stoplist_sync_run", args=[account.pk]),
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    ).content.decode()

    assert answer.status_code == 400
    assert answer.json()["where"] == "account_id"
    said = f"WEBSMS keeps no stop list of its own: there is nothing to sync with {account.name}."
    assert answer.json()["detail"] == said
    assert said in page
    assert "Stop list synced" not in page


def test_a_write_only_gateways_sync_is_not_said_to_have_received_0(
    manager_client, simulator
):
    """SMSC's list is written only: «получено 0» beside the table's «—, the gateway
    does not do this» read as a sync that asked and found nothing."""
    smsc = simulated_account(simulator, "smsc")
    webcom = simulated_account(simulator, "webcom")
    ours("+79120000001")

    def said(account) -> str:
        response = manager_client.post(
            reverse("reports:stoplist_sync_run", args=[account.pk]),
            follow=True,
            HTTP_ACCEPT_LANGUAGE="en",
        )
        return " ".join(str(m) for m in response.context["messages"])

    assert said(smsc) == (
        f"Stop list synced with {smsc.name}: 1 sent, 0 taken off the gateway's list "
        "(its list cannot be read, so nothing is received from it)."
    )
    assert said(webcom).startswith(f"Stop list synced with {webcom.name}: 0 received")


def test_a_failed_sync_reads_in_the_readers_language_on_the_page(
    manager_client, simulator
):
    """The last run's failure was kept in the words of whoever ran it (an English
    API user, or beat): the Russian page showed them as they were."""
    account = simulated_account(simulator, "webcom")
    simulator.state.add_fault("webcom", Fault(mode="http500", count=-1))
    with translation.override("en"):
        assert stoplist_sync(account=account).error

    html = manager_client.get(
        reverse("reports:stoplist_sync"), HTTP_ACCEPT_LANGUAGE="ru"
    ).content.decode()

    assert "Шлюз ответил ошибкой: ошибка сервера (HTTP 500)" in html
    assert "The gateway" not in html
    assert "server error" not in html
