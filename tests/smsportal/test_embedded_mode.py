"""The embedded default (SQLite, no broker server) really sends a campaign.

Runs Django in a child process on a fresh SQLite file with Celery eager, against the
simulator of this test process: launch, send, poll statuses, check counts. This is the
path `make run` gives a newcomer; the rest of the suite runs on PostgreSQL.
"""

import os
import subprocess
import sys
from pathlib import Path

from providers.simulator import SimAccount

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import time
from collections import Counter
from django.core.cache import cache
from campaigns.counts import campaign_counts, counts_mismatches
from campaigns.models import Campaign, Message
from campaigns.polling import statuses_poll
from campaigns.services import campaign_launch, campaign_start
from contacts.models import Contact, ContactGroup, GroupMembership
from providers.models import ProviderAccount
import campaigns.polling as polling
from datetime import timedelta
polling.poll_delay = lambda gateway: timedelta(0)

account = ProviderAccount.objects.create(
    name="Embedded", kind="{kind}", base_url="{url}/{kind}", login="emb",
    password="emb-pass", default_sender="SMSPORTAL", tariff="1.5")
group = ContactGroup.objects.create(name="G")
for i in range(5):
    c = Contact.objects.create(phone=f"+7912000{{i:04d}}", first_name=f"N{{i}}")
    GroupMembership.objects.create(contact=c, group=group)
campaign = Campaign.objects.create(name="E", account=account, sender="SMSPORTAL",
    text="Привет, {{first_name}}!", respect_quiet_hours=False)
campaign.include_groups.set([group])
campaign_launch(campaign=campaign)
campaign_start(campaign_id=campaign.pk)
for _ in range(50):
    cache.clear()
    Message.objects.update(polled_at=None)
    statuses_poll()
    if set(Message.objects.values_list("status", flat=True)) == {{"delivered"}}:
        break
    time.sleep(0.2)
campaign.refresh_from_db()
print("STATE", campaign.state)
print("STATUSES", dict(Counter(Message.objects.values_list("status", flat=True))))
print("COUNTS", campaign_counts(campaign_id=campaign.pk).by_status)
print("MISMATCHES", counts_mismatches())
print("FIRST_ID", Message.objects.order_by("id").first().id)

# One claim takes the whole batch (SQLite's SQL for it differs from PostgreSQL's).
from django.utils import timezone
from campaigns.expansion import campaign_expand
from campaigns.sending import claim_due
second = Campaign.objects.create(name="C", account=account, sender="SMSPORTAL",
    text="x", respect_quiet_hours=False, state="sending")
second.include_groups.set([group])
campaign_expand(campaign=second)
print("CLAIMED", len(claim_due(campaign_id=second.pk, limit=10, horizon=timezone.now(),
                              login_generation=0)))
"""


def test_campaign_round_trip_on_sqlite_and_filesystem_settings(simulator, tmp_path):
    simulator.state.add_account(
        SimAccount(gateway="webcom", login="emb", password="emb-pass")
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "smsportal.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'embedded.sqlite3'}",
        "SMSPORTAL_VAR_DIR": str(tmp_path / "var"),
        "CELERY_BROKER_URL": "filesystem://",
        "CELERY_TASK_ALWAYS_EAGER": "true",
    }
    manage = [sys.executable, "manage.py"]
    subprocess.run(
        [*manage, "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    script = SCRIPT.format(kind="webcom", url=simulator.url)
    result = subprocess.run(
        [*manage, "shell", "-c", script], cwd=ROOT, env=env, capture_output=True,
        text=True, timeout=120,
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "STATE completed" in output, output
    assert "STATUSES {'delivered': 5}" in output, output
    assert "COUNTS {'delivered': 5}" in output, output
    assert "MISMATCHES []" in output, output
    assert "CLAIMED 5" in output, output
    # A new installation numbers its messages apart from others (campaigns 0040).
    first_id = int(output.split("FIRST_ID ")[1].split()[0])
    assert 10**9 <= first_id < 10**12, output
    assert len(simulator.state.submissions) == 5


def test_blank_database_and_broker_urls_mean_the_embedded_defaults():
    """A blank `DATABASE_URL=` line in .env stopped every command with KeyError
    'ENGINE'; a blank broker URL made Celery look for RabbitMQ on localhost."""
    env = {**os.environ, "DATABASE_URL": "", "CELERY_BROKER_URL": ""}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    shown = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c",
         "from django.conf import settings as s; "
         "print(s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL)"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert shown.stdout.splitlines()[-1].split() == [
        "smsportal.sqlite3",
        "filesystem://",
    ]
