"""The stop-list sync's snapshot moves from the cache to a table (campaigns 0044): the
ones in the cache at the upgrade are carried over, so the first sync after it still
takes a number removed here off the gateway instead of pulling it back."""

import pytest

from django.core.cache import cache
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from campaigns.stoplist_sync import stoplist_sync
from contacts.models import StopListEntry
from tests.campaigns.gateway_accounts import simulated_account

BEFORE = ("campaigns", "0043_campaign_claimed_audience")
AFTER = ("campaigns", "0044_stoplist_sync_state_in_database")


@pytest.fixture
def before_the_table():
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    yield
    executor = MigrationExecutor(connection)  # its graph read again, as migrate does
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_the_cached_snapshot_is_carried_over(before_the_table, simulator):
    account = simulated_account(simulator, "webcom")
    their_list = simulator.state.accounts[(account.kind, account.login)].stop_list
    their_list.update({"79120000001", "79120000002"})
    # As the release before left it: both synced, then one taken off here.
    StopListEntry.objects.create(phone="+79120000002")
    cache.set(
        f"stoplist-sync:{account.pk}",
        {"phones": ["+79120000001", "+79120000002"], "last": {"pushed": 2}},
        timeout=None,
    )

    MigrationExecutor(connection).migrate([AFTER])
    # And on to the code's own table (the sync's lease came later, campaigns 0045).
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    cache.clear()
    result = stoplist_sync(account=account)

    assert (result.pulled, result.unlisted) == (0, 1)
    assert not StopListEntry.objects.filter(phone="+79120000001").exists()
    assert their_list == {"79120000002"}
