"""Tokens made before scopes and expiry keep working as they did: read and write,
never expiring (accounts 0008)."""

import pytest

from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from accounts.models import token_digest

BEFORE = ("accounts", "0007_audit_action_api_token_failed")
AFTER = ("accounts", "0008_api_token_scope_and_expiry")
RAW = "sp_made-before-scopes-0123456789abcdef"


@pytest.fixture
def migrated_back():
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    yield executor.loader.project_state([BEFORE]).apps
    executor = MigrationExecutor(connection)  # its graph read again, as migrate does
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_an_old_token_reads_and_writes_and_never_expires(migrated_back):
    old_apps = migrated_back
    user = old_apps.get_model("auth", "User").objects.create(username="old-admin")
    user.groups.add(old_apps.get_model("auth", "Group").objects.get(name="Admin"))
    old_apps.get_model("accounts", "ApiToken").objects.create(
        user=user, name="crm", hint=RAW[:10], digest=token_digest(RAW)
    )

    executor = MigrationExecutor(connection)
    executor.migrate([AFTER])
    token = (
        executor.loader.project_state([AFTER])
        .apps.get_model("accounts", "ApiToken")
        .objects.get()
    )
    client = Client(HTTP_AUTHORIZATION=f"Bearer {RAW}")
    created = client.post(
        "/api/v1/groups", {"name": "Old CRM"}, content_type="application/json"
    )

    assert (token.scope, token.expires_at) == ("read_write", None)
    assert created.status_code == 201, created.content
