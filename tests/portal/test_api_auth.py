"""API authentication: 401 with a challenge for missing or wrong credentials, 403 for known callers.

RFC 9110 §15.5.2/§15.5.4: a caller without valid credentials gets 401 and a ``WWW-Authenticate``
challenge (``Token`` and ``Bearer``, the same key); a known caller who may not act gets 403. Both
carry the problem body of ``portal.api.exceptions``; a refused request changes nothing.
"""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from catalog.models import Service, Team
from tests.catalog.factories import ServiceFactory
from tests.portal.security.conftest import row_counts

V1 = "/api/v1"
CHALLENGE = 'Token realm="api", Bearer realm="api"'
NEW_SERVICE = {"slug": "auth-new", "name": "Auth New", "owner": "payments"}


def assert_unauthenticated(response, detail: str) -> None:
    """401, the challenge naming both schemes, and the problem body."""
    assert response.status_code == 401, response.content
    assert response["WWW-Authenticate"] == CHALLENGE
    assert response.json() == {
        "type": "about:blank",
        "title": "Authentication required",
        "detail": detail,
        "errors": {},
    }


def with_header(value: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=value)
    return client


@pytest.fixture
def ledger(team):
    return ServiceFactory(slug="ledger", owner=team, description="before")


@pytest.fixture
def key(owner) -> str:
    return Token.objects.create(user=owner).key


# --- missing credentials ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/services/",
        "/services/ledger/",
        "/teams/",
        "/api-versions/",
        "/deprecations/",
        "/slas/",
        "/notifications/",
        "/metrics/",
        "/catalog/import/",
    ],
)
def test_no_credentials_is_401_with_a_challenge(ledger, path):
    assert_unauthenticated(
        APIClient().get(f"{V1}{path}"), "Authentication credentials were not provided."
    )


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_no_credentials_on_a_write_is_401_and_changes_nothing(ledger, method):
    url = f"{V1}/services/" if method == "post" else f"{V1}/services/ledger/"
    before = row_counts()
    response = getattr(APIClient(), method)(url, {**NEW_SERVICE, "description": "after"})
    assert_unauthenticated(response, "Authentication credentials were not provided.")
    assert row_counts() == before
    assert Service.objects.get(slug="ledger").description == "before"


# --- malformed headers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "detail"),
    [
        ("Token", "Invalid token header. No credentials provided."),
        ("Bearer", "Invalid token header. No credentials provided."),
        ("Token abc def", "Invalid token header. Token string should not contain spaces."),
        ("Bearer abc def", "Invalid token header. Token string should not contain spaces."),
        (
            "Token caf\u00e9",
            "Invalid token header. Token string should not contain invalid characters.",
        ),
        ("Token " + "a" * 41, "Invalid token."),  # longer than any key
        ("Token abc\x00def", "Invalid token."),
        ("Token abc;def", "Invalid token."),
        ("Token ==abc", "Invalid token."),
    ],
)
def test_a_malformed_token_header_is_401(ledger, header, detail):
    before = row_counts()
    assert_unauthenticated(with_header(header).post(f"{V1}/services/", NEW_SERVICE), detail)
    assert row_counts() == before


@pytest.mark.parametrize("key_", ["a" * 41, "abc\x00def", "x" * 100_000])
def test_an_impossible_key_never_reaches_the_database(ledger, key_, django_assert_max_num_queries):
    """A key that no token can have is refused before any query (no DataError on PostgreSQL
    for a NUL byte, no scan for a huge string)."""
    with django_assert_max_num_queries(0):
        response = with_header(f"Token {key_}").get(f"{V1}/services/")
    assert_unauthenticated(response, "Invalid token.")


@pytest.mark.parametrize("header", ["Basic ZXZlOmNvcnJlY3QtaG9yc2U=", "Digest abc", "garbage"])
def test_another_scheme_is_not_credentials_for_this_api(ledger, header):
    """A scheme we do not speak is ignored, like no header at all: 401 with our challenge."""
    assert_unauthenticated(
        with_header(header).get(f"{V1}/services/"),
        "Authentication credentials were not provided.",
    )


# --- unknown and inactive keys ---------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["Token", "Bearer", "token", "BEARER"])
def test_an_unknown_key_is_401(ledger, scheme):
    before = row_counts()
    response = with_header(f"{scheme} {'0' * 40}").patch(
        f"{V1}/services/ledger/", {"description": "after"}
    )
    assert_unauthenticated(response, "Invalid token.")
    assert row_counts() == before
    assert Service.objects.get(slug="ledger").description == "before"


def test_a_deleted_token_is_401(ledger, key):
    Token.objects.filter(key=key).delete()
    assert_unauthenticated(with_header(f"Token {key}").get(f"{V1}/services/"), "Invalid token.")


