"""The interactive API docs are served from the portal itself: no CDN at run time."""

import pytest


@pytest.mark.django_db
def test_api_docs_load_swagger_ui_from_our_static_files(client):
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn.jsdelivr.net" not in html
    assert "/static/drf_spectacular_sidecar/" in html
