"""A viewer (read only) is offered no link or action its role cannot use, and a
refusal is a page of the dashboard, not a bare "403 Forbidden"."""

import pytest

from django.contrib.auth.models import Permission
from django.urls import reverse

from contacts.models import ImportJob
from tests.contacts.conftest import make_contact

pytestmark = pytest.mark.django_db


def test_a_refused_page_keeps_the_layout_and_navigation(viewer_client, group):
    response = viewer_client.get(reverse("contacts:group_edit", args=[group.pk]))
    assert response.status_code == 403
    page = response.content.decode()
    assert 'data-error="403"' in page
    assert "Access denied" in page
    assert 'data-nav="contacts"' in page  # the navigation, to go on from here
    assert reverse("dashboard") in page


def test_a_viewer_sees_group_names_without_the_edit_link(viewer_client, group):
    page = viewer_client.get(reverse("contacts:group_list")).content.decode()
    assert group.name in page
    assert reverse("contacts:group_edit", args=[group.pk]) not in page
    assert f"{reverse('contacts:list')}?group={group.pk}" in page


def test_a_manager_opens_a_group_from_its_name(manager_client, group):
    page = manager_client.get(reverse("contacts:group_list")).content.decode()
    assert reverse("contacts:group_edit", args=[group.pk]) in page


def test_a_viewer_gets_no_bulk_actions_on_the_contact_list(viewer_client):
    make_contact()
    page = viewer_client.get(reverse("contacts:list")).content.decode()
    assert 'id="bulk-form"' not in page
    assert 'value="delete"' not in page
    assert "js-select-row" not in page  # no row checkboxes without an action


def test_the_bulk_actions_offered_follow_the_permissions(
    manager_client, django_user_model, client
):
    make_contact()
    page = manager_client.get(reverse("contacts:list")).content.decode()
    assert 'id="bulk-form"' in page
    assert 'value="delete"' in page

    user = django_user_model.objects.create_user("clerk", password="x")
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_contact", "change_contact"])
    )
    client.force_login(user)
    page = client.get(reverse("contacts:list")).content.decode()
    assert 'value="add_to_group"' in page
    assert 'value="delete"' not in page
    assert 'value="opt_out"' not in page


@pytest.mark.parametrize("kind", ["contacts", "stoplist"])
def test_a_viewer_reads_an_imports_result(viewer_client, manager_user, kind):
    job = ImportJob.objects.create(
        kind=kind,
        original_name="book.csv",
        status=ImportJob.Status.DONE,
        report={"rows": 2, "created": 1, "invalid": 1},
        created_by=manager_user,
    )
    response = viewer_client.get(reverse("contacts:import_detail", args=[job.pk]))
    assert response.status_code == 200
    assert "book.csv" in response.content.decode()
    # Reading is not running one.
    mapping = reverse("contacts:import_mapping", args=[job.pk])
    assert viewer_client.get(mapping).status_code == 403
