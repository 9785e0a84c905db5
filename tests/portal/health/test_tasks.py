"""The daily "rate this integration" prompt, a week after an integration goes live."""

import datetime as dt

import pytest

from portal.health import services
from portal.health.models import Feedback
from portal.health.tasks import send_feedback_prompts
from portal.notifications.models import ChangeEvent, Notification

pytestmark = pytest.mark.django_db


def test_prompt_a_week_after_live_once(org):
    # d7 (C1 → pay v2) went live on 2025-04-11: prompted from 2025-04-18 on.
    assert services.feedback_prompts_send(today=dt.date(2025, 4, 17)) == 0
    assert services.feedback_prompts_send(today=dt.date(2025, 4, 18)) == 1
    event = ChangeEvent.objects.get(kind="feedback_prompt")
    assert event.dedupe_key == f"feedback_prompt:dependency:{org.deps.d7.pk}"
    assert event.url == "/health/apis/pay/rate/?team=alpha"
    note = Notification.objects.get(event=event)
    assert note.recipient == org.alpha and note.channel == "inbox"
    # The next day nothing new: deduplicated.
    assert services.feedback_prompts_send(today=dt.date(2025, 4, 19)) == 0
    assert ChangeEvent.objects.filter(kind="feedback_prompt").count() == 1


def test_no_prompt_once_rated_or_too_old(org):
    Feedback.objects.create(consumer_team=org.alpha, api=org.pay, rating=4)
    assert services.feedback_prompts_send(today=dt.date(2025, 4, 18)) == 0
    # d3 went live 2025-03-31: after 14 days it is no longer prompted (no spam of old ones).
    assert services.feedback_prompts_send(today=dt.date(2025, 4, 20)) == 0
    assert services.feedback_prompts_send(today=dt.date(2025, 4, 10)) == 1  # d3, 10 days old
    assert ChangeEvent.objects.get().payload["consumer"] == "c3"


def test_never_live_integrations_are_not_prompted(org):
    # d5 was requested on 2025-05-01 but never went live.
    assert services.feedback_prompts_send(today=dt.date(2025, 5, 10)) == 0


def test_the_task_runs_the_service(org):
    assert send_feedback_prompts.delay().get() == 0  # today is far from the fixture's dates
