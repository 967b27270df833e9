"""The OpenAPI document parses as Swagger UI parses it: no key twice in one object."""

import json

import pytest

pytestmark = pytest.mark.django_db


def _duplicated_keys(text: str) -> list[str]:
    """Keys that occur twice in one JSON object; json.loads keeps only the last."""
    duplicated: list[str] = []

    def pairs_hook(pairs: list[tuple[str, object]]) -> dict[str, object]:
        seen: set[str] = set()
        for key, _value in pairs:
            if key in seen:
                duplicated.append(key)
            seen.add(key)
        return dict(pairs)

    json.loads(text, object_pairs_hook=pairs_hook)
    return duplicated


def test_the_whole_openapi_document_has_no_duplicated_key(client, viewer_user):
    """Django-ninja keys answers by int and an openapi_extra by str: the stop list's
    POST had "200" and "201" twice, and Swagger UI refused the document."""
    client.force_login(viewer_user)

    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    spec = response.json()
    assert "/api/v1/stoplist" in spec["paths"]
    assert _duplicated_keys(response.content.decode()) == []


def test_the_duplicate_finder_sees_a_duplicated_key():
    assert _duplicated_keys('{"a": {"200": 1, "200": 2}, "b": 3}') == ["200"]


def test_the_docs_page_answers_and_points_at_the_document(client, viewer_user):
    client.force_login(viewer_user)

    response = client.get("/api/v1/docs")

    assert response.status_code == 200
    assert b"/api/v1/openapi.json" in response.content
