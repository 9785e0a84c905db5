"""Who may do what in the catalog. Used by the API, the pages and the services alike."""

from __future__ import annotations

from catalog.models import Membership


def user_team_ids(*, user, role: str | None = None) -> set[int]:
    """Ids of the teams ``user`` belongs to (optionally only with ``role``)."""
    if not (user and user.is_authenticated):
        return set()
    qs = Membership.objects.filter(user=user)
    if role:
        qs = qs.filter(role=role)
    return set(qs.values_list("team_id", flat=True))


def user_is_team_owner(*, user, team_id: int) -> bool:
    if not (user and user.is_authenticated):
        return False
    return Membership.objects.filter(
        user=user, team_id=team_id, role=Membership.Role.OWNER
    ).exists()


def user_is_team_member(*, user, team_id: int) -> bool:
    if not (user and user.is_authenticated):
        return False
    return Membership.objects.filter(user=user, team_id=team_id).exists()


def user_can_edit_team(*, user, team_id: int) -> bool:
    """Staff, or an owner of the team."""
    if not (user and user.is_authenticated):
        return False
    return user.is_staff or user_is_team_owner(user=user, team_id=team_id)


def user_can_edit_service(*, user, service) -> bool:
    """Staff, or an owner of the team that owns the service."""
    return user_can_edit_team(user=user, team_id=service.owner_id)


def user_can_declare_dependency(*, user, consumer) -> bool:
    """Staff, or any member of the team that owns the consuming service."""
    if not (user and user.is_authenticated):
        return False
    return user.is_staff or user_is_team_member(user=user, team_id=consumer.owner_id)
