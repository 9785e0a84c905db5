"""Writes of the health area: developer feedback, its moderation, roadmap items and the
"rate this integration" prompts."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from catalog.models import Api, Dependency, Service, Team
from catalog.selectors.permissions import user_is_team_member
from portal.api.exceptions import DomainError
from portal.health import selectors, stats
from portal.health.models import Feedback, FeedbackRevision, RoadmapItem
from portal.notifications.models import ChangeEvent
from portal.notifications.services import Recipient, event_record

COMMENT_MAX = 4000
PROMPT_AFTER_DAYS = 7
PROMPT_WINDOW_DAYS = 14


# --- feedback -----------------------------------------------------------------------------------


def _check_rating(rating, comment: str) -> int:
    errors: dict[str, list[str]] = {}
    try:
        value = int(rating)
    except (TypeError, ValueError):
        value = 0
    if isinstance(rating, bool) or not 1 <= value <= 5:
        errors["rating"] = ["A rating is a whole number from 1 to 5."]
    if len(comment or "") > COMMENT_MAX:
        errors["comment"] = [f"At most {COMMENT_MAX} characters."]
    if errors:
        raise DomainError("; ".join(m for ms in errors.values() for m in ms), errors=errors)
    return value


@transaction.atomic
def feedback_submit(*, actor, team: Team, api: Api, rating: int, comment: str = "") -> Feedback:
    """Give or change ``team``'s current rating of ``api`` (1-5, optional comment).

    Guarantees one current Feedback per (team, API) and appends a FeedbackRevision on every
    write (the history). Raises DomainError: ``forbidden`` unless ``actor`` is a member of
    ``team`` (staff included: ratings speak for a team); ``refused`` (rule
    ``feedback-not-a-consumer``) unless one of the team's services depends on the API;
    ``invalid`` for a rating outside 1-5 or an over-long comment.
    """
    value = _check_rating(rating, comment)
    if not user_is_team_member(user=actor, team_id=team.pk):
        raise DomainError(
            "Only members of the consuming team may rate for it.",
            kind="forbidden",
            rule="feedback-team-member",
        )
    if not Dependency.objects.filter(consumer__owner=team, api_version__api=api).exists():
        raise DomainError(
            f"{team.name} does not consume {api.name}: only consumers rate an API.",
            kind="refused",
            rule="feedback-not-a-consumer",
            errors={"api": ["The team has no service depending on this API."]},
        )
    feedback = Feedback.objects.select_for_update().filter(consumer_team=team, api=api).first()
    comment = (comment or "").strip()
    if feedback is None:
        feedback = Feedback.objects.create(
            consumer_team=team, api=api, rating=value, comment=comment, author=actor
        )
    else:
        feedback.rating = value
        feedback.comment = comment
        feedback.author = actor
        feedback.save(update_fields=["rating", "comment", "author", "updated_at"])
    FeedbackRevision.objects.create(feedback=feedback, rating=value, comment=comment, author=actor)
    return feedback


@transaction.atomic
def feedback_moderate(*, actor, feedback: Feedback, hidden: bool, note: str = "") -> Feedback:
    """Hide (or show again) a feedback. Staff only; hidden feedback stays in the database and
    its history but leaves lists and metrics. Raises DomainError ``forbidden`` otherwise."""
    if not (actor and actor.is_authenticated and actor.is_staff):
        raise DomainError("Only staff moderate feedback.", kind="forbidden", rule="staff-only")
    feedback.hidden = hidden
    feedback.moderation_note = (note or "")[:300]
    feedback.save(update_fields=["hidden", "moderation_note", "updated_at"])
    return feedback


def feedback_prompts_send(*, today: dt.date | None = None) -> int:
    """Prompt consumer teams to rate integrations that went live a week ago.

    For every dependency live for at least ``PROMPT_AFTER_DAYS`` (and at most
    ``PROMPT_WINDOW_DAYS``, so a missed day is caught up but old integrations are not spammed)
    whose team has not rated the API yet, record one ``feedback_prompt`` event to the consuming
    team's inbox. Idempotent: the dedupe key is per dependency. Returns the number of new
    prompts.
    """
    today = today or timezone.localdate()
    newest = today - dt.timedelta(days=PROMPT_AFTER_DAYS)
    oldest = today - dt.timedelta(days=PROMPT_WINDOW_DAYS)
    candidates = (
        Dependency.objects.filter(live_at__gte=oldest, live_at__lte=newest)
        .select_related("consumer__owner", "api_version__api")
        .order_by("id")
    )
    keys = {f"feedback_prompt:dependency:{d.pk}": d for d in candidates}
    if not keys:
        return 0
    already = set(
        ChangeEvent.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True)
    )
    rated = set(
        Feedback.objects.filter(
            consumer_team__in={d.consumer.owner_id for d in keys.values()},
            api__in={d.api_version.api_id for d in keys.values()},
        ).values_list("consumer_team_id", "api_id")
    )
    sent = 0
    for key, dep in keys.items():
        api = dep.api_version.api
        if key in already or (dep.consumer.owner_id, api.pk) in rated:
            continue
        with transaction.atomic():
            event_record(
                kind=ChangeEvent.Kind.FEEDBACK_PROMPT,
                dedupe_key=key,
                title=f"How is {api.name} working for {dep.consumer.name}? Rate it",
                body=(
                    f"{dep.consumer.name} went live on {api.name} {dep.api_version.version} on "
                    f"{dep.live_at:%Y-%m-%d}. Rate the integration (1-5) so its providers know."
                ),
                url=reverse("health:feedback-form", args=[api.slug])
                + f"?team={dep.consumer.owner.slug}",
                payload={
                    "dependency_id": dep.pk,
                    "api": api.slug,
                    "consumer": dep.consumer.slug,
                    "team": dep.consumer.owner.slug,
                },
                recipients=[Recipient(team_id=dep.consumer.owner_id, relation="direct")],
            )
        rated.add((dep.consumer.owner_id, api.pk))
        sent += 1
    return sent


# --- roadmap ------------------------------------------------------------------------------------


def user_can_edit_roadmap_item(*, user, item: RoadmapItem | None = None, team=None) -> bool:
    """Staff, or owners of the providing team (the item's team, or the service's owner)."""
    from catalog.selectors.permissions import user_is_team_owner

    if not (user and user.is_authenticated):
        return False
    if user.is_staff:
        return True
    team_ids = set()
    if item is not None:
        if item.team_id:
            team_ids.add(item.team_id)
        if item.service_id:
            team_ids.add(item.service.owner_id)
    if team is not None:
        team_ids.add(team.pk)
    return any(user_is_team_owner(user=user, team_id=t) for t in team_ids)


def roadmap_item_validate(
    *, item_id: int | None, title: str, layer: str, target_quarter: str, status: str, depends_on
) -> None:
    """Raise DomainError ``invalid`` (errors per field) for a missing title, an unknown
    layer/status, a quarter not like 2025-Q3, or prerequisites that would close a cycle (the
    message names the items already depending on this one)."""
    errors: dict[str, list[str]] = {}
    if not (title or "").strip():
        errors["title"] = ["A title is required."]
    if layer not in RoadmapItem.Layer.values:
        errors["layer"] = [f"Choose one of {', '.join(RoadmapItem.Layer.values)}."]
    if status not in RoadmapItem.Status.values:
        errors["status"] = [f"Choose one of {', '.join(RoadmapItem.Status.values)}."]
    try:
        stats.parse_quarter(target_quarter)
    except ValueError as exc:
        errors["target_quarter"] = [str(exc)]
    if item_id is not None and depends_on:
        graph, _, _ = selectors.roadmap_graph()
        if stats.creates_cycle(item_id, [d.pk for d in depends_on], graph):
            name = (title or "").strip() or "The item"
            waiting = set(stats.unlocks(item_id, graph))
            loops = ", ".join(sorted(f"'{d.title}'" for d in depends_on if d.pk in waiting))
            errors["depends_on"] = [
                f"'{name}' cannot depend on itself (a cycle)."
                if any(d.pk == item_id for d in depends_on)
                else f"'{name}' cannot depend on {loops}: they already depend on it (a cycle)."
            ]
    if errors:
        raise DomainError(
            "; ".join(m for ms in errors.values() for m in ms), errors=errors, rule="roadmap-item"
        )


@transaction.atomic
def roadmap_item_save(
    *,
    actor,
    item: RoadmapItem | None = None,
    title: str,
    description: str = "",
    layer: str,
    target_quarter: str,
    status: str = RoadmapItem.Status.PLANNED,
    service: Service | None = None,
    team: Team | None = None,
    depends_on: list[RoadmapItem] | None = None,
) -> RoadmapItem:
    """Create (``item`` None) or update a roadmap item and set its prerequisites.

    The providing team defaults to the service's owner and must be it when both are given. Raises
    DomainError: ``forbidden`` unless staff or an owner of the providing team (before and after
    the change); ``invalid`` for a service of another team than the one given, a missing title,
    unknown layer/status, a quarter not like 2025-Q3 or a dependency cycle.
    """
    if team is None and service is not None:
        team = service.owner
    if service is not None and team.pk != service.owner_id:
        raise DomainError(
            f"The service '{service}' belongs to {service.owner}, not {team}: the providing team "
            "of an item about a service is the service's owner.",
            errors={"service": [f"{service} belongs to {service.owner}."]},
            rule="roadmap-item",
        )
    if item is not None and not user_can_edit_roadmap_item(user=actor, item=item):
        raise DomainError(
            "Only staff or the providing team's owners edit this item.",
            kind="forbidden",
            rule="roadmap-edit",
        )
    if not (actor and actor.is_staff) and (
        team is None or not user_can_edit_roadmap_item(user=actor, team=team)
    ):
        raise DomainError(
            "Only staff, or owners of the providing team, add roadmap items for it.",
            kind="forbidden",
            rule="roadmap-edit",
        )
    depends_on = list(depends_on or [])
    roadmap_item_validate(
        item_id=item.pk if item else None,
        title=title,
        layer=layer,
        target_quarter=target_quarter,
        status=status,
        depends_on=depends_on,
    )
    if item is None:
        item = RoadmapItem()
    item.title = title.strip()
    item.description = description or ""
    item.layer = layer
    item.target_quarter = target_quarter
    item.status = status
    item.service = service
    item.team = team
    item.save()
    if any(d.pk == item.pk for d in depends_on):
        raise DomainError(
            "An item cannot depend on itself.",
            errors={"depends_on": ["An item cannot depend on itself."]},
        )
    item.depends_on.set(depends_on)
    return item


@transaction.atomic
def roadmap_item_delete(*, actor, item: RoadmapItem) -> None:
    """Delete an item (its dependency links go with it). Same permission as editing."""
    if not user_can_edit_roadmap_item(user=actor, item=item):
        raise DomainError(
            "Only staff or the providing team's owners delete this item.",
            kind="forbidden",
            rule="roadmap-edit",
        )
    item.delete()
