"""A policy with ``compare_against: all_supported``: a new spec is diffed against every supported
version, the major-bump rule holds against each, and the consumers of each base version are told
about the findings that touch them — once per team per publish."""

from __future__ import annotations

import copy
import json

import pytest
from django.core.management import call_command

from catalog.models import ApiOperation, ApiSpec, ApiVersion, Dependency
from catalog.services.catalog import api_version_create, api_version_update
from portal.notifications.models import ChangeEvent, Notification
from slas import services as policy_services
from tests.catalog.factories import ServiceFactory, TeamFactory
from tests.catalog.specs.conftest import V1, as_yaml, v2_additive, v2_removing_name

pytestmark = pytest.mark.django_db


def with_colour() -> dict:
    return v2_additive()


def with_colour_and_size() -> dict:
    doc = v2_additive()
    doc["components"]["schemas"]["Pet"]["properties"]["size"] = {"type": "integer"}
    return doc


def without_owners() -> dict:
    """v3's document with GET /owners removed: only consumers of /owners (or of anything) break."""
    doc = copy.deepcopy(with_colour_and_size())
    del doc["paths"]["/owners"]
    return doc


def use_policy(api, compare_against: str):
    policy = policy_services.policy_create(
        fields={"name": f"Policy {compare_against}", "compare_against": compare_against}
    )
    api.policy = policy
    api.save()
    return policy


def consume(version, team_slug: str, *paths: str):
    """A service of a new team ``team_slug`` consuming ``version`` (the given GET operations, or
    none declared)."""
    team = TeamFactory(slug=team_slug)
    service = ServiceFactory(slug=f"{team_slug}-svc", owner=team)
    dependency = Dependency.objects.create(
        consumer=service, api_version=version, provider=version.api.provider
    )
    dependency.operations.set(
        [ApiOperation.objects.get(api_version=version, method="GET", path=p) for p in paths]
    )
    return team


@pytest.fixture
def three_majors(pets, owner):
    """Pets 1.0.0 (the shared fixture's four consumers), 2.0.0 and 3.0.0, each with a consumer
    that only reads pets."""
    api = pets["api"]
    v2 = api_version_create(api=api, version="2.0.0", spec=as_yaml(with_colour()), actor=owner)
    v3 = api_version_create(
        api=api, version="3.0.0", spec=as_yaml(with_colour_and_size()), actor=owner
    )
    pets_v2 = consume(v2, "v2-readers", "/pets/{id}")
    pets_v3 = consume(v3, "v3-readers", "/pets/{id}")
    return pets | {"v2": v2, "v3": v3, "v2_team": pets_v2, "v3_team": pets_v3}


def publish(client, version: str, doc: dict, **extra):
    return client.post(
        "/api/v1/apis/pets/publish/",
        {"version": version, "spec": as_yaml(doc), **extra},
        format="json",
    )


def notified_teams(event) -> set[int]:
    return set(Notification.objects.filter(event=event).values_list("recipient_id", flat=True))


def test_previous_policy_compares_with_the_previous_version_only(three_majors, owner, api_client):
    use_policy(three_majors["api"], "previous")
    response = publish(api_client(owner), "4.0.0", without_owners())
    assert response.status_code == 201, response.content
    spec = ApiSpec.objects.get(api_version__version="4.0.0")
    assert spec.compared_to == three_majors["v3"]
    assert [entry["version"] for entry in spec.compared_with] == ["3.0.0"]
    assert all("base_version" not in f for f in spec.findings)
    assert {f["id"] for f in spec.findings if f["level"] == "error"} == {
        "api-path-removed-without-deprecation"
    }
    # No consumer of 3.0.0 uses /owners: nobody is told, v1's /owners readers are not considered.
    event = ChangeEvent.objects.get(kind="breaking_version")
    assert event.title == "Pets 4.0.0: 1 breaking change(s) against 3.0.0"
    assert "base_versions" not in event.payload
    assert notified_teams(event) == set()


