"""Versioning policies: validation, the one default, effective policy, scheme validation, API."""

from __future__ import annotations

import pytest

from catalog.models import ApiVersion
from portal.api.exceptions import DomainError
from slas import selectors, services
from slas.models import VersioningPolicy
from tests.catalog.factories import ApiFactory, ApiVersionFactory

pytestmark = pytest.mark.django_db

LIST = "/api/v1/versioning-policies/"


def test_defaults_match_the_issue():
    policy = services.policy_create(fields={"name": "Company"})
    assert policy.scheme == "semver"
    assert [policy.min_notice_days(s) for s in ("draft", "alpha", "beta", "stable")] == [
        0,
        0,
        90,
        180,
    ]
    assert policy.max_supported_majors == 2
    assert (
        policy.breaking_requires_major
        and policy.migration_guide_required
        and policy.successor_required
    )
    assert policy.consent_mode == "all_consumers"
    assert policy.reminder_offsets == [90, 30, 14, 7, 1]


@pytest.mark.parametrize(
    ("fields", "key", "fragment"),
    [
        ({"name": ""}, "name", "needs a name"),
        ({"scheme": "romver"}, "scheme", "Unknown scheme"),
        ({"consent_mode": "vibes"}, "consent_mode", "all_consumers"),
        (
            {"min_notice_days_beta": 200, "min_notice_days_stable": 100},
            "min_notice_days_stable",
            "less notice",
        ),
        ({"min_notice_days_beta": -1}, "min_notice_days_beta", "at least 0"),
        ({"max_supported_majors": 0}, "max_supported_majors", "at least 1"),
        ({"reminder_offsets": [30, 30]}, "reminder_offsets", "only once"),
        ({"reminder_offsets": [0]}, "reminder_offsets", "at least 1"),
        ({"reminder_offsets": "weekly"}, "reminder_offsets", "list of days"),
    ],
)
def test_policy_validation(fields, key, fragment):
    with pytest.raises(DomainError) as info:
        services.policy_create(fields={"name": "P", **fields})
    assert any(fragment in m for m in info.value.errors[key]), info.value.errors
    assert VersioningPolicy.objects.count() == 0


def test_offsets_are_sorted_and_duplicate_names_refused():
    policy = services.policy_create(fields={"name": "P", "reminder_offsets": [1, 30, 7]})
    assert policy.reminder_offsets == [30, 7, 1]
    with pytest.raises(DomainError, match="already exists"):
        services.policy_create(fields={"name": "P"})


def test_one_default_at_a_time():
    first = services.policy_create(fields={"name": "A", "is_default": True})
    second = services.policy_create(fields={"name": "B", "is_default": True})
    first.refresh_from_db()
    assert not first.is_default and second.is_default
    services.policy_update(policy=first, fields={"is_default": True})
    assert list(VersioningPolicy.objects.filter(is_default=True)) == [first]


def test_effective_policy_resolution_and_snapshot_freezing():
    api = ApiFactory()
    version = ApiVersionFactory(api=api, stability=ApiVersion.Stability.BETA)
    assert selectors.policy_effective(api_version=version).source == "builtin"
    default = services.policy_create(fields={"name": "Default", "is_default": True})
    assert selectors.policy_effective(api_version=version).source == "default"
    own = services.policy_create(
        fields={"name": "Strict", "min_notice_days_beta": 120, "min_notice_days_stable": 365}
    )
    api.policy = own
    api.save()
    effective = selectors.policy_effective(api_version=version)
    assert (effective.source, effective.notice_days("beta")) == ("api", 120)
    # Frozen when the version became beta: later edits never shorten the promise.
    version.policy_snapshot = own.as_snapshot()
    version.save()
    services.policy_update(policy=own, fields={"min_notice_days_beta": 30})
    effective = selectors.policy_effective(api_version=version)
    assert (effective.source, effective.notice_days("beta")) == ("snapshot", 120)
    assert default.pk != own.pk


