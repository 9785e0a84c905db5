"""The catalog services call the other areas at one place each: specs on publish, the deprecation
workflow when a dependency is declared or switched."""

from __future__ import annotations

import pytest

from catalog.models import ApiVersion
from catalog.services import catalog as services
from portal.api.exceptions import DomainError
from tests.catalog.factories import ApiFactory, ApiVersionFactory, DependencyFactory, ServiceFactory

pytestmark = pytest.mark.django_db


def test_spec_is_handed_to_the_spec_registry_and_its_refusal_rolls_back(monkeypatch):
    calls = []

    def fake_publish(*, api_version, document, actor):
        calls.append((api_version.version, document, actor))
        if "broken" in document:
            raise DomainError("Not an OpenAPI document.", errors={"spec": ["Not OpenAPI."]})

    monkeypatch.setattr("catalog.services.specs.spec_publish", fake_publish)
    api = ApiFactory()
    services.api_version_create(api=api, version="1.0.0", spec="openapi: 3.1.0", actor=None)
    assert calls == [("1.0.0", "openapi: 3.1.0", None)]
    services.api_version_create(api=api, version="1.1.0")  # no spec: no call
    assert len(calls) == 1
    with pytest.raises(DomainError):
        services.api_version_create(api=api, version="2.0.0", spec="broken")
    assert not ApiVersion.objects.filter(api=api, version="2.0.0").exists()
    v = ApiVersion.objects.get(api=api, version="1.1.0")
    with pytest.raises(DomainError):
        services.api_version_update(api_version=v, spec="broken", changelog="x")
    v.refresh_from_db()
    assert v.spec == "" and v.changelog == ""


def test_oversized_spec_is_refused(settings):
    settings.PORTAL_SPEC_MAX_BYTES = 10
    api = ApiFactory()
    with pytest.raises(DomainError) as exc:
        services.api_version_create(api=api, version="1.0.0", spec="x" * 11)
    assert exc.value.rule == "spec-too-large"
    assert not ApiVersion.objects.filter(api=api).exists()


def test_dependency_changes_tell_the_deprecation_workflow(monkeypatch):
    synced = []
    monkeypatch.setattr(
        "catalog.services.deprecations.migrations_sync_for_dependency",
        lambda *, dependency: synced.append((dependency.pk, dependency.api_version_id)),
    )
    consumer = ServiceFactory()
    v1 = ApiVersionFactory()
    v2 = ApiVersionFactory(api=v1.api, major=2, version="2.0.0")
    dep = services.dependency_create(consumer=consumer, api_version=v1)
    assert synced == [(dep.pk, v1.pk)]
    services.dependency_update(dependency=dep, purpose="still")
    assert len(synced) == 1  # not a switch
    services.dependency_update(dependency=dep, api_version=v2)
    assert synced[-1] == (dep.pk, v2.pk)


def test_switching_to_an_api_of_the_consumer_itself_is_refused():
    dep = DependencyFactory()
    own = ApiVersionFactory(api=ApiFactory(provider=dep.consumer))
    with pytest.raises(DomainError) as exc:
        services.dependency_update(dependency=dep, api_version=own)
    assert exc.value.rule == "dependency-self"
    dep.refresh_from_db()
    assert dep.api_version_id != own.pk