def test_all_supported_notifies_v1_consumers_the_change_breaks_and_not_v2s(
    three_majors, owner, api_client
):
    use_policy(three_majors["api"], "all_supported")
    response = publish(api_client(owner), "4.0.0", without_owners())
    assert response.status_code == 201, response.content
    v4 = ApiVersion.objects.get(api=three_majors["api"], version="4.0.0")
    assert v4.policy_snapshot["compare_against"] == "all_supported"

    spec = ApiSpec.objects.get(api_version=v4)
    assert spec.compared_to == three_majors["v3"]
    assert [(e["version"], e["error"]) for e in spec.compared_with] == [
        ("1.0.0", 1),
        ("2.0.0", 1),
        ("3.0.0", 1),
    ]
    errors = [
        (f["base_version"], f["id"], f["path"]) for f in spec.findings if f["level"] == "error"
    ]
    assert errors == [
        ("1.0.0", "api-path-removed-without-deprecation", "/owners"),
        ("2.0.0", "api-path-removed-without-deprecation", "/owners"),
        ("3.0.0", "api-path-removed-without-deprecation", "/owners"),
    ]
    assert spec.error_count == 3
    # v1 → v4 also carries the additive changes made in v2 and v3, against 1.0.0 only.
    assert {f["base_version"] for f in spec.findings if f["level"] == "info"} >= {"1.0.0"}

    event = ChangeEvent.objects.get(kind="breaking_version")
    assert "against 1.0.0, 2.0.0, 3.0.0" in event.title
    assert event.payload["base_versions"] == ["1.0.0", "2.0.0", "3.0.0"]
    teams = three_majors["teams"]
    # v1: grooming and census read /owners, vets declared nothing; adoption reads pets only.
    assert notified_teams(event) == {teams["grooming"].pk, teams["census"].pk, teams["vets"].pk}
    census = Notification.objects.filter(event=event, recipient=teams["census"]).first()
    assert census.detail["base_versions"] == ["1.0.0"]
    assert [(c["service"], c["base_version"]) for c in census.detail["consumers"]] == [
        ("census-svc", "1.0.0")
    ]
    assert [f["path"] for f in census.detail["consumers"][0]["findings"]] == ["/owners"]


def test_a_team_consuming_several_bases_is_notified_once_with_each(three_majors, owner, api_client):
    use_policy(three_majors["api"], "all_supported")
    census = three_majors["teams"]["census"]
    # census also runs a service on 2.0.0 that declared no operations.
    other = ServiceFactory(slug="census-batch", owner=census)
    Dependency.objects.create(
        consumer=other, api_version=three_majors["v2"], provider=three_majors["provider"]
    )
    assert publish(api_client(owner), "4.0.0", without_owners()).status_code == 201
    event = ChangeEvent.objects.get(kind="breaking_version")
    rows = Notification.objects.filter(event=event, recipient=census)
    assert rows.values("channel").distinct().count() == rows.count()  # one per channel
    detail = rows.first().detail
    assert detail["base_versions"] == ["1.0.0", "2.0.0"]
    assert [(c["service"], c["base_version"]) for c in detail["consumers"]] == [
        ("census-svc", "1.0.0"),
        ("census-batch", "2.0.0"),
    ]
    assert three_majors["v2_team"].pk not in notified_teams(event)
    assert three_majors["v3_team"].pk not in notified_teams(event)


def test_enforcement_refuses_a_break_of_any_supported_version_without_a_major_bump(
    pets, owner, api_client
):
    """2.0.0 stable, 2.1.0 a draft that dropped Pet.name (drafts may break), then 2.2.0 stable with
    the draft's document: against the previous version (the draft) nothing changed, but it
    breaks 2.0.0's consumers without a major bump."""
    client = api_client(owner)
    assert publish(client, "2.0.0", with_colour()).status_code == 201
    draft_doc = v2_removing_name()
    assert publish(client, "2.1.0", draft_doc, stability="draft").status_code == 201

    use_policy(pets["api"], "all_supported")
    before = (ApiVersion.objects.count(), ApiSpec.objects.count(), ChangeEvent.objects.count())
    response = publish(client, "2.2.0", draft_doc)
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["rule"] == "breaking-change-requires-major"
    assert body["base_version"] == "2.0.0" and body["base_versions"] == ["2.0.0"]
    assert "against 2.0.0" in body["detail"] and "3.0.0" in body["detail"]
    assert body["errors"]["spec"] == [
        "against 2.0.0: [response-required-property-removed] GET /pets/{id}: "
        + next(f["text"] for f in body["findings"] if f["level"] == "error")
    ]
    assert {f["base_version"] for f in body["findings"]} == {"2.0.0"}
    assert (ApiVersion.objects.count(), ApiSpec.objects.count(), ChangeEvent.objects.count()) == (
        before
    )

    # The same publish under the default policy is accepted (compared with the draft only).
    use_policy(pets["api"], "previous")
    response = publish(client, "2.2.0", draft_doc)
    assert response.status_code == 201, response.content
    assert response.json()["base_version"] == "2.1.0" and response.json()["breaking"] is False


