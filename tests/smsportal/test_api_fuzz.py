"""Schemathesis against /api/v1/openapi.json: no server error, no schema violation.

Runs in-process through the WSGI app, authenticated as an Admin (every operation is
reachable). Error statuses that the schema does not list (400/403/404 with a detail
body) are not failures here; a 5xx or a 2xx body that breaks its schema is.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections

from accounts.services import api_token_create
from smsportal.api import api

# The document as /api/v1/openapi.json serves it, which needs a user: none exists
# while the module is collected, so it is taken from the API object itself.
schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
schema.app = get_wsgi_application()


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    # Django closes the connection at the end of each WSGI request; the test client
    # does not, and neither may we inside the test transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def bearer(admin_user):
    _token, raw = api_token_create(user=admin_user, name="fuzz")
    return {"Authorization": f"Bearer {raw}"}


# Every example is a request of its own, committed as in production: inside one test
# transaction, input PostgreSQL refuses (a NUL byte: answered 400) would abort the
# transaction and fail every later request of the test with a 500.
@pytest.mark.django_db(transaction=True)
@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_operation_never_errors_or_breaks_its_schema(case, bearer):
    case.call_and_validate(
        headers=bearer,
        checks=[
            not_a_server_error,
            response_schema_conformance,
            content_type_conformance,
        ],
    )
