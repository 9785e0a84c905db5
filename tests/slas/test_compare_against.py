"""The policy's ``compare_against`` (previous | all_supported): validation, snapshot, admin, API."""

from __future__ import annotations

import pytest

from catalog.models import ApiVersion
from portal.api.exceptions import DomainError
from slas import selectors, services
from slas.models import VersioningPolicy
from tests.catalog.factories import ApiFactory, ApiVersionFactory

pytestmark = pytest.mark.django_db

LIST = "/api/v1/versioning-policies/"

ADMIN_FORM = {
    "name": "Careful",
    "description": "",
    "scheme": "semver",
    "min_notice_days_draft": "0",
    "min_notice_days_alpha": "0",
    "min_notice_days_beta": "90",
    "min_notice_days_stable": "180",
    "max_supported_majors": "3",
    "breaking_requires_major": "on",
    "migration_guide_required": "on",
    "successor_required": "on",
    "consent_mode": "all_consumers",
    "reminder_offsets": "[90, 30]",
}


def test_default_is_previous_and_unknown_values_are_refused():
    policy = services.policy_create(fields={"name": "Company"})
    assert policy.compare_against == "previous"
    with pytest.raises(DomainError) as refused:
        services.policy_update(policy=policy, fields={"compare_against": "everything"})
    assert "all_supported" in refused.value.errors["compare_against"][0]
    policy.refresh_from_db()
    assert policy.compare_against == "previous"
    updated = services.policy_update(policy=policy, fields={"compare_against": "all_supported"})
    assert VersioningPolicy.objects.get(pk=updated.pk).compare_against == "all_supported"
    # Leaving it out keeps it.
    services.policy_update(policy=policy, fields={"description": "x"})
    assert VersioningPolicy.objects.get(pk=policy.pk).compare_against == "all_supported"


def test_snapshot_carries_it_and_old_snapshots_mean_previous():
    policy = services.policy_create(fields={"name": "All", "compare_against": "all_supported"})
    assert policy.as_snapshot()["compare_against"] == "all_supported"
    version = ApiVersionFactory(api=ApiFactory(policy=policy), stability="stable")
    version.policy_snapshot = policy.as_snapshot()
    version.save()
    # A later edit does not change what was frozen.
    services.policy_update(policy=policy, fields={"compare_against": "previous"})
    version = ApiVersion.objects.get(pk=version.pk)
    assert selectors.policy_effective(api_version=version).compare_against == "all_supported"
    old = {k: v for k, v in policy.as_snapshot().items() if k != "compare_against"}
    assert selectors.EffectivePolicy.from_snapshot(old, source="snapshot").compare_against == (
        "previous"
    )


def test_admin_can_set_it(web_client, admin):
    client = web_client(admin)
    response = client.post(
        "/admin/slas/versioningpolicy/add/", ADMIN_FORM | {"compare_against": "all_supported"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    policy = VersioningPolicy.objects.get(name="Careful")
    assert policy.compare_against == "all_supported"
    page = client.get(f"/admin/slas/versioningpolicy/{policy.pk}/change/").content.decode()
    assert 'name="compare_against"' in page and "Every supported version" in page
    response = client.post(
        f"/admin/slas/versioningpolicy/{policy.pk}/change/",
        ADMIN_FORM | {"compare_against": "previous"},
    )
    assert response.status_code == 302
    policy.refresh_from_db()
    assert policy.compare_against == "previous"
    bad = client.post(
        f"/admin/slas/versioningpolicy/{policy.pk}/change/",
        ADMIN_FORM | {"compare_against": "nonsense"},
    )
    assert bad.status_code == 200 and "nonsense" in bad.content.decode()
    policy.refresh_from_db()
    assert policy.compare_against == "previous"
    listing = client.get("/admin/slas/versioningpolicy/?compare_against__exact=previous")
    assert listing.status_code == 200 and "Careful" in listing.content.decode()


def test_admin_form_refuses_non_staff(web_client, engineer):
    response = web_client(engineer).post(
        "/admin/slas/versioningpolicy/add/", ADMIN_FORM | {"compare_against": "all_supported"}
    )
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert not VersioningPolicy.objects.exists()


def test_api_reads_and_staff_writes_it(api_client, engineer, owner, admin):
    policy = services.policy_create(fields={"name": "Company"})
    assert api_client(engineer).get(f"{LIST}{policy.pk}/").json()["compare_against"] == "previous"
    for user in (None, engineer, owner):
        response = api_client(user).patch(
            f"{LIST}{policy.pk}/", {"compare_against": "all_supported"}, format="json"
        )
        assert response.status_code in (401, 403)
    policy.refresh_from_db()
    assert policy.compare_against == "previous"
    staff = api_client(admin)
    bad = staff.patch(f"{LIST}{policy.pk}/", {"compare_against": "latest"}, format="json")
    assert bad.status_code == 400 and bad.json()["errors"]["compare_against"]
    policy.refresh_from_db()
    assert policy.compare_against == "previous"
    ok = staff.patch(f"{LIST}{policy.pk}/", {"compare_against": "all_supported"}, format="json")
    assert ok.status_code == 200 and ok.json()["compare_against"] == "all_supported"
    version = ApiVersionFactory(api=ApiFactory(policy=policy))
    effective = api_client(engineer).get(f"{LIST}effective/?api_version={version.pk}").json()
    assert effective["compare_against"] == "all_supported"