@pytest.mark.parametrize("scheme", ["Token", "Bearer"])
def test_an_inactive_users_key_is_401_and_changes_nothing(ledger, owner, key, scheme):
    owner.is_active = False
    owner.save(update_fields=["is_active"])
    before = row_counts()
    response = with_header(f"{scheme} {key}").post(f"{V1}/services/", NEW_SERVICE)
    assert_unauthenticated(response, "User inactive or deleted.")
    assert row_counts() == before


# --- valid keys ------------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["Token", "Bearer", "bearer"])
def test_a_valid_key_works_with_either_scheme(ledger, key, scheme):
    response = with_header(f"{scheme} {key}").post(f"{V1}/services/", NEW_SERVICE)
    assert response.status_code == 201, response.content
    assert Service.objects.filter(slug="auth-new", owner__slug="payments").exists()


def test_a_valid_key_without_permission_is_403_without_a_challenge(ledger, engineer):
    """The caller is known: 403, not 401, and no challenge (signing in again would not help)."""
    key = Token.objects.create(user=engineer).key
    before = row_counts()
    response = with_header(f"Bearer {key}").patch(f"{V1}/services/ledger/", {"description": "x"})
    assert response.status_code == 403, response.content
    assert "WWW-Authenticate" not in response
    body = response.json()
    assert body["title"] == "Permission denied" and body["type"]
    assert row_counts() == before
    assert Service.objects.get(slug="ledger").description == "before"


def test_a_valid_member_key_on_a_staff_only_write_is_403(member):
    key = Token.objects.create(user=member).key
    response = with_header(f"Token {key}").post(f"{V1}/teams/", {"slug": "t", "name": "T"})
    assert response.status_code == 403
    assert "WWW-Authenticate" not in response
    assert not Team.objects.filter(slug="t").exists()


def test_an_admin_key_may_write(admin, team):
    key = Token.objects.create(user=admin).key
    response = with_header(f"Bearer {key}").post(f"{V1}/teams/", {"slug": "t", "name": "T"})
    assert response.status_code == 201, response.content
    assert Team.objects.filter(slug="t").exists()


# --- browser sessions ------------------------------------------------------------------------


def test_a_session_reads_without_a_token(ledger, engineer):
    client = Client()
    client.force_login(engineer)
    response = client.get(f"{V1}/services/ledger/")
    assert response.status_code == 200
    assert response.json()["slug"] == "ledger"


def test_a_session_write_without_csrf_is_still_403(ledger, owner):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(owner)
    before = row_counts()
    response = client.post(f"{V1}/services/", NEW_SERVICE, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert "WWW-Authenticate" not in response
    assert row_counts() == before


def test_a_session_write_with_csrf_works(ledger, owner):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(owner)
    client.get("/login/")
    csrf = client.cookies["csrftoken"].value
    response = client.post(f"{V1}/services/", NEW_SERVICE, format="json", HTTP_X_CSRFTOKEN=csrf)
    assert response.status_code == 201, response.content


def test_a_session_without_permission_is_403(ledger, engineer):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(engineer)
    client.get("/login/")
    csrf = client.cookies["csrftoken"].value
    response = client.patch(
        f"{V1}/services/ledger/", {"description": "x"}, format="json", HTTP_X_CSRFTOKEN=csrf
    )
    assert response.status_code == 403
    assert "WWW-Authenticate" not in response
    assert Service.objects.get(slug="ledger").description == "before"


def test_a_bad_token_is_not_rescued_by_a_session(ledger, owner):
    """Credentials that were sent and are wrong are refused even if a session cookie is there:
    the caller asked to be someone we cannot verify."""
    client = APIClient()
    client.force_login(owner)
    client.credentials(HTTP_AUTHORIZATION=f"Token {'0' * 40}")
    assert_unauthenticated(client.get(f"{V1}/services/"), "Invalid token.")


def test_logging_out_turns_the_session_into_a_401(ledger, engineer):
    client = Client()
    client.force_login(engineer)
    assert client.get(f"{V1}/services/").status_code == 200
    client.logout()
    assert_unauthenticated(
        client.get(f"{V1}/services/"), "Authentication credentials were not provided."
    )


# --- what stays public -----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/healthz", "/readyz", f"{V1}/schema/", f"{V1}/docs/"])
def test_probes_and_the_schema_stay_public(db, path):
    response = Client().get(path)
    assert response.status_code == 200
    assert "WWW-Authenticate" not in response


def test_the_schema_documents_both_token_schemes(db):
    import yaml

    schema = yaml.safe_load(Client().get(f"{V1}/schema/").content)
    schemes = schema["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "The same API token, sent as `Authorization: Bearer <key>`.",
    }
    assert (
        schemes["tokenAuth"]["in"] == "header" and schemes["tokenAuth"]["name"] == "Authorization"
    )
    assert "cookieAuth" in schemes
    security = schema["paths"]["/api/v1/services/"]["get"]["security"]
    assert {"tokenAuth": []} in security and {"bearerAuth": []} in security
