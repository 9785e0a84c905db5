import pytest


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/health/", "/health/teams/prov/", "/health/apis/pay/",
                                  "/health/roadmap/", "/health/rows/integrations/?state=live",
                                  "/health/export/velocity-per-api.csv", "/api/v1/metrics/",
                                  "/health/apis/pay/rate/"])
def test_smoke(path, org, web_client, admin):
    r = web_client(admin).get(path)
    assert r.status_code == 200, r.content[:3000]
