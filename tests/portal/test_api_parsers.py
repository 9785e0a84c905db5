"""The API refuses NUL characters in request bodies with a 400 and writes nothing."""

import pytest

from catalog.models import Team


@pytest.mark.django_db
def test_nul_character_in_json_body_is_refused(api_client, admin):
    before = Team.objects.count()
    response = api_client(admin).post(
        "/api/v1/teams/",
        data='{"slug": "nul-team", "name": "Bad\\u0000Name"}',
        content_type="application/json",
    )
    assert response.status_code == 400
    body = response.json()
    assert set(body) >= {"type", "title", "detail", "errors"}
    assert "NUL" in body["detail"]
    assert Team.objects.count() == before


@pytest.mark.django_db
def test_nul_character_in_nested_key_is_refused(api_client, admin):
    response = api_client(admin).post(
        "/api/v1/teams/",
        data='{"slug": "t", "name": "T", "extra": {"k\\u0000": 1}}',
        content_type="application/json",
    )
    assert response.status_code == 400


@pytest.mark.django_db
def test_plain_json_still_parses(api_client, admin):
    response = api_client(admin).post(
        "/api/v1/teams/", data={"slug": "fine-team", "name": "Fine"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert Team.objects.filter(slug="fine-team").exists()
