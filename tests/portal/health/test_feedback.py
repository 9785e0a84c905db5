"""Developer feedback through the API and the page: one current rating per (team, API),
history kept, every refusal changes nothing, moderation by staff."""

import pytest

from portal.health.models import Feedback, FeedbackRevision

pytestmark = pytest.mark.django_db
URL = "/api/v1/feedback/"


def test_member_rates_then_edits_and_history_is_kept(org, alpha_member, api_client):
    client = api_client(alpha_member)
    r = client.post(URL, {"team": "alpha", "api": "pay", "rating": 4, "comment": "solid"})
    assert r.status_code == 201, r.json()
    assert r.json()["rating"] == 4 and r.json()["team"] == "alpha"
    fid = r.json()["id"]
    # Rating again (POST) replaces the current rating: still one row.
    r = client.post(URL, {"team": "alpha", "api": "pay", "rating": 2, "comment": "flaky"})
    assert r.status_code == 200 and r.json()["id"] == fid
    r = client.patch(f"{URL}{fid}/", {"rating": 3})
    assert r.status_code == 200 and r.json()["rating"] == 3 and r.json()["comment"] == "flaky"
    assert Feedback.objects.count() == 1
    assert Feedback.objects.get().rating == 3
    history = client.get(f"{URL}{fid}/history/").json()
    assert [h["rating"] for h in history] == [3, 2, 4]
    assert FeedbackRevision.objects.filter(feedback_id=fid).count() == 3


@pytest.mark.parametrize(
    ("payload", "status", "field"),
    [
        ({"team": "alpha", "api": "pay", "rating": 0}, 400, "rating"),
        ({"team": "alpha", "api": "pay", "rating": 6}, 400, "rating"),
        ({"team": "alpha", "api": "pay", "rating": "x"}, 400, "rating"),
        ({"team": "alpha", "api": "pay"}, 400, "rating"),
        ({"team": "nope", "api": "pay", "rating": 3}, 400, "team"),
        ({"team": "alpha", "api": "nope", "rating": 3}, 400, "api"),
        ({"team": "alpha", "api": "pay", "rating": 3, "comment": "x" * 4001}, 400, "comment"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(org, alpha_member, api_client, payload, status,
                                                   field):  # fmt: skip
    r = api_client(alpha_member).post(URL, payload)
    assert r.status_code == status
    assert field in r.json()["errors"]
    assert Feedback.objects.count() == 0 and FeedbackRevision.objects.count() == 0


def test_only_members_of_the_consuming_team_rate(org, beta_member, engineer, admin, api_client):
    body = {"team": "alpha", "api": "pay", "rating": 5}
    for user in (beta_member, engineer, admin):  # staff do not speak for a team either
        r = api_client(user).post(URL, body)
        assert r.status_code == 403, user
        assert r.json()["rule"] == "feedback-team-member"
    assert api_client().post(URL, body).status_code == 401
    assert Feedback.objects.count() == 0


def test_only_consumers_rate(org, make_user, api_client):
    from catalog.models import Membership

    user = make_user("pat")
    Membership.objects.create(team=org.prov2, user=user)
    r = api_client(user).post(URL, {"team": "prov2", "api": "pay", "rating": 5})
    assert r.status_code == 422
    assert r.json()["rule"] == "feedback-not-a-consumer"
    assert Feedback.objects.count() == 0


def test_editing_someone_elses_rating_is_forbidden(org, alpha_member, beta_member, api_client):
    fid = (
        api_client(alpha_member)
        .post(URL, {"team": "alpha", "api": "pay", "rating": 4})
        .json()["id"]
    )
    r = api_client(beta_member).patch(f"{URL}{fid}/", {"rating": 1})
    assert r.status_code == 403
    assert Feedback.objects.get().rating == 4
    assert FeedbackRevision.objects.count() == 1


def test_moderation_hides_from_lists_and_metrics(org, alpha_member, engineer, admin, api_client):
    fid = (
        api_client(alpha_member)
        .post(URL, {"team": "alpha", "api": "pay", "rating": 1})
        .json()["id"]
    )
    assert api_client(engineer).post(f"{URL}{fid}/moderate/", {"hidden": True}).status_code == 403
    assert Feedback.objects.get().hidden is False
    r = api_client(admin).post(f"{URL}{fid}/moderate/", {"hidden": True, "note": "abusive"})
    assert r.status_code == 200 and r.json()["hidden"] is True
    assert Feedback.objects.get().moderation_note == "abusive"
    assert api_client(engineer).get(URL).json()["count"] == 0
    assert api_client(admin).get(URL).json()["count"] == 1  # staff still see it
    assert api_client(engineer).get("/api/v1/metrics/satisfaction/").json()["value"]["count"] == 0


def test_list_filters(org, alpha_member, beta_member, api_client, engineer):
    api_client(alpha_member).post(URL, {"team": "alpha", "api": "pay", "rating": 4})
    api_client(alpha_member).post(URL, {"team": "alpha", "api": "ledger", "rating": 2})
    api_client(beta_member).post(URL, {"team": "beta", "api": "pay", "rating": 5})
    client = api_client(engineer)
    assert client.get(URL).json()["count"] == 3
    assert client.get(URL, {"api": "pay"}).json()["count"] == 2
    assert client.get(URL, {"team": "prov2"}).json()["count"] == 1
    assert client.get(URL, {"rating": 5}).json()["count"] == 1
    assert client.get(URL, {"consumer_team": "alpha"}).json()["count"] == 2
    assert client.get(URL, {"rating": 9}).status_code == 400
    assert client.get(URL, {"api": "nope"}).status_code == 400


# --- the page -----------------------------------------------------------------------------------


def test_page_rates_with_csrf(org, alpha_member, web_client):
    client = web_client(alpha_member, enforce_csrf=True)
    page = client.get("/health/apis/pay/rate/?team=alpha")
    assert page.status_code == 200
    assert b'name="csrfmiddlewaretoken"' in page.content
    token = page.cookies["csrftoken"].value
    assert client.post("/health/apis/pay/rate/", {"team": "alpha", "rating": 5}).status_code == 403
    r = client.post(
        "/health/apis/pay/rate/",
        {
            "team": "alpha",
            "rating": 5,
            "comment": "<script>x</script>great",
            "csrfmiddlewaretoken": token,
        },
    )
    assert r.status_code == 302 and r["Location"] == "/health/apis/pay/"
    assert Feedback.objects.get().rating == 5
    again = client.get("/health/apis/pay/rate/?team=alpha")
    assert b"<script>x</script>" not in again.content
    assert b'value="5"' in again.content and b"checked" in again.content


def test_page_refuses_a_team_you_are_not_in(org, alpha_member, web_client):
    r = web_client(alpha_member).post("/health/apis/pay/rate/", {"team": "beta", "rating": 5})
    assert r.status_code == 400
    assert Feedback.objects.count() == 0


def test_page_for_non_consumers_explains(org, engineer, web_client):
    r = web_client(engineer).get("/health/apis/pay/rate/")
    assert r.status_code == 200 and b"Only members of a team that consumes" in r.content


def test_anonymous_is_sent_to_login(org, client):
    r = client.get("/health/apis/pay/rate/")
    assert r.status_code == 302 and "/login/" in r["Location"]
