"""A large audience is expanded in parallel parts; the result is the one-statement one."""

from datetime import UTC, datetime

import pytest

from campaigns import expansion
from campaigns.counts import campaign_counts
from campaigns.expansion import campaign_expand
from campaigns.models import Message
from contacts.models import Contact, ContactGroup, GroupMembership, StopListEntry

# The parts commit on their own connections, so the data must be committed too.
pytestmark = pytest.mark.django_db(transaction=True)

ZONES = ["Europe/Moscow", "Asia/Vladivostok", "Asia/Omsk"]


def audience(make_group, size: int):
    return make_group(
        "Big",
        [(f"+7912{i:07d}", f"Имя{i % 7}", ZONES[i % 3]) for i in range(size)],
    )


def expanded(campaign) -> set[tuple]:
    return set(
        Message.objects.filter(campaign=campaign).values_list(
            "phone", "contact_id", "text", "segments", "encoding", "estimated_cost",
            "planned_at",
        )
    )  # fmt: skip


def test_split_expansion_equals_the_single_statement(
    make_group, make_campaign, monkeypatch
):
    group = audience(make_group, 900)
    StopListEntry.objects.bulk_create(
        StopListEntry(phone=f"+7912{i:07d}") for i in range(0, 900, 10)
    )
    # Excluded members spread over every part's range of ids.
    excluded = ContactGroup.objects.create(name="Excluded")
    GroupMembership.objects.bulk_create(
        GroupMembership(contact=contact, group=excluded)
        for contact in Contact.objects.order_by("id")[5::30]
    )
    fields = {
        "text": "Здравствуйте, {first_name}! " * 3,
        "respect_quiet_hours": True,
        # One start for both, at an hour that is quiet in some of the zones.
        "start_at": datetime(2099, 1, 1, 3, 30, tzinfo=UTC),
    }
    whole = make_campaign([group], name="Whole", **fields)
    whole.exclude_groups.set([excluded])
    monkeypatch.setattr(expansion, "SPLIT_MIN_CONTACTS", 10**9)
    whole_stats = campaign_expand(campaign=whole)

    split = make_campaign([group], name="Split", **fields)
    split.exclude_groups.set([excluded])
    monkeypatch.setattr(expansion, "SPLIT_MIN_CONTACTS", 100)
    monkeypatch.setattr(expansion, "SPLIT_PARTS", 3)
    parts = []
    original = expansion._insert_contacts_sql
    monkeypatch.setattr(
        expansion,
        "_insert_contacts_sql",
        lambda *args, **kwargs: parts.append(1) or original(*args, **kwargs),
    )
    split_stats = campaign_expand(campaign=split)

    assert len(parts) == 3
    assert split_stats.as_dict() == whole_stats.as_dict()
    assert split_stats.created == 780  # 900, less 90 stop-listed and 30 excluded
    assert expanded(split) == expanded(whole)
    assert campaign_counts(campaign_id=split.pk).get("pending") == 780
    again = campaign_expand(campaign=split)
    assert again.created == 0
    assert Message.objects.filter(campaign=split).count() == 780


def test_a_spread_campaign_is_never_split(make_group, make_campaign, monkeypatch):
    group = audience(make_group, 300)
    campaign = make_campaign([group], spread_hours=3)
    monkeypatch.setattr(expansion, "SPLIT_MIN_CONTACTS", 10)
    monkeypatch.setattr(expansion, "SPLIT_PARTS", 2)
    split_calls = []
    monkeypatch.setattr(
        expansion, "_insert_contacts_split", lambda *a, **k: split_calls.append(1)
    )
    stats = campaign_expand(campaign=campaign)
    assert split_calls == []
    assert stats.created == 300
    planned = sorted(
        Message.objects.filter(campaign=campaign).values_list("planned_at", flat=True)
    )
    assert (planned[-1] - planned[0]).total_seconds() > 2 * 3600


def test_two_expansions_at_once_add_each_recipient_once(make_group, make_campaign):
    """A resume can start a second expansion while the first runs; the first inserts
    without ON CONFLICT, so the second must wait for it and then add nothing."""
    import threading

    from django.db import connections

    group = audience(make_group, 600)
    campaign = make_campaign([group])
    barrier = threading.Barrier(2)
    results, errors = [], []

    def expand() -> None:
        try:
            barrier.wait()
            results.append(campaign_expand(campaign=campaign).created)
        except Exception as error:  # collected for the assertion below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=expand) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(results) == [0, 600]
    assert Message.objects.filter(campaign=campaign).count() == 600


def test_a_failed_expansion_in_a_callers_transaction_frees_the_campaign(
    make_group, make_campaign, monkeypatch
):
    import psycopg

    from django.db import connection, transaction

    campaign = make_campaign([audience(make_group, 10)])

    def broken(campaign, *, alone):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(expansion, "_expand", broken)
    with pytest.raises(RuntimeError), transaction.atomic():
        campaign_expand(campaign=campaign)
    params = connection.get_connection_params()
    with psycopg.connect(**params, autocommit=True) as other:
        [(free,)] = other.execute(
            "SELECT pg_try_advisory_lock(%s, %s)",
            [expansion.EXPANSION_LOCK, campaign.pk],
        ).fetchall()
    assert free


def test_rows_built_for_a_campaign_deleted_meanwhile_are_discarded(
    make_group, make_campaign, monkeypatch
):
    """Cancelled and deleted while a large build ran: the parts had committed their
    rows, which outlived the campaign (with its counts) once the build ended."""
    from django.db import connection

    from campaigns.models import Campaign, CampaignStatusCount
    from campaigns.services import campaign_start

    group = audience(make_group, 300)
    campaign = make_campaign([group], state=Campaign.State.SENDING)
    monkeypatch.setattr(expansion, "SPLIT_MIN_CONTACTS", 100)
    monkeypatch.setattr(expansion, "SPLIT_PARTS", 2)
    split = expansion._insert_contacts_split

    def deleted_meanwhile(campaign, *args, **kwargs):
        created = split(campaign, *args, **kwargs)
        # As another session's delete committed before the parts' rows were: the
        # campaign goes, their rows stay (the ORM's cascade would take them too).
        with connection.cursor() as cursor:
            for table in ("campaigns_campaign_include_groups", "campaigns_campaign"):
                column = "id" if table == "campaigns_campaign" else "campaign_id"
                cursor.execute(
                    f"DELETE FROM {table} WHERE {column} = %s", [campaign.pk]
                )
        return created

    monkeypatch.setattr(expansion, "_insert_contacts_split", deleted_meanwhile)
    campaign_start(campaign_id=campaign.pk)

    assert not Message.objects.filter(campaign_id=campaign.pk).exists()
    assert not CampaignStatusCount.objects.filter(campaign_id=campaign.pk).exists()
