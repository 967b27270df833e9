import pytest
from celery._state import _set_task_join_will_block

from django.contrib.auth.models import Group
from django.test import Client

from accounts.roles import ADMIN, MANAGER, VIEWER

pytest_plugins = ["tests.fixtures.simulator"]


@pytest.fixture(autouse=True)
def _celery_may_wait_for_results():
    """Celery keeps "a task is running here, do not wait for results" in one flag of
    the process, set and restored around each eager task: two eager tasks ending out
    of order in two threads (a test racing two launches) left it set, and a later
    test waiting for a real worker's result was refused ("Never call result.get()
    within a task")."""
    yield
    _set_task_join_will_block(False)


def _user_with_role(django_user_model, username: str, role: str):
    user = django_user_model.objects.create_user(
        username=username, password="secret-pass-123", is_staff=True
    )
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def admin_user(db, django_user_model):
    return _user_with_role(django_user_model, "alice-admin", ADMIN)


@pytest.fixture
def manager_user(db, django_user_model):
    return _user_with_role(django_user_model, "mark-manager", MANAGER)


@pytest.fixture
def viewer_user(db, django_user_model):
    return _user_with_role(django_user_model, "vera-viewer", VIEWER)


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def manager_client(client, manager_user):
    client.force_login(manager_user)
    return client


@pytest.fixture
def viewer_client(client, viewer_user):
    client.force_login(viewer_user)
    return client


@pytest.fixture
def other_client(django_user_model):
    """A second manager, signed in beside manager_client, in English: the other
    side of a race (tests.races)."""
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(_user_with_role(django_user_model, "bob-manager", MANAGER))
    return client
