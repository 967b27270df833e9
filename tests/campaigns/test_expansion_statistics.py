"""A large expansion leaves the planner knowing the campaign's messages.

The claim (campaigns.sending.claim_due) wants the campaign's first 500 pending messages
by send time, which the message_pending index gives in order. A table that autovacuum
had not analysed yet since the expansion was estimated at a few rows for the campaign:
the claim read and sorted every pending message instead (4.4 s a batch of 500 at
900,000), and a campaign to 900,000 went out at about 260 messages a second.
"""

import pytest

from django.db import connection

from campaigns.expansion import campaign_expand
from campaigns.models import Message

pytestmark = pytest.mark.django_db

SIZE = 3000


def estimated_rows() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
            [Message._meta.db_table],
        )
        return cursor.fetchone()[0]


def claim_plan(campaign_id: int) -> str:
    """The plan of the claim's choice of messages (as claim_due asks it)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN SELECT id FROM campaigns_message"
            " WHERE campaign_id = %s AND is_pending AND claimed_at IS NULL"
            " AND planned_at <= now() + interval '7 days'"
            " ORDER BY planned_at, id LIMIT 500 FOR UPDATE SKIP LOCKED",
            [campaign_id],
        )
        return "\n".join(row[0] for row in cursor.fetchall())


def test_a_large_expansion_refreshes_the_messages_statistics(make_group, make_campaign):
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Message._meta.db_table}")  # empty, as last analysed
    group = make_group(
        "Many", [(f"+7916{i:07d}", "Анна", "Europe/Moscow") for i in range(SIZE)]
    )
    campaign = make_campaign([group])

    assert campaign_expand(campaign=campaign).created == SIZE

    assert estimated_rows() == SIZE
    plan = claim_plan(campaign.pk)
    # Read in index order and stopped at the limit; no sort of the whole audience.
    assert "message_pending" in plan
    assert "Sort" not in plan
