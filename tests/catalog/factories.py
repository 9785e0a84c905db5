"""factory_boy factories for the catalog."""

from __future__ import annotations

import factory

from catalog.models import Api, ApiOperation, ApiVersion, Dependency, Service, Team


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"team-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.replace("-", " ").title())
    email = factory.LazyAttribute(lambda o: f"{o.slug}@example.com")


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"service-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.replace("-", " ").title())
    description = "A service of the demo organisation."
    owner = factory.SubFactory(TeamFactory)
    layer = Service.Layer.CORE
    tier = 3
    lifecycle = Service.Lifecycle.PRODUCTION


class ApiFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Api
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"api-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.replace("-", " ").title())
    provider = factory.SubFactory(ServiceFactory)


class ApiVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ApiVersion

    api = factory.SubFactory(ApiFactory)
    major = 1
    minor = 0
    patch = 0
    version = factory.LazyAttribute(lambda o: f"{o.major}.{o.minor}.{o.patch}")
    stability = ApiVersion.Stability.STABLE
    status = ApiVersion.Status.ACTIVE


class ApiOperationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ApiOperation

    api_version = factory.SubFactory(ApiVersionFactory)
    method = "get"
    path = factory.Sequence(lambda n: f"/things/{n}")


class DependencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Dependency

    consumer = factory.SubFactory(ServiceFactory)
    api_version = factory.SubFactory(ApiVersionFactory)
    provider = factory.LazyAttribute(lambda o: o.api_version.api.provider)