def test_several_refusing_bases_are_named_together(pets, owner, api_client):
    client = api_client(owner)
    assert publish(client, "2.0.0", with_colour()).status_code == 201
    assert publish(client, "2.1.0", with_colour_and_size()).status_code == 201
    use_policy(pets["api"], "all_supported")
    broken = with_colour_and_size()
    broken["components"]["schemas"]["Pet"]["required"] = ["id"]
    del broken["components"]["schemas"]["Pet"]["properties"]["name"]
    response = publish(client, "2.2.0", broken)
    assert response.status_code == 422
    body = response.json()
    assert body["base_versions"] == ["2.0.0", "2.1.0"] and body["base_version"] == "2.1.0"
    assert "against 2.1.0 (1), 2.0.0 (1)" in body["detail"]
    assert not ApiVersion.objects.filter(version="2.2.0").exists()


def test_a_major_bump_is_accepted_against_every_base(three_majors, owner, api_client):
    use_policy(three_majors["api"], "all_supported")
    response = publish(api_client(owner), "4.0.0", v2_removing_name())
    assert response.status_code == 201, response.content


def test_backports_are_not_compared_with_newer_lines(three_majors, owner, api_client):
    use_policy(three_majors["api"], "all_supported")
    response = publish(api_client(owner), "1.1.0", V1)
    assert response.status_code == 201, response.content
    spec = ApiSpec.objects.get(api_version__version="1.1.0")
    assert [e["version"] for e in spec.compared_with] == ["1.0.0"]


def test_retired_versions_and_versions_without_spec_are_not_bases(three_majors, owner, api_client):
    from catalog.services.catalog import api_version_create as create

    use_policy(three_majors["api"], "all_supported")
    Dependency.objects.filter(api_version=three_majors["v2"]).delete()
    api_version_update(api_version=three_majors["v2"], status="retired", actor=owner)
    create(api=three_majors["api"], version="3.1.0", actor=owner)  # no spec
    assert publish(api_client(owner), "4.0.0", without_owners()).status_code == 201
    spec = ApiSpec.objects.get(api_version__version="4.0.0")
    assert [e["version"] for e in spec.compared_with] == ["1.0.0", "3.0.0"]


def test_spec_check_and_command_report_against_the_same_set(
    three_majors, engineer, api_client, tmp_path, capsys
):
    use_policy(three_majors["api"], "all_supported")
    body = (
        api_client(engineer)
        .post("/api/v1/apis/pets/spec-check/", {"spec": as_yaml(without_owners())}, format="json")
        .json()
    )
    assert body["base_versions"] == ["1.0.0", "2.0.0", "3.0.0"]
    assert body["base_version"] == "3.0.0" and body["breaking"] is True
    assert [f["base_version"] for f in body["findings"] if f["level"] == "error"] == [
        "1.0.0",
        "2.0.0",
        "3.0.0",
    ]
    assert not ApiVersion.objects.filter(version="4.0.0").exists()

    path = tmp_path / "openapi.yaml"
    path.write_text(as_yaml(without_owners()))
    with pytest.raises(SystemExit) as exited:
        call_command("spec_check", "pets", str(path), "--format", "json")
    assert exited.value.code == 1
    out = json.loads(capsys.readouterr().out)
    assert out["base_versions"] == ["1.0.0", "2.0.0", "3.0.0"]
    assert out["summary"] == body["summary"]
    with pytest.raises(SystemExit):
        call_command("spec_check", "pets", str(path))
    captured = capsys.readouterr()
    assert "Compared with pets 1.0.0, 2.0.0, 3.0.0." in captured.err
    assert [line for line in captured.out.splitlines() if line.startswith("Against")] == [
        "Against 1.0.0:",
        "Against 2.0.0:",
        "Against 3.0.0:",
    ]


def test_spec_check_under_the_default_policy_compares_with_the_latest(
    three_majors, engineer, api_client
):
    """One base version: no ``base_versions`` list; each finding names it, as publish does."""
    use_policy(three_majors["api"], "previous")
    body = (
        api_client(engineer)
        .post("/api/v1/apis/pets/spec-check/", {"spec": as_yaml(without_owners())}, format="json")
        .json()
    )
    assert "base_versions" not in body and body["base_version"] == "3.0.0"
    assert body["findings"] and all(f["base_version"] == "3.0.0" for f in body["findings"])


def test_version_page_lists_the_versions_compared_with(three_majors, owner, api_client, client):
    use_policy(three_majors["api"], "all_supported")
    publish(api_client(owner), "4.0.0", without_owners())
    v4 = ApiVersion.objects.get(version="4.0.0")
    client.force_login(owner)
    html = client.get(f"/catalog/api-versions/{v4.pk}/").content.decode()
    assert "Compared with 1.0.0, 2.0.0, 3.0.0." in html
    assert "against every supported version" in html
    assert '<th scope="col">Against</th>' in html
    v3_html = client.get(f"/catalog/api-versions/{three_majors['v3'].pk}/").content.decode()
    assert "Compared with" not in v3_html and "against 2.0.0" in v3_html