def test_deleting_a_policy_in_use_is_refused():
    policy = services.policy_create(fields={"name": "Used"})
    ApiFactory(policy=policy)
    with pytest.raises(DomainError) as info:
        services.policy_delete(policy=policy)
    assert info.value.kind == "conflict"
    assert VersioningPolicy.objects.filter(pk=policy.pk).exists()


@pytest.mark.parametrize(
    ("scheme", "good", "bad"),
    [
        ("semver", ["1.0.0", "v2.1.3", "2.0.0-rc.1"], ["1.0", "one", "1.0.0.0", ""]),
        (
            "calver",
            ["2025-03-01", "v2024-02-29"],
            ["2025-13-01", "2023-02-29", "2025-3-1", "1.0.0"],
        ),
        ("major", ["v1", "3", "V12"], ["v1.2", "version1", "1.0.0"]),
    ],
)
def test_version_strings_follow_the_scheme(scheme, good, bad):
    policy = VersioningPolicy(name="X", scheme=scheme)
    for version in good:
        selectors.version_validate_scheme(policy=policy, version=version)
    for version in bad:
        with pytest.raises(DomainError) as info:
            selectors.version_validate_scheme(policy=policy, version=version)
        assert info.value.rule == "version-scheme"
        assert info.value.errors["version"]


def test_scheme_error_message_names_policy_and_example():
    policy = VersioningPolicy(name="Dated", scheme="calver")
    with pytest.raises(
        DomainError,
        match=r"'1\.2\.3' does not follow calendar versioning YYYY-MM-DD, the scheme of 'Dated' \(e\.g\. 2025-03-01\)",
    ):
        selectors.version_validate_scheme(policy=policy, version="1.2.3")
    effective = selectors.EffectivePolicy.from_snapshot(
        policy.as_snapshot() | {"policy_id": None}, source="api"
    )
    with pytest.raises(DomainError):
        selectors.version_validate_scheme(policy=effective, version="1.2.3")


def test_policy_api_roles(api_client, engineer, owner, admin):
    policy = services.policy_create(fields={"name": "Company", "is_default": True})
    for user in (engineer, owner):
        client = api_client(user)
        assert client.get(LIST).json()["count"] == 1
        assert client.get(f"{LIST}{policy.pk}/").json()["name"] == "Company"
        assert client.post(LIST, {"name": "Mine"}, format="json").status_code == 403
        assert (
            client.patch(
                f"{LIST}{policy.pk}/", {"min_notice_days_stable": 1}, format="json"
            ).status_code
            == 403
        )
        assert client.delete(f"{LIST}{policy.pk}/").status_code == 403
    assert api_client().get(LIST).status_code == 401
    staff = api_client(admin)
    created = staff.post(
        LIST, {"name": "Dated", "scheme": "calver", "is_default": True}, format="json"
    )
    assert created.status_code == 201, created.json()
    assert created.json()["reminder_offsets"] == [90, 30, 14, 7, 1]
    policy.refresh_from_db()
    assert not policy.is_default
    bad = staff.patch(f"{LIST}{policy.pk}/", {"min_notice_days_stable": 10}, format="json")
    assert bad.status_code == 400 and "less notice" in bad.json()["detail"]
    assert staff.get(f"{LIST}?is_default=true").json()["results"][0]["name"] == "Dated"
    assert staff.delete(f"{LIST}{policy.pk}/").status_code == 204
    assert not VersioningPolicy.objects.filter(pk=policy.pk).exists()


def test_effective_endpoint(api_client, engineer):
    version = ApiVersionFactory()
    response = api_client(engineer).get(f"{LIST}effective/?api_version={version.pk}")
    assert response.status_code == 200
    assert (
        response.json()["source"] == "builtin"
        and response.json()["min_notice_days"]["stable"] == 180
    )
    assert api_client(engineer).get(f"{LIST}effective/").status_code == 400
    assert api_client(engineer).get(f"{LIST}effective/?api_version=999999").status_code == 404
