"""``manage.py seed_demo``: the believable demo organisation (idempotent) and the scale catalog."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from catalog.models import Api, ApiVersion, Dependency, Membership, Service, Team
from catalog.selectors.catalog import impact_for_service
from slas.models import VersioningPolicy

pytestmark = pytest.mark.django_db


def counts() -> dict[str, int]:
    return {
        "teams": Team.objects.count(),
        "services": Service.objects.count(),
        "apis": Api.objects.count(),
        "versions": ApiVersion.objects.count(),
        "dependencies": Dependency.objects.count(),
    }


def test_demo_organisation_is_believable_and_idempotent():
    call_command("seed_demo", stdout=io.StringIO())
    first = counts()
    assert first == {"teams": 10, "services": 50, "apis": 40, "versions": 80, "dependencies": 200}
    assert set(Service.objects.values_list("layer", flat=True)) == {"base", "core", "enabling"}
    assert VersioningPolicy.objects.filter(is_default=True).count() == 1
    alice = get_user_model().objects.get(username="alice")
    assert alice.check_password("alice") and not alice.is_staff
    roles = dict(Membership.objects.filter(user=alice).values_list("team__slug", "role"))
    assert roles == {"payments": "owner", "checkout": "member"}
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_staff and admin.check_password("admin")
    # a few cycles: refunds <-> ledger
    assert Dependency.objects.filter(consumer__slug="ledger", provider__slug="refunds").exists()
    assert Dependency.objects.filter(consumer__slug="refunds", provider__slug="ledger").exists()
    impact = impact_for_service(service=Service.objects.get(slug="ledger"))
    assert "refunds" in {s.slug for s in impact.direct}
    # stable versions got the policy frozen onto them
    assert ApiVersion.objects.filter(stability="stable", policy_snapshot__isnull=True).count() == 0

    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert counts() == first
    assert "0 dependencies created" in out.getvalue()


def test_scale_catalog_is_deterministic_and_skipped_when_present():
    out = io.StringIO()
    call_command("seed_demo", scale=60, stdout=out)
    first = counts()
    assert first["services"] == 60 and first["teams"] == 12 and first["apis"] == 90
    assert 90 <= first["versions"] <= 270
    assert 300 <= first["dependencies"] <= 900
    signature = list(
        Dependency.objects.order_by(
            "consumer__slug", "api_version__api__slug", "api_version__version"
        ).values_list("consumer__slug", "api_version__api__slug", "api_version__version")[:50]
    )
    call_command("seed_demo", scale=60, stdout=out)
    assert counts() == first
    assert "already exists" in out.getvalue()
    # same seed, same catalog
    Dependency.objects.all().delete()
    ApiVersion.objects.all().delete()
    Api.objects.all().delete()
    Service.objects.all().delete()
    Team.objects.all().delete()
    call_command("seed_demo", scale=60, stdout=io.StringIO())
    again = list(
        Dependency.objects.order_by(
            "consumer__slug", "api_version__api__slug", "api_version__version"
        ).values_list("consumer__slug", "api_version__api__slug", "api_version__version")[:50]
    )
    assert again == signature
